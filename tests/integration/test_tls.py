#!/usr/bin/env python3
"""test_tls.py - `tls:` on services, against the real superd with real
clients (Python's ssl, openssl s_client, curl --cacert), on every event
backend: echo, http and exec over TLS (plaintext relay with back-pressure
and half-close), a blocking-style serve() module over TLS, ALPN, SNI with
wildcards, client certificates and the SSL_* variables, session
resumption on another worker, TLS 1.2/1.3 floors, hot reload of
certificates, configuration errors at FILE:LINE:COLUMN, the plaintext
courtesy 400, handshake timeouts and bad clients leaving nothing behind,
refused handshakes counted and logged once per burst with a summary line
per window, and the kTLS fallback.  Certificates are made by the test (tlskit)."""

import hashlib
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tlskit as tk  # noqa: E402

_PKI = None


def pki():
    """The test PKI, made once per run.  Every test that needs TLS starts
    here: in a build without TLS it skips, saying why."""
    global _PKI
    tk.require_tls()
    if _PKI is None:
        _PKI = tk.pki()
    return _PKI


def tls_block(extra=""):
    return """
    tls:
      cert: "%(d)s/server.pem"
      key: "%(d)s/server.key"%(extra)s""" % {"d": pki(), "extra": extra}


def pump(ctx, port, data, half_close=True, server_name="localhost",
         timeout=10.0, host="127.0.0.1"):
    """Send data over TLS while reading (so back-pressure cannot deadlock),
    then close_notify only our sending side (half-close) and read until
    the server's close_notify.  Returns what came back."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setblocking(False)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=server_name)
    got = bytearray()
    sent = 0
    shut = False
    handshaken = False
    end = time.monotonic() + timeout * h.TIME_SCALE
    pending_out = b""
    while True:
        if time.monotonic() > end:
            sock.close()
            h.fail("TLS exchange timed out (sent %d of %d, got %d)"
                   % (sent, len(data), len(got)))
        progressed = False
        try:
            if not handshaken:
                obj.do_handshake()
                handshaken = True
                progressed = True
            if handshaken and sent < len(data) and len(pending_out) < (1 << 18):
                n = obj.write(data[sent:sent + 65536])
                sent += n
                progressed = True
            if handshaken:
                while True:
                    b = obj.read(65536)
                    if not b:
                        break
                    got += b
                    progressed = True
        except ssl.SSLWantReadError:
            # nothing buffered: now our close_notify may go (CPython's
            # unwrap also tries to read the peer's, which must not find data)
            if (handshaken and sent == len(data) and not shut and half_close
                    and inc.pending == 0):
                try:
                    obj.unwrap()
                except ssl.SSLWantReadError:
                    pass
                shut = True
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            sock.close()
            return bytes(got)
        pending_out += out.read()
        want_w = bool(pending_out)
        r, w, _ = select.select([sock], [sock] if want_w else [], [], 0 if progressed else 0.2)
        if w:
            try:
                n = sock.send(pending_out)
                pending_out = pending_out[n:]
            except BlockingIOError:
                pass
        if r:
            try:
                b = sock.recv(1 << 17)
            except (BlockingIOError, InterruptedError):
                b = None
            except ConnectionResetError:
                sock.close()
                h.fail("connection reset after %d bytes back" % len(got))
            if b == b"":
                inc.write_eof()
                if shut or not half_close:
                    # EOF without close_notify: read what is buffered, stop
                    try:
                        got += obj.read(1 << 20)
                    except ssl.SSLError:
                        pass
                    sock.close()
                    return bytes(got)
            elif b:
                inc.write(b)


# ------------------------------------------------------------ echo


@h.test(backends=True)
def echo_over_tls(backend):
    with h.Superd("""
services:
  echo:
    module: echo
    listen: ["127.0.0.1:{port0}", "[::1]:{port0}"]
""" + tls_block(), backend=backend) as s:
        ctx = tk.client_ctx(pki())
        data = os.urandom(3 << 20)  # past the high-water mark: back-pressure
        h.eq(hashlib.sha256(pump(ctx, s.port(0), data)).hexdigest(),
             hashlib.sha256(data).hexdigest(), "3 MiB echoed over TLS")
        h.eq(pump(ctx, s.port(0), b"v6", host="::1"), b"v6", "over IPv6")
        s.wait_log(r"echo: 127\.0\.0\.1:\d+ eof, .* in 3145728, out 3145728")
        s.wait_log(r"TLS: (the kernel has no tls ULP|kTLS available)")


def burst(ctx, port, records, size, timeout=10.0):
    """Handshake, then send records of size bytes and close_notify in ONE
    write, so the server's TLS library reads them ahead together; read
    until the server's close_notify.  Returns what came back."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout * h.TIME_SCALE)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(out.read())
            data = sock.recv(65536)
            if not data:
                h.fail("closed during the handshake")
            inc.write(data)
    sock.sendall(out.read())
    for i in range(records):
        obj.write(bytes([65 + i % 26]) * size)
    try:
        obj.unwrap()
    except ssl.SSLWantReadError:
        pass  # our close_notify is out; the server's comes later
    sock.sendall(out.read())
    got = bytearray()
    while True:
        try:
            got += obj.read(65536)
            continue
        except ssl.SSLWantReadError:
            pass
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
        try:
            data = sock.recv(65536)
        except socket.timeout:
            h.fail("no answer: got %d bytes, then nothing (input left unread "
                   "inside the server's TLS library?)" % len(got))
        if not data:
            break
        inc.write(data)
    sock.close()
    return bytes(got)


@h.test(backends=True)
def records_read_ahead_are_all_served(backend):
    """40 small records and close_notify arrive in one segment.  The TLS
    library reads them all ahead while the loop asks for one record at a
    time (max_output: 1024 keeps each read to one record); the rest, which
    no socket event will announce, must still be echoed, then the
    close_notify honoured."""
    with h.Superd("""
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    max_output: 1024
""" + tls_block(), backend=backend) as s:
        ctx = tk.client_ctx(pki())
        want = b"".join(bytes([65 + i % 26]) * 100 for i in range(40))
        h.eq(burst(ctx, s.port(0), 40, 100, timeout=5.0), want,
             "40 records echoed, then the close")


