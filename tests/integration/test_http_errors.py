#!/usr/bin/env python3
"""test_http_errors.py - the http module's error statuses over loopback on
every event backend: 400 (malformed, no Host on 1.1, CL with TE), 405 with
Allow, 501, 505, 413 (max_request_size), 414, 431, 408 for a header that
does not complete within header_timeout (while other clients are served),
a silent close of an idle keep-alive connection, and error pages with no
body for HEAD."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

FILES = {"a.txt": "alpha\n"}

CASES = [
    # (raw request, status, connection closes)
    (b"GET / HTTP/1.1\r\n\r\n", 400, True),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, True),
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, True),
    (b"GET /a.txt HTTP/1.1\r\nHost: a\r\nX-Test : v\r\n\r\n", 400, True),
    (b"GET /a.txt HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400, True),
    (b"GET /a.txt HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, True),
    (b"GET /a.txt HTTP/1.1\r\n X: y\r\nHost: a\r\n\r\n", 400, True),
    (b"GET /a.txt http/1.1\r\nHost: a\r\n\r\n", 400, True),
    (b"GET /a.txt HTTP/1.10\r\nHost: a\r\n\r\n", 400, True),
    (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, True),
    (b"POST /a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n", 400, True),
    (b"POST /a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400, True),
    (b"POST /a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n", 400, True),
    (b"POST /a.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400, True),
    (b"POST /a.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, True),
    (b"GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400, False),
    (b"GET /../a.txt HTTP/1.1\r\nHost: a\r\n\r\n", 400, False),
    (b"BREW /a.txt HTTP/1.1\r\nHost: a\r\n\r\n", 501, True),
    (b"GET /a.txt HTTP/2.0\r\nHost: a\r\n\r\n", 505, True),
    (b"GET /a.txt HTTP/3.0\r\n\r\n", 505, True),
    (b"POST /a.txt HTTP/1.1\r\nHost: a\r\n\r\n", 405, False),
    (b"PUT /a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405, False),
    (b"DELETE /a.txt HTTP/1.1\r\nHost: a\r\n\r\n", 405, False),
    (b"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", 404, False),
    (b"POST /a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413, True),
]


@h.test(backends=True)
def statuses(backend):
    with hk.Web(backend, FILES, options={"max_request_size": "1K"}) as w:
        for raw, status, closes in CASES:
            c = w.conn()
            c.send(raw)
            r = c.response()
            h.eq(r.status, status, "status for %r" % raw)
            h.check(r.body.startswith(b"<!DOCTYPE html>"), "error page for %r" % raw)
            h.eq(r.header("content-type"), "text/html; charset=utf-8")
            if status == 405:
                h.eq(r.header("allow"), "GET, HEAD, OPTIONS", "Allow")
            if closes:
                h.eq(r.header("connection"), "close", "Connection for %r" % raw)
                h.check(c.closed(), "closed after %r" % raw)
            else:
                c.send(hk.request("GET", "/a.txt"))
                h.eq(c.response().body, b"alpha\n", "still usable after %r" % raw)
            c.close()


@h.test(backends=True)
def sizes_414_431(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/" + "a" * 9000)
        h.eq(r.status, 414)
        r = w.get("/a.txt", {"X-Big": "b" * 20000})
        h.eq(r.status, 431)
        r = w.get("/a.txt", dict(("X-%d" % i, "v") for i in range(150)))
        h.eq(r.status, 431)
        # 8000-octet request lines are supported (RFC 9112 §3)
        r = w.get("/a.txt?" + "q" * 7900)
        h.eq(r.status, 200)


@h.test(backends=True)
def head_error_has_no_body(backend):
    with hk.Web(backend, FILES) as w:
        c = w.conn()
        c.send(hk.request("HEAD", "/missing") + hk.request("GET", "/a.txt"))
        r = c.response(head=True)
        h.eq(r.status, 404)
        h.check(int(r.header("content-length")) > 0, "Content-Length as for GET")
        h.eq(c.response().body, b"alpha\n", "next response parses: no body was sent")
        c.close()


@h.test(backends=True)
def slowloris_gets_408_others_served(backend):
    with hk.Web(backend, FILES, options={"header_timeout": 2}, timeout=60) as w:
        slow = w.conn(timeout=10)
        start = time.monotonic()
        slow.send(b"GET /a.txt HTTP/1.1\r\n")
        # trickle a byte every 0.3 s: never idle, never complete
        served = 0
        while time.monotonic() - start < 3.5:
            try:
                slow.send(b"X")
            except OSError:
                break
            r = w.get("/a.txt")
            h.eq(r.status, 200, "another client is served meanwhile")
            served += 1
            time.sleep(0.3)
        r = slow.response()
        elapsed = time.monotonic() - start
        h.eq(r.status, 408)
        h.eq(r.header("connection"), "close")
        h.check(1.5 < elapsed < 4.5, "408 after about 2 s (%.1f)" % elapsed)
        h.check(served >= 3, "others served")
        h.check(slow.closed(), "closed after 408")
        slow.close()


@h.test(backends=True)
def idle_keepalive_closed_silently(backend):
    with hk.Web(backend, FILES, options={"keepalive_timeout": 1}) as w:
        c = w.conn()
        c.send(hk.request("GET", "/a.txt"))
        h.eq(c.response().status, 200)
        t = time.monotonic()
        h.check(c.closed(timeout=3), "closed after the keep-alive timeout")
        h.check(time.monotonic() - t > 0.7, "not before the timeout")
        c.close()
        # keepalive_timeout 0: no keep-alive at all
    with hk.Web(backend, FILES, options={"keepalive_timeout": 0}) as w:
        r = w.get("/a.txt")
        h.eq(r.header("connection"), "close")


@h.test(backends=True)
def client_gone_mid_request(backend):
    with hk.Web(backend, FILES) as w:
        for _ in range(20):
            s = h.connect("127.0.0.1", w.port)
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHo")
            s.close()
        h.eq(w.get("/a.txt").status, 200)


if __name__ == "__main__":
    h.main(timeout=240)
