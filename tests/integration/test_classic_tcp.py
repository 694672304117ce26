#!/usr/bin/env python3
"""test_classic_tcp.py - echo, discard, chargen, daytime and time over TCP,
byte-exact to RFC 862/863/864/867/868, on 127.0.0.1 and ::1, on every event
backend; stalled clients delay nobody; the listen forms (bare port, service
name, host name, unix socket); SIGPIPE never costs a worker."""

import os
import re
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import (ECHO, DISCARD, CHARGEN, DAYTIME, TIME, HOSTS,  # noqa: E402
                     check_time_reply, check_daytime_reply, check_chargen_stream, binary_mib)

@h.test(backends=True)
def echo_one_mib_binary_then_half_close(backend):
    data = binary_mib()
    with h.classic(backend) as s:
        for host in HOSTS:
            got = h.tcp_exchange(host, s.port(ECHO), data, half_close=True, timeout=15)
            h.eq(got, data, "echo over %s" % host)


@h.test(backends=True)
def echo_small_pieces_and_empty(backend):
    with h.classic(backend) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(ECHO), b""), b"", "echo of nothing")
        c = h.connect("127.0.0.1", s.port(ECHO))
        try:
            for i in range(50):
                msg = b"%d\0line\r\n" % i
                c.sendall(msg)
                h.eq(h.recv_exact(c, len(msg)), msg, "echo round trip %d" % i)
            c.shutdown(socket.SHUT_WR)
            h.eq(h.recv_all(c), b"", "after half-close")
        finally:
            c.close()


