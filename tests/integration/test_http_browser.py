#!/usr/bin/env python3
"""test_http_browser.py - the http module seen through a real browser:
headless Chromium driven by chromedriver over WebDriver (HTTP, stdlib
only).  It loads the bundled site (a copy of site/, with one file of a
190-character name added), a listing, a sorted listing reached by
clicking its column header, an error page and a CGI page; checks what a
person sees (rows in order, every link answering, nothing cut off or
scrolling sideways at 400 and 1200 pixels wide) and saves a screenshot
of each page at each width in the build directory (browser-*.png).

Bounded: every WebDriver call has a time limit and the whole file has
one; chromedriver and Chromium run in their own process group, killed
at the end however the test ends.  Skipped when chromium or
chromedriver is not installed."""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,900"]
WIDTHS = (400, 1200)
LONG = "a-file-with-a-very-long-name-" + "x" * 150 + "-end.txt"  # 190 bytes
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

# Every visible box must lie within the viewport; the page must not
# scroll sideways.
CUT_OFF_JS = """
const W = document.documentElement.clientWidth, bad = [];
if (document.documentElement.scrollWidth > W)
  bad.push('scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + W);
for (const el of document.querySelectorAll('h1, p, li, th, td, a, pre, address')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && (r.right > W + 1 || r.left < -1))
    bad.push(el.tagName + ' "' + el.textContent.slice(0, 30) + '" ' +
             Math.round(r.left) + '..' + Math.round(r.right));
}
return {width: W, bad: bad};
"""

# Fetch every link of the page from the page itself: status of each.
LINKS_JS = """
const done = arguments[arguments.length - 1];
const hrefs = [...document.querySelectorAll('a[href]')].map(a => a.href);
Promise.all(hrefs.map(u => fetch(u).then(r => [u, r.status], e => [u, String(e)])))
  .then(done);
"""

ROWS_JS = """
return [...document.querySelectorAll('tbody tr td:first-child a')]
  .map(a => a.getAttribute('href'));
"""


class Group:
    """chromedriver's process group, known to the harness so that its
    time limit kills it too (kill_all SIGKILLs the groups in _live)."""

    def __init__(self, proc, log_path):
        self.pid = proc.pid
        self.log_path = log_path

    def log_tail(self, n=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class Driver:
    """A WebDriver session on a chromedriver started here."""

    def __init__(self, tmp):
        port = h.free_port("tcp")
        self.log = os.path.join(tmp, "chromedriver.log")
        self.proc = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % port, "--log-path=" + self.log],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
            env=dict(os.environ, HOME=tmp))
        self.group = Group(self.proc, self.log)
        h._live.append(self.group)
        self.base = "http://127.0.0.1:%d" % port
        self.session = None
        h.wait_until(self._ready, 15, what="chromedriver ready")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": FLAGS + ["--user-data-dir=" + os.path.join(tmp, "profile")]}}}}
        self.session = self.call("POST", "/session", caps, timeout=60)["sessionId"]

    def _ready(self):
        try:
            return self.call("GET", "/status", timeout=2)["ready"]
        except (OSError, ValueError):
            return False

    def call(self, method, path, body=None, timeout=20):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            h.fail("WebDriver %s %s: %s" % (method, path, e.read()[:500]))

    def s(self, method, path, body=None, timeout=20):
        return self.call(method, "/session/%s%s" % (self.session, path), body, timeout)

    def go(self, url):
        self.s("POST", "/url", {"url": url}, timeout=30)

    def js(self, script):
        return self.s("POST", "/execute/sync", {"script": script, "args": []})

    def js_async(self, script):
        return self.s("POST", "/execute/async", {"script": script, "args": []}, timeout=30)

    def click(self, css):
        el = self.s("POST", "/element", {"using": "css selector", "value": css})
        self.s("POST", "/element/%s/click" % el[ELEMENT], {}, timeout=30)

    def width(self, w):
        self.s("POST", "/window/rect", {"width": w, "height": 900})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot", timeout=30)))

    def close(self):
        try:
            if self.session:
                self.s("DELETE", "", timeout=20)
        except Exception:  # the group is killed below either way
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait(timeout=10)
        if self.group in h._live:
            h._live.remove(self.group)


