#!/usr/bin/env python3
"""test_http_hardening.py - what a hostile client cannot do cheaply to the
http module, over loopback on every event backend: request bodies are
limited (1 MiB by default), spooled to an unlinked file in body_temp_dir
past 64 KiB, and bounded by body_timeout even without the service's
`timeout`; a CGI program starts only once its body is complete, and at
most cgi_max run at once in the service, across its workers (503 past
it); cgi_timeout kills what a script
left in its process group after it exited; the CGI header limit holds for
one big read; HEAD to an NPH script sends no body; bad chunk framing is a
400 even when the body is not used; a UNIX socket in the root is 403; a
client that stops reading is dropped after send_timeout; several byte
ranges are one multipart/byteranges response (merged, at most 16)."""

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
    # leaves run.PID while it runs, until a file appears (bounded)
    "slow.cgi": ("exec", SH + 'touch "$DOCUMENT_ROOT/../run.$$"\n'
                 'i=0; while [ ! -e "$DOCUMENT_ROOT/../release" ] && [ $i -lt 200 ]; do '
                 'sleep 0.05; i=$((i+1)); done\n'
                 'rm -f "$DOCUMENT_ROOT/../run.$$"\n'
                 'printf "Content-Type: text/plain\\n\\nslow"\n'),
    "plain.txt": "static",
    "digits.txt": "0123456789abcdefghij",
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
def cgi_max_across_workers(backend):
    # two workers, cgi_max 2: with two scripts running, every further
    # request gets 503, whichever worker accepts it (counted per worker,
    # one of them would start a third)
    with hk.Web(backend, FILES, options={"cgi_max": 2},
                global_={"workers": 2}) as w:
        def running():
            return len([f for f in os.listdir(w.base) if f.startswith("run.")])
        held = []
        for _ in range(2):
            c = w.conn(timeout=15)
            c.send(hk.request("GET", "/slow.cgi"))
            held.append(c)
        h.wait_until(lambda: running() == 2, what="two slow.cgi running")
        for i in range(10):
            h.eq(w.get("/slow.cgi").status, 503, "request %d past cgi_max" % i)
        h.eq(running(), 2, "never more than cgi_max scripts")
        w.superd.wait_log(r"slow\.cgi: cgi_max \(2\) programs running: 503")
        open(os.path.join(w.base, "release"), "w").close()
        for c in held:
            h.eq(c.response().body, b"slow")
            c.close()
        h.wait_until(lambda: running() == 0, what="slow.cgi ended")

        def both_run():
            a, b = w.conn(timeout=15), w.conn(timeout=15)
            a.send(hk.request("GET", "/slow.cgi"))
            b.send(hk.request("GET", "/slow.cgi"))
            ok = (a.response().status, b.response().status) == (200, 200)
            a.close()
            b.close()
            return ok
        h.wait_until(both_run, what="units given back once the scripts ended")


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
               b"5 ; ext=1\r\nhello\r\n" + b"0" * 40 + b"5\r\nworld\r\n0\r\n\r\n" +
               hk.request("GET", "/plain.txt"))
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


def multipart_parts(r):
    """[(content-range, data)] of a multipart/byteranges response."""
    ctype = r.header("content-type")
    h.check(ctype.startswith("multipart/byteranges; boundary="), "type %r" % ctype)
    sep = b"--" + ctype.split("boundary=", 1)[1].encode()
    h.check(r.body.startswith(b"\r\n" + sep + b"\r\n"), "starts with the boundary")
    h.check(r.body.endswith(b"\r\n" + sep + b"--\r\n"), "ends with the closing boundary")
    parts = []
    for chunk in r.body.split(b"\r\n" + sep)[1:-1]:
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        fields = dict(l.split(b": ", 1) for l in head.split(b"\r\n"))
        h.eq(fields[b"Content-Type"], b"text/plain; charset=utf-8", "part type")
        parts.append((fields[b"Content-Range"].decode(), data))
    return parts


@h.test(backends=True)
def multiple_ranges(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/digits.txt", {"Range": "bytes=0-1,5-7,-2"})
        h.eq(r.status, 206)
        h.eq(multipart_parts(r), [("bytes 0-1/20", b"01"), ("bytes 5-7/20", b"567"),
                                  ("bytes 18-19/20", b"ij")])
        # overlapping or adjacent ranges are merged; one range left: no multipart
        for spec, want in (("0-4,2-6", "0-6"), ("0-1,2-3", "0-3"), ("5-7,0-9", "0-9"),
                           ("0-1,50-60", "0-1")):
            r = w.get("/digits.txt", {"Range": "bytes=" + spec})
            h.eq((r.status, r.header("content-range")), (206, "bytes %s/20" % want), spec)
        # merged, and in ascending order
        r = w.get("/digits.txt", {"Range": "bytes=8-9,0-2,1-3"})
        h.eq(multipart_parts(r), [("bytes 0-3/20", b"0123"), ("bytes 8-9/20", b"89")])
        # too many ranges: the whole file; none satisfiable: 416
        many = ",".join("%d-%d" % (i, i) for i in range(0, 20, 1)[:17])
        r = w.get("/digits.txt", {"Range": "bytes=" + many})
        h.eq((r.status, r.body), (200, b"0123456789abcdefghij"), "17 ranges")
        h.eq(w.get("/digits.txt", {"Range": "bytes=50-60,70-80"}).status, 416)
        # keep-alive goes on after a multipart response
        c = w.conn()
        c.send(hk.request("GET", "/digits.txt", {"Range": "bytes=0-0,2-2"}) +
               hk.request("GET", "/plain.txt"))
        h.eq(len(multipart_parts(c.response())), 2)
        h.eq(c.response().body, b"static")
        c.close()
        # a real client
        out = hk.curl("-D", "-", "-r", "1-2,4-5", w.url("/digits.txt"))
        h.check(b"206 Partial Content" in out.stdout and
                b"multipart/byteranges" in out.stdout and
                b"Content-Range: bytes 4-5/20\r\n\r\n45" in out.stdout,
                "curl -r 1-2,4-5: %r" % out.stdout[-300:])


if __name__ == "__main__":
    h.main(timeout=240)
