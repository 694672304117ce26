"""tlskit.py - certificates for the TLS tests, made with the openssl command
(no private key is committed), and small Python ssl clients."""

import os
import socket
import ssl
import subprocess
import tempfile

import harness as h


def _openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True,
                       timeout=30)
    if r.returncode != 0:
        raise h.HarnessError("openssl %s: %s" % (" ".join(args),
                                                  r.stderr.decode(errors="replace")))


_TLS_BUILT = None


def tls_built():
    """Was superd built with a TLS backend?  Asked of the binary itself
    (`superd -t` on a `tls:` service): a build without OpenSSL says so at
    the key, whatever the files."""
    global _TLS_BUILT
    if _TLS_BUILT is None:
        r, _ = h.check_config("""
services:
  probe:
    module: echo
    listen: "127.0.0.1:{port0}"
    tls: {cert: none.pem, key: none.key}
""")
        _TLS_BUILT = "built without TLS support" not in r.stdout + r.stderr
    return _TLS_BUILT


def require_tls():
    """Skip the running test when superd was built without TLS."""
    if not tls_built():
        h.skip("superd was built without TLS (configure --without-openssl, or "
               "no OpenSSL 3 found): `tls:` is a configuration error there "
               "(test_tls.py no_tls_build_refuses_tls)")


def _ec_key(d, name):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", name + ".key", cwd=d)


def make_ca(d, name="ca", cn="superd test CA"):
    """A self-signed CA: d/name.pem and d/name.key."""
    _ec_key(d, name)
    _openssl("req", "-x509", "-new", "-key", name + ".key", "-out", name + ".pem",
             "-days", "3", "-subj", "/CN=" + cn,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_cert(d, name, cn, sans=(), ca="ca", client=False, days=2,
              expired=False):
    """d/name.pem (signed by ca) and d/name.key.  sans: DNS names or IPs.
    expired: valid for one day in 2020."""
    _ec_key(d, name)
    _openssl("req", "-new", "-key", name + ".key", "-out", name + ".csr",
             "-subj", "/CN=" + cn, cwd=d)
    ext = os.path.join(d, name + ".ext")
    alt = ",".join(("IP:" if s[0].isdigit() or ":" in s else "DNS:") + s
                   for s in sans)
    with open(ext, "w") as f:
        if alt:
            f.write("subjectAltName=%s\n" % alt)
        f.write("extendedKeyUsage=%s\n" % ("clientAuth" if client else "serverAuth"))
    if expired:
        _sign_expired(d, name, ca)
        return
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
             "-CAkey", ca + ".key", "-CAcreateserial", "-out", name + ".pem",
             "-extfile", name + ".ext", "-days", str(days), cwd=d)


CA_CONF = """[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
[p]
commonName = supplied
"""


def _sign_expired(d, name, ca):
    """Sign d/name.csr for one day in 2020 (openssl 3.0's x509 cannot
    backdate; its ca command can)."""
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(CA_CONF)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    _openssl("ca", "-batch", "-config", "ca.cnf", "-cert", ca + ".pem",
             "-keyfile", ca + ".key", "-in", name + ".csr", "-out", name + ".pem",
             "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
             "-notext", cwd=d)


def pki(d=None):
    """A directory with ca, server (localhost, 127.0.0.1, ::1), org
    (example.org), wild (*.example.org), client (CN=alice) and other-ca's
    client (CN=mallory).  Returns the directory."""
    d = d or tempfile.mkdtemp(prefix="superd-pki-")
    h._temp_dirs.append(d)
    make_ca(d)
    make_ca(d, "otherca", "not trusted CA")
    make_cert(d, "server", "localhost", ["localhost", "127.0.0.1", "::1"])
    make_cert(d, "org", "example.org", ["example.org"])
    make_cert(d, "wild", "wild.example.org", ["*.example.org"])
    make_cert(d, "client", "alice", client=True)
    make_cert(d, "mallory", "mallory", ca="otherca", client=True)
    return d


def client_ctx(d, cert=None, maxv=None, minv=None, alpn=None):
    """A client context trusting d/ca.pem (cert: a client cert name in d)."""
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
    if cert:
        ctx.load_cert_chain(os.path.join(d, cert + ".pem"),
                            os.path.join(d, cert + ".key"))
    if maxv:
        ctx.maximum_version = maxv
    if minv:
        ctx.minimum_version = minv
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls_connect(ctx, port, host="127.0.0.1", server_name="localhost",
                session=None, timeout=5.0):
    """A connected, handshaken ssl socket."""
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname=server_name, session=session)
    except Exception:
        raw.close()
        raise


def recv_until_eof(s, limit=1 << 26):
    """Everything until the server's close_notify (or EOF)."""
    out = bytearray()
    while len(out) < limit:
        try:
            b = s.recv(65536)
        except ssl.SSLZeroReturnError:
            break
        if not b:
            break
        out += b
    return bytes(out)


def peer_cn(s):
    """The CN of the certificate the server sent."""
    cert = s.getpeercert()
    for rdn in cert.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None