def site_copy(tmp):
    """The bundled site, with a 190-character file name added."""
    root = os.path.join(tmp, "site")
    shutil.copytree(os.path.join(h.TOP_SRCDIR, "site"), root)
    for dirpath, dirs, files in os.walk(root):  # distcheck's copy is read-only
        os.chmod(dirpath, 0o755)
    with open(os.path.join(root, "files", LONG), "w") as f:
        f.write("long\n" * 400)
    return root


def expected_rows(root, order):
    """The listing's hrefs: ../, directories, then files (by name or size)."""
    d = os.path.join(root, "files")
    names = [n for n in os.listdir(d) if not n.startswith(".")]
    dirs = sorted((n for n in names if os.path.isdir(os.path.join(d, n))), key=str.lower)
    files = [n for n in names if not os.path.isdir(os.path.join(d, n))]
    if order == "size-desc":
        files.sort(key=lambda n: (os.path.getsize(os.path.join(d, n)), n.lower()),
                   reverse=True)
        dirs.reverse()
    else:
        files.sort(key=str.lower)
    return ["../"] + ["./%s/" % n for n in dirs] + ["./" + n for n in files]


def check_view(drv, name, shots):
    """At each width: nothing cut off; a screenshot."""
    for w in WIDTHS:
        drv.width(w)
        got = drv.js(CUT_OFF_JS)
        h.check(not got["bad"], "%s at %d px (viewport %d): %s"
                % (name, w, got["width"], got["bad"][:5]))
        path = os.path.join(h.TOP_BUILDDIR, "browser-%s-%d.png" % (name, w))
        drv.screenshot(path)
        shots.append(path)


def check_links(drv, what):
    for url, status in drv.js_async(LINKS_JS):
        h.check(status == 200, "%s: link %s answered %s" % (what, url, status))


@h.test(backends=True, only=["epoll"])
def in_a_browser(backend):
    if not CHROMIUM or not CHROMEDRIVER:
        raise h.Skip("chromium and chromedriver are not installed")
    tmp = tempfile.mkdtemp(prefix="superd-browser-")
    h._temp_dirs.append(tmp)
    root = site_copy(tmp)
    conf = {"global": {"workers": 1},
            "services": {"web": {"module": "http", "listen": "127.0.0.1:{port0}",
                                 "options": {"root": root}}}}
    shots = []
    with h.Superd(conf, backend=backend) as sd:
        base = "http://127.0.0.1:%d" % sd.port(0)
        drv = Driver(tmp)
        try:
            drv.go(base + "/")
            h.check("superd" in drv.js("return document.title"), "the site's title")
            check_links(drv, "site")
            check_view(drv, "site", shots)
            # the listing, then sorted by clicking the Size header twice
            drv.width(1200)
            drv.go(base + "/files/")
            h.eq(drv.js(ROWS_JS), expected_rows(root, "name"), "listing rows")
            h.check(drv.js("return document.querySelector('td a[href$=\"-end.txt\"]')"
                           ".closest('tr').getBoundingClientRect().height > 30"),
                    "the long name wraps")
            check_links(drv, "listing")
            check_view(drv, "listing", shots)
            drv.width(1200)
            drv.click('th a[href^="?C=S"]')
            drv.click('th a[href^="?C=S"]')
            h.check(drv.js("return location.search") == "?C=S&O=D", "sorted by size, descending")
            h.eq(drv.js(ROWS_JS), expected_rows(root, "size-desc"), "sorted rows")
            h.eq(drv.js("return document.querySelector('th[aria-sort]').textContent"),
                 "Size \u2193", "current order marked")
            check_view(drv, "sorted", shots)
            # an error page and a CGI page
            drv.go(base + "/no/such/page")
            h.eq(drv.js("return document.querySelector('h1').textContent"), "404 Not Found")
            h.check("nothing at this address" in drv.js("return document.body.innerText"),
                    "the error page says what happened")
            check_view(drv, "error", shots)
            drv.go(base + "/hello.cgi?name=world")
            text = drv.js("return document.body.innerText")
            h.check("Hello from a CGI script" in text and "QUERY_STRING=name=world" in text,
                    "the CGI page: %r" % text[:200])
            check_view(drv, "cgi", shots)
        finally:
            drv.close()
    h.eq(len(shots), 10, "screenshots")
    for p in shots:
        with open(p, "rb") as f:
            h.eq(f.read(8), b"\x89PNG\r\n\x1a\n", "%s is a PNG" % p)


if __name__ == "__main__":
    h.main(timeout=150)
