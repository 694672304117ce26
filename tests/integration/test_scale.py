#!/usr/bin/env python3
"""test_scale.py - many connections at once: with epoll (and poll), 5,000
simultaneous echo connections in one worker are all served; the select
backend refuses a connection whose fd would be >= FD_SETSIZE with a log
line, keeps serving the others, and does not crash."""

import os
import selectors
import socket
import sys
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

ONE_ECHO = """\
global:
  workers: 1
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
"""


def open_many(port, n, batch=400, timeout=20.0):
    """n connected non-blocking sockets to 127.0.0.1:port, opened in
    batches (so the listen queue does not overflow into SYN retries)."""
    socks = []
    end = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    try:
        while len(socks) < n:
            pending = []
            for _ in range(min(batch, n - len(socks))):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.setblocking(False)
                err = c.connect_ex(("127.0.0.1", port))
                if err not in (0, 115):  # EINPROGRESS
                    c.close()
                    h.fail("connect %d: %s" % (len(socks), os.strerror(err)))
                pending.append(c)
                sel.register(c, selectors.EVENT_WRITE)
            left = set(pending)
            while left:
                if time.monotonic() > end:
                    h.fail("only %d of %d connections established in %.0fs"
                           % (len(socks) + len(pending) - len(left), n, timeout))
                for key, _ in sel.select(1.0):
                    c = key.fileobj
                    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        h.fail("connection %d failed: %s" % (len(socks), os.strerror(err)))
                    sel.unregister(c)
                    left.discard(c)
            socks += pending
        return socks
    except BaseException:
        for c in socks:
            c.close()
        raise
    finally:
        sel.close()


def exchange_all(socks, timeout=30.0):
    """Send a distinct message on every socket at once, then collect the
    replies.  Returns (answered, closed, silent): lists of indexes."""
    msgs = [b"conn %06d\n" % i for i in range(len(socks))]
    closed = set()
    for i, c in enumerate(socks):
        try:
            c.send(msgs[i])
        except (BrokenPipeError, ConnectionResetError):
            closed.add(i)
    got = {i: b"" for i in range(len(socks)) if i not in closed}
    sel = selectors.DefaultSelector()
    for i in got:
        sel.register(socks[i], selectors.EVENT_READ, i)
    answered = set()
    end = time.monotonic() + timeout
    while len(answered) + len(closed) < len(socks) and time.monotonic() < end:
        for key, _ in sel.select(0.5):
            i = key.data
            try:
                b = socks[i].recv(100)
            except (ConnectionResetError, BlockingIOError) as e:
                if isinstance(e, BlockingIOError):
                    continue
                b = b""
            if not b:
                closed.add(i)
                sel.unregister(socks[i])
                continue
            got[i] += b
            if got[i] == msgs[i]:
                answered.add(i)
                sel.unregister(socks[i])
            elif not msgs[i].startswith(got[i]):
                h.fail("connection %d got someone else's bytes: %r" % (i, got[i]))
    sel.close()
    silent = [i for i in range(len(socks)) if i not in answered and i not in closed]
    return sorted(answered), sorted(closed), silent


def nofile_limits(pid):
    """(soft, hard) "Max open files" of pid, from /proc/PID/limits."""
    with open("/proc/%d/limits" % pid) as f:
        for ln in f:
            if ln.startswith("Max open files"):
                p = ln.split()
                return int(p[3]), int(p[4])
    h.fail("no Max open files in /proc/%d/limits" % pid)


def many_connections(backend, n):
    have = h.raise_nofile(n + 500)
    if have < n + 100:
        h.skip("RLIMIT_NOFILE is %d, need %d" % (have, n + 100))
    with h.Superd(ONE_ECHO, backend=backend) as s:
        soft, hard = nofile_limits(s.pid)
        h.eq(soft, hard, "superd's RLIMIT_NOFILE soft limit (raised to the hard one)")
        socks = open_many(s.port(0), n)
        try:
            answered, closed, silent = exchange_all(socks)
            h.check(len(answered) == n,
                    "%s: %d of %d connections answered (%d closed, %d silent; first closed %s)"
                    % (backend, len(answered), n, len(closed), len(silent), closed[:5]))
            # all still open: a second round on every one
            answered, closed, silent = exchange_all(socks)
            h.eq(len(answered), n, "%s: second round answered" % backend)
        finally:
            for c in socks:
                c.close()
        h.check(s.alive(), "superd died")
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"after"), b"after", "echo after the crowd")


@h.test(backends=True, only=["epoll"])
def five_thousand_echo_connections(backend):
    many_connections(backend, 5000)


@h.test(backends=True, only=["poll"])
def two_thousand_echo_connections(backend):
    many_connections(backend, 2000)


@h.test(backends=True, only=["select"])
def select_refuses_fd_past_fd_setsize(backend):
    n = 1200
    have = h.raise_nofile(n + 200)
    if have < n + 100:
        h.skip("RLIMIT_NOFILE is %d, need %d" % (have, n + 100))
    with h.Superd(ONE_ECHO, backend=backend) as s:
        worker = s.wait_workers(1)
        mark = s.log_mark()
        socks = open_many(s.port(0), n)
        try:
            answered, closed, silent = exchange_all(socks, timeout=15)
            h.eq(silent, [], "connections neither answered nor closed (hung)")
            h.check(s.alive(), "superd (master) died")
            h.check(len(answered) >= 900,
                    "only %d of %d answered: the first ~1000 should be" % (len(answered), n))
            h.check(closed, "no connection was refused: fds past FD_SETSIZE were used?")
            h.check(min(closed) >= 900, "an early connection was refused: %s" % closed[:5])
            s.wait_log(r"(?i)echo: .*(fd_setsize|beyond|too many|cannot watch|can't watch)",
                       since=mark, timeout=3)
            # ~200 refusals in one burst: one line, not one per connection.
            lines = s.log_lines(r"beyond what", since=mark)
            h.check(1 <= len(lines) <= 2,
                    "%d fd-limit lines for %d refusals (a log flood)" % (len(lines), len(closed)))
        finally:
            for c in socks:
                c.close()
        time.sleep(0.5)
        h.check(s.alive(), "superd died")
        h.eq(s.workers(), worker, "the worker (it must not crash)")
        for i in range(20):
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"again %d" % i), b"again %d" % i,
                 "echo once the crowd left")


if __name__ == "__main__":
    h.main(timeout=180)
