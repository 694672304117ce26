#!/usr/bin/env python3
"""test_http_basic.py - the http module over loopback on every event
backend: GET and HEAD, the standard fields, HTTP/1.0 and 1.1 keep-alive,
pipelining in order, absolute-form targets, OPTIONS *, curl, IPv6, the
bundled site of the default configuration, and the access log (format and
rotation)."""

import os
import signal
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

FILES = {
    "index.html": "<h1>home</h1>\n",
    "a.txt": "alpha\n",
    "b.css": "body{}\n",
    "dir/index.html": "dir index\n",
}
DATE_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|"
                     r"Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$")


@h.test(backends=True)
def get_and_head(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/a.txt")
        h.eq(r.status, 200)
        h.eq(r.body, b"alpha\n")
        h.eq(r.header("content-length"), "6")
        h.eq(r.header("content-type"), "text/plain; charset=utf-8")
        h.check(DATE_RE.match(r.header("date", "")), "Date %r" % r.header("date"))
        h.check(DATE_RE.match(r.header("last-modified", "")), "Last-Modified")
        h.check(r.header("server", "").startswith("superd/"), "Server")
        h.check(re.match(r'^"[0-9a-f]+-[0-9a-f]+"$', r.header("etag", "")), "ETag")
        hr = w.get("/a.txt", method="HEAD")
        h.eq(hr.status, 200)
        for k in ("content-length", "content-type", "etag", "last-modified"):
            h.eq(hr.header(k), r.header(k), "HEAD " + k)
        # HEAD sends no body: the next response on the connection parses
        c = w.conn()
        c.send(hk.request("HEAD", "/a.txt") + hk.request("GET", "/b.css"))
        h.eq(c.response(head=True).status, 200)
        r2 = c.response()
        h.eq(r2.body, b"body{}\n")
        h.eq(r2.header("content-type"), "text/css; charset=utf-8")
        c.close()
        h.eq(w.get("/").body, b"<h1>home</h1>\n")


@h.test(backends=True)
def keepalive_and_pipelining(backend):
    with hk.Web(backend, FILES) as w:
        c = w.conn()
        for i in range(20):
            c.send(hk.request("GET", "/a.txt"))
            r = c.response()
            h.eq((r.status, r.body), (200, b"alpha\n"), "request %d" % i)
        # pipelined: one write, answers in order
        burst = b"".join(hk.request("GET", p) for p in
                         ("/a.txt", "/nope", "/b.css", "/dir", "/dir/") * 10)
        c.send(burst)
        for i in range(10):
            got = [c.response().status for _ in range(5)]
            h.eq(got, [200, 404, 200, 301, 200], "pipelined round %d" % i)
        c.send(hk.request("GET", "/a.txt", {"Connection": "close"}))
        r = c.response()
        h.eq(r.header("connection"), "close")
        h.check(c.closed(), "closed after Connection: close")
        c.close()


@h.test(backends=True)
def http10(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/a.txt", version="1.0")
        h.eq(r.status, 200)
        h.eq(r.header("connection"), "close")
        c = w.conn()
        c.send(hk.request("GET", "/a.txt", {"Connection": "keep-alive"}, version="1.0"))
        r = c.response()
        h.eq(r.header("connection"), "keep-alive")
        c.send(hk.request("GET", "/b.css", version="1.0"))
        h.eq(c.response().body, b"body{}\n")
        h.check(c.closed(), "1.0 without keep-alive closes")
        c.close()


@h.test(backends=True)
def closing_response_leaves_with_the_fin(backend):
    """A response that the close ends (HTTP/1.0 without keep-alive,
    Connection: close) leaves corked, so its last segment carries the FIN,
    as nginx's (tcp_nopush) do: the client receives no more segments
    without data than for the same response on a kept-alive connection
    (the SYN-ACK, and an ACK of the request if the server's TCP sends one
    on its own), where a lone FIN would make one more.  Several pairs: a
    loaded machine may ACK one request and not the other."""
    def nondata(version, fields, closing):
        s = h.connect("127.0.0.1", w.port)
        s.sendall(hk.request("GET", "/a.txt", fields, version=version))
        if closing:
            out = h.recv_all(s)
        else:
            out, end = b"", time.monotonic() + 5.0
            while not out.endswith(b"\r\n\r\nalpha\n") and time.monotonic() < end:
                out += s.recv(4096)
        h.check(out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"\r\n\r\nalpha\n"),
                "the response: %r" % out)
        segs, data = h.tcp_segments_in(s)
        s.close()
        return segs - data

    with hk.Web(backend, FILES) as w:
        seen, same = [], 0
        for attempt in range(12):
            base = nondata("1.1", {}, False)
            for version, fields in (("1.0", {}), ("1.1", {"Connection": "close"})):
                got = nondata(version, fields, True)
                seen.append((base, got))
                same += got == base
            if same >= 4:
                break
        h.check(same >= 4, "the FIN rides on the response (segments without data: "
                "kept alive, closing): %r" % seen)


@h.test(backends=True)
def absolute_form_and_options(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("http://elsewhere.example/a.txt", {"Host": "ignored"})
        h.eq((r.status, r.body), (200, b"alpha\n"))
        r = w.get("*", method="OPTIONS")
        h.eq(r.status, 200)
        h.check("GET" in r.header("allow", ""), "Allow on OPTIONS *")
        r = w.get("/a.txt", method="OPTIONS")
        h.eq(r.header("allow"), "GET, HEAD, OPTIONS")
        h.eq(w.get("*").status, 400)
        # leading empty line before the request line is ignored
        c = w.conn()
        c.send(b"\r\n" + hk.request("GET", "/a.txt"))
        h.eq(c.response().status, 200)
        c.close()


@h.test(backends=True)
def with_curl(backend):
    with hk.Web(backend, FILES) as w:
        p = hk.curl("-o", "-", "-w", "%{http_code} %{num_connects}\n",
                    w.url("/a.txt"), w.url("/b.css"), w.url("/dir"))
        h.eq(p.returncode, 0, "curl exit (%r)" % p.stderr)
        h.eq(p.stdout, b"alpha\n200 1\nbody{}\n200 0\n301 0\n")
        p = hk.curl("-L", "-o", "-", w.url("/dir"))
        h.eq(p.stdout, b"dir index\n")


@h.test(backends=True)
def ipv6(backend):
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    except OSError:
        h.skip("no IPv6")
    conf = {"global": {"workers": 1},
            "services": {"web": {"module": "http", "listen": "[::1]:{port0}",
                                 "options": {"root": "{tmp}/root"}}}}
    s = h.Superd(conf, backend=backend, wait_tcp=[])
    hk.make_root(FILES, s.tmp)
    with s:
        h.wait_until(lambda: _connects("::1", s.port(0)), what="[::1] listening")
        c = hk.Conn("::1", s.port(0))
        c.send(hk.request("GET", "/a.txt", {"Host": "[::1]"}))
        h.eq(c.response().body, b"alpha\n")
        c.close()


def _connects(host, port):
    try:
        h.connect(host, port, timeout=0.5).close()
        return True
    except OSError:
        return False


@h.test(backends=True, only=["epoll"])
def bundled_site(backend):
    """The site shipped in site/ shows a page, a listing and a CGI."""
    site = os.path.join(h.TOP_SRCDIR, "site")
    conf = {"global": {"workers": 1},
            "services": {"web": {"module": "http", "listen": "127.0.0.1:{port0}",
                                 "options": {"root": site, "cgi": [".cgi"]}}}}
    with h.Superd(conf, backend=backend) as s:
        base = "http://127.0.0.1:%d" % s.port(0)
        p = hk.curl("-i", base + "/")
        h.check(b"200 OK" in p.stdout and b"superd" in p.stdout, "index page")
        p = hk.curl(base + "/files/")
        h.check(b"Index of /files/" in p.stdout and b'href="./sub/"' in p.stdout,
                "listing: %r" % p.stdout[:300])
        if os.access(os.path.join(site, "hello.cgi"), os.X_OK):
            p = hk.curl(base + "/hello.cgi?name=world")
            h.check(b"GATEWAY_INTERFACE=CGI/1.1" in p.stdout, "cgi: %r" % p.stdout[:300])
            h.check(b"QUERY_STRING=name=world" in p.stdout, "cgi query")


@h.test(backends=True)
def access_log_combined_and_rotation(backend):
    files = dict(FILES)
    with hk.Web(backend, files, options={"access_log": "{tmp}/access.log"}) as w:
        log = w.superd.path("access.log")
        w.get("/a.txt?x=1", {"Referer": "http://ref/", "User-Agent": "tester/1.0"})
        w.get("/missing")
        lines = h.wait_until(lambda: _lines(log, 2), what="two access log lines")
        pat = (r'^127\.0\.0\.1 - - \[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d \+0000\] '
               r'"GET /a\.txt\?x=1 HTTP/1\.1" 200 6 "http://ref/" "tester/1\.0"$')
        h.check(re.match(pat, lines[0]), "line %r" % lines[0])
        h.check(re.match(r'^127\.0\.0\.1 .* "GET /missing HTTP/1\.1" 404 \d+ "-" "-"$',
                         lines[1]), "line %r" % lines[1])
        # logrotate: move the file away; the next lines go to a new file
        os.rename(log, log + ".1")
        time.sleep(1.1)
        w.get("/b.css")
        h.wait_until(lambda: _lines(log, 1), what="a line in the new log")
        h.check("/b.css" in _lines(log, 1)[0], "new file has the new line")
        h.eq(len(_lines(log + ".1", 0)), 2, "old file keeps its lines")


@h.test(backends=True)
def access_log_reopened_on_sigusr1(backend):
    """SIGUSR1 (logrotate's postrotate) reopens the access log at once: the
    request right after it, in the same second (before the once-a-second
    rotation check could notice), goes to the new file."""
    with hk.Web(backend, dict(FILES), options={"access_log": "{tmp}/access.log"}) as w:
        log = w.superd.path("access.log")
        w.get("/a.txt")                      # opens the clock's window
        h.wait_until(lambda: _lines(log, 1), what="the first access log line")
        while time.time() % 1.0 > 0.3:       # start early in a second
            time.sleep(0.01)
        w.get("/a.txt")
        h.wait_until(lambda: _lines(log, 2), what="the second access log line")
        os.rename(log, log + ".1")
        w.superd.signal(signal.SIGUSR1)
        # master -> worker: the worker's reopen creates the new file
        h.wait_until(lambda: os.path.exists(log), what="the access log reopened")
        w.get("/b.css")
        h.wait_until(lambda: _lines(log, 1), what="a line in the reopened log")
        h.check("/b.css" in _lines(log, 1)[0], "the new file has the new line")
        h.eq(len(_lines(log + ".1", 0)), 2, "the old file keeps its two lines")


def _lines(path, n):
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    return lines if len(lines) >= n else None


if __name__ == "__main__":
    h.main(timeout=180)
