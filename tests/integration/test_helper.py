#!/usr/bin/env python3
"""test_helper.py - the spawn helper's robustness: a program the
configuration does not name is refused and logged; a helper killed with
SIGKILL is started again by its keeper and the next exec connection is
answered; programs' orphans are reaped by the helper (a subreaper), not
left to PID 1; an inetd wait-style exec service with its own `user` works
under a global `user` (the helper runs the program)."""

import os
import pwd
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

PROBE = os.path.join(h.TOP_BUILDDIR, "tests", "unit", ".libs", "tmod_probe.so")


def ppid_of(pid):
    """The parent of pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return int(st[st.rindex(")") + 2:].split()[1])
    except (OSError, ValueError):
        return None


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read()
    except OSError:
        return None


def helper_pids(s):
    """(keeper, helper): the processes with the master's command line that
    are neither the master nor its workers; the helper's parent is the
    keeper."""
    mine = cmdline(s.pid)
    skip = set([s.pid] + s.workers())
    cands = [int(d) for d in os.listdir("/proc") if d.isdigit() and
             int(d) not in skip and cmdline(int(d)) == mine and h.proc_alive(int(d))]
    keeper = [p for p in cands if ppid_of(p) not in cands]
    helper = [p for p in cands if ppid_of(p) in keeper]
    return (keeper[0] if len(keeper) == 1 else None,
            helper[0] if len(helper) == 1 else None)


def probe(port, *cmds):
    """Probe commands on one connection (half-closed after them); the
    answer lines."""
    data = "".join(x + "\n" for x in cmds).encode()
    return h.tcp_exchange("127.0.0.1", port, data).decode().splitlines()


@h.test(backends=True)
def undeclared_program_refused(backend):
    with h.Superd("""
global: {workers: 1}
services:
  probe:
    module: "%s"
    listen: "127.0.0.1:{port0}"
    options: {program: /bin/true}
""" % PROBE, backend=backend) as s:
        got = probe(s.port(0), "spawn /bin/true", "spawn /bin/false",
                    "spawn /bin/../bin/true")
        h.eq(got, ["ok", "err 1", "err 1"], "only the declared program")
        s.wait_log(r"probe: refused to start /bin/false: not a program the "
                   r"configuration names")
        s.wait_log(r"probe: refused to start /bin/\.\./bin/true")


CAT = """
global: {workers: 1}
services:
  cat:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: [/bin/cat]}
"""


@h.test()
def killed_helper_is_restarted():
    with h.Superd(CAT) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"one"), b"one")
        keeper, helper = h.wait_until(
            lambda: (lambda k: k if k[0] and k[1] else None)(helper_pids(s)),
            5, what="the keeper and the helper")
        os.kill(helper, signal.SIGKILL)
        # the very next connection is answered: the worker reconnects
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"two"), b"two")
        s.wait_log(r"spawn helper died \(signal 9 \(Killed\)\): starting a new one")
        s.wait_log(r"the spawn helper went away .*connecting to the next one")
        k2, h2 = helper_pids(s)
        h.eq(k2, keeper, "the same keeper")
        h.check(h2 and h2 != helper, "a new helper: %r" % h2)
        for i in range(3):
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"x%d" % i), b"x%d" % i)
    h.wait_until(lambda: not h.proc_alive(keeper) and not h.proc_alive(h2), 5,
                 what="the keeper and helper gone with the master")


ORPHAN_EXEC = "#!/bin/sh\nsleep 3 </dev/null >/dev/null 2>&1 &\necho $!\n"
ORPHAN_CGI = ("#!/bin/sh\nsleep 3 </dev/null >/dev/null 2>&1 &\n"
              "printf 'Content-Type: text/plain\\n\\n%s' $!\n")


@h.test()
def orphans_are_reaped_by_the_helper():
    s = h.Superd("""
global: {workers: 2}
services:
  orphan:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: ["{tmp}/orphan.sh"]}
  web:
    module: http
    listen: "127.0.0.1:{port1}"
    options: {root: "{tmp}/www"}
""", files={"orphan.sh": ORPHAN_EXEC, "www/o.cgi": ORPHAN_CGI})
    os.chmod(s.path("orphan.sh"), 0o755)
    os.chmod(s.path("www/o.cgi"), 0o755)
    with s:
        pids = []
        for _ in range(10):
            pids.append(int(h.tcp_exchange("127.0.0.1", s.port(0))))
            c = hk.Conn("127.0.0.1", s.port(1))
            c.send(hk.request("GET", "/o.cgi"))
            r = c.response()
            c.close()
            h.eq(r.status, 200, "the CGI answered")
            pids.append(int(r.body))
        _, helper = helper_pids(s)

        def parents():
            return set(ppid_of(p) for p in pids) - {None}
        # a shell's output ends when it closes its files, a moment before
        # the kernel hands its children on: wait for that, bounded
        h.wait_until(lambda: parents() == {helper}, 5,
                     what=lambda: "orphans to go to the helper %d (a subreaper), "
                     "not to PID 1: parents %r" % (helper, parents()))
        h.wait_until(lambda: all(ppid_of(p) is None for p in pids), 15,
                     what="every orphan reaped (no zombie left)")


@h.test()
def wait_style_own_user_under_global_user():
    if not h.is_root():
        h.skip("needs root (the test suite runs as root in CI)")
    daemon = pwd.getpwnam("daemon")
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    code = ("import os, socket; s = socket.socket(fileno=0); c, a = s.accept(); "
            "c.sendall(b'%d %d' % (os.getuid(), os.getppid() > 1)); c.close()")
    with h.Superd("""
global: {user: nobody, workers: 1}
services:
  waiter:
    module: exec
    listen: "127.0.0.1:{port0}"
    options: {argv: ["%s", "-c", "%s"], user: daemon, wait: true}
""" % (py, code), wait_tcp=[]) as s:
        s.wait_log(r"info: started: ")
        for _ in range(2):  # one program per wake-up, again after it exits
            out = h.tcp_exchange("127.0.0.1", s.port(0), timeout=10)
            h.eq(out, b"%d 1" % daemon.pw_uid, "the service's own user")
        h.wait_until(lambda: len(s.log_lines(r"waiter: .*exit 0")) >= 2, 5,
                     what="each serve child ends as its program did")


if __name__ == "__main__":
    h.main(timeout=120)
