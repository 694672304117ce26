#!/usr/bin/env python3
"""test_controls_privs.py - privileges and resource exhaustion against the
real superd: started as root with `global: user`, the master and workers
run as that user; started as a normal user, a port below 1024 is a clear
error; with a low RLIMIT_NOFILE, running out of descriptors is logged
once, open connections keep being served, nothing spins, and superd
recovers by itself when descriptors free up."""

import os
import pwd
import socket
import subprocess
import time

import harness as h


def uids_of(pid):
    """(real, effective, saved, fs) uids of pid, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return None


def groups_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Groups:"):
                return [int(x) for x in line.split()[1:]]
    return None


@h.test(backends=True)
def root_drops_to_global_user(backend):
    if not h.is_root():
        h.skip("needs root")
    nobody = pwd.getpwnam("nobody")
    s = h.Superd("""
global: {user: nobody, workers: 2}
services:
  echo: {module: echo, listen: "127.0.0.1:{port0}"}
""", backend=backend)
    os.chmod(s.tmp, 0o755)
    with s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"hi"), b"hi")
        workers = s.wait_workers(2)
        for pid in [s.pid] + workers:
            h.eq(uids_of(pid), [nobody.pw_uid] * 4, "uids of pid %d" % pid)
            h.check(0 not in groups_of(pid), "no root group in pid %d" % pid)


def low_free_port():
    """A TCP port below 1024 nobody listens on here."""
    for port in range(900, 1000):
        t = socket.socket()
        try:
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
    h.skip("no free port below 1024")


def unprivileged_port_start():
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 1024


@h.test()
def normal_user_privileged_port_is_a_clear_error():
    path, port = None, None
    if unprivileged_port_start() <= 80:
        h.skip("ports below 1024 are not privileged here "
               "(net.ipv4.ip_unprivileged_port_start)")
    if h.is_root():
        port = low_free_port()
    else:
        port = 80
    path = h.config_file("""
services:
  echo: {module: echo, listen: "127.0.0.1:%d"}
""" % port)
    os.chmod(os.path.dirname(path), 0o755)
    os.chmod(path, 0o644)
    cmd = [h.SUPERD_BIN, "-f", path]
    if h.is_root():
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               "--inh-caps=-all", "--bounding-set=-all"] + cmd
    try:
        r = subprocess.run(cmd, env=h.superd_env(), capture_output=True, text=True,
                           timeout=10, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        h.skip("setpriv is not installed")
    except subprocess.TimeoutExpired:
        h.fail("superd started on a privileged port as a normal user")
    if "Permission denied" not in r.stderr and r.returncode == 126:
        h.skip("nobody cannot run the build's superd here")
    h.check(r.returncode != 0, "superd must not start (rc %d, stderr %r)"
            % (r.returncode, r.stderr))
    h.check("127.0.0.1:%d" % port in r.stderr and "Permission denied" in r.stderr,
            "the error names the address and the reason: %r" % r.stderr)


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@h.test(backends=True)
def descriptor_exhaustion_recovers(backend):
    d = os.path.dirname(h.config_file("{}\n"))
    wrapper = h.write_file(os.path.join(d, "superd-lowfd"), "#!/bin/sh\nulimit -n 48 || exit 99\nexec %s \"$@\"\n"
                           % h.SUPERD_BIN, 0o755)
    real = h.SUPERD_BIN
    h.SUPERD_BIN = wrapper
    try:
        s = h.Superd("""
global: {workers: 1}
services:
  echo: {module: echo, listen: "127.0.0.1:{port0}"}
""", backend=backend)
        with s:
            check_exhaustion(s)
    finally:
        h.SUPERD_BIN = real


def check_exhaustion(s):
    p = s.port(0)
    held, waiting = [], []
    for _ in range(70):
        c = h.connect("127.0.0.1", p)  # the kernel completes it (backlog)
        c.sendall(b"x")
        if waiting:  # out of descriptors already: the rest wait too
            waiting.append(c)
            continue
        c.settimeout(0.3)
        try:
            b = c.recv(1)
        except socket.timeout:
            b = None
        if b == b"x":
            held.append(c)
        else:
            waiting.append(c)
    h.check(len(held) >= 10, "served %d before running out" % len(held))
    h.check(waiting, "ran out of descriptors (raise the test's count?)")
    s.wait_log(r"accept: Too many open files")
    worker = s.wait_workers(1)[0]
    c0 = cpu_seconds(worker)
    time.sleep(1.0)
    h.check(cpu_seconds(worker) - c0 < 0.3, "no busy loop while out of descriptors")
    h.eq(len(s.log_lines(r"Too many open files")), 1, "logged once")
    for c in held[:5]:  # open connections are still served
        c.sendall(b"y")
        h.eq(h.recv_exact(c, 1), b"y")
    for c in held:
        c.close()
    for c in waiting:  # accepted once descriptors are back: the byte is echoed
        h.eq(h.recv_exact(c, 1, timeout=5), b"x", "served after recovery")
        c.close()
    h.check(s.alive(), "superd still running")
    h.eq(h.tcp_exchange("127.0.0.1", p, b"after"), b"after")


if __name__ == "__main__":
    h.main(timeout=200)
