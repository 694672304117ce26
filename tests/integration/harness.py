"""harness.py - run the real superd on loopback for integration tests.

Python 3 standard library only.  Every tests/integration/test_*.py imports it:

    import harness as h

    @h.test(backends=True)              # run once per event backend
    def echo_works(backend):
        with h.Superd('''
    services:
      echo: {module: echo, listen: "127.0.0.1:{port0}"}
    ''', backend=backend) as s:
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"hi"), b"hi")

    @h.test()                           # run once
    def version():
        r = h.run_superd("-V")
        h.eq(r.returncode, 0)

    if __name__ == "__main__":
        h.main(timeout=120)

Environment (set by `make check` through AM_TESTS_ENVIRONMENT):
  SUPERD_BIN            the superd binary (default: $top_builddir/superd)
  SUPERD_MODULE_PATH    directory of the built modules (default: $top_builddir/.libs);
                        passed on to superd in its environment, unchanged
  top_srcdir, top_builddir
  SUPERD_TEST_BACKENDS  narrows backends(): "epoll" or "select,poll"
  SUPERD_TEST_TIME_SCALE  multiplies the per-file timeout (slow builds: ASan, valgrind)
  SUPERD_TEST_KEEP      keep the temp dirs (config, log) of every run for inspection

Command line of a test file:  test_x.py [-k SUBSTRING] [-b BACKEND] [-v]

Exit codes follow automake: 0 pass, 77 skip (everything skipped), 99 hard
error (harness trouble, global timeout, binary missing), 1 a test failed.
Each test's outcome is printed as "PASS name[backend]", "FAIL name[backend]"
(with the reason and the tail of superd's log) or "SKIP name[backend]: why".

Superd(config, ...) is a context manager: it writes the config (YAML text or a
dict, see Superd.__init__ for the {port0}-style placeholders) into a temp dir,
starts `SUPERD_BIN -f FILE` in its own process group with its stderr in a file
(s.log_text(), s.wait_log()), waits until every TCP port it was given accepts,
and on exit sends SIGTERM, waits (bounded), then SIGKILLs the whole group;
a sanitizer report in its log (ASan/UBSan builds) fails the test.
Nothing a test starts outlives it: an alarm() bounds each file, and its
handler kills every live superd before exiting with 99.

What else is here (each has its own docstring):
  outcomes   skip(why), fail(msg), eq(got, want, what), check(cond, msg),
             wait_until(pred, timeout), Skip, HarnessError
  ports      free_port("tcp"|"udp"|"both")
  sockets    connect(host, port, source=), recv_all, recv_exact, is_closed,
             tcp_exchange(host, port, data, half_close, timeout, source=),
             udp_socket, udp_exchange(host, port, data, timeout, source=)
  protocols  rfc868_now, chargen_line/chargen_stream/chargen_valid_udp,
             check_time_reply, check_daytime_reply, check_chargen_stream,
             FIVE/classic(backend): the five services on ports 0-4
  /proc      children_of, proc_alive, socket_inodes, listen_inodes, vm_hwm_kb
  superd     run_superd(*args), config_file(text), check_config(text),
             Superd(...): .pid .port(i) .path(rel) .reload(config) .signal(sig)
             .workers() .wait_workers(n) .log_text() .log_mark() .wait_log(rx)
             .log_lines(rx) .stop(sig) .wait_exit() .alive(); track_pid(pid)
  running    test(backends=, only=), backends(), main(timeout), raise_nofile
"""

import json
import os
import random
import re
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

EXIT_PASS, EXIT_FAIL, EXIT_SKIP, EXIT_HARD = 0, 1, 77, 99

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir") or TOP_SRCDIR
SUPERD_BIN = os.environ.get("SUPERD_BIN") or os.path.join(TOP_BUILDDIR, "superd")
SUPERD_MODULE_PATH = os.environ.get("SUPERD_MODULE_PATH") or os.path.join(TOP_BUILDDIR, ".libs")
TIME_SCALE = float(os.environ.get("SUPERD_TEST_TIME_SCALE") or "1")
ALL_BACKENDS = ["select", "poll", "epoll"]
RFC868_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01

# ---------------------------------------------------------------- outcomes


class Skip(Exception):
    """Raise (or call skip()) to skip the current test with a reason."""


class HarnessError(Exception):
    """Trouble in the harness or the environment, not in superd: exit 99."""


def skip(why):
    raise Skip(why)


def fail(msg):
    raise AssertionError(msg)


def short(v, limit=200):
    """repr() cut to limit characters, so a 1 MiB mismatch stays readable."""
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "...(%d chars)" % len(r)


