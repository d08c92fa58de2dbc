#!/usr/bin/env python3
"""Load a page in headless Chromium and read it after a while, as a person
would see it: live pages (an event stream) never finish loading, so
--dump-dom cannot. Speaks the DevTools protocol over --remote-debugging-pipe
(JSON messages ended by NUL on fds 3 and 4).

usage: cdp.py [--screenshot FILE.png [--figure TEXT | --top PX]] URL SECONDS EXPR [EXPR...]
Opens URL, and every SECONDS (once per EXPR) evaluates the JavaScript EXPR
in the page: prints each value as one JSON line; --screenshot: the whole
page as PNG after the last (--figure: only the first report figure whose
heading holds TEXT, its chart and table; --top: the page's first PX
pixels). What the page printed on
its console and its uncaught exceptions go to stderr, each line starting
"console:"; exit 1 if there were any, 2 on a protocol failure."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # the child's fds 3 and 4: dup'ed there before exec
        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--disable-gpu", "--no-sandbox",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4),  # kept open once fds() put the pipes there
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self, timeout):
        """The next message, or None after timeout seconds."""
        import select
        deadline = time.time() + timeout
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                return None
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise SystemExit("cdp: chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        want = self.send(method, params, session)
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = self.read(deadline - time.time())
            if msg is None:
                break
            if msg.get("id") == want:
                if "error" in msg:
                    raise SystemExit(f"cdp: {method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise SystemExit(f"cdp: {method}: no answer in {timeout} s")

    def pump(self, seconds):
        deadline = time.time() + seconds
        while (left := deadline - time.time()) > 0:
            msg = self.read(left)
            if msg is not None:
                self.events.append(msg)


def console_lines(events):
    for e in events:
        p = e.get("params", {})
        if e.get("method") == "Runtime.consoleAPICalled":
            yield " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
        elif e.get("method") == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            yield d.get("exception", {}).get("description", d.get("text", "exception"))


def main():
    args, shot, figure, top = sys.argv[1:], None, None, None
    if args[:1] == ["--screenshot"] and len(args) > 1:
        shot, args = args[1], args[2:]
    if shot and args[:1] == ["--figure"] and len(args) > 1:
        figure, args = args[1], args[2:]
    if shot and args[:1] == ["--top"] and len(args) > 1:
        top, args = int(args[1]), args[2:]
    if len(args) < 3:
        sys.exit(__doc__)
    url, every, exprs = args[0], float(args[1]), args[2:]
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(profile)
        try:
            target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            b.call("Runtime.enable", session=session)
            b.call("Page.navigate", {"url": url}, session=session)
            for expr in exprs:
                b.pump(every)
                r = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                           session=session)
                print(json.dumps(r.get("result", {}).get("value")), flush=True)
            if shot:
                b.call("Emulation.setDeviceMetricsOverride",
                       {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                       session=session)
                opts = {"format": "png", "captureBeyondViewport": True}
                if figure:
                    find = ("(() => { const f = [...document.querySelectorAll('.figure')].find("
                            "f => f.querySelector('h3').textContent.includes(%s)); if (!f) return null;"
                            " const r = f.getBoundingClientRect(); return {x: r.x + scrollX,"
                            " y: r.y + scrollY, width: r.width, height: r.height, scale: 1}; })()"
                            % json.dumps(figure))
                    clip = b.call("Runtime.evaluate", {"expression": find, "returnByValue": True},
                                  session=session).get("result", {}).get("value")
                    if not clip:
                        sys.exit("no figure whose heading holds %r" % figure)
                    opts["clip"] = clip
                if top:
                    opts["clip"] = {"x": 0, "y": 0, "width": 1200, "height": top, "scale": 1}
                png = b.call("Page.captureScreenshot", opts, session=session)["data"]
                with open(shot, "wb") as f:
                    f.write(base64.b64decode(png))
            b.send("Browser.close")
        finally:
            try:
                b.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                b.proc.kill()
    lines = list(console_lines(b.events))
    for line in lines:
        print("console: " + line, file=sys.stderr)
    sys.exit(1 if lines else 0)


if __name__ == "__main__":
    main()
