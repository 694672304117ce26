#!/usr/bin/env python3
"""test_http_hardening.py - what a hostile client cannot do cheaply to the
http module, over loopback on every event backend: request bodies are
limited (1 MiB by default), spooled to an unlinked file in body_temp_dir
past 64 KiB, and bounded by body_timeout even without the service's
`timeout`; a CGI program starts only once its body is complete, and at
most cgi_max run at once (503 past it); cgi_timeout kills what a script
left in its process group after it exited; the CGI header limit holds for
one big read; HEAD to an NPH script sends no body; bad chunk framing is a
400 even when the body is not used; a UNIX socket in the root is 403; a
client that stops reading is dropped after send_timeout."""

import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

SH = "#!/bin/sh\n"
FILES = {
    # where stdin comes from, and how long the body is
    "stdin.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\n\\n"\n'
                  'readlink /proc/self/fd/0\necho "len=$CONTENT_LENGTH"\n'
                  'echo "got=$(wc -c | tr -d " ")"\n'),
    # leaves its mark when it runs
    "mark.cgi": ("exec", SH + 'echo started > "$DOCUMENT_ROOT/../mark"\n'
                 'printf "Content-Type: text/plain\\n\\nok"\n'),
    # runs until a file appears (bounded)
    "hold.cgi": ("exec", SH + 'echo $$ > "$DOCUMENT_ROOT/../hold.pid"\n'
                 'i=0; while [ ! -e "$DOCUMENT_ROOT/../release" ] && [ $i -lt 200 ]; do '
                 'sleep 0.05; i=$((i+1)); done\n'
                 'printf "Content-Type: text/plain\\n\\nheld"\n'),
    # answers at once but leaves a process behind in its group
    "orphan.cgi": ("exec", SH + '(exec sleep 120) </dev/null >/dev/null 2>&1 &\n'
                   'echo $! > "$DOCUMENT_ROOT/../orphan.pid"\n'
                   'printf "Content-Type: text/plain\\n\\ndone"\n'),
    # a 40 KiB header line in one write
    "bighead.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\nX-Big: %s\\n\\nbody" '
                    '"$(head -c 40000 /dev/zero | tr "\\0" a)"\n'),
    "nph-head.cgi": ("exec", SH + 'printf "HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n'
                     '\\r\\nnph-body-bytes"\n'),
    "plain.txt": "static",
}


def chunked(data, size=4096):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


@h.test(backends=True)
def body_limit_and_spool(backend):
    # the default limit is 1 MiB: 413 past it, announced or de-chunked
    with hk.Web(backend, FILES) as w:
        r = w.get("/stdin.cgi", {"Content-Length": str(1024 * 1024 + 1)}, method="POST")
        h.eq(r.status, 413, "Content-Length past the default limit")
        c = w.conn()
        c.send(hk.request("POST", "/stdin.cgi", {"Transfer-Encoding": "chunked"}) +
               b"%x\r\n" % (1024 * 1024 + 1))
        h.eq(c.response().status, 413, "a chunked body past the default limit")
        c.close()
        # a small body stays in memory, a large one goes to an unlinked file
        r = w.get("/stdin.cgi", {"Content-Length": "5"}, method="POST", body=b"hello")
        lines = r.body.decode().splitlines()
        h.check(lines[0].startswith("/memfd:"), "small body in memory: %r" % lines[0])
        h.eq(lines[1:], ["len=5", "got=5"])
        big = b"y" * 300000
        r = w.get("/stdin.cgi", {"Content-Length": str(len(big))}, method="POST", body=big)
        lines = r.body.decode().splitlines()
        h.check(lines[0].startswith("/tmp/") and lines[0].endswith("(deleted)"),
                "large body in an unlinked file under /tmp: %r" % lines[0])
        h.eq(lines[1:], ["len=300000", "got=300000"])


@h.test(backends=True)
def body_temp_dir_used(backend):
    base = tempfile.mkdtemp(prefix="superd-spool-")
    try:
        with hk.Web(backend, FILES, options={"body_temp_dir": base}) as w:
            big = b"z" * 200000
            c = w.conn()
            c.send(hk.request("POST", "/stdin.cgi", {"Transfer-Encoding": "chunked"}) +
                   chunked(big))
            lines = c.response().body.decode().splitlines()
            c.close()
            h.check(lines[0].startswith(base + "/") and lines[0].endswith("(deleted)"),
                    "spooled in body_temp_dir: %r" % lines[0])
            h.eq(lines[1:], ["len=200000", "got=200000"])
            h.eq(os.listdir(base), [], "nothing left with a name")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@h.test(backends=True)