def eq(got, want, what=""):
    """Fail unless got == want; bytes mismatches say where they start."""
    if got == want:
        return
    extra = ""
    if isinstance(got, (bytes, str)) and isinstance(want, (bytes, str)):
        n = min(len(got), len(want))
        first = next((i for i in range(n) if got[i] != want[i]), n)
        extra = " (len %d vs %d, first difference at %d: got %s want %s)" % (
            len(got), len(want), first, short(got[first:first + 16]),
            short(want[first:first + 16]))
    fail("%sgot %s, want %s%s" % (what + ": " if what else "",
                                  short(got), short(want), extra))


def check(cond, msg):
    """Fail with msg unless cond."""
    if not cond:
        fail(msg)


def wait_until(pred, timeout=5.0, interval=0.02, what="condition"):
    """Poll pred() until true (returns its value) or fail after timeout s.
    what: the text of the failure, or a function that makes it then (so it
    can say what was last seen)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            fail("timed out after %.1fs waiting for %s"
                 % (timeout, what() if callable(what) else what))
        time.sleep(interval)


def is_root():
    return os.geteuid() == 0


def raise_nofile(want):
    """Raise this process's RLIMIT_NOFILE soft limit to want (or the hard
    limit, or more as root).  Returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    if hard != resource.RLIM_INFINITY and hard < want and is_root():
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            pass
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return new

# ---------------------------------------------------------------- ports

_given_ports = set()
_port_lock = threading.Lock()


def _port_range():
    """Ports below the kernel's ephemeral range, so no client socket of a
    parallel test can be handed one of ours between pick and bind."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return (max(10000, low - 12000), low - 1)


def _port_is_free(port, protos):
    """Can port be bound on 127.0.0.1, ::1 and the wildcards for protos?"""
    socks = []
    try:
        for proto in protos:
            kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
            for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
                try:
                    s = socket.socket(fam, kind)
                except OSError:
                    continue  # no IPv6: nothing to collide with
                socks.append(s)
                if fam == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def _holds_socket(pid, inodes):
    """Does process pid have one of the socket inodes open?"""
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:[") and int(target[8:-1]) in inodes:
            return True
    return False


def free_port(proto="both"):
    """An unused port for proto ("tcp", "udp" or "both"), free on every
    loopback and wildcard address, never handed out twice by this process.
    Random in a range below the ephemeral ports: safe with `make -j`."""
    protos = ["tcp", "udp"] if proto == "both" else [proto]
    lo, hi = _port_range()
    with _port_lock:
        for _ in range(500):
            port = random.randint(lo, hi)
            if port in _given_ports:
                continue
            if _port_is_free(port, protos):
                _given_ports.add(port)
                return port
    raise HarnessError("no free %s port found in %d-%d" % (proto, lo, hi))

# ---------------------------------------------------------------- sockets


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _source(src, host):
    """Normalise a source address: "127.0.0.2", ("127.0.0.2", 0) or None."""
    if src is None:
        return None
    if isinstance(src, str):
        return (src, 0)
    return tuple(src)


def connect(host, port, source=None, timeout=5.0):
    """A TCP socket connected to host:port, optionally bound first to
    source ("127.0.0.2" or (addr, port)).  The socket has timeout set."""
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        src = _source(source, host)
        if src is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(src)
        s.connect((host, port))
        return s
    except BaseException:
        s.close()
        raise


def recv_all(s, timeout=5.0, limit=None):
    """Read until EOF (or limit bytes); fail if it takes longer than timeout."""
    end = time.monotonic() + timeout
    chunks, n = [], 0
    while limit is None or n < limit:
        left = end - time.monotonic()
        if left <= 0:
            fail("no EOF within %.1fs (got %d bytes)" % (timeout, n))
        s.settimeout(left)
        try:
            b = s.recv(65536 if limit is None else min(65536, limit - n))
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not b:
            break
        chunks.append(b)
        n += len(b)
    return b"".join(chunks)


def recv_exact(s, n, timeout=5.0):
    """Read exactly n bytes (fail on EOF or timeout)."""
    end = time.monotonic() + timeout
    buf = bytearray()
    while len(buf) < n:
        left = end - time.monotonic()
        if left <= 0:
            fail("got %d of %d bytes within %.1fs" % (len(buf), n, timeout))
        s.settimeout(left)
        try:
            b = s.recv(n - len(buf))
        except socket.timeout:
            continue
        if not b:
            fail("EOF after %d of %d bytes" % (len(buf), n))
        buf += b
    return bytes(buf)


def is_closed(s, timeout=2.0):
    """True if the peer closed s (EOF or reset) within timeout, with no data."""
    s.settimeout(timeout)
    try:
        b = s.recv(1)
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
    return b == b""


def tcp_exchange(host, port, data=b"", half_close=True, timeout=5.0,
                 source=None, limit=None):
    """Connect, send data while reading, half-close (shutdown SHUT_WR) after
    the last byte if half_close, and return every byte received until EOF.
    Sending and receiving are interleaved, so a large echo cannot deadlock."""
    s = connect(host, port, source=source, timeout=timeout)
    try:
        s.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if data else 0))
        view, sent, out = memoryview(data), 0, bytearray()
        if not data and half_close:
            s.shutdown(socket.SHUT_WR)
        end = time.monotonic() + timeout
        eof = False
        while not eof and (limit is None or len(out) < limit):
            left = end - time.monotonic()
            if left <= 0:
                fail("tcp_exchange %s:%d: no EOF within %.1fs (sent %d of %d, got %d)"
                     % (host, port, timeout, sent, len(data), len(out)))
            for key, ev in sel.select(left):
                if ev & selectors.EVENT_WRITE and sent < len(data):
                    try:
                        sent += s.send(view[sent:sent + 262144])
                    except BlockingIOError:
                        pass
                    if sent == len(data):
                        sel.modify(s, selectors.EVENT_READ)
                        if half_close:
                            s.shutdown(socket.SHUT_WR)
                if ev & selectors.EVENT_READ:
                    try:
                        b = s.recv(262144)
                    except BlockingIOError:
                        continue
                    except ConnectionResetError:
                        b = b""
                    if not b:
                        eof = True
                        break
                    out += b
        sel.close()
        return bytes(out)
    finally:
        s.close()


def udp_socket(host, source=None, timeout=2.0):
    """An unconnected UDP socket of host's family, bound to source if given."""
    u = socket.socket(family_of(host), socket.SOCK_DGRAM)
    u.settimeout(timeout)
    src = _source(source, host)
    if src is not None:
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        u.bind(src)
    return u


