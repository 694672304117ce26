#!/usr/bin/env python3
"""test_proxy.py - PROXY protocol v1/v2 (`proxy_protocol:`) against the real
superd: the header's addresses become the peer for exec's environment, a
blocking serve() module, the log line and allow/deny; bytes after the header
reach the module intact; v2 LOCAL keeps the real addresses; untrusted
sources are never parsed; malformed, missing and late headers are refused
(logged, reason `proxy`); UNIX listeners; and a real HAProxy in front with
`send-proxy` and `send-proxy-v2`."""

import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import harness as h

ENV_SCRIPT = """#!/bin/sh
echo "R=$TCPREMOTEIP:$TCPREMOTEPORT L=$TCPLOCALIP:$TCPLOCALPORT A=$REMOTE_ADDR"
cat
"""

# A blocking-style module: prints what serve() was told, then echoes a line.
SERVE_MODULE = r"""
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <superd/module.h>

static int serve(int fd, const struct superd_peer *p, void *inst)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "R=%s:%u L=%s:%u\n", p->remote_ip,
	                 p->remote_port, p->local_ip, p->local_port);
	ssize_t r;

	(void)inst;
	if (write(fd, buf, (size_t)n) != n)
		return 1;
	r = read(fd, buf, sizeof(buf));
	if (r > 0 && write(fd, buf, (size_t)r) != r)
		return 1;
	return 0;
}

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER, .name = "pserve", .version = "1",
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UNIX, .serve = serve,
};
"""

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(src, sport, dst, dport, local=False, tlvs=b""):
    """A PROXY v2 header for IPv4 addresses (LOCAL: no addresses)."""
    if local:
        return SIG + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    body = (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack("!HH", sport, dport) + tlvs)
    return SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


def exchange(port, data, source="127.0.0.1", host="127.0.0.1", family=None):
    """Send data (then half-close), return everything sent back."""
    if host.startswith("/"):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(5)
        c.connect(host)
    else:
        c = h.connect(host, port, source=source)
    try:
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # refused: the server may close before we are done
    out = h.recv_all(c)
    c.close()
    return out


def exec_conf(trusted, extra=""):
    return """
services:
  env:
    module: exec
    listen: "127.0.0.1:{port0}"
    proxy_protocol: %s
%s    options: {argv: ["{tmp}/env.sh"]}
""" % (trusted, extra)


def start_exec(backend, trusted="[127.0.0.2/32]", extra=""):
    s = h.Superd(exec_conf(trusted, extra), backend=backend,
                 files={"env.sh": ENV_SCRIPT})
    os.chmod(s.path("env.sh"), 0o755)
    return s


@h.test(backends=True)
def v1_and_v2_become_the_peer(backend):
    with start_exec(backend) as s:
        out = exchange(s.port(0), b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 443\r\nhi\n",
                       source="127.0.0.2")
        h.eq(out, b"R=192.0.2.7:40000 L=198.51.100.1:443 A=192.0.2.7\nhi\n", "v1")
        tlv = b"\x04\x00\x05nopad" + b"\x01\x00\x02h2"
        out = exchange(s.port(0), v2("203.0.113.9", 5555, "10.9.8.7", 8080, tlvs=tlv) +
                       b"payload", source="127.0.0.2")
        h.eq(out, b"R=203.0.113.9:5555 L=10.9.8.7:8080 A=203.0.113.9\npayload", "v2")
        s.wait_log(r"env: 203\.0\.113\.9:5555 ")
        # v2 LOCAL (a balancer's health check): the real addresses stay.
        out = exchange(s.port(0), v2(None, 0, None, 0, local=True) + b"x",
                       source="127.0.0.2")
        h.check(out.startswith(b"R=127.0.0.2:") and out.endswith(b"\nx"),
                "LOCAL kept the real peer: %r" % out)
        # An untrusted source: nothing is parsed, the header is data.
        line = b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 443\r\n"
        out = exchange(s.port(0), line, source="127.0.0.1")
        h.check(out.startswith(b"R=127.0.0.1:") and out.endswith(line),
                "untrusted source served as itself: %r" % out)


@h.test(backends=True)
def bad_headers_are_refused(backend):
    with start_exec(backend) as s:
        for bad in (b"GET / HTTP/1.0\r\n\r\n", b"PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n",
                    SIG + b"\x31\x11\x00\x0c" + b"\0" * 12, b"PROXY TCP4 " + b"1" * 200):
            out = exchange(s.port(0), bad, source="127.0.0.2")
            h.eq(out, b"", "nothing served for %r" % bad[:20])
        s.wait_log(r"env: refused 127\.0\.0\.2 port \d+: no valid PROXY header")
        # An early close is refused the same way, and nothing was run.
        h.eq(exchange(s.port(0), b"PROXY ", source="127.0.0.2"), b"", "early close")
        h.eq(s.log_lines(r"env: 127\.0\.0\.2:\d+ exit "), [], "no program ran")


