#!/usr/bin/env python3
"""test_processes.py - the master and its workers: `workers: N`; a worker
killed with SIGKILL is logged and replaced while the services keep
answering; SIGHUP applies a good file (unchanged listeners keep their
socket, new ones open, removed ones close, an open connection survives)
and refuses a bad one (logged, nothing changes); SIGTERM/SIGINT stop
accepting, let open connections finish, exit 0 within a bounded grace;
-d detaches and writes the pid file."""

import os
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

TWO = """\
global:
  workers: {workers}
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
  daytime:
    module: daytime
    listen: "127.0.0.1:{port1}"
"""


def echo_ok(port, msg=b"ok?", host="127.0.0.1"):
    return h.tcp_exchange(host, port, msg, timeout=3) == msg


def refused_or_closed(port, host="127.0.0.1"):
    """True if a new connection is refused, or closed/reset unserved."""
    try:
        c = h.connect(host, port, timeout=1)
    except (ConnectionRefusedError, socket.timeout, OSError):
        return True
    try:
        c.sendall(b"anyone?")
        c.settimeout(1.5)
        try:
            b = c.recv(100)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        return b == b""
    except (BrokenPipeError, ConnectionResetError):
        return True
    finally:
        c.close()


@h.test(backends=True, only=["epoll"])
def workers_default_is_cpu_count(backend):
    conf = "services:\n  echo: {module: echo, listen: \"127.0.0.1:{port0}\"}\n"
    with h.Superd(conf, backend=backend) as s:
        ncpu = {os.cpu_count(), len(os.sched_getaffinity(0))}
        h.wait_until(lambda: len(s.workers()) in ncpu, 5,
                     what="workers == CPUs %s (have %s)" % (ncpu, s.workers()))


@h.test(backends=True)
def workers_n(backend):
    with h.Superd(TWO.replace("{workers}", "3"), backend=backend) as s:
        s.wait_workers(3)
        h.check(echo_ok(s.port(0)), "echo with 3 workers")


@h.test(backends=True)
def killed_worker_is_logged_and_replaced(backend):
    with h.Superd(TWO.replace("{workers}", "2"), backend=backend) as s:
        before = s.wait_workers(2)
        victim = before[0]
        mark = s.log_mark()
        os.kill(victim, signal.SIGKILL)
        for i in range(50):
            h.check(echo_ok(s.port(0), b"after kill %d" % i),
                    "echo %d right after a worker was killed" % i)
        s.wait_log(r"(?i)worker\D*\b%d\b.*(signal|kill)" % victim, timeout=5, since=mark)
        after = h.wait_until(lambda: (lambda w: w if len(w) == 2 and victim not in w else None)
                             (s.workers()), 5,
                             what="a replacement worker (have %s)" % s.workers())
        h.check(before[1] in after, "the other worker should be untouched: %s -> %s"
                % (before, after))
        h.check(echo_ok(s.port(0)), "echo after replacement")
        h.check(h.tcp_exchange("127.0.0.1", s.port(1), b"", half_close=False, timeout=3),
                "daytime after replacement")


@h.test(backends=True, only=["epoll"])
def repeatedly_killed_workers_never_stop_the_service(backend):
    with h.Superd(TWO.replace("{workers}", "2"), backend=backend) as s:
        for round_ in range(5):
            w = s.wait_workers(2, timeout=10)
            for pid in w:
                os.kill(pid, signal.SIGKILL)
            h.wait_until(lambda: echo_ok(s.port(0)), 10,
                         what="echo answering after killing all workers (round %d)" % round_)
        h.check(s.alive(), "master died")


RELOAD_A = """\
global:
  workers: 2
services:
  keep:
    module: echo
    listen: "127.0.0.1:{port0}"
    protocol: [tcp, udp]
  gone:
    module: daytime
    listen: "127.0.0.1:{port1}"
"""

RELOAD_B = """\
global:
  workers: 2
services:
  keep:
    module: echo
    listen: "127.0.0.1:{port0}"
    protocol: [tcp, udp]
  new:
    module: time
    listen: "127.0.0.1:{port2}"
"""