def udp_exchange(host, port, data, timeout=2.0, source=None):
    """Send one datagram, return the first reply's bytes or None if none
    came within timeout."""
    u = udp_socket(host, source, timeout)
    try:
        u.sendto(data, (host, port))
        try:
            b, _ = u.recvfrom(65536)
            return b
        except socket.timeout:
            return None
    finally:
        u.close()


def rfc868_now():
    """Seconds since 1900 modulo 2**32, as RFC 868 sends them."""
    return (int(time.time()) + RFC868_OFFSET) % (1 << 32)


def chargen_line(i):
    """Line i (0-based) of RFC 864's pattern: 72 characters from the 95
    printable ones, starting one further on each line, then CRLF."""
    return bytes(0x20 + (i + j) % 95 for j in range(72)) + b"\r\n"


def chargen_stream(nbytes, first_line=0):
    """The first nbytes of the chargen stream starting at first_line."""
    out = bytearray()
    i = first_line
    while len(out) < nbytes:
        out += chargen_line(i)
        i += 1
    return bytes(out[:nbytes])


def chargen_valid_udp(b):
    """Is b a valid UDP chargen reply: at most 512 bytes, every line made of
    printable characters each the successor (in the 95-character ring) of
    the one before, lines separated by CRLF?"""
    if b is None or len(b) > 512:
        return False
    # the reply may be cut anywhere, also inside a CRLF
    if b.endswith(b"\r"):
        b = b[:-1]
    if b.startswith(b"\n"):
        b = b[1:]
    for seg in b.split(b"\r\n"):
        if any(c < 0x20 or c > 0x7E for c in seg):
            return False
        if any((seg[k + 1] - 0x20) % 95 != (seg[k] - 0x20 + 1) % 95
               for k in range(len(seg) - 1)):
            return False
    return True

# ---------------------------------------------------------------- /proc


def children_of(pid):
    """Pids whose parent is pid (via /proc/PID/task/*/children, else a scan)."""
    kids = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                kids += [int(x) for x in f.read().split()]
        return sorted(set(kids))
    except OSError:
        pass
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                if int(st[st.rindex(")") + 2:].split()[1]) == pid:
                    kids.append(int(d))
            except (OSError, ValueError):
                pass
    return sorted(kids)


def tcp_segments_in(sock):
    """(all, with data) TCP segments sock received: tcpi_segs_in and
    tcpi_data_segs_in of TCP_INFO (Linux)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return (int.from_bytes(info[140:144], sys.byteorder),
            int.from_bytes(info[152:156], sys.byteorder))


def proc_alive(pid):
    """Is pid a live (non-zombie) process?"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return st[st.rindex(")") + 2] not in "ZX"
    except OSError:
        return False


