#!/usr/bin/env python3
"""test_logs_json.py - `global: log_format: json`: every line superd writes
during a run (start, connections of event, exec and UDP services, a
program's stderr carrying any bytes a client sent, a reload, the stop) is
one JSON object, parsed here with a strict JSON parser; connection lines
carry service, remote, remote_port, outcome, duration, in and out with the
right types and values."""

import json
import re
import socket

import harness as h

CONF = """\
global:
  workers: 1
  log_format: json
services:
  echo:
    module: echo
    listen: ["127.0.0.1:{port0}", "[::1]:{port0}"]
  tee:
    module: exec
    listen: "127.0.0.1:{port1}"
    options:
      argv: [/bin/sh, -c, "cat >&2; printf done"]
"""

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
# every byte value, then malformed UTF-8 of each kind, then valid UTF-8
NASTY = (bytes(range(256)) + b"\n\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82"
         + b"\"}\\u0000\n" + "caf\u00e9 \u20ac \U0001f600".encode())


def parse_log(path):
    """Every line of the log file as a dict; fails on any line that is not
    a JSON object in strict UTF-8."""
    with open(path, "rb") as f:
        raw = f.read()
    h.check(raw.endswith(b"\n"), "the log does not end with a newline")
    out = []
    for n, line in enumerate(raw.split(b"\n")[:-1], 1):
        try:
            obj = json.loads(line.decode("utf-8", "strict"))
        except (UnicodeDecodeError, ValueError) as e:
            h.fail("log line %d is not JSON (%s): %r" % (n, e, line[:300]))
        h.check(isinstance(obj, dict), "log line %d is not an object: %r" % (n, line))
        h.check(RFC3339_UTC.match(obj.get("time", "")),
                "line %d: time is not RFC 3339 UTC: %r" % (n, obj.get("time")))
        h.check(obj.get("level") in ("error", "warn", "info", "debug"),
                "line %d: level %r" % (n, obj.get("level")))
        h.check(isinstance(obj.get("msg"), str), "line %d: no msg" % n)
        out.append(obj)
    return out


def conn_lines(objs, service):
    return [o for o in objs if o.get("service") == service and "outcome" in o]


def check_conn(o, remote, sent, got):
    for key, kind in (("remote", str), ("remote_port", int), ("outcome", str),
                      ("duration", (int, float)), ("in", int), ("out", int)):
        h.check(isinstance(o.get(key), kind), "%s: %r in %r" % (key, o.get(key), o))
    h.eq(o["remote"], remote, "remote")
    h.check(0 < o["remote_port"] < 65536, "remote_port %r" % o["remote_port"])
    h.check(0 <= o["duration"] < 10, "duration %r" % o["duration"])
    h.eq((o["in"], o["out"]), (sent, got), "in, out of %r" % o)


@h.test(backends=True, only=["epoll"])
def every_line_is_json(backend):
    with h.Superd(CONF, backend=backend) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"hello"), b"hello", "echo v4")
        h.eq(h.tcp_exchange("::1", s.port(0), NASTY), NASTY, "echo v6")
        h.eq(h.tcp_exchange("127.0.0.1", s.port(1), NASTY), b"done", "exec")
        s.wait_log(r'"service":"tee".*"outcome"')
        s.reload()
        s.wait_log(r'"msg":"reloaded ')
        mark = s.log_mark()
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"x"), b"x", "echo after reload")
        s.wait_log(r'"service":"echo".*"in":1', since=mark)
    objs = parse_log(s.log_path)
    msgs = [o["msg"] for o in objs]
    for want in ("started: ", "reloading ", "reloaded ", "stopping (", "stopped"):
        h.check(any(m.startswith(want) for m in msgs), "no %r line in %r" % (want, msgs))
    echo = [o for o in conn_lines(objs, "echo") if o.get("in")]  # not the harness's probes
    h.eq(len(echo), 3, "echo connection lines")
    check_conn(echo[0], "127.0.0.1", 5, 5)
    check_conn(echo[1], "::1", len(NASTY), len(NASTY))
    h.eq(echo[0]["outcome"], "eof", "outcome")
    tee = conn_lines(objs, "tee")
    h.eq(len(tee), 2, "exec connection lines (the harness's probe, ours)")
    # exec hands the socket itself to the program: the bytes are the
    # kernel's TCP counts of the socket (superd relays nothing)
    # (the probe's program may end after ours: take the line that read)
    check_conn(max(tee, key=lambda o: o["in"]), "127.0.0.1", len(NASTY), len(b"done"))
    # what the client sent reached the log through the program's stderr,
    # and came out as valid JSON (invalid bytes as U+FFFD)
    stderr = "".join(o["msg"] for o in objs if o.get("service") == "tee"
                     and "outcome" not in o)
    h.check("caf\u00e9 \u20ac \U0001f600" in stderr, "valid UTF-8 kept: %r" % stderr[-200:])
    h.check("\ufffd" in stderr and '"}\\u0000' in stderr,
            "invalid bytes replaced, quotes kept: %r" % stderr[-200:])


@h.test(backends=True, only=["epoll"])
def udp_and_refusals_are_json(backend):
    conf = """\
global:
  workers: 1
  log_format: json
  log_level: debug
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    protocol: [tcp, udp]
    deny: [127.0.0.0/8]
"""
    with h.Superd(conf, backend=backend) as s:
        for _ in range(3):
            c = socket.create_connection(("127.0.0.1", s.port(0)), timeout=2)
            h.check(h.is_closed(c, 2), "a denied connection was served")
            c.close()
        h.udp_exchange("127.0.0.1", s.port(0), b"\xff\x00ping", timeout=0.3)
        s.wait_log(r'"service":"echo"')
    parse_log(s.log_path)


@h.test()
def text_stays_the_default():
    with h.Superd(CONF.replace("  log_format: json\n", "")) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"hi"), b"hi", "echo")
        m = s.wait_log(r"echo: 127\.0\.0\.1:\d+ eof, \d+\.\d{3}s, in 2, out 2$")
    h.check(not s.log_text().startswith("{"), "the default format is not text")


@h.test()
def bad_format_is_an_error():
    r, path = h.check_config(CONF.replace("log_format: json", "log_format: yaml"))
    h.eq(r.returncode, 1, "superd -t with log_format: yaml")
    h.check(r.stderr.startswith(path + ":3:") and "log_format" in r.stderr,
            "the error names the place and the key: %r" % r.stderr)


if __name__ == "__main__":
    h.main(timeout=90)
