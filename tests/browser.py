"""A minimal headless Chromium driver for the page tests: the Chrome DevTools protocol
over ``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-separated JSON), so
that a test can move a slider with real mouse events and read what the page shows.
Needs only Debian's ``chromium``; no WebDriver, no downloaded browser."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]


def find_chromium() -> str | None:
    """Debian's chromium (or another Chromium/Chrome on PATH), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with one page; ``with Browser(url) as b: b.eval("1 + 1")``."""

    def __init__(self, url: str, executable: str | None = None, width: int = 1280,
                 height: int = 1600, timeout: float = 60.0):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise FileNotFoundError("no Chromium found")
        self.url, self.width, self.height, self.timeout = url, width, height, timeout
        self._id, self._buf, self.session = 0, b"", None

    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="fisherlab-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds():  # the child's fd 3 reads what we write, fd 4 writes what we read
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self._profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=True)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False}, session=True)
        self.send("Page.navigate", {"url": self.url}, session=True)
        deadline = time.monotonic() + self.timeout
        while self.eval("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.url} did not load")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    # ------------------------------------------------------------------ protocol
    def send(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" not in self._buf:
                if time.monotonic() > deadline:
                    raise TimeoutError(method)
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def eval(self, expression: str):
        """The value of a JavaScript expression in the page."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                        session=True)
        if "exceptionDetails" in res:
            raise RuntimeError(res["exceptionDetails"])
        return res["result"].get("value")

    def box(self, selector: str) -> dict:
        """The element's box in page coordinates, scrolled into view first."""
        return json.loads(self.eval(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});"
            "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
            "return JSON.stringify({x:r.x,y:r.y,width:r.width,height:r.height});})()"))

    def drag(self, selector: str, start: float, stop: float) -> None:
        """Press the mouse at ``start`` (a fraction of the element's width), move it to
        ``stop`` and release: a user dragging a slider."""
        b = self.box(selector)
        y = b["y"] + b["height"] / 2
        for kind, frac in (("mousePressed", start), ("mouseMoved", (start + stop) / 2),
                           ("mouseMoved", stop), ("mouseReleased", stop)):
            self.send("Input.dispatchMouseEvent",
                      {"type": kind, "x": b["x"] + frac * b["width"], "y": y,
                       "button": "left", "buttons": 0 if kind == "mouseReleased" else 1,
                       "clickCount": 1}, session=True)

    def screenshot(self, path: str | Path, selector: str | None = None) -> None:
        """A PNG of the page, or of one element."""
        params: dict = {"format": "png", "captureBeyondViewport": True}
        if selector:
            self.box(selector)
            b = json.loads(self.eval(
                f"(function(){{var r=document.querySelector({json.dumps(selector)})"
                ".getBoundingClientRect();return JSON.stringify({x:r.x+scrollX,"
                "y:r.y+scrollY,width:r.width,height:r.height});})()"))
            params["clip"] = {**b, "scale": 1}
        data = self.send("Page.captureScreenshot", params, session=True)["data"]
        Path(path).write_bytes(base64.b64decode(data))