def socket_inodes(pid):
    """Set of socket inodes open in pid (from /proc/PID/fd)."""
    out = set()
    d = "/proc/%d/fd" % pid
    try:
        names = os.listdir(d)
    except OSError:
        return out
    for n in names:
        try:
            t = os.readlink(os.path.join(d, n))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", t)
        if m:
            out.add(int(m.group(1)))
    return out


def listen_inodes(port, proto="tcp"):
    """Inodes of sockets bound to local port (TCP: listening only) from
    /proc/net/{tcp,tcp6,udp,udp6}."""
    out = set()
    for name in (proto, proto + "6"):
        try:
            with open("/proc/net/" + name) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            p = ln.split()
            if len(p) < 10:
                continue
            if int(p[1].split(":")[1], 16) != port:
                continue
            if proto == "tcp" and p[3] != "0A":
                continue
            out.add(int(p[9]))
    return out


def vm_hwm_kb(pid):
    """VmHWM of pid in kB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return None

# ---------------------------------------------------------------- config


_PLACEHOLDER = re.compile(r"\{(port\d+|tmp|modpath|srcdir|builddir)\}")


def _substitute(text, values):
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)])
                            if m.group(1) in values else m.group(0), text)


def _subst_tree(v, values):
    """Substitute placeholders in a dict/list tree; a string that is only
    "{portN}" becomes an int."""
    if isinstance(v, dict):
        return {k: _subst_tree(x, values) for k, x in v.items()}
    if isinstance(v, list):
        return [_subst_tree(x, values) for x in v]
    if isinstance(v, str):
        m = re.fullmatch(r"\{(port\d+)\}", v)
        if m and m.group(1) in values:
            return values[m.group(1)]
        return _substitute(v, values)
    return v


def to_yaml(tree):
    """YAML text for a dict: JSON, which YAML 1.2 (and libyaml) read."""
    return json.dumps(tree, indent=2) + "\n"


def write_file(path, text, mode=None):
    """Write text to path (its directory made if missing); returns path."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def _placeholder_ports(text):
    return sorted({int(m) for m in re.findall(r"\{port(\d+)\}", text)})


def superd_env(backend=None, extra=None):
    """Environment for a superd child: ours, plus the module path and the
    event backend override."""
    env = dict(os.environ)
    env["SUPERD_MODULE_PATH"] = SUPERD_MODULE_PATH
    if backend:
        env["SUPERD_EVENT_BACKEND"] = backend
    if extra:
        env.update(extra)
    return env


# A sanitizer's report (ASan, LSan, UBSan builds in CI): always a failure.
SANITIZER_RX = re.compile(r"ERROR: (Address|Leak|Thread|Memory|UndefinedBehavior)Sanitizer"
                          r"|runtime error: |SUMMARY: \w+Sanitizer")


def check_no_sanitizer_report(text, what):
    """Fail if text holds a sanitizer report."""
    m = SANITIZER_RX.search(text or "")
    if m:
        start = max(0, text.rfind("\n", 0, max(0, m.start() - 200)))
        fail("%s: sanitizer report:\n%s" % (what, text[start:start + 3000]))


def run_superd(*args, input=None, timeout=10.0, env=None, backend=None, cwd=None):
    """Run superd with args to completion (bounded); a CompletedProcess with
    text stdout/stderr.  A hang is a test failure, and the child's whole
    process group is killed; so is a sanitizer report on stderr."""
    cmd = [SUPERD_BIN] + [str(a) for a in args]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         errors="replace", env=superd_env(backend, env), cwd=cwd,
                         start_new_session=True)
    try:
        out, err = p.communicate(input, timeout=timeout * TIME_SCALE)
    except subprocess.TimeoutExpired:
        _killpg(p.pid)
        out, err = p.communicate()
        fail("superd %s did not finish within %.0fs (stderr: %s)"
             % (" ".join(map(str, args)), timeout, short(err[-500:])))
    finally:
        _killpg(p.pid)  # nothing of it may outlive the call
    check_no_sanitizer_report(err, "superd " + " ".join(map(str, args)))
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def config_file(text, name="superd.yaml", files=None):
    """Write text (placeholders as for Superd: {portN} get free ports) into a
    new temp dir; returns the file's path.  files: {relative name: text}
    written beside it first."""
    d = tempfile.mkdtemp(prefix="superd-t-")
    _temp_dirs.append(d)
    values = {"tmp": d, "modpath": SUPERD_MODULE_PATH, "srcdir": TOP_SRCDIR,
              "builddir": TOP_BUILDDIR}
    for p in _placeholder_ports(text):
        values["port%d" % p] = free_port("both")
    for rel, body in (files or {}).items():
        write_file(os.path.join(d, rel), _substitute(body, values))
    return write_file(os.path.join(d, name), _substitute(text, values))


