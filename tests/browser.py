"""A real headless Chromium driven over the Chrome DevTools Protocol, for `davtui serve` tests.

Small on purpose: start the browser on a free debugging port, open and close tabs, type, take
screenshots, and read the text of the page's terminal. textual-serve draws the terminal on a
canvas, so its text is read from xterm.js's own buffer: the terminal object is found among the
page's live objects (`Runtime.queryObjects`), as DevTools' console would find it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "no chromium installed (Debian: apt-get install chromium)"


def require_chromium() -> str:
    """The browser's path; without one the test skips, or fails under CI=true (CI installs it)."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail(NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)
    return CHROMIUM


#: Reads the visible lines of the first xterm.js terminal among `this` (an array of objects).
READ_TERMINAL = """function () {
  for (const o of this) {
    try {
      if (o && o.rows && o.buffer && o.buffer.active
          && typeof o.buffer.active.getLine === "function") {
        const b = o.buffer.active, lines = [];
        for (let i = 0; i < o.rows; i++) {
          const line = b.getLine(b.viewportY + i);
          lines.push(line ? line.translateToString(true) : "");
        }
        return lines.join("\\n");
      }
    } catch (e) {}
  }
  return null;
}"""


class Tab:
    """One page of the browser (a CDP target with its flat session)."""

    def __init__(self, browser: Browser, target_id: str, session_id: str) -> None:
        self.browser = browser
        self.target_id = target_id
        self.session_id = session_id

    async def send(self, method: str, **params: Any) -> dict:
        return await self.browser.send(method, params, self.session_id)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def terminal_text(self) -> str:
        """The terminal's visible lines ('' before it exists)."""
        found = await self.send("Runtime.evaluate", expression="Object.prototype")
        objects = await self.send(
            "Runtime.queryObjects", prototypeObjectId=found["result"]["objectId"]
        )
        array_id = objects["objects"]["objectId"]
        try:
            result = await self.send(
                "Runtime.callFunctionOn",
                functionDeclaration=READ_TERMINAL,
                objectId=array_id,
                returnByValue=True,
            )
        finally:
            await self.send("Runtime.releaseObjectGroup", objectGroup="")
        return result["result"].get("value") or ""

    async def wait_for_text(self, *needles: str, timeout: float = 60) -> str:
        """The terminal's text once it holds every needle; fails with what it showed."""
        return await self.wait_for(lambda text: all(n in text for n in needles), needles, timeout)

    async def wait_for(self, holds: Callable[[str], bool], what: object, timeout: float) -> str:
        """The terminal's text once `holds(text)`; fails saying `what` it waited for."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            try:
                text = await self.terminal_text()
            except RuntimeError:  # the page navigated between two calls (the token's redirect)
                text = ""
            if holds(text):
                return text
            await asyncio.sleep(0.5)
        raise AssertionError(f"the terminal never showed {what}; it showed:\n{text}")

    async def focus(self) -> None:
        """The tab in front and its terminal focused, as a user clicking into it."""
        await self.send("Page.bringToFront")
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")

    async def type(self, text: str) -> None:
        """Keys as a user types them into the focused terminal."""
        await self.focus()
        for char in text:
            for kind in ("keyDown", "keyUp"):
                await self.send(
                    "Input.dispatchKeyEvent",
                    type=kind,
                    key=char,
                    text=char if kind == "keyDown" else "",
                    code=f"Key{char.upper()}" if char.isalpha() else "",
                    windowsVirtualKeyCode=ord(char.upper()),
                )

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        await self.browser.send("Target.closeTarget", {"targetId": self.target_id})


class Browser:
    """Headless Chromium with a private profile under `root`; use `async with`."""

    def __init__(self, root: Path, width: int = 1120, height: int = 680) -> None:
        self.root = root
        self.size = (width, height)
        self.proc: subprocess.Popen | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None
        self._log: BinaryIO | None = None

    async def __aenter__(self) -> Browser:
        profile = self.root / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        self._log = open(self.root / "chromium.log", "wb")  # noqa: SIM115 (closed on exit)
        self.proc = subprocess.Popen(
            [
                require_chromium(),
                "--headless=new",
                "--no-sandbox",  # tests may run as root in a container
                "--no-first-run",
                "--disable-background-networking",
                f"--window-size={self.size[0]},{self.size[1]}",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.root / "chromium.log").read_text(errors="replace")
                raise RuntimeError(f"chromium did not start:\n{log[-2000:]}")
            await asyncio.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        if self._log is not None:
            self._log.close()

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            data = message.json()
            future = self._waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def send(self, method: str, params: dict | None = None, session: str | None = None):
        assert self._ws is not None
        message_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        await self._ws.send_json(message)
        answer = await asyncio.wait_for(future, 60)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    async def open(self, url: str) -> Tab:
        """A new tab on `url`."""
        created = await self.send("Target.createTarget", {"url": url})
        target = created["targetId"]
        attached = await self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        return Tab(self, target, attached["sessionId"])
