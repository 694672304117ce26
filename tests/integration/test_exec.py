#!/usr/bin/env python3
"""test_exec.py - the exec module against the real superd: /bin/cat, the
child's environment and descriptors, stderr in the log, exit notes, 100
concurrent programs, max_connections counting running programs, inetd wait
(TCP and UDP), and the configuration errors `superd -t` must report."""

import os
import pwd
import re
import socket
import sys
import time

import harness as h

ENV_SCRIPT = """#!/bin/sh
env
echo "FDS: $(ls /proc/self/fd | tr '\\n' ' ')"
echo "this goes to the log" >&2
grep -E "^Sig(Ign|Blk)" /proc/self/status
"""


@h.test(backends=True)
def cat_echoes(backend):
    with h.Superd("""
services:
  cat:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: [/bin/cat]}
""", backend=backend) as s:
        data = os.urandom(200000)
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), data), data, "cat output")
        s.wait_log(r"cat: 127\.0\.0\.1:\d+ exit 0")


@h.test(backends=True)
def environment_and_descriptors(backend):
    s = h.Superd("""
services:
  env:
    module: exec
    listen: ["127.0.0.1:{port0}", "[::1]:{port0}"]
    options:
      argv: ["{tmp}/env.sh", ignored-arg]
      env: {GREETING: "hello world"}
""", backend=backend, files={"env.sh": ENV_SCRIPT})
    os.chmod(s.path("env.sh"), 0o755)
    with s:
        pass_env = None
        for host, src in (("127.0.0.1", "127.0.0.2"), ("::1", None)):
            c = h.connect(host, s.port(0), source=src)
            local, peer = c.getsockname(), c.getpeername()
            c.shutdown(socket.SHUT_WR)
            out = h.recv_all(c).decode()
            c.close()
            env = dict(l.split("=", 1) for l in out.splitlines() if "=" in l
                       and not l.startswith("FDS"))
            want = {
                "PROTO": "TCP",
                "TCPREMOTEIP": local[0], "TCPREMOTEPORT": str(local[1]),
                "TCPLOCALIP": peer[0], "TCPLOCALPORT": str(peer[1]),
                "REMOTE_ADDR": local[0], "REMOTE_PORT": str(local[1]),
                "GREETING": "hello world",
            }
            for k, v in want.items():
                h.eq(env.get(k), v, "%s from %s" % (k, host))
            h.check(env.get("PATH", "").startswith("/usr/local/sbin:"), "default PATH: %r" % env.get("PATH"))
            h.check("SUPERD_MODULE_PATH" not in env, "superd's own environment leaked")
            # superd ignores SIGPIPE; the program starts with defaults.
            h.check("SigIgn:\t0000000000000000" in out, "ignored signals: %r" % out)
            h.check("SigBlk:\t0000000000000000" in out, "blocked signals: %r" % out)
            fds = re.search(r"FDS: (.*)", out).group(1).split()
            h.eq(fds, ["0", "1", "2", "3"], "open descriptors (3 is ls's own)")
            pass_env = env
        h.check(pass_env is not None, "ran")
        s.wait_log(r"env: pid \d+: this goes to the log")
        s.wait_log(r"env: \[::1\]:\d+ exit 0|env: ::1.* exit 0")


@h.test(backends=True)
def unix_socket_program(backend):
    with h.Superd("""
services:
  env:
    module: exec
    listen: "unix:{tmp}/exec.sock"
    options: {argv: [/bin/sh, -c, "echo PROTO=$PROTO; echo IP=$TCPREMOTEIP; cat"]}
""", backend=backend, wait_tcp=[]) as s:
        path = s.path("exec.sock")
        conns = []

        def connected():
            # the path exists from bind(); it accepts only after listen()
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(5)
            try:
                c.connect(path)
            except (FileNotFoundError, ConnectionRefusedError):
                c.close()
                return False
            conns.append(c)
            return True

        h.wait_until(connected, 5, what="the UNIX socket accepting")
        c = conns[0]
        c.sendall(b"through\n")
        c.shutdown(socket.SHUT_WR)
        h.eq(h.recv_all(c), b"PROTO=UNIX\nIP=\nthrough\n")
        c.close()