@h.test(backends=True)
def reload_good_file(backend):
    with h.Superd(RELOAD_A, backend=backend) as s:
        old_workers = s.wait_workers(2)
        keep = h.listen_inodes(s.port(0))
        keep_udp = h.listen_inodes(s.port(0), "udp")
        h.eq(len(keep), 2, "listening sockets on the kept port (one per worker)")
        h.eq(len(keep_udp), 1, "UDP sockets on the kept port")
        h.check(keep <= h.socket_inodes(s.pid), "the master should hold the listener")
        c = h.connect("127.0.0.1", s.port(0))
        try:
            c.sendall(b"before reload")
            h.eq(h.recv_exact(c, 13), b"before reload", "echo before reload")
            mark = s.log_mark()
            s.reload(RELOAD_B)
            h.wait_until(lambda: s._accepts("127.0.0.1", s.port(2)), 5,
                         what="the new listener (port %d)" % s.port(2))
            h.wait_until(lambda: not s._accepts("127.0.0.1", s.port(1)), 5,
                         what="the removed listener to close (port %d)" % s.port(1))
            h.eq(h.listen_inodes(s.port(0)), keep, "the kept listener's socket inode")
            h.eq(h.listen_inodes(s.port(0), "udp"), keep_udp, "the kept UDP socket's inode")
            h.eq(h.udp_exchange("127.0.0.1", s.port(0), b"udp after reload"),
                 b"udp after reload", "UDP echo after reload")
            h.check(keep <= h.socket_inodes(s.pid), "the master still holds the kept listener")
            h.check(h.tcp_exchange("127.0.0.1", s.port(2), b"", half_close=False,
                                   timeout=3).__len__() == 4, "the new time service answers")
            h.check(echo_ok(s.port(0)), "the kept echo serves new connections")
            # the open connection survives the reload, both ways
            c.sendall(b"after reload")
            h.eq(h.recv_exact(c, 12), b"after reload", "echo on the old connection")
            c.shutdown(socket.SHUT_WR)
            h.eq(h.recv_all(c), b"", "old connection finishes cleanly")
        finally:
            c.close()
        h.check(s.log_lines(r"(?i)reload", since=mark), "a reload should be logged")
        # old workers go once their connections are done; two remain
        h.wait_until(lambda: (lambda w: len(w) == 2 and not set(w) & set(old_workers))
                     (s.workers()), 10,
                     what="new workers replacing old ones (old %s, now %s)"
                     % (old_workers, s.workers()))
        h.check(s.alive(), "master alive after reload")


@h.test(backends=True)
def reload_bad_file_changes_nothing(backend):
    with h.Superd(RELOAD_A, backend=backend) as s:
        workers = s.wait_workers(2)
        inodes = (h.listen_inodes(s.port(0)), h.listen_inodes(s.port(1)))
        mark = s.log_mark()
        s.reload(RELOAD_B + "    bogus_key: 1\n")
        m = s.wait_log(r"%s:(\d+):(\d+): " % s.config_path, timeout=5, since=mark)
        h.eq(int(m.group(1)), 11, "line of the error in the log")
        time.sleep(0.3)
        h.eq(s.workers(), workers, "workers after a refused reload")
        h.eq((h.listen_inodes(s.port(0)), h.listen_inodes(s.port(1))), inodes,
             "listeners after a refused reload")
        h.check(not s._accepts("127.0.0.1", s.port(2)), "the refused file's new port opened")
        h.check(echo_ok(s.port(0)), "echo after a refused reload")
        h.check(h.tcp_exchange("127.0.0.1", s.port(1), b"", half_close=False, timeout=3),
                "daytime after a refused reload")
        # a module that refuses its options is refused the same way
        mark = s.log_mark()
        s.reload(RELOAD_A.replace("module: daytime", "module: no_such_module_q"))
        s.wait_log(r"%s:\d+:\d+: .*no_such_module_q" % s.config_path, timeout=5, since=mark)
        time.sleep(0.3)
        h.eq(s.workers(), workers, "workers after a reload with an unknown module")
        h.check(echo_ok(s.port(0)), "echo after a reload with an unknown module")
        # and a good file after that is applied
        s.reload(RELOAD_B)
        h.wait_until(lambda: s._accepts("127.0.0.1", s.port(2)), 5,
                     what="the good reload after bad ones")