@h.test(backends=True)
def versions_and_policy(backend):
    with h.Superd("""
services:
  v12:
    module: echo
    listen: "127.0.0.1:{port0}"
""" + tls_block() + """
  v13:
    module: echo
    listen: "127.0.0.1:{port1}"
""" + tls_block('\n      min_version: "1.3"'), backend=backend) as s:
        d = pki()
        c = tk.tls_connect(tk.client_ctx(d), s.port(0))
        h.eq(c.version(), "TLSv1.3", "default agreement")
        c.close()
        c = tk.tls_connect(tk.client_ctx(d, maxv=ssl.TLSVersion.TLSv1_2), s.port(0))
        h.eq(c.version(), "TLSv1.2", "TLS 1.2 still offered by default")
        h.check(c.compression() is None, "no compression")
        c.close()
        for maxv in (ssl.TLSVersion.TLSv1_1,):
            ctx = tk.client_ctx(d, maxv=maxv)
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            try:
                tk.tls_connect(ctx, s.port(0)).close()
                h.fail("TLS 1.1 accepted")
            except (ssl.SSLError, OSError):
                pass
        try:
            tk.tls_connect(tk.client_ctx(d, maxv=ssl.TLSVersion.TLSv1_2), s.port(1)).close()
            h.fail("TLS 1.2 accepted under min_version 1.3")
        except (ssl.SSLError, OSError):
            pass
        c = tk.tls_connect(tk.client_ctx(d), s.port(1))
        h.eq(c.version(), "TLSv1.3", "1.3 under min_version 1.3")
        c.close()
        s.wait_log(r"v13: 127\.0\.0\.1:\d+ TLS handshake refused: .*protocol")


# ------------------------------------------------------------ http


CGI_ENV = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\n"


def curl(args, timeout=20):
    return subprocess.run(["curl", "-sS", "--max-time", "15"] + args,
                          capture_output=True, timeout=timeout)


def tls_web(backend):
    """superd with an http service over TLS on port0, its root {tmp}/www
    made and empty."""
    s = h.Superd("""
services:
  web:
    module: http
    listen: "127.0.0.1:{port0}"
    options: {root: "{tmp}/www"}
""" + tls_block(), backend=backend)
    os.makedirs(s.path("www"))
    return s


@h.test(backends=True)
def http_over_tls(backend):
    big = os.urandom(1 << 20)
    s = tls_web(backend)
    os.makedirs(s.path("www/dir"))
    h.write_file(s.path("www/index.html"), "hello tls\n")
    h.write_file(s.path("www/dir/x.txt"), "x")
    h.write_file(s.path("www/env.cgi"), CGI_ENV, 0o755)
    with open(s.path("www/big.bin"), "wb") as f:
        f.write(big)
    with s:
        base = "https://localhost:%d" % s.port(0)
        ca = ["--cacert", os.path.join(pki(), "ca.pem"),
              "--resolve", "localhost:%d:127.0.0.1" % s.port(0)]
        r = curl(ca + ["-v", base + "/"])
        h.eq(r.stdout, b"hello tls\n", "index over https (%r)" % r.stderr[-400:])
        h.check(b"ALPN: server accepted http/1.1" in r.stderr or
                b"ALPN, server accepted to use http/1.1" in r.stderr,
                "ALPN http/1.1: %r" % r.stderr[-600:])
        # openssl s_client, a real peer
        r = subprocess.run(["openssl", "s_client", "-quiet", "-ign_eof",
                            "-connect", "127.0.0.1:%d" % s.port(0),
                            "-CAfile", os.path.join(pki(), "ca.pem"),
                            "-verify_return_error", "-servername", "localhost"],
                           input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True,
                           timeout=10)
        h.check(re.match(rb"HTTP/1\.[01] 200", r.stdout) and r.stdout.endswith(b"hello tls\n"),
                "s_client: %r %r" % (r.stdout[-200:], r.stderr[-300:]))
        r = curl(ca + [base + "/big.bin"])
        h.eq(hashlib.sha256(r.stdout).hexdigest(), hashlib.sha256(big).hexdigest(),
             "1 MiB file over TLS (pread + SSL_write, or kTLS)")
        # keep-alive: two requests on one connection
        r = curl(ca + ["-v", base + "/index.html", base + "/dir/x.txt"])
        h.eq(r.stdout, b"hello tls\nx", "two requests")
        h.check(b"Re-using existing connection" in r.stderr or
                b"Reusing existing" in r.stderr or r.stderr.count(b"Connected to") == 1,
                "keep-alive over TLS: %r" % r.stderr[-600:])
        # a redirect keeps the scheme (a relative Location, or https://)
        r = curl(ca + ["-i", base + "/dir"])
        loc = re.search(rb"(?im)^location: *(\S+)", r.stdout)
        h.check(loc is not None, "a redirect: %r" % r.stdout[:300])
        h.check(loc.group(1).startswith(b"/") or loc.group(1).startswith(b"https://"),
                "redirect stays on https: %r" % loc.group(1))
        r = curl(ca + ["-L", base + "/dir"])
        h.eq(r.returncode, 0, "following the redirect over https")
        # CGI: HTTPS=on and the SSL_* variables
        r = curl(ca + [base + "/env.cgi"])
        env = dict(l.split("=", 1) for l in r.stdout.decode().splitlines() if "=" in l)
        h.eq(env.get("HTTPS"), "on", "CGI HTTPS")
        h.eq(env.get("REQUEST_SCHEME"), "https", "CGI REQUEST_SCHEME")
        h.check(env.get("SSL_PROTOCOL", "").startswith("TLSv1."), "SSL_PROTOCOL %r" % env)
        h.check(env.get("SSL_CIPHER"), "SSL_CIPHER")
        h.eq(env.get("SSL_SERVER_NAME"), "localhost", "SSL_SERVER_NAME")
        h.eq(env.get("SSL_CLIENT_VERIFY"), "NONE", "SSL_CLIENT_VERIFY")
        # plain HTTP on the TLS port: nginx's courtesy 400
        c = h.connect("127.0.0.1", s.port(0))
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        out = h.recv_all(c)
        c.close()
        h.check(out.startswith(b"HTTP/1.1 400 ") and b"HTTPS" in out,
                "plain request answered with a 400: %r" % out[:200])
        r = curl(["http://127.0.0.1:%d/" % s.port(0)])
        h.check(b"speaks HTTPS" in r.stdout, "curl http:// sees why: %r" % r.stdout)


