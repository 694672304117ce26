#!/usr/bin/env python3
"""test_udp_logs.py - what UDP services log (issue 13.5): a debug line per
datagram, one info summary per service (datagrams, replies, drops by
reason) once a minute and at stop, summed over all workers; a denied
client's line reads the same for TCP, UDP and exec; the start-up line
counts only enabled services."""

import os
import re
import signal
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

UDP = """\
global: {log_level: debug, workers: 2}
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    protocol: udp
    allow: [127.0.0.1]
"""


@h.test(backends=True)
def udp_debug_line_and_summary(backend):
    with h.Superd(UDP, backend=backend, wait_tcp=[]) as s:
        s.wait_log(r"started: ")
        port = s.port(0)
        for i in range(5):
            h.eq(h.udp_exchange("127.0.0.1", port, b"hello"), b"hello", "echo reply")
        h.wait_until(lambda: len(s.log_lines(r"echo: 127\.0\.0\.1:\d+ datagram, in 5, "
                                             r"out 5 \(1 reply\)")) == 5,
                     what="5 debug lines, one per datagram")
        denied = 3
        for i in range(denied):  # not in allow: dropped (acl)
            h.eq(h.udp_exchange("127.0.0.1", port, b"no", timeout=0.2, source="127.0.0.2"),
                 None, "a denied datagram gets no reply")
        guard = 0
        if os.geteuid() == 0:  # a source port below 1024: the reflection guard
            h.eq(h.udp_exchange("127.0.0.1", port, b"no", timeout=0.2,
                                source=("127.0.0.1", 1000 + port % 20)), None, "guarded")
            guard = 1
        s.wait_log(r"echo: refused 127\.0\.0\.2 port \d+: denied by allow/deny")
        h.check(not s.log_lines(r"udp: \d+ datagrams"), "no summary before a minute")
        s.stop(signal.SIGTERM)
        lines = s.log_lines(r"echo: udp: \d+ datagrams")
        h.eq(len(lines), 1, "one summary line over both workers: %s" % lines)
        want = ("echo: udp: %d datagrams, 5 replies, %d dropped (acl %d, guard %d, rate 0)"
                % (5 + denied + guard, denied + guard, denied, guard))
        h.check(want in lines[0], "want %r in %r" % (want, lines[0]))


@h.test(backends=True)
def udp_rate_drops_are_counted(backend):
    cfg = UDP.replace("    allow: [127.0.0.1]\n", "    rate_per_source: 1\n")
    with h.Superd(cfg, backend=backend, wait_tcp=[]) as s:
        s.wait_log(r"started: ")
        got = [h.udp_exchange("127.0.0.1", s.port(0), b"x", timeout=0.3) for _ in range(4)]
        h.check(got.count(None) >= 1, "rate_per_source 1 should drop some of 4 quick datagrams")
        s.stop(signal.SIGTERM)
        rx = r"udp: 4 datagrams, (\d+) replies, (\d+) dropped \(acl 0, guard 0, rate (\d+)\)"
        lines = s.log_lines(rx)
        h.eq(len(lines), 1, "one summary line:\n%s" % s.log_tail())
        replies, dropped, rate = (int(x) for x in re.search(rx, lines[0]).groups())
        h.check(dropped >= 1 and rate == dropped and replies + dropped == 4,
                "the drops are counted by reason: %r" % lines[0])


@h.test(backends=True)
def denied_reason_reads_the_same_for_tcp_udp_and_exec(backend):
    cfg = """\
services:
  etcp:
    module: echo
    listen: "127.0.0.1:{port0}"
    deny: [127.0.0.2]
  eudp:
    module: echo
    listen: "127.0.0.1:{port0}"
    protocol: udp
    deny: [127.0.0.2]
  prog:
    module: exec
    listen: "127.0.0.1:{port1}"
    deny: [127.0.0.2]
    options: {argv: [/bin/cat]}
"""
    with h.Superd(cfg, backend=backend) as s:
        h.check(h.is_closed(h.connect("127.0.0.1", s.port(0), source="127.0.0.2")),
                "denied TCP client closed")
        h.udp_exchange("127.0.0.1", s.port(0), b"x", timeout=0.2, source="127.0.0.2")
        h.check(h.is_closed(h.connect("127.0.0.1", s.port(1), source="127.0.0.2")),
                "denied exec client closed")
        rx = r"(etcp|eudp|prog): refused 127\.0\.0\.2 port (\d+): denied by allow/deny"
        h.wait_until(lambda: len(s.log_lines(rx)) >= 3, what="three refusal lines")
        services = sorted(re.search(rx, l).group(1) for l in s.log_lines(rx))
        h.eq(services, ["etcp", "eudp", "prog"], "one line each for TCP, UDP and exec")


@h.test()
def startup_line_counts_enabled_services():
    cfg = """\
services:
  echo: {module: echo, listen: "127.0.0.1:{port0}"}
  off: {module: daytime, listen: "127.0.0.1:{port1}", enabled: false}
"""
    with h.Superd(cfg, udp_only=(1,)) as s:
        s.wait_log(r"started: 1 services,")
        mark = s.log_mark()
        s.reload()
        s.wait_log(r"reloaded .*: 1 services", since=mark)


if __name__ == "__main__":
    h.main(timeout=120)