@h.test(backends=True)
def hundred_concurrent(backend):
    with h.Superd("""
global: {workers: 2}
services:
  cat:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: [/bin/cat]}
""", backend=backend) as s:
        socks = [h.connect("127.0.0.1", s.port(0)) for _ in range(100)]
        for i, c in enumerate(socks):
            c.sendall(b"line %d\n" % i)
        # All 100 programs run at once: each answers before any is closed.
        for i, c in enumerate(socks):
            h.eq(h.recv_exact(c, len(b"line %d\n" % i), timeout=10), b"line %d\n" % i)
        for c in socks:
            c.shutdown(socket.SHUT_WR)
        for c in socks:
            h.eq(h.recv_all(c, timeout=10), b"", "EOF after the program exits")
            c.close()
        # 100, plus the harness's start-up probe.
        h.wait_until(lambda: len(s.log_lines(r"cat: .* exit 0")) >= 100, 10,
                     what="100 exit lines")
        h.wait_until(lambda: len(s.workers()) == 2, 5, what="every program reaped")


@h.test(backends=True)
def exit_status_and_signal_logged(backend):
    with h.Superd("""
services:
  three:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: [/bin/sh, -c, "exit 3"]}
  killed:
    module: exec
    listen: "127.0.0.1:{port1}"
    options: {argv: [/bin/sh, -c, "kill -9 $$"]}
""", backend=backend) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0)), b"")
        h.eq(h.tcp_exchange("127.0.0.1", s.port(1)), b"")
        s.wait_log(r"three: .*exit 3")
        s.wait_log(r"killed: .*signal 9")


@h.test(backends=True)
def max_connections_counts_programs(backend):
    with h.Superd("""
global: {workers: 2}
services:
  cat:
    module: exec
    listen: "127.0.0.1:{port0}"
    max_connections: 3
    options: {argv: [/bin/cat]}
""", backend=backend) as s:
        s.wait_log(r"cat: .* exit 0")  # the start-up probe's program is gone
        held = []
        refused = 0
        for i in range(6):
            c = h.connect("127.0.0.1", s.port(0))
            c.sendall(b"x")
            c.settimeout(3)
            try:
                b = c.recv(1)
            except (ConnectionResetError, socket.timeout):
                b = b""
            if b == b"x":
                held.append(c)
            else:
                refused += 1
                c.close()
        h.eq(len(held), 3, "programs running at once")
        h.eq(refused, 3)
        mark = s.log_mark()
        held.pop().close()
        s.wait_log(r"cat: .* exit 0", since=mark)  # its program is gone
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"again"), b"again",
             "a slot is free once a program exits")
        for c in held:
            c.close()


WAIT_TCP = """import socket
s = socket.socket(fileno=0)
c, a = s.accept()
c.sendall(b"served by one program\\n")
c.close()
"""

WAIT_UDP = """import os, socket
s = socket.socket(fileno=0)
data, peer = s.recvfrom(2048)
s.sendto(b"wait " + data + b" " + os.environ["PROTO"].encode(), peer)
"""


@h.test(backends=True)
def wait_tcp_program_accepts(backend):
    with h.Superd("""
services:
  waiter:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: ["%s", "{tmp}/w.py"], wait: true}
""" % sys.executable, backend=backend, files={"w.py": WAIT_TCP}, wait_tcp=[]) as s:
        s.wait_log(r"info: started: ")
        for _ in range(3):  # one program per wake-up, and again after it exits
            out = h.tcp_exchange("127.0.0.1", s.port(0), timeout=10)
            h.eq(out, b"served by one program\n")
        s.wait_log(r"waiter: .*exit 0")


@h.test(backends=True)
def wait_udp_program_reads(backend):
    with h.Superd("""
services:
  udpwait:
    module: exec
    listen: "127.0.0.1:{port0}"
    protocol: udp
    options: {argv: ["%s", "{tmp}/u.py"], wait: true}
""" % sys.executable, backend=backend, files={"u.py": WAIT_UDP}, wait_tcp=[]) as s:
        s.wait_log(r"info: started: ")
        for i in range(2):
            r = h.udp_exchange("127.0.0.1", s.port(0), b"ping%d" % i, timeout=10)
            h.eq(r, b"wait ping%d UDP" % i)
            # the program has exited and the listener is watched again
            h.wait_until(lambda: len(s.log_lines(r"udpwait: .*exit 0")) > i, 5,
                         what="program %d's exit" % i)


