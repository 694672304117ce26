#!/usr/bin/env python3
"""test_classic_udp.py - echo, discard, chargen, daytime and time over UDP
on 127.0.0.1 and ::1, on every event backend: exact replies, from the
address the datagram was sent to; no reply to a source port below 1024
(reflection guard); no datagram lost when many arrive at once."""

import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from harness import (ECHO, DISCARD, CHARGEN, DAYTIME, TIME, HOSTS,  # noqa: E402
                     check_time_reply, check_daytime_reply)


def exchange_from(u, host, port, data, timeout=2.0):
    """Send from socket u, return (reply, sender address) or (None, None)."""
    u.settimeout(timeout)
    u.sendto(data, (host, port))
    try:
        b, addr = u.recvfrom(65536)
        return b, addr
    except socket.timeout:
        return None, None


@h.test(backends=True)
def udp_echo_exact(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            u = h.udp_socket(host)
            try:
                for data in (b"x", b"\0" * 7 + b"nul\0", bytes(range(256)) * 4, os.urandom(8000)):
                    b, addr = exchange_from(u, host, s.port(ECHO), data)
                    h.eq(b, data, "UDP echo over %s of %d bytes" % (host, len(data)))
                    h.eq((addr[0], addr[1]), (host, s.port(ECHO)), "reply's source address")
            finally:
                u.close()


@h.test(backends=True)
def udp_discard_answers_nothing(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            h.eq(h.udp_exchange(host, s.port(DISCARD), b"drop me", timeout=0.5), None,
                 "UDP discard over %s" % host)
        h.eq(h.udp_exchange("127.0.0.1", s.port(ECHO), b"still here"), b"still here",
             "echo after discard")


@h.test(backends=True)
def udp_chargen_0_to_512(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            for i in range(5):
                b = h.udp_exchange(host, s.port(CHARGEN), b"q%d" % i)
                h.check(b is not None, "no UDP chargen reply over %s" % host)
                h.check(h.chargen_valid_udp(b),
                        "UDP chargen reply over %s is not 0-512 rotating printable characters: %s"
                        % (host, h.short(b)))


@h.test(backends=True)
def udp_daytime_and_time(backend):
    with h.classic(backend) as s:
        for host in HOSTS:
            b = h.udp_exchange(host, s.port(DAYTIME), b"?")
            h.check(b is not None, "no UDP daytime reply over %s" % host)
            check_daytime_reply(b, "UDP daytime over %s" % host)
            b = h.udp_exchange(host, s.port(TIME), b"")
            h.check(b is not None, "no UDP time reply over %s (empty datagram)" % host)
            check_time_reply(b, "UDP time over %s" % host)


@h.test(backends=True)
def udp_low_source_port_gets_no_answer(backend):
    if not h.is_root():
        h.skip("binding a source port below 1024 needs root")
    with h.classic(backend) as s:
        for host in HOSTS:
            low = None
            for port in range(1023, 600, -1):
                try:
                    low = h.udp_socket(host, source=(host, port))
                    break
                except OSError:
                    continue
            h.check(low is not None, "could not bind a UDP port below 1024 on %s" % host)
            try:
                for svc in (ECHO, CHARGEN, DAYTIME, TIME):
                    b, _ = exchange_from(low, host, s.port(svc), b"reflect?", timeout=0.4)
                    h.eq(b, None, "reply to source port %d on %s (service port %d)"
                         % (low.getsockname()[1], host, s.port(svc)))
            finally:
                low.close()
            # control: the same request from a high port is answered
            h.eq(h.udp_exchange(host, s.port(ECHO), b"reflect?"), b"reflect?",
                 "echo from a high port over %s" % host)


@h.test(backends=True)
def udp_reply_from_address_it_was_sent_to(backend):
    conf = """\
services:
  echo:
    module: echo
    listen: {port0}
    protocol: udp
"""
    with h.Superd(conf, backend=backend, udp_only=[0]) as s:
        h.wait_until(lambda: h.udp_exchange("127.0.0.1", s.port(0), b"up", 0.2) == b"up",
                     5, what="UDP echo on a bare port")
        for host in ("127.0.0.1", "127.0.0.3", "::1"):
            u = h.udp_socket(host)
            try:
                b, addr = exchange_from(u, host, s.port(0), b"from " + host.encode())
                h.eq(b, b"from " + host.encode(), "UDP echo to %s on a wildcard socket" % host)
                h.eq(addr[0], host, "reply's source address (sent to %s)" % host)
            finally:
                u.close()


@h.test(backends=True)
def udp_echo_burst_no_loss(backend):
    """Ten clients each fire 30 datagrams at once: every one is answered
    (xinetd drops what queues up while it answers)."""
    with h.classic(backend) as s:
        socks = [h.udp_socket("127.0.0.1") for _ in range(10)]
        try:
            for k, u in enumerate(socks):
                u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            for i in range(30):
                for k, u in enumerate(socks):
                    u.sendto(struct.pack("!II", k, i) + b"p" * 56, ("127.0.0.1", s.port(ECHO)))
            for k, u in enumerate(socks):
                seen = set()
                u.settimeout(1.0)
                try:
                    while len(seen) < 30:
                        b, _ = u.recvfrom(1000)
                        kk, i = struct.unpack("!II", b[:8])
                        h.eq(kk, k, "datagram came back to the right client")
                        seen.add(i)
                except socket.timeout:
                    pass
                h.eq(len(seen), 30, "client %d: replies received of 30 sent" % k)
        finally:
            for u in socks:
                u.close()


if __name__ == "__main__":
    h.main(timeout=180)
