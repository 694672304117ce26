#!/usr/bin/env python3
"""test_logs.py - the log: one line per connection at info level naming
the service, the peer, the duration, bytes in and out and how it ended;
the line format; log_level filtering; `log: /path` writes to a file;
idle timeouts say so.  (syslog is not tested: no syslogd in CI.)"""

import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

CONF = """\
global:
  workers: 1
  log_level: {level}
services:
  echosvc:
    module: echo
    listen: ["127.0.0.1:{port0}", "[::1]:{port0}"]
    protocol: [tcp, udp]
  chargensvc:
    module: chargen
    listen: "127.0.0.1:{port1}"
  daytimesvc:
    module: daytime
    listen: "127.0.0.1:{port2}"
"""

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d) "
                  r"superd\[(\d+)\]: (?i:(error|warn|warning|info|debug)): ")


def conf(level="info"):
    return CONF.replace("{level}", level)


def from_port(host="127.0.0.1"):
    """A client socket bound to a free port on host, so its log line can be
    found by port."""
    return h.free_port("tcp")


def exchange_logged(s, host, service_port, data, source_port):
    return h.tcp_exchange(host, service_port, data, source=(host, source_port))


def conn_line(s, service, host, cport, since=0, timeout=5):
    """The log line of the connection from host:cport to service."""
    rx = r"%s.*%s.*\b%d\b" % (re.escape(service), re.escape(host), cport)
    return s.wait_log(rx, timeout=timeout, since=since).string


@h.test(backends=True)
def one_line_per_connection(backend):
    with h.Superd(conf(), backend=backend) as s:
        mark = s.log_mark()
        cport = from_port()
        data = b"\0" * 1234
        h.eq(exchange_logged(s, "127.0.0.1", s.port(0), data, cport), data, "echo")
        line = conn_line(s, "echosvc", "127.0.0.1", cport, since=mark)
        h.check(LINE.search(line), "line format 'TIME superd[PID]: LEVEL: ': %r" % line)
        h.check(re.search(r"(?i)\binfo\b", line), "a connection is logged at info: %r" % line)
        h.check(len(re.findall(r"\b1234\b", line)) >= 2,
                "bytes in and out (1234 each) in %r" % line)
        h.check(re.search(r"\d+(\.\d+)?\s*(s|ms|us|µs)\b", line),
                "a duration with its unit in %r" % line)
        h.check(re.search(r"(?i)\b(eof|clos\w*|end\w*|done|finished)\b", line),
                "how it ended in %r" % line)
        h.eq(len(s.log_lines(r"echosvc.*\b%d\b" % cport, since=mark)), 1,
             "number of lines for one connection")

        # IPv6 peer and the server closing first (daytime)
        cport6 = from_port()
        h.check(exchange_logged(s, "::1", s.port(0), b"six", cport6) == b"six", "echo over ::1")
        conn_line(s, "echosvc", "::1", cport6, since=mark)
        cport2 = from_port()
        b = h.tcp_exchange("127.0.0.1", s.port(2), b"", half_close=False,
                           source=("127.0.0.1", cport2))
        line = conn_line(s, "daytimesvc", "127.0.0.1", cport2, since=mark)
        h.check(re.search(r"\b%d\b" % len(b), line), "bytes out (%d) in %r" % (len(b), line))


@h.test(backends=True, only=["epoll"])
def reset_by_client_is_logged_as_such(backend):
    with h.Superd(conf(), backend=backend) as s:
        mark = s.log_mark()
        cport = from_port()
        c = h.connect("127.0.0.1", s.port(1), source=("127.0.0.1", cport))
        h.recv_exact(c, 10000)
        import struct
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        line = conn_line(s, "chargensvc", "127.0.0.1", cport, since=mark)
        h.check(re.search(r"(?i)reset|error|abort|EPIPE|broken|ECONNRESET", line),
                "a reset connection should say so: %r" % line)


@h.test(backends=True, only=["epoll"])
def log_level_warn_hides_connections(backend):
    with h.Superd(conf("warn"), backend=backend) as s:
        cport = from_port()
        exchange_logged(s, "127.0.0.1", s.port(0), b"quiet", cport)
        time.sleep(0.5)
        h.eq(s.log_lines(r"\b%d\b" % cport), [], "connection lines at log_level warn")
        h.eq([l for l in s.log_lines() if re.search(r"(?i): (info|debug): ", l)], [],
             "info/debug lines at log_level warn")


@h.test(backends=True, only=["epoll"])
def log_to_file(backend):
    text = conf().replace("global:\n", "global:\n  log: \"{tmp}/file.log\"\n")
    with h.Superd(text, backend=backend) as s:
        cport = from_port()
        exchange_logged(s, "127.0.0.1", s.port(0), b"to file", cport)
        path = s.path("file.log")

        def in_file():
            try:
                with open(path) as f:
                    return [l for l in f.read().splitlines()
                            if "echosvc" in l and re.search(r"\b%d\b" % cport, l)]
            except OSError:
                return None
        lines = h.wait_until(in_file, 5, what="the connection line in %s" % path)
        h.check(LINE.search(lines[0]), "line format in the file: %r" % lines[0])
        h.eq(s.log_lines(r"\b%d\b" % cport), [], "connection lines on stderr with log: FILE")


@h.test(backends=True, only=["epoll"])
def idle_timeout_is_logged(backend):
    text = conf().replace("    module: echo\n", "    module: echo\n    timeout: 1\n")
    with h.Superd(text, backend=backend) as s:
        mark = s.log_mark()
        cport = from_port()
        c = h.connect("127.0.0.1", s.port(0), source=("127.0.0.1", cport))
        try:
            t0 = time.monotonic()
            h.check(h.is_closed(c, 4), "an idle connection should be closed after timeout: 1")
            took = time.monotonic() - t0
            h.check(0.8 <= took <= 3, "closed after %.1fs (timeout: 1)" % took)
        finally:
            c.close()
        line = conn_line(s, "echosvc", "127.0.0.1", cport, since=mark)
        h.check(re.search(r"(?i)timeout|timed out|idle", line), "the end reason: %r" % line)


@h.test()
def log_to_syslog():
    h.skip("syslog is not tested: no syslog daemon to read it back from in CI")


@h.test(backends=True, only=["epoll"])
def startup_lines(backend):
    with h.Superd(conf(), backend=backend) as s:
        s.wait_workers(1)
        text = s.log_text()
        bad = [l for l in text.splitlines() if l and not LINE.search(l)]
        h.eq(bad, [], "log lines not in the 'TIME superd[PID]: LEVEL: ' format")


if __name__ == "__main__":
    h.main(timeout=120)