@h.test(backends=True)
def one_event_one_segment(backend):
    """What one event writes (two pipelined responses and the close_notify
    here) leaves in one write and one TCP segment, not one per record."""
    s = tls_web(backend)
    h.write_file(s.path("www/a.txt"), "first\n")
    h.write_file(s.path("www/b.txt"), "second\n")
    with s:
        # TLS 1.2: the server's last flight is read within the handshake
        ctx = tk.client_ctx(pki(), maxv=ssl.TLSVersion.TLSv1_2)
        c = tk.tls_connect(ctx, s.port(0))
        before = h.tcp_segments_in(c)[1]
        c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /b.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = tk.recv_until_eof(c)
        after = h.tcp_segments_in(c)[1]
        c.close()
        h.check(out.count(b"HTTP/1.1 200 ") == 2 and out.endswith(b"second\n"),
                "both answers: %r" % out[-300:])
        h.eq(after - before, 1, "TCP segments carrying the two answers and the "
             "close_notify")


@h.test(backends=True)
def slow_reader_gets_every_answer_then_close_notify(backend):
    """Pipelined answers to a client that reads slowly: the socket fills,
    records wait (queued, or held back by the TLS layer), and the close
    after the last answer waits for all of them and ends with close_notify
    (a TCP close without it raises SSLEOFError here)."""
    s = tls_web(backend)
    body = b"".join(b"%04d|" % i for i in range(200))  # 1,000 bytes
    h.write_file(s.path("www/k.txt"), body.decode())
    n = 300
    reqs = b"GET /k.txt HTTP/1.1\r\nHost: x\r\n\r\n" * (n - 1) + \
        b"GET /k.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with s:
        ctx = tk.client_ctx(pki())
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(20)
        raw.connect(("127.0.0.1", s.port(0)))
        c = ctx.wrap_socket(raw, server_hostname="localhost",
                            suppress_ragged_eofs=False)
        c.sendall(reqs)
        out = bytearray()
        while True:
            try:
                b = c.recv(700)  # b"": the server's close_notify
            except ssl.SSLEOFError:
                h.fail("TCP closed without close_notify after %d bytes" % len(out))
            if not b:
                break
            out += b
        c.close()
        h.eq(out.count(b"HTTP/1.1 200 "), n, "answers")
        h.eq(out.count(body), n, "whole bodies")
        h.check(out.endswith(body), "the last answer is last")


@h.test()
def alpn_refuses_other_protocols():
    with h.Superd("""
services:
  web:
    module: http
    listen: "127.0.0.1:{port0}"
    options: {root: "{tmp}"}
""" + tls_block() + """
  echo:
    module: echo
    listen: "127.0.0.1:{port1}"
""" + tls_block()) as s:
        d = pki()
        c = tk.tls_connect(tk.client_ctx(d, alpn=["h2", "http/1.1"]), s.port(0))
        h.eq(c.selected_alpn_protocol(), "http/1.1", "http agrees on http/1.1")
        c.close()
        try:
            tk.tls_connect(tk.client_ctx(d, alpn=["h2"]), s.port(0)).close()
            h.fail("http accepted a client that only speaks h2")
        except (ssl.SSLError, OSError):
            pass
        c = tk.tls_connect(tk.client_ctx(d, alpn=["h2"]), s.port(1))
        h.eq(c.selected_alpn_protocol(), None, "echo agrees on no ALPN protocol")
        c.close()


# ------------------------------------------------------------ SNI


@h.test()
def sni_picks_certificates():
    d = pki()
    with h.Superd("""
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    tls:
      cert: "%(d)s/server.pem"
      key: "%(d)s/server.key"
      sni:
        - names: ["*.example.org"]
          cert: "%(d)s/wild.pem"
          key: "%(d)s/wild.key"
        - names: [example.org, WWW.Example.ORG]
          cert: "%(d)s/org.pem"
          key: "%(d)s/org.key"
""" % {"d": d}) as s:
        ctx = tk.client_ctx(d)
        ctx.check_hostname = False
        for name, cn in (("example.org", "example.org"),
                         ("www.example.org", "example.org"),  # exact beats wildcard
                         ("a.example.org", "wild.example.org"),
                         ("A.EXAMPLE.ORG", "wild.example.org"),
                         ("b.a.example.org", "localhost"),  # * is one label
                         ("other.test", "localhost"),
                         ("localhost", "localhost")):
            c = tk.tls_connect(ctx, s.port(0), server_name=name)
            h.eq(tk.peer_cn(c), cn, "certificate for %s" % name)
            c.close()
        c = tk.tls_connect(ctx, s.port(0), server_name=None)
        h.eq(tk.peer_cn(c), "localhost", "no SNI: the first certificate")
        c.close()


# ------------------------------------------------------------ client certs, exec, serve

EXEC_ENV = "#!/bin/sh\nenv\n"


