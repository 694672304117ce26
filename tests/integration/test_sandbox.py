#!/usr/bin/env python3
"""test_sandbox.py - `global: sandbox` in workers: a worker cannot open a
file outside what the configuration names (Landlock), cannot execute a
program, and a forbidden system call is refused and logged by name
(seccomp); programs still run (through the spawn helper).  A service's
`sandbox:` applied to its children: a CGI
over its memory or CPU limit dies and the client gets 500/504, fd and
process limits reach the program, Landlock paths keep an exec program
away from files outside them (skipped, saying why, where the kernel has
no Landlock), and bad sandbox values are positioned `superd -t` errors."""

import ctypes
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import httpkit as hk  # noqa: E402

SH = "#!/bin/sh\n"
FILES = {
    "hog.cgi": ("exec", SH + 'x=$(head -c 100000000 /dev/zero | tr "\\0" a)\n'
                'printf "Content-Type: text/plain\\n\\nsurvived ${#x}"\n'),
    "spin.cgi": ("exec", SH + 'while :; do :; done\n'),
    "limits.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\n\\n"\n'
                   'echo "files=$(ulimit -n) cpu=$(ulimit -t) nnp=$(grep NoNewPrivs /proc/self/status | tr -d "\\t ")"\n'),
    "small.cgi": ("exec", SH + 'printf "Content-Type: text/plain\\n\\nfine"\n'),
}


def landlock_abi():
    """The kernel's Landlock ABI (0: none), as superd probes it."""
    libc = ctypes.CDLL(None, use_errno=True)
    nr = {"x86_64": 444, "aarch64": 444}.get(os.uname().machine)
    if nr is None:
        return 0
    v = libc.syscall(nr, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return v if v > 0 else 0


@h.test(backends=True)
def cgi_over_memory_limit_is_500(backend):
    with hk.Web(backend, FILES, service={"sandbox": {"memory": "32M"}}) as w:
        r = w.get("/small.cgi")
        h.eq((r.status, r.body), (200, b"fine"), "a script within the limit")
        t0 = time.monotonic()
        r = w.get("/hog.cgi")
        h.eq(r.status, 500, "a script over its memory limit")
        h.check(b"survived" not in r.body, "the allocation must fail")
        h.check(time.monotonic() - t0 < 10, "answered promptly")


@h.test(backends=True)
def cgi_over_cpu_limit_dies(backend):
    with hk.Web(backend, FILES, options={"cgi_timeout": 20},
                service={"sandbox": {"cpu": 1}}) as w:
        t0 = time.monotonic()
        c = w.conn(timeout=15 * h.TIME_SCALE)  # 1 s of CPU, on a busy machine
        try:
            c.send(hk.request("GET", "/spin.cgi"))
            r = c.response()
        finally:
            c.close()
        took = time.monotonic() - t0
        h.check(r.status in (500, 504), "status %d" % r.status)
        h.check(took < 15 * h.TIME_SCALE,
                "killed by RLIMIT_CPU after ~1 s of CPU, not cgi_timeout (%.1fs)" % took)
        w.superd.wait_log(r"cgi /spin\.cgi: killed by signal (9|24)")


@h.test(backends=True)
def limits_reach_the_script(backend):
    with hk.Web(backend, FILES, service={"sandbox": {"files": 32, "cpu": 7,
                                                    "no_new_privs": True}}) as w:
        r = w.get("/limits.cgi")
        h.eq(r.status, 200)
        h.eq(r.body.strip(), b"files=32 cpu=7 nnp=NoNewPrivs:1")


@h.test()
def exec_program_confined_by_landlock():
    if landlock_abi() == 0:
        h.skip("this kernel has no Landlock (landlock_create_ruleset "
               "LANDLOCK_CREATE_RULESET_VERSION failed)")
    with h.Superd("""
services:
  peek:
    module: exec
    listen: "127.0.0.1:{port0}"
    sandbox:
      read: [/usr, /lib, /lib64, /etc/ld.so.cache, "{tmp}/ok.txt"]
      exec: [/usr/bin, /bin, /usr/lib, /lib, /lib64]
    options:
      argv: [/bin/sh, -c, 'cat {tmp}/ok.txt; cat {tmp}/secret.txt || echo denied']
""", files={"ok.txt": "allowed\n", "secret.txt": "SECRET\n"}) as s:
        out = h.tcp_exchange("127.0.0.1", s.port(0), b"").decode()
        h.check("allowed" in out, "a listed path is readable: %r" % out)
        h.check("SECRET" not in out and "denied" in out,
                "a path outside the list is not: %r" % out)
        s.wait_log(r"peek: pid \d+: cat: .*secret\.txt: Permission denied")


PROBE = os.path.join(h.TOP_BUILDDIR, "tests", "unit", ".libs", "tmod_probe.so")


def probe(s, *cmds):
    """Send probe commands on one connection; the answer lines."""
    c = h.connect("127.0.0.1", s.port(0))
    c.sendall(("".join(x + "\n" for x in cmds)).encode())
    got = b""
    while got.count(b"\n") < len(cmds):
        part = c.recv(4096)
        if not part:
            break
        got += part
    c.close()
    return got.decode().splitlines()


# What a worker logs when superd was built without libseccomp.
NO_SECCOMP = "sandbox: built without libseccomp; workers have no system call filter"


def seccomp_built():
    """Was superd built with libseccomp?  Asked of a running worker (a
    sandboxed one says so when it has no filter)."""
    with h.Superd("""
global: {workers: 1}
services:
  echo: {module: echo, listen: "127.0.0.1:{port0}"}
""") as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"x"), b"x", "echo")
        return not s.log_lines(NO_SECCOMP)


