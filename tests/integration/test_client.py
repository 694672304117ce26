#!/usr/bin/env python3
"""test_client.py - superd-client against tiny Python servers (no superd).

Each service is served right and wrong by a server in a thread of this
process, on 127.0.0.1 (and ::1 when the machine has it), on ports the
kernel picks.  The client must say 0 to every right answer, 1 to every
wrong one (with a reason on stderr), 2 to usage errors, and never hang.
"""

import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

CLIENT = os.path.join(h.TOP_BUILDDIR, "superd-client")
RFC868 = 2208988800


def chargen_bytes(n, start=0):
    """The RFC 864 stream from byte `start` of line 0, n bytes."""
    ring = bytes(range(0x20, 0x7F))
    out = bytearray()
    line = start // 74
    col = start % 74
    while len(out) < n + col:
        k = line % 95
        out += (ring + ring)[k:k + 72] + b"\r\n"
        line += 1
    return bytes(out[col:col + n])


def daytime_line():
    return time.strftime("%A, %B %d, %Y %H:%M:%S-UTC\r\n", time.gmtime()).encode()


def time_bytes(skew=0):
    return struct.pack("!I", (int(time.time()) + skew + RFC868) % (1 << 32))


# ------------------------------------------------------------ TCP behaviours

def tcp_echo(conn, bad=None):
    got = 0
    while True:
        b = conn.recv(65536)
        if not b:
            return
        if bad == "flip" and got <= 1000 < got + len(b):
            i = 1000 - got
            b = b[:i] + bytes([b[i] ^ 0x20]) + b[i + 1:]
        got += len(b)
        if bad == "short" and got > 3000:
            conn.sendall(b[:-1])
            return
        conn.sendall(b)


def tcp_discard(conn, bad=None):
    while conn.recv(65536):
        if bad == "talk":
            conn.sendall(b"x")
            bad = None


