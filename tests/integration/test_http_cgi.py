#!/usr/bin/env python3
"""test_http_cgi.py - CGI/1.1 (RFC 3875) through the http module, over
loopback on every event backend: the meta-variables, a clean environment
(no daemon variables, no HTTP_PROXY, no Authorization), request bodies
(Content-Length, chunked de-chunked, Expect: 100-continue), Status /
Location / Content-Type, chunked output on HTTP/1.1 and close-delimited on
1.0, HEAD, NPH, stderr to the log only, cgi_timeout (504, or a cut
connection once started, and the whole process group killed), a failing
script (500), keep-alive after CGI, and every child reaped."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

SH = "#!/bin/sh\n"
FILES = {
    "env.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\r\\n\\r\\n"\nenv\n'
                'if [ -n "$CONTENT_LENGTH" ]; then printf "BODY="; head -c "$CONTENT_LENGTH"; fi\n'),
    "a b/env.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\n\\n"\nenv\n'),
    "status.cgi": ("exec", SH + 'printf "Status: 201 Made\\nX-Custom: yes\\n'
                   'Connection: bogus\\nContent-Type: text/x-made\\n\\ncreated"\n'),
    "redirect.cgi": ("exec", SH + 'printf "Location: http://example.test/x\\n\\n"\n'),
    "len.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\nContent-Length: 5\\n\\nhello"\n'),
    "lenslow.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\nContent-Length: 5\\n\\nhello"\n'
                    'exec sleep 20\n'),
    "big.cgi": ("exec", SH + 'printf "Content-Type: application/octet-stream\\n\\n"\n'
                'head -c 3000000 /dev/zero\n'),
    "lenlate.cgi": ("exec", SH + 'sleep 0.3\n'
                    'printf "Content-Type: text/plain\nContent-Length: 5\n\nlater"\n'),
    "fail.cgi": ("exec", SH + "exit 3\n"),
    "garbage.cgi": ("exec", SH + 'echo "this is not a header"\n'),
    "stderr.cgi": ("exec", SH + 'echo "oops-from-stderr" >&2\n'
                   'printf "Content-Type: text/plain\\n\\nvisible"\n'),
    "slow.cgi": ("exec", SH + 'sleep 300 &\necho $! > "$DOCUMENT_ROOT/../slow.pid"\n'
                 'wait\n'),
    "gone.cgi": ("exec", SH + 'echo $$ > "$DOCUMENT_ROOT/../gone.pid"\n'
                 'printf "Content-Type: text/plain\\n\\n"\n'
                 'while :; do echo tick; sleep 0.1; done\n'),
    "slowbody.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\n\\nstarted\\n"\n'
                     'sleep 300\n'),
    "nph.cgi": ("exec", SH + 'printf "HTTP/1.1 299 Custom\\r\\nContent-Type: text/plain\\r\\n'
                '\\r\\nraw"\n'),
    "noexec.cgi": "#!/bin/sh\necho no\n",
    "plain.txt": "static",
}


def env_of(body):
    return dict(l.split("=", 1) for l in body.decode(errors="replace").splitlines()
                if "=" in l and not l.startswith("BODY="))


@h.test(backends=True)
def meta_variables(backend):
    with hk.Web(backend, FILES, env={"SUPERD_SECRET": "leaked"}) as w:
        r = w.get("/env.cgi/x/y%20z?a=b%20c&d", {"Host": "example.test:8080",
                                                "X-Foo": "1", "x-foo": "2",
                                                "Proxy": "http://evil/",
                                                "Authorization": "Basic eDp5",
                                                "Content-Type": "text/x-t"})
        h.eq(r.status, 200)
        e = env_of(r.body)
        want = {
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_NAME": "example.test", "SERVER_PORT": str(w.port),
            "SERVER_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "/env.cgi", "PATH_INFO": "/x/y z",
            "QUERY_STRING": "a=b%20c&d", "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_HOST": "127.0.0.1", "REQUEST_URI": "/env.cgi/x/y%20z?a=b%20c&d",
            "DOCUMENT_ROOT": os.path.realpath(w.root),
            "SCRIPT_FILENAME": os.path.realpath(w.root) + "/env.cgi",
            "PATH_TRANSLATED": os.path.realpath(w.root) + "/x/y z",
            "HTTP_X_FOO": "1, 2", "HTTP_HOST": "example.test:8080",
            "CONTENT_TYPE": "text/x-t",
        }
        for k, v in want.items():
            h.eq(e.get(k), v, k)
        h.check(e.get("SERVER_SOFTWARE", "").startswith("superd/"), "SERVER_SOFTWARE")
        h.check(e.get("REMOTE_PORT", "").isdigit(), "REMOTE_PORT")
        for k in ("HTTP_PROXY", "HTTP_AUTHORIZATION", "SUPERD_SECRET", "CONTENT_LENGTH",
                  "HTTP_CONTENT_TYPE", "AUTH_TYPE", "REMOTE_USER"):
            h.check(k not in e, "%s must not be set" % k)
        h.check("leaked" not in r.body.decode(), "the daemon's environment leaked")
        e = env_of(w.get("/env.cgi", version="1.0").body)
        h.eq(e.get("SERVER_PROTOCOL"), "HTTP/1.0")
        h.eq(e.get("QUERY_STRING"), "")
        h.check("PATH_INFO" not in e and "PATH_TRANSLATED" not in e, "no PATH_INFO")
        h.eq(e.get("SERVER_NAME"), "127.0.0.1", "no Host: our address")
        e = env_of(w.get("/a%20b/env.cgi").body)
        h.eq(e.get("SCRIPT_NAME"), "/a b/env.cgi", "SCRIPT_NAME is decoded")
        h.eq(os.path.basename(e.get("PWD", "")), "a b", "runs in its directory")


@h.test(backends=True)
def request_bodies(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/env.cgi", {"Content-Length": "12"}, method="POST", body=b"hello world!")
        e = env_of(r.body)
        h.eq(e.get("CONTENT_LENGTH"), "12")
        h.check(r.body.endswith(b"BODY=hello world!"), "body on stdin: %r" % r.body[-40:])
        c = w.conn()
        c.send(hk.request("POST", "/env.cgi", {"Transfer-Encoding": "chunked"}) +
               b"5;ext=1\r\nhello\r\n7\r\n world!\r\n0\r\nTrailer: x\r\n\r\n" +
               hk.request("GET", "/plain.txt"))
        r = c.response()
        h.eq(env_of(r.body).get("CONTENT_LENGTH"), "12", "de-chunked length")
        h.check(r.body.endswith(b"BODY=hello world!"), "de-chunked body")
        h.eq(c.response().body, b"static", "the next request after a chunked body")
        c.close()
        # Expect: 100-continue gets 100 before the body is sent
        c = w.conn()
        c.send(hk.request("POST", "/env.cgi", {"Content-Length": "3",
                                               "Expect": "100-continue"}))
        r = c.response(interim=True)
        h.eq(r.status, 100)
        c.send(b"abc")
        h.check(c.response().body.endswith(b"BODY=abc"), "body after 100")
        c.close()
        big = os.urandom(300000).hex().encode()[:500000]
        r = w.get("/env.cgi", {"Content-Length": str(len(big))}, method="POST", body=big)
        h.check(r.body.endswith(b"BODY=" + big), "a 500 kB body")
        # a script that never reads its body: the body is dropped, the
        # connection goes on
        c = w.conn()
        c.send(hk.request("POST", "/len.cgi", {"Content-Length": "100000"}) +
               b"x" * 100000 + hk.request("GET", "/plain.txt"))
        h.eq(c.response().body, b"hello")
        h.eq(c.response().body, b"static")
        c.close()


@h.test(backends=True)
def response_headers(backend):
    with hk.Web(backend, FILES) as w:
        r = w.get("/status.cgi")
        h.eq((r.status, r.body), (201, b"created"))
        h.eq(r.header("x-custom"), "yes")
        h.eq(r.header("content-type"), "text/x-made")
        h.check(r.header("connection") != "bogus", "the script cannot set Connection")
        h.check(r.header("date") and r.header("server"), "Date and Server")
        r = w.get("/redirect.cgi")
        h.eq(r.status, 302)
        h.eq(r.header("location"), "http://example.test/x")
        r = w.get("/len.cgi")
        h.eq(r.header("content-length"), "5")
        h.eq(r.header("transfer-encoding"), None)
        h.eq(r.body, b"hello")


@h.test(backends=True)
def length_ends_response(backend):
    """With a Content-Length the response is over when that much came,
    even if the script lingers (it is killed at cgi_timeout)."""
    with hk.Web(backend, FILES, options={"cgi_timeout": 2}) as w:
        c = w.conn()
        t = time.monotonic()
        c.send(hk.request("GET", "/lenslow.cgi"))
        h.eq(c.response().body, b"hello")
        h.check(time.monotonic() - t < 1.5, "answered before the script ended")
        c.send(hk.request("GET", "/plain.txt"))
        h.eq(c.response().body, b"static", "the connection goes on")
        c.close()
        w.superd.wait_log(r"cgi \S*lenslow\.cgi: (timed out|killed)", timeout=10)
        h.eq(w.get("/plain.txt").status, 200)


@h.test(backends=True)
def half_close_after_request_is_answered(backend):
    """A client that half-closes after its request (`nc -N`) gets the CGI's
    answer, as a static file's: the half-close ends the request (and its
    body), not the response.  lenlate.cgi answers after the FIN is in."""
    with hk.Web(backend, FILES) as w:
        for version in (b"1.0", b"1.1"):
            for path, body in ((b"/lenlate.cgi", b"later"), (b"/len.cgi", b"hello"),
                               (b"/plain.txt", b"static")):
                req = b"GET %s HTTP/%s\r\nHost: t\r\n\r\n" % (path, version)
                out = h.tcp_exchange("127.0.0.1", w.port, req, timeout=10)
                h.check(out.startswith(b"HTTP/1.1 200 "), "%s %s: %r" % (path, version, out[:80]))
                h.check(out.endswith(b"\r\n\r\n" + body), "%s %s body: %r"
                        % (path, version, out[-40:]))
        req = hk.request("POST", "/env.cgi", {"Content-Length": "3"}, "1.0", b"abc")
        out = h.tcp_exchange("127.0.0.1", w.port, req, timeout=10)
        h.check(b"BODY=abc" in out, "a POST body then a half-close: %r" % out[-80:])


@h.test(backends=True)
def output_framing(backend):
    with hk.Web(backend, FILES) as w:
        c = w.conn(timeout=15)
        c.send(hk.request("GET", "/env.cgi"))
        r = c.response()
        h.eq(r.header("transfer-encoding"), "chunked", "1.1 without length: chunked")
        c.send(hk.request("GET", "/big.cgi") + hk.request("GET", "/plain.txt"))
        r = c.response()
        h.eq(len(r.body), 3000000)
        h.check(r.body == b"\0" * 3000000, "big body")
        h.eq(c.response().body, b"static", "keep-alive after CGI, pipelined")
        c.close()
        r = w.get("/env.cgi", version="1.0")
        h.eq(r.header("transfer-encoding"), None)
        h.eq(r.header("connection"), "close")
        h.check(b"GATEWAY_INTERFACE" in r.body, "close-delimited body")
        r = w.get("/env.cgi", method="HEAD")
        h.eq(r.status, 200)
        c = w.conn()
        c.send(hk.request("HEAD", "/env.cgi") + hk.request("GET", "/plain.txt"))
        c.response(head=True)
        h.eq(c.response().body, b"static", "no body after HEAD on a CGI")
        c.close()
        r = w.get("/nph.cgi")
        h.eq((r.status, r.body), (299, b"raw"))


@h.test(backends=True)
def failures(backend):
    with hk.Web(backend, FILES) as w:
        h.eq(w.get("/fail.cgi").status, 500)
        h.eq(w.get("/garbage.cgi").status, 500)
        h.eq(w.get("/noexec.cgi").status, 403)
        h.eq(w.get("/missing.cgi").status, 404)
        h.eq(w.get("/plain.txt").status, 200)
        r = w.get("/stderr.cgi")
        h.eq(r.body, b"visible")
        h.check(b"oops" not in r.body, "stderr never reaches the client")
        w.superd.wait_log(r"oops-from-stderr")
        w.superd.wait_log(r"fail\.cgi: exit 3")


@h.test(backends=True)
def timeout_kills_group(backend):
    with hk.Web(backend, FILES, options={"cgi_timeout": 1}) as w:
        pidfile = os.path.join(os.path.dirname(w.root), "slow.pid")
        t = time.monotonic()
        r = w.get("/slow.cgi")
        h.eq(r.status, 504)
        h.check(0.8 < time.monotonic() - t < 4, "504 after about 1 s")
        pid = int(open(pidfile).read())
        h.wait_until(lambda: not h.proc_alive(pid), timeout=5,
                     what="the script's background child killed")
        # started: the connection is cut, not completed
        c = w.conn(timeout=6)
        c.send(hk.request("GET", "/slowbody.cgi"))
        c.sock.settimeout(6)
        data = b""
        while True:
            b = c.sock.recv(65536)
            if not b:
                break
            data += b
        h.check(data.startswith(b"HTTP/1.1 200") and b"started" in data, "began")
        h.check(not data.endswith(b"0\r\n\r\n"), "the chunked body was not completed")
        c.close()
        # every child is reaped: no zombies under the worker
        def no_zombies():
            for wk in w.superd.workers():
                for k in h.children_of(wk):
                    if not h.proc_alive(k):
                        return False
            return True
        h.wait_until(no_zombies, timeout=5, what="no zombie children")


@h.test(backends=True)
def client_gone_during_cgi(backend):
    """A client that closed (not half-closed) is noticed when the script's
    output meets its reset; the script is killed then.  (A FIN alone cannot
    tell the two apart: a half-closed client is answered.)  gone.cgi writes
    a line every 0.1 s: its writes after the close find the reset."""
    with hk.Web(backend, FILES, options={"cgi_timeout": 30}) as w:
        pidfile = os.path.join(os.path.dirname(w.root), "gone.pid")
        s = h.connect("127.0.0.1", w.port)
        s.sendall(hk.request("GET", "/gone.cgi"))
        h.wait_until(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
                     what="slow.cgi started")
        pid = int(open(pidfile).read())
        s.close()
        h.wait_until(lambda: not h.proc_alive(pid), timeout=6,
                     what="the script killed when its client went away")
        h.eq(w.get("/plain.txt").body, b"static")


@h.test(backends=True, only=["epoll"])
def many_concurrent(backend):
    with hk.Web(backend, FILES) as w:
        conns = [w.conn(timeout=20) for _ in range(30)]
        for c in conns:
            c.send(hk.request("GET", "/len.cgi") * 3)
        for c in conns:
            for _ in range(3):
                h.eq(c.response().body, b"hello")
            c.close()


if __name__ == "__main__":
    h.main(timeout=300)
