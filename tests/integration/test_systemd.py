"""test_systemd.py - superd under systemd's protocols, without systemd:
readiness over NOTIFY_SOCKET (Type=notify) from a socket this test binds,
and socket activation through systemd-socket-activate(1), which binds the
listening sockets and execs superd with LISTEN_FDS/LISTEN_PID set.
"""

import os
import shutil
import signal
import socket
import time

import harness as h

SSA = shutil.which("systemd-socket-activate")


class Manager:
    """A stand-in for systemd's notification socket: an AF_UNIX datagram
    socket in dir; messages() collects what superd sent."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.got = []

    def wait_for(self, line, timeout=10.0):
        """Wait until a datagram holding line (one KEY=VALUE) arrives."""
        end = time.monotonic() + timeout * h.TIME_SCALE
        while True:
            if any(line in m.split("\n") for m in self.got):
                return
            left = end - time.monotonic()
            if left <= 0:
                h.fail("no %r on NOTIFY_SOCKET within %.0fs (got %r)" % (line, timeout, self.got))
            self.sock.settimeout(left)
            try:
                self.got.append(self.sock.recv(4096).decode("utf-8", "replace"))
            except socket.timeout:
                pass

    def close(self):
        self.sock.close()


ECHO = """
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    protocol: %s
"""


@h.test(backends=True)
def ready_is_sent_once_serving(backend):
    s = h.Superd(ECHO % "tcp", backend=backend)
    m = Manager(s.tmp)
    s.env = {"NOTIFY_SOCKET": m.path}
    try:
        with s:
            m.wait_for("READY=1")
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"ready?"), b"ready?")
    finally:
        m.close()


@h.test()
def abstract_notify_socket_works():
    s = h.Superd(ECHO % "tcp")
    name = "superd-test-%d-%d" % (os.getpid(), s.port(0))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(10 * h.TIME_SCALE)
    s.env = {"NOTIFY_SOCKET": "@" + name}
    try:
        with s:
            h.check(b"READY=1" in sock.recv(4096).split(b"\n"), "no READY=1")
    finally:
        sock.close()


@h.test()
def reload_and_stop_are_announced():
    s = h.Superd(ECHO % "tcp")
    m = Manager(s.tmp)
    s.env = {"NOTIFY_SOCKET": m.path}
    try:
        with s:
            m.wait_for("READY=1")
            m.got.clear()
            s.reload()
            m.wait_for("RELOADING=1")
            m.wait_for("READY=1")
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"after"), b"after")
        m.wait_for("STOPPING=1", timeout=2)
    finally:
        m.close()


def activated(config, listen, datagram=False, **kw):
    """A Superd started by systemd-socket-activate, which binds each
    "HOST:PORT" of listen, waits for the first connection or datagram (as
    systemd does), then execs superd with LISTEN_FDS/LISTEN_PID set.  It
    passes on only the environment named with -E."""
    if SSA is None:
        h.skip("systemd-socket-activate is not installed")
    s = h.Superd(config, **kw)
    wrapper = s.path("activate.sh")
    ports = {"port%d" % i: p for i, p in enumerate(s.ports)}
    args = " ".join("-l %s" % a.format(**ports) for a in listen)
    env = " ".join("-E %s" % v for v in ("SUPERD_MODULE_PATH", "SUPERD_EVENT_BACKEND",
                                          "NOTIFY_SOCKET", "ASAN_OPTIONS", "UBSAN_OPTIONS"))
    h.write_file(wrapper, "#!/bin/sh\nexec %s %s %s %s %s \"$@\"\n"
                 % (SSA, "--datagram" if datagram else "", env, args, h.SUPERD_BIN), 0o755)
    s.superd_bin = wrapper
    return s


def start_activated(s, proto="tcp"):
    """Start s through its wrapper (the harness runs SUPERD_BIN) and wait
    until systemd-socket-activate has bound port 0."""
    saved = h.SUPERD_BIN
    h.SUPERD_BIN = s.superd_bin
    try:
        s.start()
    finally:
        h.SUPERD_BIN = saved
    h.wait_until(lambda: h.listen_inodes(s.port(0), proto), 5,
                 what="systemd-socket-activate to listen")
    return s


def fd_inode(pid, fd):
    target = os.readlink("/proc/%d/fd/%d" % (pid, fd))
    h.check(target.startswith("socket:["), "fd %d of %d is %s" % (fd, pid, target))
    return int(target[8:-1])


@h.test(backends=True)
def passed_tcp_socket_is_served(backend):
    unused = h.free_port("tcp")
    s = activated(ECHO % "tcp", ["127.0.0.1:{port0}", "127.0.0.1:%d" % unused],
                  backend=backend, wait_tcp=[])
    m = Manager(s.tmp)
    s.env = {"NOTIFY_SOCKET": m.path}
    try:
        start_activated(s)
        try:
            # The first connection makes systemd-socket-activate start superd.
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"activated", timeout=10),
                 b"activated")
            m.wait_for("READY=1")
            # The listener is the passed fd 3, not a socket superd bound.
            h.check(fd_inode(s.pid, 3) in h.listen_inodes(s.port(0), "tcp"),
                    "port %d is not served by the passed socket" % s.port(0))
            # The second passed socket matches no service: closed, logged.
            s.wait_log(r"fd 4 .*no listen address")
            h.wait_until(lambda: not h.listen_inodes(unused, "tcp"), 5,
                         what="the unused passed socket to close")
        finally:
            s.stop()
    finally:
        m.close()


@h.test()
def passed_udp_socket_is_served():
    s = activated(ECHO % "udp", ["127.0.0.1:{port0}"], datagram=True, wait_tcp=[])
    start_activated(s, "udp")
    try:
        got = h.wait_until(lambda: h.udp_exchange("127.0.0.1", s.port(0), b"dgram", timeout=0.5),
                           10, what="a UDP echo through the passed socket")
        h.eq(got, b"dgram")
        h.check(fd_inode(s.pid, 3) in h.listen_inodes(s.port(0), "udp"),
                "port %d is not served by the passed socket" % s.port(0))
    finally:
        s.stop()


@h.test()
def sockets_for_another_pid_are_ignored():
    # LISTEN_PID names another process: superd binds its own sockets.
    with h.Superd(ECHO % "tcp", env={"LISTEN_PID": "1", "LISTEN_FDS": "1"}) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"own"), b"own")


if __name__ == "__main__":
    h.main(timeout=240)
