#!/usr/bin/env python3
"""slowclients.py - what clients that write and never read cost an echo
service (issue 9.7): superd with its default limits, superd with
`max_output: 1M`, and xinetd's internal echo beside them.  Not a test;
`make check` does not run it.

    SUPERD_BIN=_build/dev/superd python3 bench/slowclients.py [-n 1000]

N TCP clients connect to the echo service, one after the other; each then
writes 64 KiB blocks until its socket blocks, and none ever reads.  The
writing goes on in rounds until two rounds in a row (the second one a
second after the first) could write nothing: every buffer on the way is
full.  Then, per server:

* user memory: Pss summed over the server's process tree, from
  /proc/PID/smaps_rollup (shared pages divided among the processes that
  map them, so 1,000 forked children are not counted 1,000 times), before
  the clients and with them; the difference divided by N is the figure
  per client;
* kernel memory of the server's sockets: `ss -tm` of the server's port,
  receive queue (skmem r) plus send queue (skmem w) summed over the
  connections, and the same for the clients' ends of them;
* how many bytes each client could write before it blocked, and the
  machine's TCP memory from /proc/net/sockstat (every socket's, both ends:
  the kernel caps it at net.ipv4.tcp_mem's third value, which is what
  stops the writing with 1,000 clients).

Every server runs on 127.0.0.1 in its own process group and is killed by
its id at the end, however the script ends.  Ports 20650-20652.  The
script raises its open-files limit to fit N clients (superd inherits it).
"""

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from proctree import tree

CHUNK = b"x" * 65536

SUPERD_CONF = """\
global:
  workers: 1
  log_level: warn
  log: {work}/superd.log
  max_connections: 100000
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port}"
{extra}"""

XINETD_CONF = """\
defaults
{{
	instances	= UNLIMITED
	per_source	= UNLIMITED
	cps		= 1000000 1
	log_type	= FILE /dev/null
	log_on_success	=
	log_on_failure	=
}}

service echo
{{
	type		= INTERNAL UNLISTED
	id		= echo-stream
	socket_type	= stream
	protocol	= tcp
	port		= {port}
	bind		= 127.0.0.1
	wait		= no
	user		= {user}
	flags		= NOLIBWRAP
}}
"""


def pss_kb(pids):
    """Pss and Rss summed over pids (KiB), from smaps_rollup."""
    pss = rss = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            pass
    return pss, rss


def skmem(port, side):
    """Kernel memory of the TCP sockets on one end of port: (connections,
    receive queue bytes, send queue bytes), from ss -tm."""
    filt = "( %s = :%d )" % ("sport" if side == "server" else "dport", port)
    out = subprocess.run(["ss", "-tmnH", "state", "established", filt],
                         capture_output=True, text=True, check=True).stdout
    conns = rq = sq = 0
    for m in re.finditer(r"skmem:\(([^)]*)\)", out):
        f = dict(re.match(r"([a-z]+)(\d+)", x).groups() for x in m.group(1).split(","))
        conns += 1
        rq += int(f.get("r", 0))
        sq += int(f.get("w", 0))
    return conns, rq, sq


def sockstat_tcp_bytes():
    """The whole machine's TCP socket memory (both ends of every
    connection, anyone's): /proc/net/sockstat, in pages."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def wait_for(cond, timeout, what):
    """Poll cond() until it is true, at most timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise SystemExit("timed out waiting for %s" % what)


def echoes(port):
    """True when the service on port echoes a line back (a worker is up)."""
    try:
        with socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"ping\n")
            got = b""
            while len(got) < 5:
                k = s.recv(5 - len(got))
                if not k:
                    return False
                got += k
            return got == b"ping\n"
    except OSError:
        return False


def start(kind, work, port):
    """Start one server in its own session; returns its Popen."""
    if kind == "xinetd":
        conf = os.path.join(work, "xinetd.conf")
        with open(conf, "w") as f:
            f.write(XINETD_CONF.format(port=port, user="root" if os.geteuid() == 0
                                       else os.environ.get("USER", "nobody")))
        cmd, env = ["xinetd", "-dontfork", "-f", conf, "-pidfile",
                    os.path.join(work, "xinetd.pid")], None
    else:
        extra = "    max_output: 1048576\n" if kind == "superd-1M" else ""
        conf = os.path.join(work, "superd.yaml")
        with open(conf, "w") as f:
            f.write(SUPERD_CONF.format(work=work, port=port, extra=extra))
        binary = os.environ.get("SUPERD_BIN") or shutil.which("superd")
        if not binary:
            raise SystemExit("set SUPERD_BIN to the superd binary")
        env = dict(os.environ)
        env.setdefault("SUPERD_MODULE_PATH", os.path.join(os.path.dirname(
            os.path.abspath(binary)), ".libs"))
        cmd = [binary, "-f", conf]
    p = subprocess.Popen(cmd, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: echoes(port), 10, "%s to echo on %d" % (kind, port))
    return p