def check_config(text, env=None, name="superd.yaml", files=None):
    """config_file(), then `superd -t -f FILE`.  Returns (CompletedProcess,
    path of the file)."""
    path = config_file(text, name, files)
    return run_superd("-t", "-f", path, env=env), path


# ---------------------------------------------------------------- Superd

_live = []
_temp_dirs = []


class StartError(AssertionError):
    """superd exited or never listened during start-up."""


class Superd:
    """A running superd (context manager).

    config: YAML text or a dict.  Placeholders {port0}, {port1}, ... get a
      free port each (free for TCP and UDP); {tmp} is the run's temp dir,
      {modpath} the module dir, {srcdir}/{builddir} the tree.  In a dict, a
      string that is only "{portN}" becomes an int.
    backend: event backend (SUPERD_EVENT_BACKEND), None for the default.
    wait_tcp: (host, port) pairs that must accept before start returns;
      default: every {portN} on 127.0.0.1 (else ::1) unless listed in udp_only.
      Pass [] to wait for nothing (use wait_log instead).
    udp_only: indexes of placeholder ports that carry no TCP listener.
    args: extra command-line arguments; env: extra environment.
    files: {relative name: text} written into the temp dir before start.
    expect_exit: start() does not wait for ports and the caller checks
      s.proc itself (for files superd must refuse at start).
    check_exit: when the `with` block ends without an exception and superd
      is still running, the SIGTERM the harness sends must make it exit 0
      within stop_timeout (a crash or hang at shutdown fails the test).
    """

    def __init__(self, config, backend=None, wait_tcp=None, udp_only=(), args=(),
                 env=None, files=None, start_timeout=10.0, stop_timeout=15.0,
                 expect_exit=False, check_exit=True):
        self.tmp = tempfile.mkdtemp(prefix="superd-it-")
        _temp_dirs.append(self.tmp)
        self.backend = backend
        self.values = {"tmp": self.tmp, "modpath": SUPERD_MODULE_PATH,
                       "srcdir": TOP_SRCDIR, "builddir": TOP_BUILDDIR}
        text = config if isinstance(config, str) else json.dumps(config)
        self.ports = [None] * (max(_placeholder_ports(text) + [-1]) + 1)
        self.config_path = os.path.join(self.tmp, "superd.yaml")
        self.log_path = os.path.join(self.tmp, "superd.log")
        self.out_path = os.path.join(self.tmp, "stdout.log")
        self._config, self._files, self._udp_only = config, files or {}, udp_only
        self._wait_any_family = wait_tcp is None
        self._pick_ports()
        if wait_tcp is not None:
            self.wait_tcp = list(wait_tcp)
        self.args = [str(a) for a in args]
        self.env = env
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.expect_exit = expect_exit
        self.check_exit = check_exit and not expect_exit
        self.proc = None
        self.returncode = None
        self.stop_seconds = None
        self.leftovers = []

    # -- config and files

    def _pick_ports(self):
        """A free port for every placeholder; then the files, the
        configuration and (by default) the ports to wait for."""
        for i in range(len(self.ports)):
            self.ports[i] = free_port("both")
            self.values["port%d" % i] = self.ports[i]
        for rel, body in self._files.items():
            write_file(os.path.join(self.tmp, rel), _substitute(body, self.values))
        self.write_config(self._config)
        if self._wait_any_family:
            self.wait_tcp = [("127.0.0.1", p) for i, p in enumerate(self.ports)
                             if i not in self._udp_only]

    def _port_was_taken(self):
        """Did superd exit at start because another program bound one of
        the picked ports between pick and bind (parallel suites)?  Only
        then, and only for placeholder ports, may start() pick again."""
        return (self._wait_any_family and self.ports and self.proc.poll() is not None
                and "Address already in use" in self.log_text())

    def port(self, i):
        """The port given to placeholder {port<i>}."""
        return self.ports[i]

    def path(self, rel):
        """A path inside this run's temp dir."""
        return os.path.join(self.tmp, rel)

    def write_config(self, config, path=None):
        """(Re)write the config file (text or dict, same placeholders; new
        {portN} beyond the first start's get fresh ports)."""
        text = config if isinstance(config, str) else json.dumps(config)
        for i in _placeholder_ports(text):
            if "port%d" % i not in self.values:
                while len(self.ports) <= i:
                    p = free_port("both")
                    self.values["port%d" % len(self.ports)] = p
                    self.ports.append(p)
        if isinstance(config, str):
            body = _substitute(config, self.values)
        else:
            body = to_yaml(_subst_tree(config, self.values))
        tmp = (path or self.config_path) + ".new"
        write_file(tmp, body)
        os.rename(tmp, path or self.config_path)  # atomic for reloads
        return path or self.config_path

    # -- process

    def start(self):
        """Start superd and wait for its ports (see the class).  A port
        another program took before superd bound it gets new ports and
        another try, twice at most."""
        for attempt in range(3):
            try:
                return self._start_once()
            except StartError:
                if attempt == 2 or not self._port_was_taken():
                    raise
                sys.stdout.write("harness: a port was taken before superd bound it "
                                 "(%s); new ports\n" % self.log_tail(1))
                self.stop()
                self._pick_ports()

    def _start_once(self):
        cmd = [SUPERD_BIN, "-f", self.config_path] + self.args
        self._log = open(self.log_path, "wb")
        out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=self._log, env=superd_env(self.backend, self.env),
                                     cwd=self.tmp, start_new_session=True)
        out.close()
        self.pid = self.proc.pid
        _live.append(self)
        if self.expect_exit:
            return self
        end = time.monotonic() + self.start_timeout * TIME_SCALE
        pending = list(self.wait_tcp)
        self.probes = 0
        while pending:
            if self.proc.poll() is not None:
                raise StartError("superd exited with %d during start-up; log:\n%s"
                                 % (self.proc.returncode, self.log_tail()))
            host, port = pending[0]
            if self._ours(port) and (self._accepts(host, port) or (
                    self._wait_any_family and self._accepts("::1", port))):
                self.probes += 1
                pending.pop(0)
                continue
            if time.monotonic() > end:
                raise StartError("superd not accepting on %s:%d after %.0fs; log:\n%s"
                                 % (host, port, self.start_timeout, self.log_tail()))
            time.sleep(0.02)
        return self

    def _ours(self, port):
        """Is a socket listening on port held by this superd (the master or
        a worker)?  Another test's server that took the same port between
        pick and bind must not pass for this one's."""
        inodes = listen_inodes(port)
        if not inodes:
            return False
        for pid in [self.pid] + children_of(self.pid):
            if _holds_socket(pid, inodes):
                return True
        return False

    @staticmethod
    def _accepts(host, port):
        try:
            s = socket.create_connection((host, port), timeout=0.5)
        except OSError:
            return False
        s.close()
        return True

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        """Send sig to the master."""
        os.kill(self.pid, sig)

    def reload(self, config=None):
        """Optionally rewrite the config, then SIGHUP the master."""
        if config is not None:
            self.write_config(config)
        self.signal(signal.SIGHUP)

    def workers(self):
        """Live child pids of the master (its workers and any exec children)."""
        return [p for p in children_of(self.pid) if proc_alive(p)]

    def wait_workers(self, n, timeout=5.0):
        """Wait until the master has exactly n live children; return them."""
        return wait_until(lambda: (lambda w: w if len(w) == n else None)(self.workers()),
                          timeout, what=lambda: "%d workers (have %s)" % (n, self.workers()))

    def wait_exit(self, timeout=10.0):
        """Wait for the master to exit; its status, or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout * TIME_SCALE)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, sig=None):
        """Stop: sig, bounded wait, then SIGKILL of the whole group.  Returns
        the exit status (negative: killed by a signal); records how long the
        master took (stop_seconds) and any process of the group left behind
        (leftovers)."""
        if self.proc is None:
            return None
        sig = signal.SIGTERM if sig is None else sig
        if self.proc.poll() is None:
            t0 = time.monotonic()
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(self.stop_timeout * TIME_SCALE)
                self.stop_seconds = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                self.stop_seconds = None
        self.leftovers = self._group_members()
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.returncode = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.returncode = None
        if self in _live:
            _live.remove(self)
        if not self._log.closed:
            self._log.close()
        return self.returncode

    def _group_members(self):
        out = []
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) != self.pid:
                try:
                    if os.getpgid(int(d)) == self.pid and proc_alive(int(d)):
                        out.append(int(d))
                except OSError:
                    pass
        return out

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, et, ev, tb):
        was_running = self.alive()
        self.stop()
        if et is not None and not isinstance(ev, Skip):
            sys.stdout.write("---- superd log (%s) tail:\n%s\n" % (self.log_path, self.log_tail()))
        elif et is None:
            check_no_sanitizer_report(self.log_text(), "superd's log")
            if was_running and self.check_exit and (self.stop_seconds is None or
                                                    self.returncode != 0):
                fail("superd did not exit 0 on SIGTERM at the end of the test (status %s, %s);"
                     " log tail:\n%s" % (self.returncode, "exited" if self.stop_seconds
                                          is not None else "killed after %.0fs" %
                                          self.stop_timeout, self.log_tail()))
        return False

    # -- log

    CONN_LINE = r"\d+\.\d{3}s, in \d+, out \d+"

    def wait_conn_lines(self, n, regex=CONN_LINE, timeout=5.0, since=0):
        """Wait until at least n connection lines (matching regex) are in the
        log after offset since: each such line is written after the
        connection's socket is closed and its access slot given back."""
        return wait_until(lambda: (lambda l: l if len(l) >= n else None)(
            self.log_lines(regex, since)), timeout * TIME_SCALE,
            what="%d log lines matching %r; log tail:\n%s" % (n, regex, self.log_tail()))

    def settle(self, timeout=5.0):
        """Wait until the start-up probes' connections are closed and logged
        (so their slots in max_connections, per_source... are free)."""
        if getattr(self, "probes", 0):
            self.wait_conn_lines(self.probes, timeout=timeout)

    def log_text(self):
        """Everything superd has written to stderr so far."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_mark(self):
        """Current log length: pass as since= to wait_log for newer lines."""
        return len(self.log_text())

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def log_lines(self, regex=None, since=0):
        lines = self.log_text()[since:].splitlines()
        return [l for l in lines if regex is None or re.search(regex, l)]

    def wait_log(self, regex, timeout=5.0, since=0):
        """Wait for a log line matching regex (after offset since); return
        the re.Match.  Fails after timeout with the log's tail."""
        end = time.monotonic() + timeout * TIME_SCALE
        rx = re.compile(regex)
        while True:
            for line in self.log_text()[since:].splitlines():
                m = rx.search(line)
                if m:
                    return m
            if time.monotonic() > end:
                fail("no log line matching %r within %.1fs; log tail:\n%s"
                     % (regex, timeout, self.log_tail()))
            time.sleep(0.02)

