#!/usr/bin/env python3
"""test_stop.py - stopping as load balancers and Kubernetes need it:
`global: shutdown_delay` keeps serving new connections for that long after
SIGTERM before the drain, `global: stop_timeout` bounds the drain, a second
signal stops at once (during the delay or the drain), and an idle server
stops at once."""

import signal
import socket
import time

import harness as h

CONF = """\
global:
  workers: 2
{extra}
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
"""


def conf(**kw):
    return CONF.replace("{extra}", "".join("  %s: %s\n" % kv for kv in kw.items()))


def echo_ok(port):
    try:
        return h.tcp_exchange("127.0.0.1", port, b"ping", timeout=2) == b"ping"
    except (OSError, AssertionError):
        return False


def refused(port):
    """A new connection is refused (no listener any more)."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        return True
    c.close()
    return False


def open_echo(port):
    c = h.connect("127.0.0.1", port)
    c.sendall(b"a")
    h.eq(h.recv_exact(c, 1), b"a", "echo on the open connection")
    return c


@h.test(backends=True)
def shutdown_delay_keeps_serving_then_drains(backend):
    with h.Superd(conf(shutdown_delay=2, stop_timeout=10), backend=backend,
                  stop_timeout=20) as s:
        c = open_echo(s.port(0))
        try:
            t0 = time.monotonic()
            s.signal(signal.SIGTERM)
            s.wait_log(r"still serving for 2 s \(shutdown_delay\)")
            # during the delay: new connections are still accepted and served
            n = 0
            while time.monotonic() - t0 < 1.2:
                h.check(echo_ok(s.port(0)), "a new connection %.2fs after SIGTERM "
                        "(shutdown_delay 2) was not served" % (time.monotonic() - t0))
                n += 1
            h.check(n >= 3, "only %d connections tried during the delay" % n)
            h.check(s.alive(), "superd exited during shutdown_delay")
            # after it: the listener is gone, the open connection still served
            h.wait_until(lambda: refused(s.port(0)), 4 * h.TIME_SCALE,
                         what="new connections refused after the delay")
            took = time.monotonic() - t0
            h.check(took >= 1.9, "the drain began %.2fs after SIGTERM, "
                    "before shutdown_delay (2s) was over" % took)
            c.sendall(b"b")
            h.eq(h.recv_exact(c, 1), b"b", "the open connection during the drain")
            c.shutdown(socket.SHUT_WR)
            h.eq(h.recv_all(c), b"", "the open connection finishes")
        finally:
            c.close()
        rc = s.wait_exit(timeout=3)
        h.eq(rc, 0, "exit status after the drain")
        s.stop()
        h.eq(s.leftovers, [], "processes left after the master exited")


@h.test(backends=True, only=["epoll", "select"])
def idle_server_with_delay_exits_when_the_delay_ends(backend):
    with h.Superd(conf(shutdown_delay=1), backend=backend) as s:
        s.wait_workers(2)
        rc = s.stop()
        h.eq(rc, 0, "exit status")
        h.check(s.stop_seconds is not None and 0.9 < s.stop_seconds < 1.6 * h.TIME_SCALE,
                "an idle server with shutdown_delay 1 stopped after %s s" % s.stop_seconds)


@h.test(backends=True)
def stop_timeout_bounds_the_drain(backend):
    with h.Superd(conf(stop_timeout=1), backend=backend) as s:
        c = open_echo(s.port(0))
        try:
            t0 = time.monotonic()
            s.signal(signal.SIGTERM)
            rc = s.wait_exit(timeout=6)
            took = time.monotonic() - t0
            h.check(rc is not None, "superd still running 6s after SIGTERM (stop_timeout 1)")
            h.eq(rc, 0, "exit status after the grace time")
            h.check(0.9 < took < 2.5 * h.TIME_SCALE,
                    "stop with an idle connection and stop_timeout 1 took %.2fs" % took)
            h.check(h.is_closed(c, 2), "the idle connection was left open")
            s.wait_log(r"grace time over: closing 1 connections")
        finally:
            c.close()
        s.stop()
        h.eq(s.leftovers, [], "processes left after the master exited")


@h.test(backends=True, only=["epoll"])
def stop_timeout_zero_closes_at_once(backend):
    with h.Superd(conf(stop_timeout=0), backend=backend) as s:
        c = open_echo(s.port(0))
        try:
            rc = s.stop()
            h.eq(rc, 0, "exit status")
            h.check(s.stop_seconds is not None and s.stop_seconds < 0.5 * h.TIME_SCALE,
                    "stop_timeout 0 with a connection open took %s s" % s.stop_seconds)
            h.check(h.is_closed(c, 2), "the connection was left open")
        finally:
            c.close()


def second_signal(backend, sig, **kw):
    with h.Superd(conf(**kw), backend=backend) as s:
        c = open_echo(s.port(0))
        try:
            s.signal(sig)
            s.wait_log(r"stopping \(")
            t0 = time.monotonic()
            s.signal(sig)
            rc = s.wait_exit(timeout=5)
            took = time.monotonic() - t0
            h.check(rc is not None, "superd still running 5s after a second %s" % sig.name)
            h.eq(rc, 0, "exit status after a second %s" % sig.name)
            h.check(took < 1.0 * h.TIME_SCALE, "a second %s took %.2fs" % (sig.name, took))
            h.check(h.is_closed(c, 2), "the connection was left open")
            s.wait_log(r"again: stopping now")
        finally:
            c.close()
        s.stop()
        h.eq(s.leftovers, [], "processes left after the master exited")


@h.test(backends=True, only=["epoll", "poll"])
def second_signal_during_the_delay_stops_at_once(backend):
    second_signal(backend, signal.SIGTERM, shutdown_delay=60, stop_timeout=60)


@h.test(backends=True, only=["epoll", "select"])
def second_signal_during_the_drain_stops_at_once(backend):
    second_signal(backend, signal.SIGINT, stop_timeout=60)


@h.test(backends=True)
def idle_server_stops_at_once(backend):
    # connections that came and went leave nothing that delays the stop
    with h.Superd(conf(), backend=backend) as s:
        s.wait_workers(2)
        for _ in range(5):
            h.check(echo_ok(s.port(0)), "echo before the stop")
        rc = s.stop()
        h.eq(rc, 0, "exit status of an idle server after SIGTERM")
        h.check(s.stop_seconds is not None and s.stop_seconds < 0.3 * h.TIME_SCALE,
                "an idle server took %s s to stop" % s.stop_seconds)
        h.eq(s.leftovers, [], "processes left after the master exited")


@h.test()
def bad_values_are_config_errors():
    for key, value, want in (("shutdown_delay", "-1", "shutdown_delay"),
                             ("stop_timeout", "soon", "stop_timeout"),
                             ("stop_timeout", "86401", "stop_timeout"),
                             ("shutdown_delay", "[1]", "shutdown_delay")):
        r, path = h.check_config(conf(**{key: value}))
        h.eq(r.returncode, 1, "superd -t with %s: %s" % (key, value))
        h.check(r.stderr.startswith(path + ":3:") and want in r.stderr,
                "the error for %s: %s names FILE:3:COL and the key: %r"
                % (key, value, r.stderr))
    r, path = h.check_config(conf(shutdown_delay=5, stop_timeout=0))
    h.eq(r.returncode, 0, "superd -t with both keys set (%s)" % r.stderr)


if __name__ == "__main__":
    h.main(timeout=150)