PROBE_CONF = """
global: {workers: 1, sandbox: %s}
services:
  probe:
    module: "%s"
    listen: "127.0.0.1:{port0}"
    options: {data: named.txt}
  probe2:
    module: "%s"
    listen: "127.0.0.1:{port2}"
    isolate: true
    options: {syscalls: [getcpu]}
  cat:
    module: exec
    listen: "127.0.0.1:{port1}"
    options: {argv: [/bin/cat]}
"""


@h.test(backends=True)
def worker_sandbox_layers(backend):
    ll = landlock_abi()
    with h.Superd(PROBE_CONF % ("true", PROBE, PROBE), backend=backend,
                  files={"named.txt": "yes\n", "secret.txt": "no\n"}) as s:
        outside = tempfile.mkdtemp(prefix="superd-outside-")
        h._temp_dirs.append(outside)
        secret = os.path.join(outside, "secret.txt")
        with open(secret, "w") as f:
            f.write("no\n")
        named = s.path("named.txt")
        got = probe(s, "open " + named, "open " + secret, "create " + outside + "/new",
                    "exec", "unshare", "getcpu", "open " + s.path("secret.txt"))
        h.eq(got[0], "ok", "a path the module declared (option data)")
        if ll:
            h.eq(got[1:3], ["err 13", "err 13"], "outside the configuration (Landlock)")
            h.eq(got[6], "err 13", "beside the configuration file, named by "
                 "nothing (no path is guessed)")
        else:
            print("landlock part skipped: this kernel has no Landlock")
        # programs still run: the spawn helper starts them
        h.eq(h.tcp_exchange("127.0.0.1", s.port(1), b"through"), b"through")
        # a call a service declares (host->sandbox_syscall) is allowed
        h.eq(h.tcp_exchange("127.0.0.1", s.port(2), b"getcpu\n").decode(), "ok\n",
             "getcpu declared by a service")
        if s.log_lines(NO_SECCOMP):
            if ll:
                h.eq(got[3], "err 13", "exec refused (Landlock)")
            h.skip("superd was built without libseccomp (%r in its log): no system "
                   "call filter to check; the Landlock part %s" % (NO_SECCOMP, (
                       "passed" if ll else "was skipped too (no Landlock)")))
        h.check(got[3] in ("err 1", "err 13"), "exec refused: %r" % got[3])
        h.eq(got[4], "err 1", "unshare refused")
        s.wait_log(r"seccomp: denied unshare \(\d+\)")
        # off the allow list (and harmless): refused and named
        h.eq(got[5], "err 1", "getcpu refused")
        s.wait_log(r"seccomp: denied getcpu \(\d+\)")
        if got[3] == "err 1":
            s.wait_log(r"seccomp: denied execve \(\d+\)")


@h.test()
def worker_sandbox_off():
    with h.Superd(PROBE_CONF % ("false", PROBE, PROBE),
                  files={"named.txt": "yes\n", "secret.txt": "no\n"}) as s:
        got = probe(s, "open " + s.path("secret.txt"), "unshare", "getcpu")
        h.eq(got, ["ok", "ok", "ok"], "without the sandbox the worker can")
        h.eq(h.tcp_exchange("127.0.0.1", s.port(1), b"through"), b"through")


@h.test()
def unknown_declared_syscall_is_an_error():
    if not seccomp_built():
        h.skip("superd was built without libseccomp: it knows no system call "
               "names, so a declared one is accepted and unused")
    r, _ = h.check_config("""
services:
  p:
    module: "%s"
    listen: "127.0.0.1:7"
    options: {syscalls: [getcpu, no_such_call]}
""" % PROBE)
    h.eq(r.returncode, 1, "superd -t with an unknown system call")
    h.check(re.search(r"superd\.yaml:\d+:\d+: service p: syscalls: no_such_call: "
                      r"Invalid argument", r.stderr), r.stderr)


@h.test()
def bad_sandbox_values_are_positioned_errors():
    for bad, msg in (("{memory: lots}", r"sandbox: memory: expected bytes"),
                     ("{cpu: 0}", r"sandbox: cpu: 0 is out of range"),
                     ("{files: [1]}", r"sandbox: files: expected a whole number"),
                     ("{bogus: 1}", r"sandbox: unknown key 'bogus'"),
                     ("[/usr]", r"sandbox: expected a mapping")):
        r, _ = h.check_config("""
services:
  e:
    module: echo
    listen: "127.0.0.1:7"
    sandbox: %s
""" % bad)
        h.eq(r.returncode, 1, "superd -t with sandbox: %s" % bad)
        h.check(re.search(r"superd\.yaml:\d+:\d+: service 'e': " + msg, r.stderr),
                "%s: %r" % (bad, r.stderr))


if __name__ == "__main__":
    h.main()