# ---------------------------------------------------------------- classic services

# The five classic services on 127.0.0.1 and ::1, TCP and UDP; use
# classic(backend, workers).  port0 echo, port1 discard, port2 chargen, port3 daytime, port4 time
FIVE = """\
global:
  workers: {workers}
services:
  echo:
    module: echo
    listen: ["127.0.0.1:{port0}", "[::1]:{port0}"]
    protocol: [tcp, udp]
  discard:
    module: discard
    listen: ["127.0.0.1:{port1}", "[::1]:{port1}"]
    protocol: [tcp, udp]
  chargen:
    module: chargen
    listen: ["127.0.0.1:{port2}", "[::1]:{port2}"]
    protocol: [tcp, udp]
  daytime:
    module: daytime
    listen: ["127.0.0.1:{port3}", "[::1]:{port3}"]
    protocol: [tcp, udp]
  time:
    module: time
    listen: ["127.0.0.1:{port4}", "[::1]:{port4}"]
    protocol: [tcp, udp]
"""
ECHO, DISCARD, CHARGEN, DAYTIME, TIME = range(5)
HOSTS = ("127.0.0.1", "::1")


_mib = []


def binary_mib():
    """1 MiB (+3) with every byte value, NULs included, not a repeating block."""
    if not _mib:
        _mib.append(bytes((i * 7 + (i >> 8) * 13) & 0xFF for i in range(1 << 20)) + b"\0\0\0")
    return _mib[0]


