"""A real headless Chromium driven over the DevTools protocol, for the HTML report tests.

No new dependency: Chromium (the system package) is started with
``--remote-debugging-port=0``, its port is read from the ``DevToolsActivePort`` file it
writes, and the protocol is spoken over a WebSocket with the ``websockets`` library the
project already uses. Every wait is bounded by :data:`TIMEOUT_S`.

Used by ``test_reporting_html_browser.py`` and by ``make_html_screenshots.py``.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

TIMEOUT_S = 30.0
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--remote-debugging-port=0",
)


def find_chromium() -> str | None:
    """``$CEKURA_CHROMIUM``, else the first Chromium on ``PATH``; ``None`` when there is none."""
    configured = os.environ.get("CEKURA_CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if Path(configured).exists() else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    """One browser-level DevTools connection; pages are targets attached in flat mode."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, *, after: int = 0) -> dict[str, Any]:
        """The first event ``method`` of ``session`` at index >= ``after`` (waits for it)."""
        deadline = time.monotonic() + TIMEOUT_S
        index = after
        while True:
            while index < len(self.events):
                event = self.events[index]
                index += 1
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            self.events.append(self._receive(deadline))

    def _receive(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer from Chromium in time")
        return json.loads(self._socket.recv(timeout=remaining))


class Page:
    """One tab: open a file, read the DOM with JavaScript, click, type, screenshot."""

    def __init__(self, devtools: DevTools, session: str, target: str) -> None:
        self.devtools = devtools
        self.session = session
        self.target = target
        for domain in ("Page", "Runtime", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.devtools.call(method, self.session, **params)

    def open(
        self,
        path: Path,
        *,
        width: int = 1440,
        height: int = 900,
        bypass_csp: bool = False,
        fragment: str = "",
    ) -> None:
        """Load ``path`` at ``width`` CSS pixels and wait for its load event.

        ``fragment`` is appended as ``#fragment``. ``bypass_csp`` turns the page's
        Content-Security-Policy off, so a test can show that escaping alone keeps report
        text inert.
        """
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        self.call("Page.setBypassCSP", enabled=bypass_csp)
        mark = len(self.devtools.events)
        url = path.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        self.call("Page.navigate", url=url)
        self.devtools.wait_for("Page.loadEventFired", self.session, after=mark)
        self._loaded_from = mark

    def requests(self) -> list[str]:
        """Every URL the page asked for since it was opened (the page itself included)."""
        return [
            event["params"]["request"]["url"]
            for event in self.devtools.events[self._loaded_from :]
            if event.get("method") == "Network.requestWillBeSent"
            and event.get("sessionId") == self.session
        ]

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page and return its value (JSON-able)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) at the centre of ``selector``."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_into(self, selector: str, text: str) -> None:
        """Focus ``selector`` and type ``text`` as keyboard input."""
        self.click(selector)
        self.call("Input.insertText", text=text)

    def visible(self, selector: str) -> list[str]:
        """The ids of the elements matching ``selector`` that are rendered (not hidden)."""
        return self.js(
            f"[...document.querySelectorAll({json.dumps(selector)})]"
            ".filter(e => e.getClientRects().length > 0).map(e => e.id)"
        )

    def screenshot(self, path: Path, *, full_page: bool = True) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))


class Browser:
    def __init__(self, devtools: DevTools) -> None:
        self.devtools = devtools

    def new_page(self) -> Page:
        target = self.devtools.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.devtools.call("Target.attachToTarget", targetId=target, flatten=True)
        return Page(self.devtools, session["sessionId"], target)

    def close_page(self, page: Page) -> None:
        self.devtools.call("Target.closeTarget", targetId=page.target)


@contextmanager
def chromium(executable: str) -> Iterator[Browser]:
    """A headless Chromium with a fresh profile; stopped (and its profile removed) on exit."""
    # Chromium's helper processes may still be writing to the profile as the browser
    # exits; a leftover file in a temporary directory is not worth a failed test.
    with tempfile.TemporaryDirectory(
        prefix="cekura-chromium-", ignore_cleanup_errors=True
    ) as profile:
        log = open(Path(profile) / "chromium.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + TIMEOUT_S
            while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Chromium did not start (exit {process.poll()})")
                time.sleep(0.05)
            port, path = port_file.read_text().split()[:2]
            with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as socket:
                yield Browser(DevTools(socket))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.close()
