#!/usr/bin/env python3
"""test_http_listing.py - directories over loopback on every event backend:
301 to the slashed path (query kept), index files (`index` option), HTML
listings ("../" first except at the root, directories first, then
case-insensitive natural order, human sizes with exact bytes in a title,
dates, types, names escaped, hrefs percent-encoded with "./", dotfiles
hidden, a viewport and a stylesheet), sorting with ?C=N|M|S&O=A|D,
`listing_css`, a 1000-entry listing, `listing: false`, and big listings
sent in pieces (chunked on 1.1, close-delimited on 1.0) with bounded
memory, other connections served meanwhile, and memory given back."""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

FILES = {
    "d/b.txt": "bb",
    "d/B.txt": "B",
    "d/a.txt": "aaaa",
    "d/<script>&x\".txt": "x",
    "d/q?x#y:z.txt": "q",
    "d/\u00e9t\u00e9.txt": "e",
    "d/'quote'.txt": "'",
    "d/.hidden": "h",
    "d/.hiddendir": None,
    "d/zdir": None,
    "d/Adir": None,
    "d/'dir": None,
    "withindex/index.html": "the index",
    "withindex/other.txt": "o",
    "alt/home.htm": "alt index",
}


def hrefs(body):
    return re.findall(r'href="([^"]*)"', body.decode())


def rows(body):
    """The hrefs of the table's rows (not the column headers)."""
    return [x for x in hrefs(body) if not x.startswith("?")]