@h.test()
def configuration_errors():
    cases = [
        ("{argv: [/no/such/program]}", r"superd\.yaml:\d+:\d+: .*No such file"),
        ("{argv: [no-such-program-xyz]}", r"superd\.yaml:\d+:\d+: .*not found in PATH"),
        ("{argv: [\"{tmp}/plain\"]}", r"superd\.yaml:\d+:\d+: .*not executable"),
        ("{argv: [/bin/cat], user: no-such-user-xyz}", r":\d+:\d+: .*unknown user"),
        ("{argv: [/bin/cat], wait: perhaps}", r":\d+:\d+: .*true or false"),
        ("{argv: [/bin/cat], colour: blue}", r":\d+:\d+: .*colour"),
        ("{}", r":\d+:\d+: .*argv"),
    ]
    for opts, rx in cases:
        r, _ = h.check_config("""
services:
  x:
    module: exec
    listen: "127.0.0.1:9"
    options: %s
""" % opts, files={"plain": "not a program\n"})
        h.eq(r.returncode, 1, "superd -t with options %s" % opts)
        h.check(re.search(rx, r.stderr), "%s: stderr %r" % (opts, r.stderr))
    r, _ = h.check_config("""
services:
  x:
    module: exec
    listen: "127.0.0.1:9"
    protocol: udp
    options: {argv: [/bin/cat]}
""")
    h.eq(r.returncode, 1, "udp without wait")
    h.check(re.search(r":\d+:\d+: .*wait: true", r.stderr), r.stderr)


@h.test(backends=True)
def program_gone_at_run_time(backend):
    s2 = h.Superd("""
services:
  gone:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: ["{tmp}/prog"]}
""", backend=backend, files={"prog": "#!/bin/sh\necho ok\n"})
    os.chmod(s2.path("prog"), 0o755)
    with s2:
        h.eq(h.tcp_exchange("127.0.0.1", s2.port(0)), b"ok\n")
        os.unlink(s2.path("prog"))
        for _ in range(3):
            h.eq(h.tcp_exchange("127.0.0.1", s2.port(0)), b"", "closed at once")
        s2.wait_log(r"gone: cannot run .*prog: No such file")
        h.check(s2.alive(), "superd keeps running")


@h.test(backends=True)
def runs_as_configured_user(backend):
    if not h.is_root():
        h.skip("needs root")
    nobody = pwd.getpwnam("nobody")
    with h.Superd("""
services:
  who:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: [/bin/sh, -c, "id -u; id -g; id -G"], user: nobody}
""", backend=backend) as s:
        out = h.tcp_exchange("127.0.0.1", s.port(0)).decode().split("\n")
        h.eq(out[0], str(nobody.pw_uid), "uid")
        h.eq(out[1], str(nobody.pw_gid), "gid")
        h.check("0" not in out[2].split(), "no root group left: %r" % out[2])


@h.test()
def exec_user_with_global_user():
    """global: user drops the workers; an exec service's own user still
    works: the spawn helper (which kept root) starts the program."""
    if not h.is_root():
        h.skip("needs root (the test suite runs as root in CI)")
    nobody, daemon = pwd.getpwnam("nobody"), pwd.getpwnam("daemon")
    with h.Superd("""
global: {user: nobody, workers: 1}
services:
  who:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: [/bin/sh, -c, "id -u"], user: daemon}
  plain:
    module: exec
    listen: "127.0.0.1:{port1}"
    options: {argv: [/bin/sh, -c, "id -u"]}
""") as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0)).decode().strip(),
             str(daemon.pw_uid), "the service's own user")
        h.eq(h.tcp_exchange("127.0.0.1", s.port(1)).decode().strip(),
             str(nobody.pw_uid), "the global user otherwise")
        w = s.workers()[0]
        with open("/proc/%d/status" % w) as f:
            uid = [l for l in f if l.startswith("Uid:")][0].split()[1]
        h.eq(uid, str(nobody.pw_uid), "the worker itself runs as the global user")


if __name__ == "__main__":
    h.main(timeout=300)
