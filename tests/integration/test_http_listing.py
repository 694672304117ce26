#!/usr/bin/env python3
"""test_http_listing.py - directories over loopback on every event backend:
301 to the slashed path (query kept), index files (`index` option), HTML
listings ("../" first except at the root, directories first, byte order,
sizes and dates, names escaped, hrefs percent-encoded with "./", dotfiles
hidden), a 1000-entry listing, and `listing: false`."""

import os
import re
import sys

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
                "./%3Cscript%3E%26x%22.txt", "./B.txt", "./a.txt", "./b.txt",
                "./q%3Fx%23y%3Az.txt", "./%C3%A9t%C3%A9.txt"]
        h.eq(got, want, "hrefs in order")
        body = r.body.decode()
        h.check("&lt;script&gt;&amp;x&quot;.txt" in body, "name escaped")
        h.check("<script>" not in body, "no raw markup from a name")
        h.check("hidden" not in body, "dotfiles hidden")
        h.check(re.search(r">a\.txt</a></td><td>\d{4}-\d\d-\d\d \d\d:\d\d</td>"
                          r"<td class=\"s\">4</td>", body), "size and date of a.txt")
        # the root has no ../
        h.check("../" not in hrefs(w.get("/").body), "no ../ at the root")
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
        got = hrefs(r.body)
        h.eq(len(got), 1001)
        h.eq(got[:3], ["../", "./sub/", "./f0000.txt"])
        h.eq(got[-1], "./f0998.txt")


if __name__ == "__main__":
    h.main(timeout=180)