@h.test(backends=True)
def client_ca_and_exec(backend):
    d = pki()
    s = h.Superd("""
services:
  env:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: ["{tmp}/env.sh"]}
    tls:
      cert: "%(d)s/server.pem"
      key: "%(d)s/server.key"
      client_ca: "%(d)s/ca.pem"
  cat:
    module: exec
    listen: "127.0.0.1:{port1}"
    options: {argv: [/bin/cat]}
""" % {"d": d} + tls_block(), backend=backend, files={"env.sh": EXEC_ENV})
    os.chmod(s.path("env.sh"), 0o755)
    with s:
        out = pump(tk.client_ctx(d, cert="client"), s.port(0), b"").decode()
        env = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
        h.eq(env.get("SSL_CLIENT_VERIFY"), "SUCCESS", "verified client (%r)" % out[:300])
        h.eq(env.get("SSL_CLIENT_S_DN"), "CN=alice", "client subject")
        h.eq(env.get("SSL_SERVER_NAME"), "localhost", "SNI")
        h.check(env.get("SSL_PROTOCOL", "").startswith("TLSv1."), "SSL_PROTOCOL")
        h.check(env.get("SSL_CIPHER"), "SSL_CIPHER")
        h.eq(env.get("PROTO"), "TCP", "PROTO")
        h.eq(env.get("TCPREMOTEIP"), "127.0.0.1", "TCPREMOTEIP")
        for who in (None, "mallory"):
            try:
                got = pump(tk.client_ctx(d, cert=who), s.port(0), b"", timeout=5)
                h.check("SSL_CLIENT" not in got.decode(errors="replace"),
                        "client %s served" % who)
            except (ssl.SSLError, OSError):
                pass
        s.wait_log(r"env: 127\.0\.0\.1:\d+ TLS handshake refused")
        # /bin/cat behind the relay: 2 MiB both ways, then the half-close
        data = os.urandom(2 << 20)
        h.eq(hashlib.sha256(pump(tk.client_ctx(d), s.port(1), data)).hexdigest(),
             hashlib.sha256(data).hexdigest(), "cat over TLS")
        s.wait_log(r"cat: 127\.0\.0\.1:\d+ exit 0")


@h.test(backends=True)
def serve_module_over_tls(backend):
    with h.Superd("""
services:
  upper:
    module: "{builddir}/tests/unit/.libs/tmod_upper.so"
    listen: "127.0.0.1:{port0}"
""" + tls_block(), backend=backend) as s:
        ctx = tk.client_ctx(pki())
        h.eq(pump(ctx, s.port(0), b"hello, child"), b"HELLO, CHILDbye\n",
             "serve() over the relay, half-close passed on")
        data = b"ab" * (1 << 20)
        h.eq(pump(ctx, s.port(0), data), b"AB" * (1 << 20) + b"bye\n",
             "2 MiB through a serve() child")
        s.wait_log(r"upper: 127\.0\.0\.1:\d+ pid \d+ exit 0")