def read_bytes_of(pids):
    """How many bytes the processes pids have read(2) (rchar of /proc/PID/io)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/io" % pid) as f:
                total += int(re.search(r"^rchar: (\d+)", f.read(), re.M).group(1))
        except FileNotFoundError:
            pass
        except PermissionError:
            h.skip("cannot read /proc/%d/io" % pid)
    return total


@h.test(backends=True)
def echo_bytes_stay_in_the_kernel(backend):
    """echo asks the core to send the bytes back (host->reflect), which
    splices them socket to pipe to socket: 8 MiB go through, come back
    exact, and the worker reads almost none of them into memory."""
    if not os.path.exists("/proc/self/io"):
        h.skip("no /proc/PID/io")
    data = os.urandom(8 << 20)
    with h.classic(backend, workers=1) as s:
        pids = s.wait_workers(1)
        before = read_bytes_of(pids)
        got = h.tcp_exchange("127.0.0.1", s.port(ECHO), data, half_close=True, timeout=30)
        h.check(got == data, "echo of 8 MiB came back exact (%d bytes)" % len(got))
        read = read_bytes_of(pids) - before
        h.check(read < len(data) // 4,
                "the worker read %d of the 8 MiB it echoed (spliced: ~0)" % read)


def server_rcvbuf(port, client):
    """The receive buffer (ss's skmem rb) of the server's end of client, a
    connection to port on 127.0.0.1."""
    cport = client.getsockname()[1]
    try:
        out = subprocess.run(["ss", "-tnmH", "state", "established",
                              "( sport = :%d and dport = :%d )" % (port, cport)],
                             capture_output=True, text=True, timeout=5).stdout
    except FileNotFoundError:
        h.skip("no ss (iproute2)")
    m = re.search(r"\brb(\d+)", out)
    h.check(m, "ss shows the server's socket: %r" % out)
    return int(m.group(1))


@h.test()
def echo_and_discard_keep_the_receive_queue_short():
    # A fixed, small receive buffer (twice 128 KiB as Linux reports it), not
    # autotuning up to tcp_rmem's maximum: a deep queue of cold bytes made
    # echo streaming three times slower from run to run (bench/README.md).
    with h.classic(None) as s:
        for svc in (ECHO, DISCARD):
            c = h.connect("127.0.0.1", s.port(svc))
            try:
                c.sendall(b"x" * 100000)
                if svc == ECHO:
                    h.recv_exact(c, 100000)
                # discard answers nothing: the worker may not have taken
                # the connection in (and set its buffer) yet
                h.wait_until(lambda: server_rcvbuf(s.port(svc), c) == 2 * 128 * 1024, 5,
                             what="a 2 x 128 KiB receive buffer on the server's socket "
                             "(service %d)" % svc)
            finally:
                c.close()


@h.test(backends=True)
def discard_sends_nothing(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            got = h.tcp_exchange(host, s.port(DISCARD), b"x\0" * 300000, timeout=10)
            h.eq(got, b"", "discard over %s" % host)


@h.test(backends=True)
def chargen_exact_rfc864(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            c = h.connect(host, s.port(CHARGEN))
            try:
                b = h.recv_exact(c, 2 * 1024 * 1024, timeout=10)
            finally:
                c.close()
            check_chargen_stream(b, "chargen over %s" % host)


@h.test(backends=True)
def chargen_ignores_input_and_goes_on(backend):
    with h.classic(backend) as s:
        c = h.connect("127.0.0.1", s.port(CHARGEN))
        try:
            c.sendall(b"some input\r\n" * 100)
            b = h.recv_exact(c, 100000)
            check_chargen_stream(b, "chargen with input")
        finally:
            c.close()


@h.test(backends=True)
def daytime_one_line_and_close(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            b = h.tcp_exchange(host, s.port(DAYTIME), b"", half_close=False)
            check_daytime_reply(b, "daytime over %s" % host)


@h.test(backends=True)
def time_four_bytes_within_two_seconds(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            b = h.tcp_exchange(host, s.port(TIME), b"", half_close=False)
            check_time_reply(b, "time over %s" % host)


@h.test(backends=True)
def answer_leaves_with_the_fin(backend):
    """daytime and time write their answer and close in on_open: the core
    sends the answer with the FIN in one segment (MSG_MORE, then the
    close), so the client receives the SYN-ACK and that one segment, not a
    lone FIN after the data.  The client sends nothing, so no ACK of its
    own data can come between."""
    with h.classic(backend) as s:
        for host in HOSTS:
            for port, check in ((DAYTIME, check_daytime_reply), (TIME, check_time_reply)):
                c = h.connect(host, s.port(port))
                check(h.recv_all(c), "answer over %s" % host)
                got = h.tcp_segments_in(c)
                c.close()
                h.eq(got, (2, 1), "segments received over %s (all, with data): the "
                     "SYN-ACK and the answer with its FIN" % host)


@h.test(backends=True)
def stalled_clients_delay_nobody(backend):
    # One worker, so a blocked loop would block everyone.
    with h.classic(backend, workers=1) as s:
        stalled = []
        try:
            for _ in range(3):
                c = h.connect("127.0.0.1", s.port(CHARGEN))
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                stalled.append(c)  # never read
            e = h.connect("127.0.0.1", s.port(ECHO))
            stalled.append(e)
            e.setblocking(False)
            sent = 0
            try:  # fill both directions: the worker cannot write back to us
                while sent < 64 << 20:
                    sent += e.send(b"\0" * 65536)
            except BlockingIOError:
                pass
            time.sleep(0.3)
            for i in range(20):
                t0 = time.monotonic()
                b = h.tcp_exchange("127.0.0.1", s.port(TIME), b"", half_close=False, timeout=2)
                check_time_reply(b, "time beside stalled clients")
                msg = b"ping %d" % i
                h.eq(h.tcp_exchange("::1", s.port(ECHO), msg, timeout=2), msg,
                     "echo beside stalled clients")
                h.eq(h.udp_exchange("127.0.0.1", s.port(ECHO), msg, timeout=2), msg,
                     "UDP echo beside stalled clients")
                took = time.monotonic() - t0
                h.check(took < 1.0, "a round beside stalled clients took %.2fs" % took)
        finally:
            for c in stalled:
                c.close()


@h.test(backends=True)
def reset_clients_cost_no_worker(backend):
    """A client that resets mid-stream (EPIPE/ECONNRESET for the server)
    must not kill a worker: SIGPIPE is ignored."""
    with h.classic(backend, workers=1) as s:
        before = s.wait_workers(1)
        for i in range(30):
            c = h.connect("127.0.0.1", s.port(CHARGEN if i % 2 else ECHO))
            if i % 2 == 0:
                c.sendall(b"z" * 200000)
            else:
                h.recv_exact(c, 1000)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        time.sleep(0.2)
        h.eq(h.tcp_exchange("127.0.0.1", s.port(ECHO), b"alive"), b"alive", "echo after resets")
        h.eq(s.workers(), before, "worker pids after resets (a worker died?)")
        h.check(s.alive(), "superd died")


@h.test(backends=True)
def many_sequential_connections(backend):
    with h.classic(backend) as s:
        for i in range(200):
            msg = b"n%d" % i
            h.eq(h.tcp_exchange("127.0.0.1", s.port(ECHO), msg, timeout=3), msg, "echo %d" % i)


@h.test(backends=True)
def listen_bare_port_is_dual_stack(backend):
    conf = """\
services:
  echo:
    module: echo
    listen: {port0}
"""
    with h.Superd(conf, backend=backend) as s:
        for host in ("127.0.0.1", "::1", "127.0.0.9"):
            h.eq(h.tcp_exchange(host, s.port(0), b"dual " + host.encode()),
                 b"dual " + host.encode(), "bare port reached over %s" % host)


def free_service_name():
    """A name from /etc/services whose TCP port is unprivileged and free."""
    try:
        with open("/etc/services") as f:
            lines = f.read().splitlines()
    except OSError:
        return None, None
    for ln in lines:
        m = re.match(r"^([a-z][\w-]*)\s+(\d+)/tcp\b", ln)
        if not m:
            continue
        port = int(m.group(2))
        if 1024 <= port < 32768 and h._port_is_free(port, ["tcp"]):
            try:
                if socket.getservbyname(m.group(1), "tcp") == port:
                    return m.group(1), port
            except OSError:
                continue
    return None, None


@h.test(backends=True, only=["epoll"])
def listen_service_name_and_host_name(backend):
    name, port = free_service_name()
    if name is None:
        h.skip("no free unprivileged port named in /etc/services")
    conf = """\
services:
  byname:
    module: echo
    listen: "127.0.0.1:%s"
  byhost:
    module: echo
    listen: "localhost:{port0}"
""" % name
    with h.Superd(conf, backend=backend, wait_tcp=[("127.0.0.1", port)]) as s:
        h.eq(h.tcp_exchange("127.0.0.1", port, b"by name"), b"by name",
             "service named %s (port %d)" % (name, port))
        h.wait_until(lambda: s._accepts("127.0.0.1", s.port(0)), 3, what="localhost listener")
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"by host"), b"by host",
             "listen on localhost")


@h.test(backends=True)
def listen_unix_socket(backend):
    conf = """\
services:
  echo:
    module: echo
    listen: "unix:{tmp}/echo.sock"
  daytime:
    module: daytime
    listen: "unix:{tmp}/daytime.sock"
"""
    with h.Superd(conf, backend=backend, wait_tcp=[]) as s:
        path = s.path("echo.sock")

        def accepts(p):
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                u.connect(p)
                return True
            except OSError:  # not there yet, or bound but not listening yet
                return False
            finally:
                u.close()
        for p in (path, s.path("daytime.sock")):
            h.wait_until(lambda: accepts(p), 5, what="a listener on " + p)

        def ask(p, data):
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.settimeout(5)
            u.connect(p)
            try:
                if data:
                    u.sendall(data)
                u.shutdown(socket.SHUT_WR)
                return h.recv_all(u)
            finally:
                u.close()
        data = binary_mib()[:50000]
        h.eq(ask(path, data), data, "echo over a unix socket")
        check_daytime_reply(ask(s.path("daytime.sock"), b""), "daytime over a unix socket")


if __name__ == "__main__":
    h.main(timeout=240)