def check_time_reply(b, what):
    """b is an RFC 868 reply: 4 bytes, within 2 s of now."""
    eq(len(b), 4, "%s: time reply length" % what)
    got = struct.unpack("!I", b)[0]
    now = rfc868_now()
    diff = (got - now + (1 << 31)) % (1 << 32) - (1 << 31)
    check(abs(diff) <= 2, "%s: time %d is %+d s from now (%d)" % (what, got, diff, now))


def check_daytime_reply(b, what):
    """b is an RFC 867 reply: one printable line with the year in it."""
    check(b.endswith(b"\n"), "%s: daytime should end its line: %r" % (what, b))
    eq(b.count(b"\n"), 1, "%s: number of lines in %r" % (what, b))
    text = b.rstrip(b"\r\n")
    check(text and all(0x20 <= c < 0x7F for c in text),
          "%s: daytime line should be printable text: %r" % (what, b))
    years = {str(time.gmtime().tm_year), str(time.localtime().tm_year)}
    check(any(y.encode() in text for y in years), "%s: no year in %r" % (what, b))


def check_chargen_stream(b, what):
    """b is the RFC 864 stream exactly, starting at any line."""
    check(len(b) >= 74, "%s: chargen sent only %d bytes" % (what, len(b)))
    first = b[0] - 0x20
    check(0 <= first < 95, "%s: first byte %r is not printable" % (what, b[:1]))
    want = chargen_stream(len(b), first_line=first)
    eq(b, want, "%s: chargen stream (starting at line %d)" % (what, first))


