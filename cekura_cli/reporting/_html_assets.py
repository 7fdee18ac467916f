"""The HTML reports' inline CSS and JavaScript, their Content-Security-Policy, and the
escaping helpers both pages use.

Every page is one self-contained file: the style and the script are inline, and the
policy allows exactly these two blocks (by SHA-256 hash) and nothing else: no other
script, no event-handler attribute, no request to any host (``default-src 'none'``). It
is a second line of defence: report text is escaped anyway (:func:`text`, :func:`attr`)
and the script only ever reads and writes text (``textContent``, ``value``), never HTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

STYLE = """
:root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa;
--pass:#1a7f37;--fail:#cf222e;--err:#9a6700;--call:#0969da;--pass-bg:#dafbe1;
--fail-bg:#ffebe9;--err-bg:#fff8c5;--call-bg:#ddf4ff}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;
--line:#30363d;--card:#161b22;--pass:#3fb950;--fail:#f85149;--err:#d29922;--call:#58a6ff;
--pass-bg:#12261e;--fail-bg:#301416;--err-bg:#2e2410;--call-bg:#0c2d6b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1200px;margin:0 auto;padding:16px;overflow-wrap:anywhere}
h1{font-size:1.3em;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:1.1em;margin:24px 0 8px}
a{color:var(--call);overflow-wrap:anywhere}
.muted{color:var(--muted)}
.head{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:baseline}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;
font-size:.85em;white-space:nowrap}
.o-passed{color:var(--pass);background:var(--pass-bg)}
.o-failed{color:var(--fail);background:var(--fail-bg)}
.o-error{color:var(--err);background:var(--err-bg)}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.stat{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:6px 12px}
.stat b{display:block;font-size:1.2em}
.notes{margin:8px 0;padding-left:20px}
.controls{position:sticky;top:0;z-index:1;background:var(--bg);display:flex;flex-wrap:wrap;
gap:8px 14px;align-items:center;padding:8px 0;border-bottom:1px solid var(--line)}
.controls label{white-space:nowrap}
.controls input[type=search]{flex:1 1 220px;min-width:0;padding:6px 8px;font:inherit;
border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.controls select,.controls button{font:inherit;padding:4px 8px;border:1px solid var(--line);
border-radius:6px;background:var(--card);color:var(--fg)}
.run{border:1px solid var(--line);border-radius:6px;margin:8px 0;background:var(--bg);
content-visibility:auto;contain-intrinsic-size:auto 64px}
.run>summary{cursor:pointer;padding:8px 10px;display:flex;flex-wrap:wrap;gap:4px 10px;
align-items:baseline;list-style-position:inside}
.run>summary .name{font-weight:600;overflow-wrap:anywhere}
.run>summary .why{flex-basis:100%;color:var(--muted);overflow-wrap:anywhere}
.run[open]>summary{border-bottom:1px solid var(--line);background:var(--card)}
.run[open]>summary .why{display:none}
.body{padding:8px 12px}
.reason{white-space:pre-wrap;overflow-wrap:anywhere;border-left:3px solid var(--fail);
padding:4px 10px;margin:0 0 8px;background:var(--fail-bg)}
.r-error .reason{border-color:var(--err);background:var(--err-bg)}
.r-failed{border-left:4px solid var(--fail)}
.r-error{border-left:4px solid var(--err)}
.meta{display:flex;flex-wrap:wrap;gap:4px 14px;margin:0 0 8px;color:var(--muted)}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 7px;
margin-right:4px;font-size:.85em}
.tx{display:flex;flex-direction:column;gap:6px;margin:8px 0}
.tx p{margin:0;padding:6px 10px;border-radius:8px;max-width:85%;white-space:pre-wrap;
overflow-wrap:anywhere;background:var(--card);border:1px solid var(--line)}
.tx p>b{display:block;font-size:.8em;color:var(--muted);font-weight:600}
.tx p>b>i{font-style:normal;font-weight:400;margin-left:6px}
.tx .k-agent{align-self:flex-start}
.tx .k-tester{align-self:flex-end;background:var(--pass-bg)}
.tx .k-call,.tx .k-result{align-self:stretch;max-width:100%;background:var(--call-bg);
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
.tx .k-call>b,.tx .k-result>b{color:var(--call)}
.tx .k-other{align-self:center;font-style:italic}
.omitted{color:var(--muted);font-style:italic}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td{overflow-wrap:anywhere}
td.n,th.n{text-align:right;white-space:nowrap}
.scroll{overflow-x:auto}
@media (min-width:601px){td.sc{min-width:14em}}
svg.chart{width:100%;height:auto;max-height:320px;display:block;background:var(--card);
border:1px solid var(--line);border-radius:6px}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart .axis{fill:var(--muted);font-size:11px}
svg.chart .line{fill:none;stroke:var(--call);stroke-width:2}
svg.chart .dot-passed{fill:var(--pass)}
svg.chart .dot-failed{fill:var(--fail)}
svg.chart .threshold{stroke:var(--err);stroke-dasharray:4 3;stroke-width:1}
.hist{white-space:nowrap}
.h{display:inline-block;width:9px;height:14px;margin-right:2px;border-radius:2px;
background:var(--line)}
.h-passed{background:var(--pass)}.h-failed{background:var(--fail)}.h-error{background:var(--err)}
.h-skipped{background:var(--muted)}
[hidden]{display:none!important}
@media (max-width:600px){main{padding:10px}.controls{position:static}.tx p{max-width:100%}
.hide-narrow{display:none}}
"""

SCRIPT = """
(function () {
  "use strict";
  var runs = Array.prototype.slice.call(document.querySelectorAll("details.run"));
  if (!runs.length) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=outcome]"));
  var tag = document.getElementById("tag");
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none");
  var texts = null;
  function apply() {
    var wanted = {};
    boxes.forEach(function (box) { wanted[box.value] = box.checked; });
    var wantedTag = tag ? tag.value : "";
    var needle = search.value.trim().toLowerCase();
    if (needle && texts === null) {
      texts = runs.map(function (run) { return run.textContent.toLowerCase(); });
    }
    var count = 0;
    runs.forEach(function (run, index) {
      var ok = wanted[run.getAttribute("data-outcome")] === true;
      if (ok && wantedTag) {
        ok = run.getAttribute("data-tags").split("\\n").indexOf(wantedTag) >= 0;
      }
      if (ok && needle) { ok = texts[index].indexOf(needle) >= 0; }
      run.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + runs.length + " runs shown";
    none.hidden = count > 0;
  }
  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  if (tag) { tag.addEventListener("change", apply); }
  search.addEventListener("input", apply);
  function openAll(open) {
    runs.forEach(function (run) { if (!run.hidden) { run.open = open; } });
  }
  document.getElementById("expand").addEventListener("click", function () { openAll(true); });
  document.getElementById("collapse").addEventListener("click", function () { openAll(false); });
  function openLinked() {  // report.html#run-1002 opens and shows that run
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { /* a malformed %-escape: use it as is */ }
    var run = document.getElementById(id);
    if (run && run.classList.contains("run")) { run.open = true; run.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openLinked);
  apply();
  openLinked();
})();
"""


_SPACE = re.compile(r"\s")


def _sha256(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(*, script: bool) -> str:
    """Allow this page's own style (and script) block and nothing else."""
    script_src = f"'sha256-{_sha256(SCRIPT)}'" if script else "'none'"
    return (
        f"default-src 'none'; style-src 'sha256-{_sha256(STYLE)}'; script-src {script_src}; "
        "base-uri 'none'; form-action 'none'"
    )


def head(title: str, *, script: bool) -> str:
    """``<!doctype html>`` through ``<body>``: charset, viewport, policy, title, style."""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # The policy is this module's own text (no quotes or ampersands): not escaped.
        f'<meta http-equiv="Content-Security-Policy" '
        f'content="{content_security_policy(script=script)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{text(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    )


def tail(*, script: bool) -> str:
    """``</main>`` to the end, with the page's one script when it has one."""
    if script:
        return f"</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    return "</main>\n</body>\n</html>\n"


def text(value: object) -> str:
    """Escape for element content (``&``, ``<``, ``>``)."""
    return html.escape(str(value), quote=False)


def attr(value: object) -> str:
    """Escape for a double- or single-quoted attribute value."""
    return html.escape(str(value), quote=True).replace("\n", "&#10;")


def safe_link(url: str | None, label: str) -> str:
    """An ``<a>`` for an ``http(s)://`` URL; anything else (``javascript:``, ``data:``, a
    relative path) is shown as text, never made a link."""
    if not url:
        return ""
    if url[:8].lower().startswith(("https://", "http://")) and _SPACE.search(url) is None:
        return f'<a href="{attr(url)}" rel="noopener noreferrer">{text(label)}</a>'
    return f"<span>{text(url)}</span>"