def graceful_stop(backend, sig):
    with h.Superd(TWO.replace("{workers}", "2"), backend=backend, stop_timeout=20) as s:
        c = h.connect("127.0.0.1", s.port(0))
        try:
            c.sendall(b"one")
            h.eq(h.recv_exact(c, 3), b"one", "echo before stop")
            s.signal(sig)
            h.wait_until(lambda: refused_or_closed(s.port(0)), 3,
                         what="new connections refused after %s" % sig.name)
            time.sleep(0.3)
            c.sendall(b"two")
            h.eq(h.recv_exact(c, 3), b"two", "the open connection still served after %s"
                 % sig.name)
            c.shutdown(socket.SHUT_WR)
            h.eq(h.recv_all(c), b"", "the open connection finishes")
        finally:
            c.close()
        t0 = time.monotonic()
        rc = s.wait_exit(timeout=5)
        h.check(rc is not None, "superd still running 5s after its last connection ended "
                "(%s)" % sig.name)
        h.eq(rc, 0, "exit status after %s" % sig.name)
        h.check(time.monotonic() - t0 < 5, "exit took too long")
        s.stop()
        h.eq(s.leftovers, [], "processes left after the master exited")


@h.test(backends=True)
def sigterm_lets_connections_finish(backend):
    graceful_stop(backend, signal.SIGTERM)


@h.test(backends=True, only=["epoll", "select"])
def sigint_lets_connections_finish(backend):
    graceful_stop(backend, signal.SIGINT)


@h.test(backends=True, only=["epoll"])
def sigterm_grace_is_bounded(backend):
    with h.Superd(TWO.replace("{workers}", "2"), backend=backend, stop_timeout=60) as s:
        idle = [h.connect("127.0.0.1", s.port(0)) for _ in range(3)]
        try:
            for c in idle:
                c.sendall(b"x")
                h.recv_exact(c, 1)
            t0 = time.monotonic()
            s.signal(signal.SIGTERM)
            rc = s.wait_exit(timeout=45)
            took = time.monotonic() - t0
            h.check(rc is not None, "superd did not exit within 45s of SIGTERM with idle "
                    "connections open")
            h.eq(rc, 0, "exit status after the grace time")
            for c in idle:
                h.check(h.is_closed(c, 2), "an idle connection left open after exit")
            print("  (grace with idle connections: %.1fs)" % took)
        finally:
            for c in idle:
                c.close()
        s.stop()
        h.eq(s.leftovers, [], "processes left after the master exited")


@h.test(backends=True)
def sigterm_idle_server_exits_at_once(backend):
    with h.Superd(TWO.replace("{workers}", "2"), backend=backend) as s:
        s.wait_workers(2)
        rc = s.stop()
        h.eq(rc, 0, "exit status of an idle server after SIGTERM")
        h.check(s.stop_seconds is not None and s.stop_seconds < 3,
                "an idle server took %s s to stop" % s.stop_seconds)
        h.eq(s.leftovers, [], "processes left after the master exited")


@h.test(backends=True, only=["epoll"])
def daemon_mode_writes_pid_file(backend):
    path = h.config_file("""\
global:
  workers: 1
  pid_file: "{tmp}/superd.pid"
  log: "{tmp}/superd.log"
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
""")
    d = os.path.dirname(path)
    pidfile = os.path.join(d, "superd.pid")
    port = int(open(path).read().split("127.0.0.1:")[1].split('"')[0])
    r = h.run_superd("-d", "-f", path, backend=backend, timeout=10)
    pid = None
    try:
        h.eq(r.returncode, 0, "exit status of superd -d (stderr %r)" % r.stderr)
        h.wait_until(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), 5,
                     what="the pid file")
        pid = int(open(pidfile).read().strip())
        h.track_pid(pid)
        h.check(h.proc_alive(pid), "the pid in the pid file is not running")
        h.wait_until(lambda: echo_ok(port), 5, what="echo from the daemon")
        h.check(os.getsid(pid) == pid or os.getsid(pid) != os.getsid(0),
                "the daemon should leave our session")
    finally:
        if pid and h.proc_alive(pid):
            kids = h.children_of(pid)
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + 10
            while h.proc_alive(pid) and time.monotonic() < end:
                time.sleep(0.05)
            for p in [pid] + kids:
                if h.proc_alive(p):
                    os.kill(p, signal.SIGKILL)


if __name__ == "__main__":
    h.main(timeout=240)