@h.test(backends=True)
def redirect_and_index(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/d")
        h.eq(r.status, 301)
        h.eq(r.header("location"), "/d/")
        r = w.get("/d?a=1&b=%20")
        h.eq(r.header("location"), "/d/?a=1&b=%20")
        r = w.get("/withindex/")
        h.eq((r.status, r.body), (200, b"the index"))
        h.eq(r.header("content-type"), "text/html; charset=utf-8")
        h.eq(w.get("/alt/").status, 200, "listing of alt (no index.html)")
        h.check(b"Index of /alt/" in w.get("/alt/").body, "listing of alt")
    with hk.Web(backend, FILES, options={"index": ["index.htm", "home.htm"]}) as w:
        h.eq(w.get("/alt/").body, b"alt index")


@h.test(backends=True)
def listing_order_escaping(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/d/")
        h.eq(r.status, 200)
        h.eq(r.header("content-type"), "text/html; charset=utf-8")
        got = hrefs(r.body)
        want = ["../", "./%27dir/", "./Adir/", "./zdir/", "./%27quote%27.txt",
                "./%3Cscript%3E%26x%22.txt", "./a.txt", "./B.txt", "./b.txt",
                "./q%3Fx%23y%3Az.txt", "./%C3%A9t%C3%A9.txt"]
        h.eq(rows(r.body), want, "hrefs in order")
        h.eq(got[:3], ["?C=N&amp;O=D", "?C=M&amp;O=A", "?C=S&amp;O=A"], "header links")
        got = got[3:]
        body = r.body.decode()
        h.check("&lt;script&gt;&amp;x&quot;.txt" in body, "name escaped")
        h.check("<script>" not in body, "no raw markup from a name")
        h.check("hidden" not in body, "dotfiles hidden")
        h.check(re.search(r">a\.txt</a></td><td>\d{4}-\d\d-\d\d \d\d:\d\d</td>"
                          r"<td title=\"4 bytes\">4 B</td><td>text/plain</td>", body),
                "size, date and type of a.txt")
        h.check('<meta name="viewport" content="width=device-width, initial-scale=1">'
                in body, "viewport")
        h.check("<style>" in body and "prefers-color-scheme:dark" in body,
                "built-in stylesheet with a dark mode")
        h.check('<th aria-sort="ascending"><a href="?C=N&amp;O=D">Name</a>' in body,
                "current order marked")
        # the root has no ../
        h.check("../" not in rows(w.get("/").body), "no ../ at the root")
        # HEAD: same length, no body
        hr = w.get("/d/", method="HEAD")
        h.eq(hr.header("content-length"), str(len(r.body)))
        # every href resolves
        for href in got[1:]:
            target = "/d/" + href[2:]
            st = w.get(target).status
            h.check(st in (200, 301), "%s -> %d" % (target, st))


@h.test(backends=True)
def listing_off(backend):
    with hk.Web(backend, FILES, options={"listing": False}) as w:
        h.eq(w.get("/d/").status, 403)
        h.eq(w.get("/withindex/").body, b"the index")


@h.test(backends=True, only=["epoll", "select"])
def thousand_entries(backend):
    files = {"big/f%04d.txt" % i: "x" * i for i in range(999)}
    files["big/sub"] = None
    with hk.Web(backend, files) as w:
        r = w.get("/big/")
        got = rows(r.body)
        h.eq(len(got), 1001)
        h.eq(got[:3], ["../", "./sub/", "./f0000.txt"])
        h.eq(got[-1], "./f0998.txt")


SORTED = {
    "s/file10.txt": "x" * 3000,
    "s/file2.txt": "x" * 10,
    "s/File1.txt": "x" * 2048,
    "s/big.bin": "",
    "s/dir10": None,
    "s/dir9": None,
}
# modification times: (name, seconds before now)
AGES = {"file10.txt": 300, "file2.txt": 100, "File1.txt": 200, "big.bin": 400,
        "dir10": 50, "dir9": 60}


def age_files(root):
    now = time.time()
    for name, age in AGES.items():
        os.utime(os.path.join(root, "s", name), (now - age, now - age))


@h.test(backends=True)
def listing_sorting(backend):
    with hk.Web(backend, SORTED) as w:
        age_files(w.root)
        cases = {
            "": ["./dir9/", "./dir10/", "./big.bin", "./File1.txt", "./file2.txt",
                 "./file10.txt"],
            "?C=N&O=A": None,
            "?C=N&O=D": ["./dir10/", "./dir9/", "./file10.txt", "./file2.txt",
                         "./File1.txt", "./big.bin"],
            "?C=M&O=A": ["./dir9/", "./dir10/", "./big.bin", "./file10.txt",
                         "./File1.txt", "./file2.txt"],
            "?C=M&O=D": ["./dir10/", "./dir9/", "./file2.txt", "./File1.txt",
                         "./file10.txt", "./big.bin"],
            "?C=S&O=A": ["./dir9/", "./dir10/", "./big.bin", "./file2.txt",
                         "./File1.txt", "./file10.txt"],
            "?O=D&C=S": ["./dir10/", "./dir9/", "./file10.txt", "./File1.txt",
                         "./file2.txt", "./big.bin"],
            "?C=Z&O=Q&x=1": None,
        }
        for q, want in cases.items():
            r = w.get("/s/" + q)
            h.eq(r.status, 200, q)
            h.eq(rows(r.body), ["../"] + (want or cases[""]), "order for %r" % q)
        body = w.get("/s/?C=S&O=D").body.decode()
        h.check('<th aria-sort="descending"><a href="?C=S&amp;O=A">Size</a>' in body,
                "size column marked descending, its link ascending")
        h.check('<th><a href="?C=N&amp;O=A">Name</a></th>' in body, "name link")
        h.check('<td title="3000 bytes">2.9 KiB</td>' in body, "human size")
        h.check('<td title="2048 bytes">2.0 KiB</td>' in body, "human size")
        # a sorted listing is not served from the cache of the default one
        h.eq(rows(w.get("/s/").body)[1], "./dir9/")
        h.eq(rows(w.get("/s/?C=N&O=D").body)[1], "./dir10/")


@h.test(backends=True, only=["epoll"])
def listing_css(backend):
    with hk.Web(backend, SORTED, options={"listing_css": "/theme/list.css?v=\"1\"&x"}) as w:
        body = w.get("/s/").body.decode()
        h.check('<link rel="stylesheet" href="/theme/list.css?v=&quot;1&quot;&amp;x">'
                in body, "custom stylesheet linked, escaped")
        h.check("<style>" not in body, "no built-in stylesheet")


def big_files(n, pad):
    return {"big/n%05d-%s" % (i, "x" * pad): "y" * (i % 50) for i in range(n)}


@h.test(backends=True, only=["epoll", "poll"])
def big_listing_in_pieces(backend):
    n = 3000
    files = big_files(n, 150)
    with hk.Web(backend, files) as w:
        want = ["../"] + ["./n%05d-%s" % (i, "x" * 150) for i in range(n)]
        r = w.get("/big/")
        h.eq(r.status, 200)
        h.eq(r.header("transfer-encoding"), "chunked", "streamed in pieces")
        h.eq(r.header("content-length"), None)
        h.eq(rows(r.body), want, "every row, in order")
        h.check(r.body.endswith(b"</html>\n"), "complete page")
        # keep-alive goes on after a chunked listing
        c = w.conn(timeout=10)
        try:
            c.send(hk.request("GET", "/big/?C=N&O=D") + hk.request("GET", "/big/n00001-" + "x" * 150))
            r2 = c.response()
            h.eq(rows(r2.body), ["../"] + want[:0:-1], "descending, streamed")
            h.eq(c.response().body, b"y", "the pipelined request after it")
        finally:
            c.close()
        # HTTP/1.0: no chunking, the close ends the body
        r10 = w.get("/big/", version="1.0")
        h.eq(r10.header("transfer-encoding"), None)
        h.eq(r10.header("connection"), "close")
        h.eq(r10.body, r.body, "the same page on 1.0")
        hr = w.get("/big/", method="HEAD")
        h.eq((hr.status, hr.body), (200, b""))


def worker_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


@h.test(backends=True, only=["epoll"])
def big_listings_bounded(backend):
    """Ten clients ask for a 6 MB listing and read nothing: the worker
    holds one shared copy of the entries and a piece per connection, a
    small request is answered meanwhile, and the memory goes back."""
    n = 12000
    files = big_files(n, 200)
    files["small.txt"] = "small body"
    with hk.Web(backend, files) as w:
        worker = w.superd.wait_workers(1)[0]
        h.eq(w.get("/small.txt").body, b"small body")
        base = worker_rss_kb(worker)
        stalled = []
        try:
            for _ in range(10):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
                s.settimeout(5)
                s.connect(("127.0.0.1", w.port))
                s.sendall(hk.request("GET", "/big/"))
                stalled.append(s)
            t0 = time.monotonic()
            h.eq(w.get("/small.txt").body, b"small body", "served meanwhile")
            took = time.monotonic() - t0
            peak = worker_rss_kb(worker)
            if not os.environ.get("SUPERD_SANITIZED"):
                h.check(peak - base < 12 * 1024, "worker grew %d kB for 10 x 6 MB listings"
                        % (peak - base))
            # drain them all: every page complete
            for s in stalled:
                s.settimeout(30)
                buf = b""
                while not buf.endswith(b"0\r\n\r\n"):
                    b = s.recv(1 << 20)
                    h.check(b, "EOF inside a streamed listing")
                    buf += b
                h.eq(buf.count(b"<tr>"), n + 1, "all rows and the header row")
        finally:
            for s in stalled:
                s.close()
        if not os.environ.get("SUPERD_SANITIZED"):
            h.wait_until(lambda: worker_rss_kb(worker) - base < 4 * 1024, 5,
                         what="memory given back (base %d kB, now %d kB)"
                         % (base, worker_rss_kb(worker)))
        sys.stderr.write("small request during 10 stalled listings: %.3f s, "
                         "worker RSS %d -> %d kB\n" % (took, base, peak))


if __name__ == "__main__":
    h.main(timeout=180)
