#!/usr/bin/env python3
"""test_controls.py - the service controls against the real superd: allow
and deny (IPv4, IPv6, IPv4 clients on a dual-stack socket), per_source,
max_connections exact across workers (service and global), the rate limit
that sheds and recovers, refusals logged once per burst, idle timeouts,
enabled: false, and for UDP: allow/deny, the per-source rate and the
reflection guard."""

import re
import socket
import threading
import time

import harness as h


def served(host, port, source=None, timeout=3.0):
    """Connect (from source), send a byte: the open socket if echo answered,
    None if the connection was refused (closed at once)."""
    try:
        c = h.connect(host, port, source=source, timeout=timeout)
    except OSError:
        return None
    try:
        c.sendall(b"x")
        b = c.recv(1)
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        b = b""
    if b == b"x":
        return c
    c.close()
    return None


def ok(host, port, source=None):
    c = served(host, port, source)
    if c:
        c.close()
    return c is not None


def echo_conf(extra, listen='"127.0.0.1:{port0}"', workers=2, proto="tcp"):
    return """
global: {workers: %d}
services:
  echo:
    module: echo
    listen: %s
    protocol: %s
%s
""" % (workers, listen, proto, extra)


@h.test(backends=True)
def allow_and_deny(backend):
    with h.Superd(echo_conf("""    allow: [127.0.0.0/8, "::1"]
    deny: [127.0.0.3, 127.0.0.64/26]""", listen='["127.0.0.1:{port0}", "[::1]:{port0}"]'),
            backend=backend) as s:
        p = s.port(0)
        h.check(ok("127.0.0.1", p, "127.0.0.2"), "127.0.0.2 is allowed")
        h.check(ok("::1", p), "::1 is allowed")
        h.check(not ok("127.0.0.1", p, "127.0.0.3"), "127.0.0.3 is denied")
        h.check(not ok("127.0.0.1", p, "127.0.0.100"), "127.0.0.100 is in a denied /26")
        h.check(ok("127.0.0.1", p, "127.0.0.128"), "127.0.0.128 is allowed")
        # The first of the burst is logged: which one depends on the workers.
        s.wait_log(r"echo: refused 127\.0\.0\.(3|100) port \d+: denied")


@h.test(backends=True)
def ipv4_client_on_dual_stack_matches_ipv4_rules(backend):
    with h.Superd(echo_conf("    allow: [127.0.0.2]", listen='"{port0}"'),
                  backend=backend) as s:
        p = s.port(0)
        h.check(ok("127.0.0.1", p, "127.0.0.2"), "127.0.0.2 (as ::ffff:127.0.0.2) allowed")
        h.check(not ok("127.0.0.1", p, "127.0.0.1"), "127.0.0.1 denied")
        h.check(not ok("::1", p), "::1 denied")


def refusals_reported(s):
    """(first-of-burst lines, refusals they and the summaries account for)."""
    firsts = s.log_lines(r"refused 127\.0\.0\.3 port")
    more = sum(int(m.group(1)) for m in
               (re.search(r"(\d+) more connections refused \(denied", l)
                for l in s.log_lines(r"more connections refused")) if m)
    return len(firsts), len(firsts) + more


@h.test(backends=True)
def refusals_logged_once_per_burst(backend):
    with h.Superd(echo_conf("    deny: [127.0.0.3]", workers=3), backend=backend) as s:
        p = s.port(0)
        for _ in range(30):
            h.check(not ok("127.0.0.1", p, "127.0.0.3"), "denied")
        h.wait_until(lambda: refusals_reported(s)[0] >= 1, 5,
                     what="the burst's first refusal logged")
        h.eq(refusals_reported(s)[0], 1, "one line for a burst of 30")
        time.sleep(1.2)  # the burst is over; the next refusal starts a new one
        h.check(not ok("127.0.0.1", p, "127.0.0.3"), "denied")
        # Every refusal is accounted for, in a handful of lines (a loaded
        # machine may split a burst where it paused for a second).
        h.wait_until(lambda: refusals_reported(s)[1] == 31, 5,
                     what="31 refusals reported: %s" % (refusals_reported(s),))
        firsts = refusals_reported(s)[0]
        h.check(2 <= firsts <= 4, "%d first-of-burst lines" % firsts)
        h.check(len(s.log_lines(r"echo: ")) < 12, "no log flood")