@h.test(backends=True)
def proxy_header_then_tls(backend):
    """PROXY header (raw bytes) -> TLS handshake -> the module, in that
    order: the header's client is the peer the program sees over TLS."""
    d = pki()
    s = h.Superd("""
services:
  env:
    module: exec
    listen: "127.0.0.1:{port0}"
    proxy_protocol: [127.0.0.0/8]
    options: {argv: ["{tmp}/env.sh"]}
""" + tls_block(), backend=backend, files={"env.sh": EXEC_ENV})
    os.chmod(s.path("env.sh"), 0o755)
    with s:
        raw = socket.create_connection(("127.0.0.1", s.port(0)), timeout=5)
        raw.sendall(b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 443\r\n")
        c = tk.client_ctx(d).wrap_socket(raw, server_hostname="localhost")
        out = tk.recv_until_eof(c).decode()
        c.close()
        env = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
        h.eq(env.get("TCPREMOTEIP"), "192.0.2.7", "the header's client (%r)" % out[:300])
        h.eq(env.get("TCPLOCALPORT"), "443", "the header's local port")
        h.check(env.get("SSL_PROTOCOL", "").startswith("TLSv1."), "over TLS")


# ------------------------------------------------------------ resumption


@h.test()
def resumption_on_another_worker():
    with h.Superd("""
global: {workers: 1}
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
""" + tls_block()) as s:
        ctx = tk.client_ctx(pki())
        c = tk.tls_connect(ctx, s.port(0))
        c.sendall(b"x")
        h.eq(c.recv(1), b"x", "echo")
        sess = c.session
        c.close()
        h.check(sess is not None and sess.has_ticket, "a session ticket")
        old = s.wait_workers(1)[0]
        os.kill(old, signal.SIGKILL)
        new = h.wait_until(lambda: [p for p in s.workers() if p != old] or None,
                           what="a replacement worker")[0]
        h.check(new != old, "another worker process")
        h.wait_until(lambda: s._accepts("127.0.0.1", s.port(0)), what="accepting again")
        c = tk.tls_connect(ctx, s.port(0), session=sess)
        c.sendall(b"y")
        h.eq(c.recv(1), b"y", "echo after resumption")
        h.check(c.session_reused, "the session resumed on worker %d (made on %d)"
                % (new, old))
        c.close()


# ------------------------------------------------------------ reload


@h.test()
def reload_rereads_certificates():
    d = pki()
    s = h.Superd("""
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    tls:
      cert: site.pem
      key: site.key
""")
    shutil.copy(os.path.join(d, "server.pem"), s.path("site.pem"))
    shutil.copy(os.path.join(d, "server.key"), s.path("site.key"))
    os.chmod(s.path("site.key"), 0o600)
    ctx = tk.client_ctx(d)
    ctx.check_hostname = False
    with s:
        old = tk.tls_connect(ctx, s.port(0))
        old.sendall(b"1")
        h.eq(old.recv(1), b"1", "before the reload")
        # a renewal: new files in place, then SIGHUP
        shutil.copy(os.path.join(d, "org.pem"), s.path("site.pem"))
        shutil.copy(os.path.join(d, "org.key"), s.path("site.key"))
        mark = s.log_mark()
        s.reload()
        s.wait_log(r"reloaded ", since=mark)
        h.wait_until(lambda: tk.peer_cn(tk.tls_connect(ctx, s.port(0))) == "example.org",
                     what="the new certificate on new connections")
        old.sendall(b"2")
        h.eq(old.recv(1), b"2", "an open connection goes on after the reload")
        # a bad renewal: the running configuration stays
        with open(s.path("site.pem"), "w") as f:
            f.write("not a certificate\n")
        mark = s.log_mark()
        s.reload()
        s.wait_log(r"superd\.yaml:7:13: service 'echo': tls: cert: .* is not a PEM",
                   since=mark)
        s.wait_log(r"has errors; the running configuration stays", since=mark)
        c = tk.tls_connect(ctx, s.port(0))
        h.eq(tk.peer_cn(c), "example.org", "still the last good certificate")
        c.close()
        old.sendall(b"3")
        h.eq(old.recv(1), b"3", "the open connection is still fine")
        old.close()


# ------------------------------------------------------------ configuration errors


def check_t(text, regex, rc=1):
    r, path = h.check_config(text)
    out = r.stdout + r.stderr
    h.eq(r.returncode, rc, "exit status of -t for:\n%s\n%s" % (text, out))
    h.check(re.search(regex, out), "%r not in %r" % (regex, out))
    return out


@h.test()
def configuration_errors():
    d = pki()
    head = """
services:
  s:
    module: echo
    listen: 7
    tls:
"""
    check_t(head + '      cert: "%s/nope.pem"\n      key: "%s/server.key"\n' % (d, d),
            r"superd\.yaml:7:13: service 's': tls: cert: cannot read .*nope\.pem: "
            r"No such file or directory")
    bad = os.path.join(d, "bad.pem")
    with open(bad, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    check_t(head + '      cert: "%s"\n      key: "%s/server.key"\n' % (bad, d),
            r"superd\.yaml:7:13: service 's': tls: cert: .* is not a PEM")
    check_t(head + '      cert: "%s/server.pem"\n      key: "%s/server.pem"\n' % (d, d),
            r"superd\.yaml:8:12: service 's': tls: key: .* is not a PEM private key")
    check_t(head + '      cert: "%s/server.pem"\n      key: "%s/org.key"\n' % (d, d),
            r"superd\.yaml:8:12: service 's': tls: key: .*org\.key does not match "
            r"the certificate")
    check_t(head + '      cert: "%s/server.pem"\n      key: "%s/server.key"\n'
            '      client_ca: "%s/server.key"\n' % (d, d, d),
            r"superd\.yaml:9:18: service 's': tls: client_ca: .* holds no PEM certificate")
    check_t(head + '      cert: a\n', r"superd\.yaml:7:7: service 's': tls: missing "
            r"required key 'key'")
    check_t(head + '      cert: a\n      key: b\n      min_version: "1.1"\n',
            r"superd\.yaml:9:20: service 's': tls: min_version: expected 1\.2 or 1\.3")
    check_t(head + '      cert: a\n      key: b\n      handshake_timeout: 0\n',
            r"superd\.yaml:9:26: service 's': tls: handshake_timeout: .*out of range")
    check_t(head + '      cert: a\n      key: b\n      ciphers: x\n',
            r"superd\.yaml:9:7: service 's': tls: unknown key 'ciphers'")
    check_t(head + '      cert: a\n      key: b\n      sni: [{names: ["bad name"], '
            'cert: a, key: b}]\n', r"superd\.yaml:9:\d+: .*'bad name' is not a server name")
    check_t("""
services:
  s:
    module: echo
    listen: 7
    protocol: udp
    tls: {cert: "%s/server.pem", key: "%s/server.key"}
""" % (d, d), r"superd\.yaml:7:10: service 's': tls: TLS needs a stream service")
    # an expired certificate: a warning, not an error
    tk.make_cert(d, "old", "old.test", ["old.test"], expired=True)
    check_t(head + '      cert: "%s/old.pem"\n      key: "%s/old.key"\n' % (d, d),
            r"superd\.yaml:7:13: tls: cert: .*old\.pem has expired", rc=0)
    # relative paths are taken from the file's directory
    r, path = h.check_config(head + "      cert: site.pem\n      key: site.key\n")
    h.check(os.path.dirname(path) in r.stdout + r.stderr,
            "relative cert path resolved beside the file: %r" % r.stderr)


NO_TLS = r"service 's': tls: this superd was built without TLS support \(configure " \
    r"found no OpenSSL 3\)"


@h.test()
def no_tls_build_refuses_tls():
    """A build without OpenSSL (configure --without-openssl): `tls:` is a
    configuration error at the key's value, under -t, at start and on
    SIGHUP (the running configuration stays); services without it run."""
    if tk.tls_built():
        h.skip("this superd has TLS; the build without OpenSSL runs this test")
    head = """
services:
  plain:
    module: echo
    listen: "127.0.0.1:{port0}"
  s:
    module: echo
    listen: "127.0.0.1:{port1}"
"""
    block = head + "    tls:\n      cert: site.pem\n      key: site.key\n"
    out = check_t(block, r"superd\.yaml:10:7: " + NO_TLS)
    h.eq(len(out.strip().splitlines()), 1, "one error, nothing about the files: %r" % out)
    check_t(head + '    tls: {cert: site.pem, key: site.key, min_version: "1.3"}\n',
            r"superd\.yaml:9:10: " + NO_TLS)
    # a bad tls: block is still checked as such
    check_t(head + "    tls: {cert: site.pem}\n",
            r"superd\.yaml:9:10: service 's': tls: missing required key 'key'")
    # at start: the error, exit 1, nothing bound
    s = h.Superd(block, expect_exit=True)
    with s:
        h.eq(s.wait_exit(), 1, "superd refuses to start")
        h.check(re.search(r"superd\.yaml:10:7: " + NO_TLS, s.log_text()),
                "the error at start: %r" % s.log_text())
    # on SIGHUP: refused, the running configuration stays
    with h.Superd(head) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"hi"), b"hi", "plain echo")
        mark = s.log_mark()
        s.reload(block)
        s.wait_log(r"superd\.yaml:10:7: " + NO_TLS, since=mark)
        s.wait_log(r"has errors; the running configuration stays", since=mark)
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"still"), b"still",
             "the running configuration stays")



