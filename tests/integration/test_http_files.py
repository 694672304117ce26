#!/usr/bin/env python3
"""test_http_files.py - static files over loopback on every event backend:
exact bytes (small, 1 MiB and empty files, sendfile), MIME types,
conditional requests (304), ranges (206, 416, If-Range), paths that try to
leave the root (dot segments in any encoding, %00, symbolic links), and
files that are not regular."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

BIG = random.Random(7).randbytes(1 << 20)  # one generator: varied bytes
FILES = {
    "small.txt": "0123456789",
    "empty.bin": b"",
    "big.bin": BIG,
    "pic.png": b"\x89PNG fake",
    "page.HTML": "<p>x</p>",
    "noext": "plain",
    "weird.zzzq": "z",
    "sub/in.txt": "inside",
    "link-in": ("link", "sub/in.txt"),
    "link-out": ("link", "/etc/passwd"),
    "link-up": ("link", "../outside.txt"),
    "link-dir-up": ("link", ".."),
    "a b%.txt": "spaced",
    ".dotfile": "dot",
}


@h.test(backends=True)
def exact_bytes(backend):
    with hk.Web(backend, FILES) as w:
        h.eq(w.get("/small.txt").body, b"0123456789")
        r = w.get("/empty.bin")
        h.eq((r.status, r.body, r.header("content-length")), (200, b"", "0"))
        r = w.get("/big.bin")
        h.eq(r.header("content-length"), str(len(BIG)))
        h.eq(r.body, BIG, "1 MiB file")
        # several large responses pipelined on one connection
        c = w.conn(timeout=15)
        c.send(hk.request("GET", "/big.bin") * 4 + hk.request("GET", "/small.txt"))
        for i in range(4):
            h.eq(c.response().body, BIG, "pipelined big %d" % i)
        h.eq(c.response().body, b"0123456789")
        c.close()
        h.eq(w.get("/a%20b%25.txt").body, b"spaced")
        h.eq(w.get("/.dotfile").body, b"dot")
        p = hk.curl("-o", "-", w.url("/big.bin"))
        h.eq(p.stdout, BIG, "curl 1 MiB")


@h.test(backends=True)
def mime_types(backend):
    with hk.Web(backend, FILES) as w:
        h.eq(w.get("/pic.png").header("content-type"), "image/png")
        h.eq(w.get("/page.HTML").header("content-type"), "text/html; charset=utf-8")
        h.eq(w.get("/noext").header("content-type"), "application/octet-stream")
        h.eq(w.get("/weird.zzzq").header("content-type"), "application/octet-stream")


@h.test(backends=True)
def mime_types_file(backend):
    web = hk.Web(backend, FILES, options={"mime_types": "{tmp}/my.types"})
    h.write_file(web.superd.path("my.types"), "application/x-superd-test zzzq\n")
    with web as w:
        h.eq(w.get("/weird.zzzq").header("content-type"), "application/x-superd-test")
        h.eq(w.get("/pic.png").header("content-type"), "image/png")


@h.test(backends=True)
def conditional(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/small.txt")
        etag, lm = r.header("etag"), r.header("last-modified")
        r = w.get("/small.txt", {"If-None-Match": etag})
        h.eq(r.status, 304)
        h.eq(r.header("etag"), etag)
        h.check(r.header("date"), "Date on 304")
        r = w.get("/small.txt", {"If-None-Match": '"other", ' + etag})
        h.eq(r.status, 304)
        r = w.get("/small.txt", {"If-None-Match": '"other"'})
        h.eq(r.status, 200)
        r = w.get("/small.txt", {"If-Modified-Since": lm})
        h.eq(r.status, 304)
        r = w.get("/small.txt", {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
        h.eq(r.status, 200)
        r = w.get("/small.txt", {"If-Modified-Since": "not a date"})
        h.eq(r.status, 200)
        # If-None-Match wins over If-Modified-Since
        r = w.get("/small.txt", {"If-None-Match": '"other"', "If-Modified-Since": lm})
        h.eq(r.status, 200)
        # on a HEAD too, and the next pipelined request still parses
        c = w.conn()
        c.send(hk.request("HEAD", "/small.txt", {"If-None-Match": etag}) +
               hk.request("GET", "/small.txt"))
        h.eq(c.response(head=True).status, 304)
        h.eq(c.response().body, b"0123456789")
        c.close()


@h.test(backends=True)
def ranges(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/small.txt", {"Range": "bytes=2-5"})
        h.eq((r.status, r.body), (206, b"2345"))
        h.eq(r.header("content-range"), "bytes 2-5/10")
        h.eq(w.get("/small.txt", {"Range": "bytes=-3"}).body, b"789")
        h.eq(w.get("/small.txt", {"Range": "bytes=7-"}).body, b"789")
        h.eq(w.get("/small.txt", {"Range": "bytes=8-100"}).body, b"89")
        r = w.get("/big.bin", {"Range": "bytes=100000-299999"})
        h.eq((r.status, r.body), (206, BIG[100000:300000]))
        r = w.get("/small.txt", {"Range": "bytes=10-"})
        h.eq(r.status, 416)
        h.eq(r.header("content-range"), "bytes */10")
        h.eq(w.get("/empty.bin", {"Range": "bytes=0-"}).status, 416)
        h.eq(w.get("/small.txt", {"Range": "bytes=5-2"}).status, 200)
        h.eq(w.get("/small.txt", {"Range": "lines=1-2"}).status, 200)
        h.eq(w.get("/small.txt", {"Range": "bytes=0-1"}, method="HEAD").status, 200)
        etag = w.get("/small.txt").header("etag")
        h.eq(w.get("/small.txt", {"Range": "bytes=0-1", "If-Range": etag}).status, 206)
        h.eq(w.get("/small.txt", {"Range": "bytes=0-1", "If-Range": '"x"'}).status, 200)
        p = hk.curl("-r", "0-3", "-o", "-", w.url("/small.txt"))
        h.eq(p.stdout, b"0123")


@h.test(backends=True)
def nothing_outside_root(backend):
    web = hk.Web(backend, FILES)
    with open(os.path.join(web.base, "outside.txt"), "w") as f:
        f.write("SECRET")
    with web as w:
        for target in ("/../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E%2Foutside.txt",
                       "/sub/../../outside.txt", "/sub/%2e%2e/%2e%2e/outside.txt",
                       "/..%2foutside.txt", "/a%00b", "/sub%2f..%2f..%2foutside.txt"):
            r = w.get(target)
            h.check(r.status in (400, 403, 404), "%s: %d" % (target, r.status))
            h.check(b"SECRET" not in r.body and b"root:" not in r.body, target)
        for target in ("/link-out", "/link-up", "/link-dir-up/outside.txt",
                       "/link-dir-up/root/small.txt"):
            r = w.get(target)
            h.eq(r.status, 403, target)
            h.check(b"SECRET" not in r.body and b"root:" not in r.body, target)
        h.eq(w.get("/link-in").body, b"inside", "a link inside the root is followed")
        # raw socket: the dot segments as sent, no client normalising them
        c = w.conn()
        c.send(b"GET /sub/../../outside.txt HTTP/1.0\r\n\r\n")
        r = c.response()
        h.check(r.status in (400, 403, 404) and b"SECRET" not in r.body, "raw ../")
        c.close()


@h.test(backends=True)
def not_regular_files(backend):
    web = hk.Web(backend, FILES)
    os.mkfifo(os.path.join(web.root, "fifo"))
    with web as w:
        h.eq(w.get("/fifo").status, 403)
        h.eq(w.get("/small.txt").status, 200, "still serving after the fifo")


def held_open(w, path):
    """How many descriptors superd's workers hold of path (removed or not)."""
    n = 0
    for pid in w.superd.workers():
        d = "/proc/%d/fd" % pid
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for fd in names:
            try:
                target = os.readlink(os.path.join(d, fd))
            except OSError:
                continue
            if target in (path, path + " (deleted)"):
                n += 1
    return n


