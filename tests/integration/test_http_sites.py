#!/usr/bin/env python3
"""test_http_sites.py - route-level features of the http module over
loopback: error_pages (the site's own page with the right status, HEAD,
Allow kept, never routed, the built-in page as fallback, one sentence),
virtual hosts (`hosts:` by exact name and `*.domain`, by Host or by an
absolute-form target, port and case ignored, their own root and options
with the service's as defaults, an unknown host on the service's root,
the access log naming the host), precompressed files (.br and .gz by
Accept-Encoding, q=0 refused, never an older variant, Content-Encoding,
Vary, length, ETag, ranges on the compressed bytes), and configuration
errors for all three."""

import gzip
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

FILES = {
    "index.html": "main site",
    "a.txt": "alpha",
    "errors/404.html": "<p>custom not found</p>",
    "errors/403.txt": "custom forbidden",
    "errors/405.html": "custom 405",
    "errors/page.cgi": ("exec", "#!/bin/sh\necho Content-Type: text/plain\necho\necho ran\n"),
    "errors/adir": None,
    "private": None,
    "one/index.html": "site one",
    "one/only-one.txt": "1",
    "one/sub/x.txt": "x",
    "one/errors/404.html": "one's own 404",
    "wild/index.html": "wildcard site",
    "deep/index.html": "deeper wildcard",
    "nolist/sub/f.txt": "f",
}