# What a process maps once OpenSSL is in: the TLS layer and its libraries.
OPENSSL_FILES = ("tls-openssl.so", "libssl.so", "libcrypto.so")


def maps_of(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


@h.test()
def openssl_loaded_only_for_tls():
    """OpenSSL lives in the TLS layer, tls-openssl.so, which the master
    loads with the first `tls:` block: a superd that serves no TLS maps
    none of it, master or worker (libssl and libcrypto were 1.7 MB of each
    master's resident memory).  A reload that adds `tls:` loads it, and
    the new worker serves TLS."""
    plain = """
global:
  workers: 1
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
"""
    with h.Superd(plain) as s:
        pids = [s.pid] + s.wait_workers(1)
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"plain"), b"plain", "plain echo")
        for pid in pids:
            maps = maps_of(pid)
            for name in OPENSSL_FILES:
                h.check(name not in maps,
                        "process %d maps %s with no tls: configured" % (pid, name))
        if not tk.tls_built():
            return  # the rest needs a TLS layer
        mark = s.log_mark()
        s.reload(plain + tls_block())
        s.wait_log(r"reloaded ", since=mark)
        h.eq(pump(tk.client_ctx(pki()), s.port(0), b"secure"), b"secure",
             "echo over TLS after the reload")
        maps = maps_of(s.pid)
        for name in OPENSSL_FILES:
            h.check(name in maps, "the master maps %s once tls: is configured" % name)
        for pid in s.wait_workers(1):
            h.check("tls-openssl.so" in maps_of(pid), "the new worker has the TLS layer")


@h.test()
def missing_tls_layer_is_a_clear_error():
    """Without tls-openssl.so (a package split, a bad install) a `tls:`
    block is an error at its position that names the file and where it
    was looked for; and the layer is no module."""
    tk.require_tls()
    # the built-in module directory, as superd names it when a module is missing
    r, _ = h.check_config("""
services:
  e:
    module: no-such-module
    listen: "127.0.0.1:{port0}"
""")
    m = re.search(r"no no-such-module\.so in .*?(/[^\s)]+)\)", r.stdout + r.stderr)
    h.check(m, "the module directory in: %r" % (r.stdout + r.stderr))
    if os.path.exists(os.path.join(m.group(1), "tls-openssl.so")):
        h.skip("a TLS layer is installed in %s: superd finds it there" % m.group(1))
    d = tempfile.mkdtemp(prefix="superd-notls-")
    try:
        os.symlink(os.path.join(h.SUPERD_MODULE_PATH, "echo.so"), os.path.join(d, "echo.so"))
        text = """
services:
  e:
    module: echo
    listen: "127.0.0.1:{port0}"
    tls: {cert: none.pem, key: none.key}
"""
        r, _ = h.check_config(text, env={"SUPERD_MODULE_PATH": d})
        out = r.stdout + r.stderr
        h.eq(r.returncode, 1, "exit status of -t: %r" % out)
        h.check(re.search(r"superd\.yaml:6:10: service 'e': tls: the TLS layer is not "
                          r"installed \(no tls-openssl\.so in \$SUPERD_MODULE_PATH, /[^\s)]+\)",
                          out), "the reason, at the tls: key: %r" % out)
        # global: module_path is searched for it as for modules
        r, _ = h.check_config("global:\n  module_path: [%s]\n" % h.SUPERD_MODULE_PATH + text,
                              env={"SUPERD_MODULE_PATH": d})
        out = r.stdout + r.stderr
        h.check(re.search(r"tls: cert: cannot read .*none\.pem", out) and "not installed" not in out,
                "the layer found through module_path reads the files: %r" % out)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    r, _ = h.check_config("""
services:
  e:
    module: tls-openssl
    listen: "127.0.0.1:{port0}"
""")
    out = r.stdout + r.stderr
    h.eq(r.returncode, 1, "exit status of -t: %r" % out)
    h.check(re.search(r"tls-openssl\.so is not a superd module", out),
            "the TLS layer is no module: %r" % out)

@h.test()
def key_readable_only_by_root():
    if not h.is_root():
        h.skip("needs root (the master reads the key before dropping to nobody)")
    d = pki()
    s = h.Superd("""
global: {user: nobody}
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    tls: {cert: site.pem, key: site.key}
""")
    shutil.copy(os.path.join(d, "server.pem"), s.path("site.pem"))
    shutil.copy(os.path.join(d, "server.key"), s.path("site.key"))
    os.chmod(s.path("site.key"), 0o400)
    os.chmod(s.tmp, 0o755)
    with s:
        h.eq(pump(tk.client_ctx(d), s.port(0), b"root-only key"), b"root-only key",
             "served with a key only root can read")
        for pid in s.workers():
            st = open("/proc/%d/status" % pid).read()
            h.check(re.search(r"Uid:\s+(\d+)", st).group(1) != "0",
                    "worker %d dropped root" % pid)


def new_cn(ctx, port):
    """The CN of the certificate a new connection to port gets."""
    c = tk.tls_connect(ctx, port)
    try:
        return tk.peer_cn(c)
    finally:
        c.close()


