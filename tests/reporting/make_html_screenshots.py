"""Make the screenshots in ``docs/`` from real runs: the HTML report and the trend page.

Runs ``cekura run --local`` (the bundled booking agent against a demo suite in which two
scenarios expect what the agent does not do) for the report, and eight "nights" with
different suites for the trend, then photographs both pages in headless Chromium at
1440 px and 375 px.

Usage: ``python tests/reporting/make_html_screenshots.py [--out docs]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from html_browser_helpers import chromium, find_chromium

BUNDLED = Path(__file__).parents[2] / "cekura_cli" / "sandbox" / "examples"
EXTRA = """
  - name: Quotes the Saturday opening hours
    tags: [smoke-test]
    turns:
      - say: Are you open on Saturday?
        expect:
          reply_contains: "9:00 to 13:00"
  - name: Books with the patient's name
    tags: [critical]
    turns:
      - say: Book me for friday at 9:00, my name is <b>Zoë</b>
        expect:
          tool_called:
            name: book_appointment
            arguments: {date: friday, time: "09:00", name: Zoë}
"""


def suite(directory: Path, extra_scenarios: int) -> Path:
    """The bundled suite plus the first ``extra_scenarios`` failing ones."""
    text = (BUNDLED / "cekura-scenarios.yaml").read_text(encoding="utf-8")
    blocks = EXTRA.split("\n  - name:")
    added = "\n  - name:".join(blocks[: extra_scenarios + 1]) if extra_scenarios else ""
    path = directory / f"suite-{extra_scenarios}.yaml"
    path.write_text(text.rstrip("\n") + "\n" + added.rstrip("\n") + "\n", encoding="utf-8")
    return path


def cekura(*args: str, cwd: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args],
        cwd=cwd,
        check=False,
        timeout=120,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[2] / "docs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    executable = find_chromium()
    if executable is None:
        print("no Chromium found (set CEKURA_CHROMIUM)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tags = ["--tag", "smoke-test", "--tag", "critical"]
        cekura("run", "--local", "--scenarios", str(suite(work, 2)), *tags, "--html",
               "report.html", cwd=work)  # fmt: skip
        for night, extra in enumerate([0, 0, 1, 0, 2, 1, 0, 1], start=1):
            cekura("run", "--local", "--scenarios", str(suite(work, extra)), *tags, "--json",
                   f"nightly/report-2026-11-{night:02d}.json", cwd=work)  # fmt: skip
        cekura("report", "trend", "nightly", "--html", "trend.html", cwd=work)
        with chromium(executable) as browser:
            page = browser.new_page()
            page.open(work / "report.html", width=1440, height=1100)
            page.screenshot(args.out / "html-report.png", full_page=False)
            page.open(work / "report.html", width=375, height=800)
            page.screenshot(args.out / "html-report-375.png", full_page=False)
            page.open(work / "trend.html", width=1440, height=1000)
            page.screenshot(args.out / "html-trend.png", full_page=False)
    for name in ("html-report.png", "html-report-375.png", "html-trend.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