@h.test(backends=True, only=["epoll", "select"])
def error_pages(backend):
    opts = {"error_pages": {404: "/errors/404.html", 403: "errors/403.txt",
                            405: "/errors/405.html", 400: "/errors/missing.html",
                            414: "/errors/adir", 501: "/errors/page.cgi"},
            "listing": False}
    with hk.Web(backend, FILES, options=opts) as w:
        r = w.get("/nothing-here")
        h.eq((r.status, r.body), (404, b"<p>custom not found</p>"))
        h.eq(r.header("content-type"), "text/html; charset=utf-8")
        h.eq(r.header("content-length"), str(len(r.body)))
        hr = w.get("/nothing-here", method="HEAD")
        h.eq((hr.status, hr.body, hr.header("content-length")),
             (404, b"", str(len(r.body))))
        r = w.get("/private/")
        h.eq((r.status, r.body), (403, b"custom forbidden"))
        h.eq(r.header("content-type"), "text/plain; charset=utf-8")
        r = w.get("/a.txt", method="DELETE")
        h.eq((r.status, r.body, r.header("allow")), (405, b"custom 405", "GET, HEAD, OPTIONS"))
        # a CGI as an error page is sent as a file, never run
        c = w.conn()
        c.send(b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n")
        r = c.response()
        c.close()
        h.eq(r.status, 501)
        h.check(b"#!/bin/sh" in r.body, "the page's bytes, not its output")
        # missing page or a directory: the built-in page
        c = w.conn()
        c.send(b"GET /x HTTP/1.1\r\n\r\n")  # no Host: 400
        r = c.response()
        c.close()
        h.eq(r.status, 400)
        h.check(b"<h1>400 Bad Request</h1>" in r.body, "built-in 400")
        r = w.get("/" + "a" * 9000)
        h.eq(r.status, 414)
        h.check(b"<h1>414 URI Too Long</h1>" in r.body, "built-in 414 for a directory page")
        # the keep-alive connection goes on after a custom page
        c = w.conn()
        c.send(hk.request("GET", "/nothing") + hk.request("GET", "/a.txt"))
        h.eq(c.response().status, 404)
        h.eq(c.response().body, b"alpha")
        c.close()


@h.test(backends=True, only=["epoll"])
def builtin_pages_say_what_happened(backend):
    with hk.Web(backend, FILES, options={"listing": False}) as w:
        r = w.get("/nothing-here")
        body = r.body.decode()
        h.check("<p>There is nothing at this address.</p>" in body, "404 sentence")
        h.check('name="viewport"' in body, "viewport")
        r = w.get("/private/")
        h.check("<p>You are not allowed to see this page.</p>" in r.body.decode(),
                "403 sentence")


def hosts_options(root):
    return {
        "index": ["index.html"],
        "hosts": {
            "one.example": {"root": os.path.join(root, "one"),
                            "error_pages": {404: "/errors/404.html"}},
            "*.example.org": {"root": os.path.join(root, "wild")},
            "*.deep.example.org": {"root": os.path.join(root, "deep")},
            "NoList.Example": {"root": os.path.join(root, "nolist"), "listing": False},
        },
    }


@h.test(backends=True, only=["epoll", "poll"])
def virtual_hosts(backend):
    root = hk.make_root(FILES)
    try:
        log = os.path.join(os.path.dirname(root), "access.log")
        opts = hosts_options(root)
        opts["access_log"] = log
        with hk.Web(backend, FILES, options=opts) as w:
            def get(target, host, **kw):
                return w.get(target, headers={"Host": host}, **kw)

            h.eq(get("/", "one.example").body, b"site one")
            h.eq(get("/", "ONE.example.:8080").body, b"site one", "case, dot, port")
            h.eq(get("/only-one.txt", "one.example").body, b"1")
            h.eq(get("/a.txt", "one.example").status, 404, "own root only")
            h.eq(get("/x", "one.example").body, b"one's own 404")
            h.eq(get("/", "www.example.org").body, b"wildcard site")
            h.eq(get("/", "a.b.example.org").body, b"wildcard site")
            h.eq(get("/", "x.deep.example.org").body, b"deeper wildcard", "longest wins")
            h.eq(get("/", "example.org").body, b"main site", "*.x is not x")
            h.eq(get("/", "unknown.test").body, b"main site", "unknown: own root")
            h.eq(get("/a.txt", "unknown.test").body, b"alpha")
            h.eq(get("/sub/", "nolist.example").status, 403, "host's listing: false")
            h.eq(get("/one/sub/", "unknown.test").status, 200, "service lists")
            # an absolute-form target wins over Host
            r = w.get("http://one.example/only-one.txt", headers={"Host": "unknown.test"})
            h.eq(r.body, b"1", "absolute-form target")
            # keep-alive: each request its own host
            c = w.conn()
            c.send(hk.request("GET", "/", {"Host": "one.example"}) +
                   hk.request("GET", "/", {"Host": "www.example.org"}) +
                   hk.request("GET", "/", {"Host": "other"}))
            h.eq([c.response().body for _ in range(3)],
                 [b"site one", b"wildcard site", b"main site"])
            c.close()
            h.wait_until(lambda: os.path.exists(log) and
                         "\nother 127.0.0.1 " in open(log).read(), 5, what="log lines")
            lines = open(log).read().splitlines()
            h.check(lines[0].startswith("one.example 127.0.0.1 - - ["), lines[0])
            h.check(lines[1].startswith("ONE.example.:8080 127.0.0.1 "), lines[1])
    finally:
        shutil.rmtree(os.path.dirname(root), ignore_errors=True)


@h.test(backends=False)
def config_errors():
    bad = [
        ("hosts: [a, b]", "hosts: a mapping"),
        ("hosts: {'a b': {root: /tmp}}", "not a host name"),
        ("hosts: {'x.*.org': {root: /tmp}}", "not a host name"),
        ("hosts: {a.example: {root: /tmp, keepalive_timeout: 3}}", "keepalive_timeout"),
        ("hosts: {a.example: {root: /nonexistent-superd}}", "root: /nonexistent-superd"),
        ("hosts: {a.example: 3}", "a mapping of options"),
        ("error_pages: {200: /x.html}", "not an error status"),
        ("error_pages: {abc: /x.html}", "not an error status"),
        ("error_pages: [/x.html]", "error_pages: a mapping"),
        ("precompressed: maybe", "expected true or false"),
    ]
    for opt, want in bad:
        text = ("services:\n  web:\n    module: http\n    listen: 127.0.0.1:{port0}\n"
                "    options:\n      root: /tmp\n      %s\n" % opt)
        r, _ = h.check_config(text.replace("{port0}", "18080"))
        h.eq(r.returncode, 1, "%s: exit" % opt)
        h.check(want in r.stderr, "%s: %r in %r" % (opt, want, r.stderr))


BODY = b"the original text, long enough to compress well. " * 40


def compressed_files():
    files = dict(FILES)
    files.update({
        "c/both.txt": BODY, "c/both.txt.gz": gzip.compress(BODY),
        "c/both.txt.br": b"BROTLI-BYTES-STAND-IN",
        "c/gzonly.css": BODY, "c/gzonly.css.gz": gzip.compress(BODY),
        "c/stale.txt": BODY, "c/stale.txt.gz": gzip.compress(b"old"),
        "c/plain.txt": BODY,
        "c/dir.gz": None,
    })
    return files


@h.test(backends=True, only=["epoll", "select"])
def precompressed(backend):
    with hk.Web(backend, compressed_files(), options={"precompressed": True}) as w:
        old = time.time() - 3600
        os.utime(os.path.join(w.root, "c/stale.txt.gz"), (old, old))
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "gzip, deflate, br"})
        h.eq((r.status, r.body), (200, b"BROTLI-BYTES-STAND-IN"), "br preferred")
        h.eq(r.header("content-encoding"), "br")
        h.eq(r.header("content-type"), "text/plain; charset=utf-8")
        h.eq(r.header("vary"), "Accept-Encoding")
        h.eq(r.header("content-length"), str(len(r.body)))
        etag_br = r.header("etag")
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "gzip;q=1, br;q=0"})
        h.eq(r.header("content-encoding"), "gzip", "br refused with q=0")
        h.eq(gzip.decompress(r.body), BODY)
        etag_gz = r.header("etag")
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "*"})
        h.eq(r.header("content-encoding"), "br", "* allows br")
        r = w.get("/c/both.txt")
        h.eq((r.body, r.header("content-encoding"), r.header("vary")),
             (BODY, None, "Accept-Encoding"), "no Accept-Encoding: the file")
        etag_plain = r.header("etag")
        h.check(len({etag_br, etag_gz, etag_plain}) == 3, "an ETag per representation")
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "identity"})
        h.eq(r.body, BODY)
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "gzip, *;q=0"})
        h.eq(r.header("content-encoding"), "gzip")
        r = w.get("/c/gzonly.css", headers={"Accept-Encoding": "br, gzip"})
        h.eq((r.header("content-encoding"), r.header("content-type")),
             ("gzip", "text/css; charset=utf-8"))
        r = w.get("/c/stale.txt", headers={"Accept-Encoding": "gzip"})
        h.eq((r.body, r.header("content-encoding")), (BODY, None), "older .gz ignored")
        r = w.get("/c/plain.txt", headers={"Accept-Encoding": "gzip"})
        h.eq((r.body, r.header("content-encoding")), (BODY, None))
        # ranges are on the compressed bytes
        gz = open(os.path.join(w.root, "c/both.txt.gz"), "rb").read()
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "gzip", "Range": "bytes=2-9"})
        h.eq((r.status, r.body), (206, gz[2:10]))
        h.eq(r.header("content-range"), "bytes 2-9/%d" % len(gz))
        h.eq(r.header("content-encoding"), "gzip")
        # conditional: the variant's own ETag
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "gzip",
                                          "If-None-Match": etag_gz})
        h.eq((r.status, r.header("vary")), (304, "Accept-Encoding"))
        hr = w.get("/c/both.txt", method="HEAD", headers={"Accept-Encoding": "gzip"})
        h.eq((hr.header("content-length"), hr.header("content-encoding")),
             (str(len(gz)), "gzip"))
        # the cache of small files does not mix representations
        gzcss = open(os.path.join(w.root, "c/gzonly.css.gz"), "rb").read()
        for ae, want in ((None, BODY), ("gzip", gzcss), (None, BODY), ("gzip", gzcss)):
            r = w.get("/c/gzonly.css", headers={"Accept-Encoding": ae} if ae else None)
            h.eq(r.body, want, "cache: %s" % ae)
    with hk.Web(backend, compressed_files()) as w:
        r = w.get("/c/both.txt", headers={"Accept-Encoding": "gzip, br"})
        h.eq((r.body, r.header("content-encoding"), r.header("vary")),
             (BODY, None, None), "off by default")


if __name__ == "__main__":
    h.main(timeout=120)