def xinetd_chargen(n):
    """xinetd's chargen: a 93-character ring ('!'..'}'), 72-character
    lines, starting over after 95 lines."""
    ring = bytes(range(0x21, 0x7E))
    block = b"".join((ring * 2)[i % 93:i % 93 + 72] + b"\r\n" for i in range(95))
    return (block * (n // len(block) + 1))[:n]


def tcp_chargen(conn, bad=None):
    if bad == "xinetd":
        try:
            while True:
                conn.sendall(xinetd_chargen(95 * 74 * 20))
        except OSError:
            return
    data = bytearray(chargen_bytes(95 * 74 * 20))
    if bad == "flip":
        data[5000] = ord("#") if data[5000] != ord("#") else ord("$")
    try:
        conn.sendall(data)
        while True:  # then the pattern goes on, right
            conn.sendall(chargen_bytes(95 * 74 * 20))
    except OSError:
        pass


def tcp_daytime(conn, bad=None):
    conn.sendall(b"\x00\x01garbage\n" if bad else daytime_line())


def tcp_time(conn, bad=None):
    if bad == "short":
        conn.sendall(time_bytes()[:3])
    elif bad == "skew":
        conn.sendall(time_bytes(1000))
    elif bad == "silent":
        time.sleep(3)
    else:
        conn.sendall(time_bytes())


TCP = {"echo": tcp_echo, "discard": tcp_discard, "chargen": tcp_chargen,
       "daytime": tcp_daytime, "time": tcp_time}


# ------------------------------------------------------------ UDP behaviours

def udp_answer(service, data, bad=None):
    if service == "echo":
        return data[:-1] + b"?" if bad and data else data
    if service == "discard":
        return b"x" if bad else None
    if service == "chargen":
        if bad == "long":
            return chargen_bytes(600, 74 * 3)
        if bad == "xinetd":  # its 93-character ring, 1024 bytes, last line cut
            ring = bytes(range(0x21, 0x7E))
            out = b"".join((ring * 2)[i:i + 72] + b"\r\n" for i in range(14))
            return out[:1022] + b"\r\n"
        return chargen_bytes(300, 74 * 3).replace(b"A", b"a", 1) if bad else \
            chargen_bytes(300, 74 * 3)
    if service == "daytime":
        return b"\x00\n" if bad else daytime_line()
    if service == "time":
        return time_bytes()[:3] if bad else time_bytes()
    return None


class Server:
    """A threaded TCP or UDP server for one service, right or wrong."""

    def __init__(self, service, proto="tcp", bad=None, host="127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        handler = self._tcp_handler if proto == "tcp" else self._udp_handler
        # UDP answers from the serving thread itself: a thread per datagram
        # can start after superd-client's 500 ms discard window on a loaded
        # machine, and a wrong answer would then pass unseen
        base = (socketserver.ThreadingTCPServer if proto == "tcp"
                else socketserver.UDPServer)
        srv_cls = type("Srv", (base,), {"address_family": family,
                                        "daemon_threads": True,
                                        "allow_reuse_address": True})
        self.service, self.bad = service, bad
        self.srv = srv_cls((host, 0), handler)
        self.host, self.port = host, self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    @property
    def _tcp_handler(self):
        outer = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    TCP[outer.service](self.request, outer.bad)
                except OSError:
                    pass
        return H

    @property
    def _udp_handler(self):
        outer = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                out = udp_answer(outer.service, data, outer.bad)
                if out is not None:
                    sock.sendto(out, self.client_address)
        return H

    def target(self):
        if ":" in self.host:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def client(*args, timeout=15):
    """Run superd-client; (status, stdout, stderr)."""
    if not os.path.exists(CLIENT):
        raise h.HarnessError("%s missing" % CLIENT)
    t0 = time.monotonic()
    r = subprocess.run([CLIENT] + list(args), capture_output=True,
                       timeout=timeout * h.TIME_SCALE)
    client.elapsed = time.monotonic() - t0
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def right(*args):
    st, out, err = client(*args)
    h.eq(st, 0, "status of %s (stderr %r)" % (" ".join(args), err))
    h.eq(err, "", "stderr")
    return out


def wrong(*args):
    st, out, err = client(*args)
    h.eq(st, 1, "status of %s (stdout %r)" % (" ".join(args), out))
    h.check(err.startswith("superd-client: ") and err.count("\n") == 1,
            "one reason line on stderr, got %r" % err)
    return err


# ------------------------------------------------------------------- tests

@h.test()
def right_answers_over_tcp():
    for svc in ("echo", "discard", "chargen", "daytime", "time"):
        with Server(svc) as s:
            before = daytime_line().replace(b"\r\n", b"\n")
            out = right(svc, s.target())
            after = daytime_line().replace(b"\r\n", b"\n")
            if svc == "time":
                h.check(" UTC " in out and out.endswith("\n"), "date printed: %r" % out)
            if svc == "daytime":
                # the server's second: the one before the exchange or after
                h.check(out.encode() in (before[:len(out)], after[:len(out)]),
                        "daytime %r, not %r or %r" % (out, before, after))
            h.eq(right("-q", svc, s.target()), "", "-q prints nothing")


@h.test()
def right_answers_over_udp():
    for svc in ("echo", "discard", "chargen", "daytime", "time"):
        with Server(svc, "udp") as s:
            right(svc, s.target(), "-u")


@h.test()
def echo_of_a_mebibyte_with_half_close():
    with Server("echo") as s:
        out = right("-n", "1048576", "echo", s.target())
        h.check("1048576 bytes" in out, out)
        right("-n", "0", "echo", s.target())


@h.test()
def chargen_long_read():
    with Server("chargen") as s:
        right("-n", "500000", "chargen", s.target())


@h.test()
def wrong_answers_over_tcp():
    cases = [("echo", "flip", "byte 1000"), ("echo", "short", ""),
             ("discard", "talk", "sent"), ("chargen", "flip", "byte 5000"),
             ("daytime", "bad", "printable"), ("time", "short", "3 bytes")]
    for svc, bad, why in cases:
        with Server(svc, bad=bad) as s:
            err = wrong("-n", "10000", svc, s.target())
            h.check(why in err, "%s/%s: %r should mention %r" % (svc, bad, err, why))


@h.test()
def time_skew_limit():
    with Server("time", bad="skew") as s:
        right("time", s.target())  # no -d: any time is an answer
        err = wrong("-d", "5", "time", s.target())
        h.check("away from our clock" in err, err)
    with Server("time") as s:
        right("-d", "5", "time", s.target())


@h.test()
def chargen_strict_and_lenient():
    # xinetd's pattern is a chargen pattern, but not RFC 864's exact one
    with Server("chargen", bad="xinetd") as s:
        out = right("-n", "100000", "chargen", s.target())
        h.check("93 characters" in out, out)
        err = wrong("-S", "chargen", s.target())
        h.check("RFC 864" in err, err)
    with Server("chargen", "udp", bad="xinetd") as s:
        right("-u", "chargen", s.target())
        wrong("-u", "-S", "chargen", s.target())
    with Server("chargen", "udp", bad="long") as s:
        right("-u", "chargen", s.target())
        err = wrong("-u", "-S", "chargen", s.target())
        h.check("more than 512" in err, err)
    with Server("chargen") as s:
        out = right("-S", "-n", "100000", "chargen", s.target())
        h.check("RFC 864 pattern" in out, out)


@h.test()
def wrong_answers_over_udp():
    for svc in ("echo", "discard", "chargen", "daytime", "time"):
        with Server(svc, "udp", bad="bad") as s:
            wrong("-u", svc, s.target())


@h.test()
def nothing_listening_is_wrong_and_quick():
    port = h.free_port("both")
    for args in (["time", "127.0.0.1:%d" % port],
                 ["-u", "echo", "127.0.0.1:%d" % port],
                 ["-u", "discard", "127.0.0.1:%d" % port]):
        err = wrong(*args)
        h.check(client.elapsed < 3, "took %.1fs" % client.elapsed)
        h.check("refused" in err.lower(), err)


@h.test()
def a_silent_server_times_out():
    with Server("time", bad="silent") as s:
        err = wrong("-t", "1", "time", s.target())
        h.check(client.elapsed < 2.5, "took %.1fs" % client.elapsed)
        h.check("timed out" in err, err)


@h.test()
def ipv6_and_names():
    try:
        srv = Server("echo", host="::1")
    except OSError:
        h.skip("no ::1 on this machine")
    with srv as s:
        right("echo", s.target())
        if has_v6_localhost():
            right("-6", "echo", "localhost:%d" % s.port)
        wrong("-4", "echo", s.target().replace("[::1]", "127.0.0.1"))
    with Server("echo", "udp", host="::1") as s:
        right("-u", "echo", s.target())
    with Server("daytime") as s:
        right("-4", "daytime", "localhost:%d" % s.port)


def has_v6_localhost():
    try:
        return any(a[0] == socket.AF_INET6 for a in
                   socket.getaddrinfo("localhost", 7, socket.AF_INET6))
    except socket.gaierror:
        return False


@h.test()
def usage_errors():
    for args in ([], ["echo"], ["ftp", "127.0.0.1"], ["echo", "127.0.0.1:99999"],
                 ["echo", "127.0.0.1:no-such-port-name"], ["-t", "x", "echo", "h"],
                 ["-Z", "echo", "127.0.0.1"], ["echo", "[::1"], ["echo", ":7"]):
        st, out, err = client(*args)
        h.eq(st, 2, "status of %r" % args)
        h.check(err, "a reason on stderr for %r" % args)
    st, out, err = client("-h")
    h.eq(st, 0)
    h.check("usage: superd-client" in out, out)
    st, out, err = client("-V")
    h.eq(st, 0)
    h.check(out.startswith("superd-client "), out)


@h.test()
def port_names_come_from_etc_services():
    # "echo" is port 7 in /etc/services: the name must parse (status 0 or 1,
    # never 2), and a refusal must name port 7.
    try:
        socket.getservbyname("echo", "tcp")
    except OSError:
        h.skip("no echo in /etc/services")
    st, out, err = client("-t", "2", "time", "127.0.0.1:echo")
    h.check(st in (0, 1), "status %d: %s" % (st, err))
    if st == 1 and "refused" in err:
        h.check("port 7" in err, err)


FIVE = ("echo", "discard", "chargen", "daytime", "time")


def has_v6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as sk:
            sk.bind(("::1", 0))
        return True
    except OSError:
        return False


@h.test(backends=True)
def the_client_agrees_with_superd(backend):
    """The real server's five modules, checked by the client: TCP and UDP,
    IPv4 and IPv6 (when the machine has ::1)."""
    hosts = ["127.0.0.1", "[::1]"] if has_v6_loopback() else ["127.0.0.1"]
    services = {}
    for i, svc in enumerate(FIVE):
        services[svc] = {"module": svc, "protocol": ["tcp", "udp"],
                         "listen": ["%s:{port%d}" % (host, i) for host in hosts]}
    with h.Superd({"services": services}, backend=backend) as s:
        for i, svc in enumerate(FIVE):
            for host in hosts:
                target = "%s:%d" % (host, s.port(i))
                if svc == "time":
                    right("-d", "5", svc, target)
                else:
                    right("-S", svc, target)
                right("-S", "-u", svc, target)
        right("-n", "1048576", "echo", "127.0.0.1:%d" % s.port(0))
        right("-S", "-n", "3000000", "chargen", "127.0.0.1:%d" % s.port(2))


if __name__ == "__main__":
    h.main(timeout=180)
