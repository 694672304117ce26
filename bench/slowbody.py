#!/usr/bin/env python3
"""slowbody.py - what slow and idle request bodies cost superd, lighttpd and
nginx (issue 10): a slowhttptest-style "slow message body" run, and idle
large uploads.  Not a test; `make check` does not run it.

    SUPERD_BIN=_build/dev/superd python3 bench/slowbody.py [-n 300] [-s 8]

slow: N connections each announce a 100 kB POST to a CGI program (lighttpd,
superd) or to a proxied location (nginx, which has no CGI: proxy_pass
buffers the whole body first, as superd now does) and send one byte a
second.  Reported after S seconds: processes in the server's tree, the
tree's RSS, and the time a 9-byte GET takes meanwhile.
idle: 3 connections each send 896 KiB of a chunked body and go quiet;
reported: the tree's RSS then, and the growth of the system's shared
memory (a memfd's pages are not in any process's RSS; noisy on a busy
machine).

Every server runs on 127.0.0.1 in its own process group and is killed by
its id at the end.  Ports 20600-20602.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from proctree import tree

HERE = os.path.dirname(os.path.abspath(__file__))
CGI = "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\ncat >/dev/null\necho ok\n"


def rss_kb(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def shmem_kb():
    """System-wide shared memory (memfd and tmpfs pages): /proc/meminfo."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Shmem:"):
                return int(line.split()[1])
    return 0


def wait_port(port, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("port %d never accepted" % port)


def start(name, work, root, port):
    """Start one server; returns (Popen, url path of the body sink)."""
    if name == "superd":
        conf = os.path.join(work, "superd.yaml")
        with open(conf, "w") as f:
            f.write("global: {workers: 1, log: %s/superd.log}\nservices:\n"
                    "  web: {module: http, listen: \"127.0.0.1:%d\", options: {root: %s}}\n"
                    % (work, port, root))
        binary = os.environ.get("SUPERD_BIN") or shutil.which("superd")
        env = dict(os.environ)
        env.setdefault("SUPERD_MODULE_PATH", os.path.join(os.path.dirname(binary), ".libs"))
        cmd, path = [binary, "-f", conf], "/slow.cgi"
    elif name == "lighttpd":
        text = open(os.path.join(HERE, "peers", "lighttpd.conf")).read()
        conf = os.path.join(work, "lighttpd.conf")
        with open(conf, "w") as f:
            f.write(text.replace("@DOCROOT@", root).replace("@WORK@", work)
                    .replace("@PORT@", str(port)))
        env, cmd, path = None, ["lighttpd", "-D", "-f", conf], "/slow.cgi"
    else:
        text = open(os.path.join(HERE, "peers", "nginx.conf")).read()
        text = text.replace("\t\tlocation / {", "\t\tlocation /up {\n\t\t\tproxy_pass "
                            "http://127.0.0.1:9;\n\t\t}\n\t\tlocation / {")
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(text.replace("@DOCROOT@", root).replace("@WORK@", work)
                    .replace("@PORT@", str(port)))
        env, cmd, path = None, ["nginx", "-p", work, "-c", conf], "/up"
    p = subprocess.Popen(cmd, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p, path


def get_time(port):
    t = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
    while s.recv(65536):
        pass
    s.close()
    return time.monotonic() - t


def slow(port, path, n, secs, pid):
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.sendall(b"POST %s HTTP/1.1\r\nHost: b\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 100000\r\n\r\nx" % path.encode())
        conns.append(s)
    procs = 0
    for _ in range(secs):
        time.sleep(1)
        for s in conns:
            try:
                s.send(b"x")
            except OSError:
                pass
        procs = max(procs, len(tree(pid)))
    out = (procs, rss_kb(tree(pid)), get_time(port))
    for s in conns:
        s.close()
    return out


def idle(port, path, pid, k=3):
    conns, chunk, shm = [], b"x" * 65536, shmem_kb()
    for _ in range(k):
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.sendall(b"POST %s HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % path.encode())
        for _ in range(14):  # 896 KiB, under every default limit
            s.sendall(b"10000\r\n" + chunk + b"\r\n")
        conns.append(s)
    time.sleep(1)
    out = (rss_kb(tree(pid)), shmem_kb() - shm)
    for s in conns:
        s.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=300, help="slow connections")
    ap.add_argument("-s", type=int, default=8, help="seconds of trickling")
    ap.add_argument("--sut", default="superd,lighttpd,nginx")
    a = ap.parse_args()
    print("%-9s %7s %9s %9s %10s %11s %9s" % ("server", "procs", "slow RSS", "GET ms",
                                              "idle RSS", "idle shmem", "base RSS"))
    for i, name in enumerate(a.sut.split(",")):
        if name != "superd" and not shutil.which(name):
            print("%-9s not installed" % name)
            continue
        work = tempfile.mkdtemp(prefix="superd-slowbody-")
        root = os.path.join(work, "root")
        os.mkdir(root)
        with open(os.path.join(root, "a.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(root, "slow.cgi"), "w") as f:
            f.write(CGI)
        os.chmod(os.path.join(root, "slow.cgi"), 0o755)
        p = None
        try:
            p, path = start(name, work, root, 20600 + i)
            time.sleep(0.5)
            base = rss_kb(tree(p.pid))
            procs, rss, get = slow(20600 + i, path, a.n, a.s, p.pid)
            irss, ishm = idle(20600 + i, path, p.pid)
            print("%-9s %7d %6.1f MB %9.1f %7.1f MB %8.1f MB %6.1f MB" %
                  (name, procs, rss / 1024, get * 1000, irss / 1024, ishm / 1024,
                   base / 1024))
        finally:
            if p:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