@h.test()
def late_header_is_refused():
    with start_exec(None) as s:
        c = h.connect("127.0.0.1", s.port(0), source="127.0.0.2")
        c.sendall(b"PROXY TCP4 ")
        t0 = time.monotonic()
        h.check(h.is_closed(c, timeout=8), "closed after the deadline")
        took = time.monotonic() - t0
        c.close()
        h.check(4.0 <= took <= 7.5, "closed after %.1f s, not about 5" % took)
        s.wait_log(r"refused 127\.0\.0\.2 port \d+: no valid PROXY header")


@h.test(backends=True)
def rules_apply_to_the_header_address(backend):
    extra = "    deny: [192.0.2.0/24]\n    per_source: 1\n"
    with start_exec(backend, extra=extra) as s:
        out = exchange(s.port(0), b"PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\n",
                       source="127.0.0.2")
        h.eq(out, b"", "denied by the header's address")
        s.wait_log(r"refused 192\.0\.2\.1 port 1: denied")
        # per_source counts the header's client: one open, the next refused.
        c = h.connect("127.0.0.1", s.port(0), source="127.0.0.2")
        c.sendall(b"PROXY TCP4 198.51.100.5 127.0.0.1 7 8\r\n")
        h.check(h.recv_exact(c, 5) == b"R=198", "first connection served")
        out = exchange(s.port(0), b"PROXY TCP4 198.51.100.5 127.0.0.1 9 8\r\n",
                       source="127.0.0.2")
        h.eq(out, b"", "second from the same client refused")
        out = exchange(s.port(0), b"PROXY TCP4 198.51.100.6 127.0.0.1 9 8\r\n",
                       source="127.0.0.2")
        h.check(out.startswith(b"R=198.51.100.6:9"), "another client served: %r" % out)
        c.close()


def build_serve_module(tmp):
    cc = os.environ.get("CC") or "cc"
    src = os.path.join(tmp, "pserve.c")
    with open(src, "w") as f:
        f.write(SERVE_MODULE)
    so = os.path.join(tmp, "pserve.so")
    inc = os.path.join(h.TOP_SRCDIR, "include")
    r = subprocess.run(cc.split() + ["-shared", "-fPIC", "-I", inc, "-o", so, src],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        h.fail("cannot build the test module: %s" % r.stderr)
    return so


@h.test(backends=True)
def blocking_module_and_unix_listener(backend):
    tmp = tempfile.mkdtemp(prefix="superd-pserve-")
    h._temp_dirs.append(tmp)
    so = build_serve_module(tmp)
    with h.Superd("""
services:
  tcp:
    module: %s
    listen: "127.0.0.1:{port0}"
    proxy_protocol: [127.0.0.0/8]
  unix:
    module: %s
    listen: "unix:{tmp}/p.sock"
    proxy_protocol: [0.0.0.0/0]
""" % (so, so), backend=backend) as s:
        out = exchange(s.port(0), b"PROXY TCP6 2001:db8::1 2001:db8::2 1000 80\r\nabc")
        h.eq(out, b"R=2001:db8::1:1000 L=2001:db8::2:80\nabc", "serve() peer")
        path = s.path("p.sock")
        h.wait_until(lambda: os.path.exists(path), what="unix socket")
        out = exchange(0, v2("192.0.2.44", 4444, "192.0.2.1", 25) + b"u", host=path)
        h.eq(out, b"R=192.0.2.44:4444 L=192.0.2.1:25\nu", "unix listener")
        h.eq(exchange(0, b"no header\n", host=path), b"", "unix: header required")


def _pdeathsig():
    """In the child: die with the test (SIGKILL when its parent goes)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    os.setsid()


def haproxy(tmp, front, back, mode):
    cfg = os.path.join(tmp, "haproxy-%s.cfg" % mode)
    with open(cfg, "w") as f:
        f.write("""global
    maxconn 100
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    server s1 127.0.0.1:%d %s
""" % (front, back, mode))
    p = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=_pdeathsig)
    return p


@h.test(backends=True)
def behind_haproxy(backend):
    if shutil.which("haproxy") is None:
        h.skip("haproxy not installed")
    with start_exec(backend, trusted="[127.0.0.1/32]") as s:
        for mode in ("send-proxy", "send-proxy-v2"):
            front = h.free_port("tcp")
            p = haproxy(s.tmp, front, s.port(0), mode)
            try:
                h.wait_until(lambda: p.poll() is not None or
                             h.Superd._accepts("127.0.0.1", front), timeout=10,
                             what="haproxy listening")
                if p.poll() is not None:
                    h.fail("haproxy exited: %s" % p.stderr.read())
                c = h.connect("127.0.0.1", front, source="127.0.0.3")
                cport = c.getsockname()[1]
                c.sendall(b"through\n")
                c.shutdown(socket.SHUT_WR)
                out = h.recv_all(c)
                c.close()
                want = b"R=127.0.0.3:%d L=127.0.0.1:%d A=127.0.0.3\nthrough\n" % (cport, front)
                h.eq(out, want, mode)
                s.wait_log(r"env: 127\.0\.0\.3:%d " % cport)
            finally:
                p.kill()
                p.wait(5)
                p.stderr.close()


if __name__ == "__main__":
    h.main(timeout=240)