def fill(socks, timeout):
    """Write to every socket until none can take a byte, two rounds in a
    row a second apart; returns the bytes written per socket."""
    written = [0] * len(socks)
    end = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        if time.monotonic() > end:
            raise SystemExit("clients still writing after %d s" % timeout)
        moved = 0
        for i, s in enumerate(socks):
            while True:
                try:
                    k = s.send(CHUNK)
                except BlockingIOError:
                    break
                written[i] += k
                moved += k
        quiet = quiet + 1 if moved == 0 else 0
        time.sleep(1.0 if moved == 0 else 0.1)
    return written


def run(kind, n, port):
    """One server, n non-reading clients; returns the measured row."""
    work = tempfile.mkdtemp(prefix="superd-slowclients-")
    p = None
    socks = []
    try:
        p = start(kind, work, port)
        if kind == "xinetd":  # forks per connection: the probe's child must be gone
            wait_for(lambda: len(tree(p.pid)) == 1, 10, "an idle process tree")
        base = pss_kb(tree(p.pid))
        t0 = time.monotonic()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), 10)
            s.setblocking(False)
            socks.append(s)
        wait_for(lambda: skmem(port, "server")[0] >= n, 60, "%d connections" % n)
        if kind == "xinetd":
            wait_for(lambda: len(tree(p.pid)) >= n + 1, 120, "%d echo children" % n)
        written = fill(socks, 120)
        secs = time.monotonic() - t0
        pids = tree(p.pid)
        pss, rss = pss_kb(pids)
        srv, cli = skmem(port, "server"), skmem(port, "client")
        return {"kind": kind, "n": n, "procs": len(pids), "base": base[0],
                "tcpmem": sockstat_tcp_bytes(),
                "pss": pss, "rss": rss, "srv": srv, "cli": cli,
                "written": sum(written), "secs": secs}
    finally:
        for s in socks:
            s.close()
        if p is not None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            except ProcessLookupError:
                pass
        shutil.rmtree(work, ignore_errors=True)


def report(r):
    """One server's lines, sizes in MB (10^6 B) and KiB per client."""
    n, mb = r["n"], 1024 / 1e6
    user = r["pss"] - r["base"]
    srvk = r["srv"][1] + r["srv"][2]
    clik = r["cli"][1] + r["cli"][2]
    print("%-10s procs %5d  Pss %7.1f MB (idle %5.1f MB, +%6.1f KiB/client)  "
          "Rss %7.1f MB" % (r["kind"], r["procs"], r["pss"] * mb, r["base"] * mb,
                           user / n, r["rss"] * mb))
    print("%-10s server sockets %5d: recv-q %7.1f MB  send-q %7.1f MB  "
          "(%6.1f KiB/client)" % ("", r["srv"][0], r["srv"][1] / 1e6,
                                  r["srv"][2] / 1e6, srvk / 1024 / n))
    print("%-10s client sockets %5d: recv-q %7.1f MB  send-q %7.1f MB  "
          "(%6.1f KiB/client)" % ("", r["cli"][0], r["cli"][1] / 1e6,
                                  r["cli"][2] / 1e6, clik / 1024 / n))
    print("%-10s written %.1f MB (%.1f KiB/client) in %.1f s; machine's TCP "
          "memory (sockstat) %.1f MB" % ("", r["written"] / 1e6, r["written"] / 1024 / n,
                                         r["secs"], r["tcpmem"] / 1e6))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="clients (1000)")
    ap.add_argument("--sut", default="superd,superd-1M,xinetd",
                    help="servers, comma-separated (superd,superd-1M,xinetd)")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * a.n + 256
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise SystemExit("open-files hard limit %d is below the %d needed" % (hard, need))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    for i, kind in enumerate(a.sut.split(",")):
        if kind == "xinetd" and not shutil.which("xinetd"):
            print("xinetd     not installed")
            continue
        report(run(kind, a.n, 20650 + i))


if __name__ == "__main__":
    main()