def replace_file(path, data):
    """Put a new file at path (a new inode, as deploy tools do)."""
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


@h.test(backends=True)
def big_files_kept_open_for_their_second(backend):
    """A file larger than the 16 KiB of the memory cache is kept open by
    the worker that sent it, trusted for the second it was checked in (as
    small files are kept in memory): a file replaced during that second is
    still answered from the kept descriptor, and the new one from the next
    second on.  The descriptor is closed within two seconds of its last
    use, so a removed file is not held open."""
    new = bytes(reversed(BIG))
    with hk.Web(backend, {"big.bin": BIG}) as w:
        path = os.path.join(w.root, "big.bin")
        for attempt in range(20):
            second = int(time.time())
            h.eq(w.get("/big.bin").body, BIG)
            replace_file(path, new)
            body = w.get("/big.bin").body
            if int(time.time()) == second:
                break
            # the second turned in between: put the old file back, again
            replace_file(path, BIG)
            h.wait_until(lambda: w.get("/big.bin").body == BIG, 5.0,
                         what="the old file served again")
        h.check(body == BIG, "the file replaced in the same second is answered "
                "from the descriptor kept in that second")
        h.wait_until(lambda: w.get("/big.bin").body == new, 5.0,
                     what="the new file from the next second on")
        h.check(held_open(w, path) > 0, "the new file is kept open")
        os.unlink(path)
        h.wait_until(lambda: w.get("/big.bin").status == 404, 5.0,
                     what="404 once the file is removed")
        h.wait_until(lambda: held_open(w, path) == 0, 5.0,
                     what=lambda: "the removed file closed (%d descriptors held)"
                     % held_open(w, path))


@h.test(backends=True, only=["epoll"])
def cache_off_keeps_nothing_open(backend):
    """cache: false: a big file is opened per request and never kept: one
    replaced is answered at once."""
    new = bytes(reversed(BIG))
    with hk.Web(backend, {"big.bin": BIG}, options={"cache": False}) as w:
        path = os.path.join(w.root, "big.bin")
        h.eq(w.get("/big.bin").body, BIG)
        replace_file(path, new)
        h.eq(w.get("/big.bin").body, new, "no descriptor kept")


if __name__ == "__main__":
    h.main(timeout=240)