def classic(backend, workers=2, **kw):
    """A Superd running FIVE (echo, discard, chargen, daytime, time)."""
    return Superd(FIVE.replace("{workers}", str(workers)), backend=backend, **kw)


# ---------------------------------------------------------------- running


def backends():
    """The event backends to test: all, or $SUPERD_TEST_BACKENDS."""
    want = os.environ.get("SUPERD_TEST_BACKENDS", "")
    names = [b for b in re.split(r"[,\s]+", want) if b] or ALL_BACKENDS
    return [b for b in names if b in ALL_BACKENDS] or names


_tests = []


def test(backends=False, only=None):
    """Decorator: register a test.  backends=True runs it once per event
    backend (the function takes the backend name); only= a list narrows it
    (e.g. only=["epoll"])."""
    def register(fn):
        _tests.append((fn, backends, only))
        return fn
    return register


_tracked_pids = []


def track_pid(pid):
    """Have kill_all() (end of each test, time limit) SIGKILL pid and its
    children too: for processes outside a Superd's group (superd -d)."""
    _tracked_pids.append(pid)


def kill_all():
    """SIGKILL every superd process group still running, and every tracked
    pid with its children (end of each test, timeout path)."""
    for s in list(_live):
        try:
            os.killpg(s.pid, signal.SIGKILL)
        except OSError:
            pass
    while _tracked_pids:
        pid = _tracked_pids.pop()
        if not _is_superd(pid):
            continue  # gone (its pid may even be reused): leave it alone
        for p in [pid] + children_of(pid):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def _is_superd(pid):
    """Is pid a live process running SUPERD_BIN?"""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return False
    return proc_alive(pid) and os.path.basename(argv0) == os.path.basename(SUPERD_BIN)


def _on_alarm(signo, frame):
    sys.stdout.write("HARD ERROR: the test file's time limit expired; in:\n%s"
                     % "".join(traceback.format_stack(frame)))
    for s in list(_live):
        sys.stdout.write("---- superd log tail (%s):\n%s\n" % (s.log_path, s.log_tail()))
    sys.stdout.flush()
    kill_all()
    os._exit(EXIT_HARD)


def _cleanup_temp():
    if os.environ.get("SUPERD_TEST_KEEP"):
        return
    import shutil
    for d in _temp_dirs:
        shutil.rmtree(d, ignore_errors=True)


def main(timeout=120):
    """Run the registered tests (each backend variant in turn), print one
    line per outcome, exit with automake's code."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="run tests whose name contains this")
    ap.add_argument("-b", default=None, help="only this backend")
    ap.add_argument("-v", action="store_true")
    opt = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(int(timeout * TIME_SCALE))
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if not os.access(SUPERD_BIN, os.X_OK):
        print("HARD ERROR: SUPERD_BIN %s is not an executable" % SUPERD_BIN)
        sys.exit(EXIT_HARD)
    counts = {"pass": 0, "fail": 0, "skip": 0, "error": 0}
    for fn, per_backend, only in _tests:
        if opt.k and opt.k not in fn.__name__:
            continue
        variants = [None]
        if per_backend:
            variants = [b for b in backends() if only is None or b in only]
            if opt.b:
                variants = [b for b in variants if b == opt.b]
        for b in variants:
            name = fn.__name__ + ("[%s]" % b if b else "")
            t0 = time.monotonic()
            try:
                fn(b) if per_backend else fn()
                print("PASS %s (%.1fs)" % (name, time.monotonic() - t0))
                counts["pass"] += 1
            except Skip as e:
                print("SKIP %s: %s" % (name, e))
                counts["skip"] += 1
            except HarnessError as e:
                print("ERROR %s: %s" % (name, e))
                counts["error"] += 1
            except AssertionError as e:
                print("FAIL %s: %s" % (name, e))
                if opt.v:
                    traceback.print_exc(file=sys.stdout)
                else:
                    tb = traceback.extract_tb(e.__traceback__)
                    own = [f for f in tb if not f.filename.endswith("harness.py")]
                    if own:
                        print("  at %s:%d" % (os.path.basename(own[-1].filename), own[-1].lineno))
                counts["fail"] += 1
            except Exception:
                print("FAIL %s: unexpected exception" % name)
                traceback.print_exc(file=sys.stdout)
                counts["fail"] += 1
            finally:
                kill_all()
    signal.alarm(0)
    _cleanup_temp()
    print("# pass %(pass)d fail %(fail)d skip %(skip)d error %(error)d" % counts)
    if counts["error"]:
        sys.exit(EXIT_HARD)
    if counts["fail"]:
        sys.exit(EXIT_FAIL)
    if counts["pass"] == 0 and counts["skip"]:
        sys.exit(EXIT_SKIP)
    sys.exit(EXIT_PASS)