@h.test()
def root_only_key_renewed_after_drop():
    """An ACME renewal under `global: user`: the master no longer reads the
    root-only (0600) files itself; the spawn helper (root) opens the ones
    the configuration names and passes the descriptors."""
    if not h.is_root():
        h.skip("needs root (the files are root's, the master runs as nobody)")
    d = pki()
    s = h.Superd("""
global: {user: nobody}
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    tls: {cert: site.pem, key: site.key}
""")

    def install(name):
        for src, dst in (("%s.pem" % name, "site.pem"), ("%s.key" % name, "site.key")):
            tmp = s.path(dst + ".new")
            shutil.copy(os.path.join(d, src), tmp)
            os.chmod(tmp, 0o600)
            os.rename(tmp, s.path(dst))  # as certbot swaps files
    install("server")
    os.chmod(s.tmp, 0o755)
    ctx = tk.client_ctx(d)
    ctx.check_hostname = False
    with s:
        old = tk.tls_connect(ctx, s.port(0))
        old.sendall(b"1")
        h.eq(old.recv(1), b"1", "before the renewal")
        h.eq(tk.peer_cn(old), "localhost", "the first certificate")
        install("org")
        mark = s.log_mark()
        s.reload()
        s.wait_log(r"reloaded ", since=mark)
        h.check(not s.log_lines(r"cannot read|has errors"),
                "the root-only files were read on the reload")
        # an old worker may still accept until it has taken in its retirement
        h.wait_until(lambda: new_cn(ctx, s.port(0)) == "example.org",
                     what="the renewed certificate served on new connections")
        old.sendall(b"2")
        h.eq(old.recv(1), b"2", "an open connection goes on after the renewal")
        old.close()
        master = s.proc.pid
        st = open("/proc/%d/status" % master).read()
        h.check(re.search(r"Uid:\s+(\d+)", st).group(1) != "0",
                "the master itself runs as nobody")


@h.test()
def tickets_survive_reload():
    """A client holding a ticket from before a SIGHUP resumes after it, on
    the new generation's worker."""
    d = pki()
    with h.Superd("""
global: {workers: 1}
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
""" + tls_block()) as s:
        ctx = tk.client_ctx(d, maxv=ssl.TLSVersion.TLSv1_2)
        c = tk.tls_connect(ctx, s.port(0))
        c.sendall(b"x")
        h.eq(c.recv(1), b"x", "echo")
        sess = c.session
        c.close()
        h.check(sess is not None and sess.has_ticket, "a session ticket")
        old = s.wait_workers(1)[0]
        mark = s.log_mark()
        s.reload()
        s.wait_log(r"reloaded ", since=mark)
        h.wait_until(lambda: old not in s.workers() and s.workers() or None,
                     what="the old generation's worker gone")
        c = tk.tls_connect(ctx, s.port(0), session=sess)
        c.sendall(b"y")
        h.eq(c.recv(1), b"y", "echo after the reload")
        h.check(c.session_reused, "the ticket from before the reload resumed")
        c.close()


# ------------------------------------------------------------ bad clients


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


@h.test(backends=True)
def bad_clients_leave_nothing(backend):
    with h.Superd("""
global: {workers: 1}
services:
  web:
    module: http
    listen: "127.0.0.1:{port0}"
    options: {root: "{tmp}"}
""" + tls_block("\n      handshake_timeout: 1"), backend=backend) as s:
        worker = s.wait_workers(1)[0]
        # one whole request first: the worker has finished starting (its
        # module's descriptors are open), so the count is its steady one
        c = tk.tls_connect(tk.client_ctx(pki()), s.port(0))
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        tk.recv_until_eof(c)
        c.close()
        base = fd_count(worker)
        # silent: closed after handshake_timeout
        t0 = time.monotonic()
        c = h.connect("127.0.0.1", s.port(0))
        h.check(h.is_closed(c, timeout=5.0), "a silent client is closed")
        took = time.monotonic() - t0
        h.check(0.8 <= took <= 4.0 * h.TIME_SCALE, "closed after ~1 s (%.2fs)" % took)
        c.close()
        # garbage, a truncated ClientHello, a client vanishing mid-handshake
        for payload in (b"\x16\x03\x01\x00\x10" + os.urandom(16),
                        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                        b"\x00" * 100, os.urandom(300)):
            c = h.connect("127.0.0.1", s.port(0))
            c.sendall(payload)
            c.close()
        raw = socket.create_connection(("127.0.0.1", s.port(0)))
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = tk.client_ctx(pki()).wrap_bio(inc, out, server_hostname="localhost")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        raw.sendall(out.read())  # the ClientHello, then gone
        raw.close()
        # (the base may include the first request's connection, not yet
        # closed by the worker)
        h.wait_until(lambda: fd_count(worker) <= base, timeout=5.0,
                     what="the worker's fds back to at most %d" % base)
        # once per burst: one line, the rest counted
        lines = s.log_lines(r"TLS handshake refused")
        h.check(1 <= len(lines) <= 2, "refusals logged once per burst: %r" % lines)
        h.check(re.search(r"handshake timeout", lines[0]), "the reason: %r" % lines[0])
        # still serving
        c = tk.tls_connect(tk.client_ctx(pki()), s.port(0))
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        got = tk.recv_until_eof(c)
        h.check(re.match(rb"HTTP/1\.[01] 200", got), "still serving: %r" % got[:100])
        c.close()


def listeners_of(port):
    """{pid: command} of every process holding a socket that listens on
    port (more than the superd under test: another program shares it)."""
    inodes = h.listen_inodes(port)
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % d)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%s/fd/%s" % (d, fd))
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                try:
                    with open("/proc/%s/cmdline" % d, "rb") as f:
                        out[int(d)] = f.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    out[int(d)] = "?"
                break
    return out