def body_timeout_without_service_timeout(backend):
    with hk.Web(backend, FILES, options={"body_timeout": 1}, timeout=None) as w:
        mark = os.path.join(w.base, "mark")
        c = w.conn(timeout=6)
        t = time.monotonic()
        c.send(hk.request("POST", "/mark.cgi", {"Content-Length": "10"}) + b"abc")
        r = c.response()
        h.eq(r.status, 408, "an idle body")
        h.check(0.8 < time.monotonic() - t < 4, "408 after about 1 s")
        h.check(c.closed(), "closed after the 408")
        c.close()
        h.check(not os.path.exists(mark), "the script never started on a partial body")
        # a body that keeps coming within body_timeout is fine, and the
        # script starts once it is complete
        c = w.conn(timeout=6)
        c.send(hk.request("POST", "/mark.cgi", {"Content-Length": "3"}) + b"a")
        c.send(b"b")
        h.check(not os.path.exists(mark), "not started before the body ends")
        c.send(b"c")
        h.eq(c.response().body, b"ok")
        h.check(os.path.exists(mark), "started once the body was complete")
        c.close()


@h.test(backends=True)
def cgi_max_gives_503(backend):
    with hk.Web(backend, FILES, options={"cgi_max": 1}) as w:
        pidfile = os.path.join(w.base, "hold.pid")
        first = w.conn(timeout=15)
        first.send(hk.request("GET", "/hold.cgi"))
        h.wait_until(lambda: os.path.exists(pidfile), what="hold.cgi started")
        r = w.get("/hold.cgi")
        h.eq(r.status, 503, "past cgi_max")
        h.eq(w.get("/plain.txt").body, b"static", "files are still served")
        open(os.path.join(w.base, "release"), "w").close()
        h.eq(first.response().body, b"held")
        first.close()
        pid = int(open(pidfile).read())
        h.wait_until(lambda: not h.proc_alive(pid), what="hold.cgi reaped")

        def second_runs():
            return w.get("/hold.cgi").status == 200
        h.wait_until(second_runs, what="a CGI runs again under cgi_max")


@h.test(backends=True)
def timeout_kills_group_after_exit(backend):
    with hk.Web(backend, FILES, options={"cgi_timeout": 1}) as w:
        r = w.get("/orphan.cgi")
        h.eq((r.status, r.body), (200, b"done"))
        pid = int(open(os.path.join(w.base, "orphan.pid")).read())
        h.check(h.proc_alive(pid), "the left-behind process runs on at first")
        h.wait_until(lambda: not h.proc_alive(pid), timeout=6,
                     what="cgi_timeout killed the group after the script exited")
        w.superd.wait_log(r"orphan\.cgi: processes left behind killed")


@h.test(backends=True)
def cgi_corners(backend):
    with hk.Web(backend, FILES) as w:
        h.eq(w.get("/bighead.cgi").status, 500, "a 40 KiB CGI header in one read")
        c = w.conn()
        c.send(hk.request("HEAD", "/nph-head.cgi"))
        r = c.response(head=True)
        h.eq(r.status, 200)
        h.check(c.closed(), "NPH: the connection closes after the head")
        h.check(b"nph-body-bytes" not in c.buf, "HEAD to an NPH script: no body")
        c.close()
        s = socket.socket(socket.AF_UNIX)
        try:
            s.bind(os.path.join(w.root, "a.sock"))
            h.eq(w.get("/a.sock").status, 403, "a UNIX socket in the root")
        finally:
            s.close()


@h.test(backends=True)
def framing_checked_when_body_unused(backend):
    with hk.Web(backend, FILES) as w:
        for body in (b"FFFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n",
                     b"5 x\r\nhello\r\n0\r\n\r\n",
                     b"5\r\nhelloXX0\r\n\r\n",
                     b"-1\r\nx\r\n0\r\n\r\n"):
            c = w.conn()
            c.send(hk.request("GET", "/plain.txt", {"Transfer-Encoding": "chunked"}) + body)
            r = c.response()
            h.eq(r.status, 400, "bad chunked framing %r on a static GET" % body)
            h.check(c.closed(), "closed after %r" % body)
            c.close()
        c = w.conn()
        c.send(hk.request("GET", "/plain.txt", {"Transfer-Encoding": "chunked"}) +
               b"5 ; ext=1\r\nhello\r\n0\r\n\r\n" + hk.request("GET", "/plain.txt"))
        h.eq(c.response().body, b"static")
        h.eq(c.response().body, b"static", "the next request after a good body")
        c.close()
        for raw in (b"GET http://a/plain.txt HTTP/1.1\r\nHost: \t \r\n\r\n",
                    b"GET  /plain.txt HTTP/1.1\r\nHost: a\r\n\r\n",
                    b"GET /plain.txt  HTTP/1.1\r\nHost: a\r\n\r\n"):
            c = w.conn()
            c.send(raw)
            h.eq(c.response().status, 400, "for %r" % raw)
            c.close()


@h.test(backends=True)
def send_timeout_drops_stalled_reader(backend):
    files = dict(FILES)
    files["big.bin"] = b"\0" * (24 * 1024 * 1024)
    with hk.Web(backend, files, options={"send_timeout": 1}, timeout=None) as w:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", w.port))
        s.sendall(hk.request("GET", "/big.bin"))
        t = time.monotonic()
        w.superd.wait_log(r"send timeout", timeout=8)
        h.check(time.monotonic() - t < 6, "a stalled reader dropped after about 1 s")
        s.close()
        h.eq(w.get("/plain.txt").body, b"static")


if __name__ == "__main__":
    h.main(timeout=240)