@h.test(backends=True)
def per_source_limit(backend):
    with h.Superd(echo_conf("    per_source: 2", workers=3), backend=backend) as s:
        p = s.port(0)
        s.settle()
        a = [served("127.0.0.1", p, "127.0.0.2") for _ in range(2)]
        h.check(all(a), "two from 127.0.0.2")
        h.check(not ok("127.0.0.1", p, "127.0.0.2"), "a third from 127.0.0.2 is refused")
        b = served("127.0.0.1", p, "127.0.0.3")
        h.check(b, "another address is not affected")
        a.pop().close()
        h.wait_until(lambda: ok("127.0.0.1", p, "127.0.0.2"), 3,
                     what="a slot back after a close")
        s.wait_log(r"per_source limit")
        for c in a + [b]:
            c.close()


def admitted_in_parallel(host, port, n):
    """Open n connections at once from threads; return the served sockets."""
    got, lock = [], threading.Lock()

    def one():
        c = served(host, port)
        if c:
            with lock:
                got.append(c)
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return got


@h.test(backends=True)
def max_connections_exact_across_workers(backend):
    with h.Superd(echo_conf("    max_connections: 5", workers=4), backend=backend) as s:
        s.settle()
        held = admitted_in_parallel("127.0.0.1", s.port(0), 40)
        h.eq(len(held), 5, "admitted at once by 4 workers")
        held.pop().close()
        h.wait_until(lambda: (lambda c: c and held.append(c) or c)(
            served("127.0.0.1", s.port(0))), 3, what="the freed slot")
        h.check(not ok("127.0.0.1", s.port(0)), "full again")
        for c in held:
            c.close()
        s.wait_log(r"echo: refused .*max_connections")


@h.test(backends=True)
def killed_worker_gives_its_slots_back(backend):
    import os
    import signal
    with h.Superd(echo_conf("    max_connections: 2\n    per_source: 2", workers=1),
                  backend=backend) as s:
        s.settle()
        held = [served("127.0.0.1", s.port(0)) for _ in range(2)]
        h.check(all(held), "two admitted")
        h.check(not ok("127.0.0.1", s.port(0)), "full")
        worker = s.wait_workers(1)[0]
        os.kill(worker, signal.SIGKILL)
        for c in held:
            c.close()
        h.wait_until(lambda: (lambda w: w and w[0] != worker)(s.workers()), 10,
                     what="a new worker")
        mark = s.log_mark()
        h.wait_until(lambda: ok("127.0.0.1", s.port(0)), 10, what="slots back")
        s.wait_conn_lines(1, since=mark)  # that probe's slot is given back too
        again = [c for c in (served("127.0.0.1", s.port(0)) for _ in range(2)) if c]
        h.eq(len(again), 2, "the dead worker's slots came back")
        for c in again:
            c.close()


@h.test(backends=True)
def global_max_connections(backend):
    with h.Superd("""
global: {workers: 3, max_connections: 4}
services:
  one: {module: echo, listen: "127.0.0.1:{port0}"}
  two: {module: echo, listen: "127.0.0.1:{port1}"}
""", backend=backend) as s:
        s.settle()
        held = [served("127.0.0.1", s.port(0)) for _ in range(2)]
        held += admitted_in_parallel("127.0.0.1", s.port(1), 10)
        h.eq(len([c for c in held if c]), 4, "whole-server limit")
        h.check(not ok("127.0.0.1", s.port(0)), "service one is refused too")
        s.wait_log(r"global max_connections")
        for c in held:
            if c:
                c.close()
        h.wait_until(lambda: ok("127.0.0.1", s.port(0)), 3, what="recovery")


@h.test(backends=True)
def rate_sheds_then_recovers(backend):
    with h.Superd(echo_conf("    rate: 5", workers=2), backend=backend) as s:
        time.sleep(1.2)  # the start-up probe's token is back
        p = s.port(0)
        t0 = time.monotonic()
        results = [ok("127.0.0.1", p) for _ in range(25)]
        took = time.monotonic() - t0
        admitted = sum(results)
        h.check(5 <= admitted <= 5 + int(took * 5) + 1,
                "admitted %d of 25 in %.2fs at rate 5" % (admitted, took))
        h.check(not results[-1], "shedding at the end of the burst")
        time.sleep(1.1)
        h.check(sum(ok("127.0.0.1", p) for _ in range(4)) == 4,
                "recovered: never disabled")
        h.check(len(s.log_lines(r"refused .*rate limit")) <= 2, "no log flood")