def metrics_get(s, port):
    """GET /metrics on port; a connection reset or closed without an answer
    fails with what tells its cause: whether superd saw that client port,
    and which processes listen on the port."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    cport = None
    try:
        conn.connect()
        cport = conn.sock.getsockname()[1]
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        h.eq(r.status, 200, "/metrics status")
        return r.read().decode()
    except (ConnectionError, http.client.HTTPException) as e:
        h.fail("GET /metrics from 127.0.0.1:%s: %r; superd's lines for that client: "
               "%r; listening on %d: %r" % (cport, e, s.log_lines(r"127\.0\.0\.1:%s " % cport)
                                            if cport else [], port, listeners_of(port)))
    finally:
        conn.close()


@h.test()
def refused_handshakes_counted():
    """superd_connections_refused_total{reason="tls"} counts every refused
    handshake (the log says it once per burst)."""
    with h.Superd("""
global: {workers: 1}
services:
  metrics:
    module: metrics
    listen: "127.0.0.1:{port0}"
  echo:
    module: echo
    listen: "127.0.0.1:{port1}"
""" + tls_block()) as s:
        for _ in range(3):
            c = h.connect("127.0.0.1", s.port(1))
            c.sendall(b"not tls\r\n")
            h.check(h.is_closed(c, timeout=5.0 * h.TIME_SCALE),
                    "plaintext on the TLS port closed")
            c.close()
        seen = []

        def refused():
            m = re.search(r'^superd_connections_refused_total\{(?=[^}]*service="echo")'
                          r'(?=[^}]*reason="tls")[^}]*\} (\S+)$', metrics_get(s, s.port(0)),
                          re.M)
            seen.append(float(m.group(1)) if m else 0.0)
            return seen[-1] == 3
        h.wait_until(refused, what=lambda: "3 refusals counted (read: %s)" % seen)
        h.eq(len(s.log_lines(r"echo: .*TLS handshake refused")), 1, "logged once")


# The window of the refusal summary (REFUSAL_LOG_MS in core/run/conn_tls.c).
REFUSAL_WINDOW = 10.0


@h.test()
def refusal_summary_line():
    """After the first refused handshake of a burst (logged on its own
    line), the others are summed up by reason in one line when the 10 s
    window ends.  On one backend only: the summary is the loop's timer
    and core/run/refusals.c, the same code whatever the backend, and the
    window costs 10 s of waiting per run."""
    with h.Superd("""
global: {workers: 1}
services:
  web:
    module: http
    listen: "127.0.0.1:{port0}"
    options: {root: "{tmp}"}
""" + tls_block("\n      handshake_timeout: 1")) as s:
        mark = s.log_mark()
        port = s.port(0)

        def not_tls(payload=b"\x00not tls\r\n"):
            c = h.connect("127.0.0.1", port)
            c.sendall(payload)
            h.check(h.is_closed(c, timeout=5.0), "closed after %r" % payload)
            c.close()

        def plain_http():
            c = h.connect("127.0.0.1", port)
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            out = h.recv_all(c)
            c.close()
            h.check(out.startswith(b"HTTP/1.1 400 "), "the courtesy 400: %r" % out[:100])

        # the first of the burst: its own line at once
        t0 = time.monotonic()
        not_tls()
        first = s.wait_log(r"web: 127\.0\.0\.1:\d+ TLS handshake refused: "
                           r"not a TLS handshake$", since=mark)
        # the rest of the burst, well inside the window: counted, not logged
        silent = h.connect("127.0.0.1", port)
        for payload in (b"\x00" * 100, b"\x01\x02\x03", b"hello\r\n"):
            not_tls(payload)
        plain_http()
        plain_http()
        h.check(h.is_closed(silent, timeout=5.0), "a silent client is closed "
                "after handshake_timeout")
        silent.close()
        took = time.monotonic() - t0
        h.check(took < REFUSAL_WINDOW - 3, "the burst fits in the window (%.1fs)" % took)
        h.eq(s.log_lines(r"TLS handshake", since=mark), [first.string],
             "one line for the first refusal, nothing yet for the others")
        # then one summary when the window ends (polled, bounded)
        summary = s.wait_log(r"web: (\d+) more TLS handshakes? refused in this "
                             r"worker in the last (\d+) s: (.*)$",
                             timeout=REFUSAL_WINDOW + 5, since=mark)
        after = time.monotonic() - t0
        h.eq(summary.group(0), "web: 6 more TLS handshakes refused in this worker "
             "in the last 10 s: 3 not a TLS handshake, 2 plain HTTP request on the "
             "TLS port, 1 handshake timeout", "the summary, most frequent first")
        h.check(after >= REFUSAL_WINDOW - 1.5, "the summary waited for the window's "
                "end (%.1fs after the first refusal)" % after)
        h.eq(len(s.log_lines(r"TLS handshake", since=mark)), 2,
             "two lines for seven refusals: %r" % s.log_lines(r"TLS handshake", since=mark))


# ------------------------------------------------------------ kTLS


@h.test()
def ktls_or_fallback():
    try:
        ulps = open("/proc/sys/net/ipv4/tcp_available_ulp").read().split()
    except OSError:
        ulps = []
    with h.Superd("""
services:
  web:
    module: http
    listen: "127.0.0.1:{port0}"
    options: {root: "{tmp}"}
""" + tls_block(), files={"f.bin": "z" * 300000}) as s:
        if "tls" not in ulps:
            s.wait_log(r"TLS: the kernel has no tls ULP \(no kTLS\); files go out "
                       r"with pread \+ SSL_write")
            h.check(len(s.log_lines(r"TLS: ")) == 1, "said once")
            h.skip("this kernel has no tls ULP (/proc/sys/net/ipv4/"
                   "tcp_available_ulp: %r): the pread + SSL_write fallback is what "
                   "runs (tested by http_over_tls); the kTLS path is compiled, "
                   "not exercised" % " ".join(ulps))
        s.wait_log(r"TLS: kTLS available")
        r = curl(["--cacert", os.path.join(pki(), "ca.pem"), "--resolve",
                  "localhost:%d:127.0.0.1" % s.port(0),
                  "https://localhost:%d/f.bin" % s.port(0)])
        h.eq(r.stdout, b"z" * 300000, "a file with SSL_sendfile")


if __name__ == "__main__":
    h.main(timeout=600)
