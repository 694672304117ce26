"""httpkit.py - helpers for the http module's integration tests.

A docroot builder, a superd with one `web` http service on it, and a small
raw HTTP/1.x client that reads responses by their framing (Content-Length,
chunked, or close) so that keep-alive and pipelining can be checked byte
for byte.  Python 3 standard library only; used with harness.py.
"""

import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import harness as h


def make_root(files, base=None):
    """Create a docroot from {relative path: bytes|str|None(dir)|("link", target)
    |("exec", text)}; returns its path (inside base, or a new temp dir)."""
    root = os.path.join(base or tempfile.mkdtemp(prefix="superd-http-"), "root")
    os.makedirs(root, exist_ok=True)
    for rel, body in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if body is None:
            os.makedirs(path, exist_ok=True)
        elif isinstance(body, tuple) and body[0] == "link":
            os.symlink(body[1], path)
        elif isinstance(body, tuple) and body[0] == "exec":
            with open(path, "w") as f:
                f.write(body[1])
            os.chmod(path, 0o755)
        else:
            with open(path, "wb") as f:
                f.write(body.encode() if isinstance(body, str) else body)
    return root


class Web:
    """A superd with one http service `web` on {port0} serving files.

    options: extra http options (a dict, written as YAML); global_: extra
    global keys; timeout None: the service has no `timeout`; service: extra
    keys of the service itself.  Use as a context manager; .port, .root,
    .superd."""

    def __init__(self, backend, files, options=None, global_=None, timeout=30,
                 env=None, service=None):
        self.superd = None
        self.base = tempfile.mkdtemp(prefix="superd-http-")
        self.root = make_root(files, self.base)
        opts = {"root": self.root}
        opts.update(options or {})
        conf = {"global": {"workers": 1, "log_level": "debug"},
                "services": {"web": {"module": "http", "listen": "127.0.0.1:{port0}",
                                     "timeout": timeout, "options": opts}}}
        if timeout is None:  # a service without `timeout`
            del conf["services"]["web"]["timeout"]
        conf["global"].update(global_ or {})
        conf["services"]["web"].update(service or {})
        self.superd = h.Superd(conf, backend=backend, env=env)

    def __enter__(self):
        try:
            self.superd.__enter__()
        except BaseException:
            shutil.rmtree(self.base, ignore_errors=True)
            raise
        self.port = self.superd.port(0)
        return self

    def __exit__(self, *exc):
        try:
            return self.superd.__exit__(*exc)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def conn(self, timeout=5.0):
        return Conn("127.0.0.1", self.port, timeout)

    def get(self, target, headers=None, method="GET", version="1.1", body=b""):
        """One request on a fresh connection; returns a Response."""
        c = self.conn()
        try:
            c.send(request(method, target, headers, version, body))
            return c.response(head=(method == "HEAD"))
        finally:
            c.close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)


def request(method, target, headers=None, version="1.1", body=b""):
    """Request bytes; Host: t is added for 1.1 unless headers has Host (or
    None for Host to leave it out)."""
    hs = dict({"Host": "t"} if version == "1.1" else {})
    hs.update(headers or {})
    lines = ["%s %s HTTP/%s" % (method, target, version)]
    lines += ["%s: %s" % (k, v) for k, v in hs.items() if v is not None]
    if isinstance(body, str):
        body = body.encode()
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Response:
    def __init__(self, status, reason, headers, body, version):
        self.status, self.reason, self.body, self.version = status, reason, body, version
        self.headers = headers  # list of (name lower, value)

    def header(self, name, default=None):
        for k, v in self.headers:
            if k == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def __repr__(self):
        return "<%d %s %s %d bytes>" % (self.status, self.reason, self.headers,
                                        len(self.body))


class Conn:
    """A client connection with its own read buffer."""

    def __init__(self, host, port, timeout=5.0):
        self.sock = h.connect(host, port, timeout=timeout)
        self.buf = b""
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            h.fail("no complete response within %.1fs (have %r)" % (self.timeout, self.buf[:200]))
        self.sock.settimeout(left)
        try:
            b = self.sock.recv(65536)
        except socket.timeout:
            return True
        except ConnectionResetError:
            b = b""
        if not b:
            return False
        self.buf += b
        return True

    def _line(self, deadline):
        while b"\r\n" not in self.buf:
            if not self._fill(deadline):
                h.fail("EOF inside a response head (have %r)" % self.buf[:200])
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                h.fail("EOF after %d of %d body bytes" % (len(self.buf), n))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head=False, interim=False):
        """Read one response (skipping 1xx unless interim); head: no body."""
        deadline = time.monotonic() + self.timeout
        while True:
            line = self._line(deadline).decode("latin-1")
            parts = line.split(" ", 2)
            h.check(len(parts) >= 2 and parts[0].startswith("HTTP/1."),
                    "bad status line %r" % line)
            status = int(parts[1])
            headers = []
            while True:
                l = self._line(deadline).decode("latin-1")
                if not l:
                    break
                k, _, v = l.partition(":")
                headers.append((k.strip().lower(), v.strip()))
            if 100 <= status < 200 and not interim:
                continue
            break
        r = Response(status, parts[2] if len(parts) > 2 else "", headers, b"", parts[0])
        if head or status in (204, 304) or 100 <= status < 200:
            return r
        te = r.header("transfer-encoding")
        if te is not None:
            h.eq(te.lower(), "chunked", "transfer-encoding")
            body = b""
            while True:
                size = int(self._line(deadline).split(b";")[0], 16)
                if size == 0:
                    while self._line(deadline):
                        pass
                    break
                body += self._exact(size, deadline)
                h.eq(self._exact(2, deadline), b"\r\n", "chunk end")
            r.body = body
        elif r.header("content-length") is not None:
            r.body = self._exact(int(r.header("content-length")), deadline)
        else:
            while self._fill(deadline):
                pass
            r.body, self.buf = self.buf, b""
        return r

    def closed(self, timeout=2.0):
        """The server closed the connection (no more bytes) within timeout."""
        if self.buf:
            return False
        return h.is_closed(self.sock, timeout)


def curl(*args, timeout=10):
    """Run curl (skip the test when it is missing); returns CompletedProcess."""
    if not shutil.which("curl"):
        h.skip("curl not installed")
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout)] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout + 5)
