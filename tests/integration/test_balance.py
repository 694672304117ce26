#!/usr/bin/env python3
"""test_balance.py - worker balance: each worker accepts from its own
SO_REUSEPORT socket, so a burst of connections is spread over the workers
(one shared socket sent almost all of a burst to one worker); the group of
sockets stays the same across reloads (a socket closed with connections in
its queue would reset them), a dead worker's queue waits for its
replacement, another process on the port is still an error, and
SUPERD_REUSEPORT=0 goes back to one shared socket."""

import os
import re
import signal
import socket
import threading
import time

import harness as h

CONF = """\
global:
  workers: {workers}
services:
  daytime:
    module: daytime
    listen: "127.0.0.1:{port0}"
"""


def conf(workers):
    return CONF.replace("{workers}", str(workers))


def burst(port, n):
    """Open n connections before reading any, then read each answer; the
    number that got a daytime line."""
    socks = [h.connect("127.0.0.1", port) for _ in range(n)]
    ok = 0
    for s in socks:
        try:
            if h.recv_all(s, timeout=5).endswith(b"\r\n"):
                ok += 1
        finally:
            s.close()
    return ok


def per_worker(s, since=0):
    """Connection lines per worker pid (the text line's superd[PID])."""
    counts = {}
    for line in s.log_lines(r"daytime: 127\.0\.0\.1:\d+ ", since=since):
        pid = int(re.search(r"superd\[(\d+)\]", line).group(1))
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def wait_lines(s, n, since=0):
    h.wait_until(lambda: sum(per_worker(s, since).values()) >= n, 5,
                 what="%d connection lines" % n)
    return per_worker(s, since)


def listen_sockets_of(pid, port):
    return h.socket_inodes(pid) & h.listen_inodes(port)


@h.test(backends=True)
def a_burst_is_spread_over_the_workers(backend):
    with h.Superd(conf(2), backend=backend) as s:
        workers = s.wait_workers(2)
        mark = s.log_mark()
        h.eq(burst(s.port(0), 200), 200, "answered connections of the burst")
        counts = wait_lines(s, 200, mark)
        print("  (200 connections over 2 workers: %s)" % sorted(counts.values()))
        h.eq(sorted(counts), sorted(workers), "workers that served the burst")
        h.check(min(counts.values()) >= 50,
                "a worker served only %d of 200 connections" % min(counts.values()))


@h.test(backends=True, only=["epoll"])
def each_worker_has_its_own_socket(backend):
    with h.Superd(conf(3), backend=backend) as s:
        workers = s.wait_workers(3)
        group = h.listen_inodes(s.port(0))
        h.eq(len(group), 3, "listening sockets on the port with 3 workers")
        mine = [listen_sockets_of(w, s.port(0)) for w in workers]
        h.eq(sorted(len(m) for m in mine), [1, 1, 1], "listening sockets per worker")
        h.eq(set().union(*mine), group, "the workers' sockets")


@h.test(backends=True, only=["epoll", "select"])
def reloads_keep_the_group_and_reset_nothing(backend):
    with h.Superd(conf(2), backend=backend) as s:
        s.wait_workers(2)
        group = h.listen_inodes(s.port(0))
        h.eq(len(group), 2, "listening sockets with 2 workers")
        stop, errors, served = threading.Event(), [], [0]

        def client():
            while not stop.is_set():
                try:
                    if burst(s.port(0), 10) != 10:
                        errors.append("a connection got no answer")
                    served[0] += 10
                except (OSError, AssertionError) as e:
                    errors.append(repr(e))
        t = threading.Thread(target=client)
        t.start()
        try:
            for workers in (1, 3, 2):
                mark = s.log_mark()
                s.reload(conf(workers))
                s.wait_log(r"reloaded ", since=mark)
                h.wait_until(lambda: len(s.workers()) == workers, 10,
                             what="%d workers" % workers)
                time.sleep(0.2)  # let the client run against this generation
        finally:
            stop.set()
            t.join(20)
        h.eq(errors[:3], [], "connections across reloads")
        h.check(served[0] >= 30, "only %d connections during the reloads" % served[0])
        # the two first sockets were never closed; a third joined for 3 workers
        now = h.listen_inodes(s.port(0))
        h.check(group <= now and len(now) == 3,
                "the group after reloads to 1, 3, 2 workers: %s, was %s" % (now, group))
        workers = s.workers()
        h.eq(sorted(len(listen_sockets_of(w, s.port(0))) for w in workers), [1, 2],
             "sockets per worker (3 sockets, 2 workers)")
        mark = s.log_mark()
        h.eq(burst(s.port(0), 60), 60, "answered after the reloads")
        h.eq(len(wait_lines(s, 60, mark)), 2, "workers serving after the reloads")


@h.test(backends=True, only=["epoll", "poll"])
def a_dead_workers_queue_waits_for_its_replacement(backend):
    with h.Superd(conf(2), backend=backend) as s:
        victim = s.wait_workers(2)[0]
        os.kill(victim, signal.SIGKILL)
        # at once, while the slot is empty: half of these hash to its socket
        h.eq(burst(s.port(0), 40), 40, "connections made while a worker was replaced")
        s.wait_log(r"worker %d died" % victim)


@h.test()
def a_port_in_use_is_still_an_error():
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    port = h.free_port("tcp")
    holder.bind(("127.0.0.1", port))
    holder.listen(5)
    try:
        path = h.config_file(conf(2).replace("{port0}", str(port)))
        r = h.run_superd("-f", path, timeout=10)
        h.eq(r.returncode, 1, "superd on a port another socket listens on")
        h.check("Address already in use" in r.stderr, "the error: %r" % r.stderr)
    finally:
        holder.close()


@h.test(backends=True, only=["epoll"])
def reuseport_can_be_turned_off(backend):
    with h.Superd(conf(2), backend=backend, env={"SUPERD_REUSEPORT": "0"}) as s:
        workers = s.wait_workers(2)
        h.eq(len(h.listen_inodes(s.port(0))), 1, "listening sockets")
        for w in workers:
            h.eq(len(listen_sockets_of(w, s.port(0))), 1, "the shared socket in %d" % w)
        h.eq(burst(s.port(0), 20), 20, "answered with one shared socket")


if __name__ == "__main__":
    h.main(timeout=120)