@h.test(backends=True)
def rate_per_source(backend):
    with h.Superd(echo_conf("    rate_per_source: 3", workers=2), backend=backend) as s:
        time.sleep(1.2)
        p = s.port(0)
        n = sum(ok("127.0.0.1", p, "127.0.0.2") for _ in range(12))
        h.check(3 <= n <= 5, "127.0.0.2 admitted %d of 12 at 3/s" % n)
        h.check(ok("127.0.0.1", p, "127.0.0.3"), "another source is not limited")
        s.wait_log(r"rate_per_source")


@h.test(backends=True)
def idle_timeout(backend):
    with h.Superd(echo_conf("    timeout: 1"), backend=backend) as s:
        busy = served("127.0.0.1", s.port(0))
        idle = served("127.0.0.1", s.port(0))
        t0 = time.monotonic()
        for _ in range(6):  # busy talks every 0.4 s for 2.4 s
            time.sleep(0.4)
            busy.sendall(b"y")
            h.eq(h.recv_exact(busy, 1), b"y", "busy connection kept")
        h.check(h.is_closed(idle, 0.5), "idle connection closed")
        h.check(time.monotonic() - t0 >= 0.9, "not before the timeout")
        busy.close()
        idle.close()


@h.test(backends=True)
def disabled_service_does_not_listen(backend):
    with h.Superd("""
services:
  on: {module: echo, listen: "127.0.0.1:{port0}"}
  off: {module: echo, listen: "127.0.0.1:{port1}", enabled: false}
""", backend=backend, udp_only=(1,)) as s:
        h.check(ok("127.0.0.1", s.port(0)), "the enabled one serves")
        try:
            socket.create_connection(("127.0.0.1", s.port(1)), timeout=2).close()
            h.fail("a disabled service accepted a connection")
        except ConnectionRefusedError:
            pass


@h.test(backends=True)
def udp_allow_deny_and_source_rate(backend):
    with h.Superd(echo_conf("""    allow: [127.0.0.0/8]
    deny: [127.0.0.3]
    rate_per_source: 5""", listen='["127.0.0.1:{port0}", "[::1]:{port0}"]', proto="udp"),
            backend=backend, udp_only=(0,)) as s:
        p = s.port(0)
        s.wait_log(r"info: started: ")
        h.eq(h.udp_exchange("127.0.0.1", p, b"a", source="127.0.0.2"), b"a", "allowed")
        h.eq(h.udp_exchange("127.0.0.1", p, b"b", source="127.0.0.3", timeout=0.5), None,
             "denied: no reply")
        h.eq(h.udp_exchange("::1", p, b"c", timeout=0.5), None, "::1 not allowed")
        u = h.udp_socket("127.0.0.1", source="127.0.0.4", timeout=0.3)
        for i in range(20):
            u.sendto(b"%d" % i, ("127.0.0.1", p))
        replies = 0
        try:
            while True:
                u.recvfrom(100)
                replies += 1
        except socket.timeout:
            pass
        u.close()
        h.check(4 <= replies <= 6, "per-source datagram rate: %d replies of 20" % replies)
        h.eq(h.udp_exchange("127.0.0.1", p, b"d", source="127.0.0.5"), b"d",
             "another source still answered")


@h.test(backends=True)
def udp_reflection_guard(backend):
    if not h.is_root():
        h.skip("binding a source port below 1024 needs root")
    with h.Superd(echo_conf("", proto="udp"), backend=backend, udp_only=(0,)) as s:
        p = s.port(0)
        s.wait_log(r"info: started: ")
        for low in (1023, 7, 19):
            try:
                r = h.udp_exchange("127.0.0.1", p, b"loop?", source=("127.0.0.9", low),
                                   timeout=0.5)
            except OSError:
                continue  # that port is busy here
            h.eq(r, None, "no reply to source port %d" % low)
        h.eq(h.udp_exchange("127.0.0.1", p, b"fine", source=("127.0.0.9", 0)), b"fine")
        s.wait_log(r"echo: refused 127\.0\.0\.9 port \d+: reflection guard")


if __name__ == "__main__":
    h.main(timeout=400)
