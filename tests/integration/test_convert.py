#!/usr/bin/env python3
"""test_convert.py - superd-convert (issue 13.2): Debian's own xinetd files
and a corpus of xinetd and inetd.conf configurations convert into files
`superd -t` accepts; what has no equivalent is a YAML comment and a warning
naming FILE:LINE; and converted services answer as the originals do (the
real xinetd, when installed, on the same free ports)."""

import os
import pwd
import grp
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

CONVERT = os.path.join(h.TOP_BUILDDIR, "superd-convert")
DATA = os.path.join(h.TOP_SRCDIR, "tests", "convert")
CORPUS = os.path.join(DATA, "corpus")


def convert(*args):
    if not os.path.exists(CONVERT):
        h.fail("no superd-convert at %s" % CONVERT)
    return subprocess.run([CONVERT] + list(args), capture_output=True, text=True,
                          timeout=30 * h.TIME_SCALE)


def tmpdir():
    d = tempfile.mkdtemp(prefix="superd-convert-")
    h._temp_dirs.append(d)
    return d


def checkable(text, d):
    """The converted text made checkable here: programs this machine lacks
    become stubs in d, users and groups it lacks become nobody/nogroup."""
    for prog in set(re.findall(r'argv: \["([^"]+)"', text)):
        if not os.access(prog, os.X_OK):
            stub = h.write_file(os.path.join(d, "bin", prog.strip("/").replace("/", "_")),
                                "#!/bin/sh\nexit 0\n", mode=0o755)
            text = text.replace('"%s"' % prog, '"%s"' % stub)
    for user in set(re.findall(r'user: "([^"]+)"', text)):
        try:
            pwd.getpwnam(user)
        except KeyError:
            text = text.replace('user: "%s"' % user, 'user: "nobody"')
    for group in set(re.findall(r'group: "([^"]+)"', text)):
        try:
            grp.getgrnam(group)
        except KeyError:
            text = text.replace('group: "%s"' % group, 'group: "nogroup"')
    return text


def check_ok(text, what):
    """superd -t accepts text."""
    d = tmpdir()
    path = h.write_file(os.path.join(d, "superd.yaml"), checkable(text, d))
    r = h.run_superd("-t", "-f", path)
    h.eq(r.returncode, 0, "%s: superd -t (output %r)\n%s" % (what, r.stdout + r.stderr, text))


def services(text):
    """Names of the converted services (top-level keys under services:)."""
    body = text[text.index("\nservices:\n"):]
    return re.findall(r"^  ([A-Za-z0-9._@-]+):", body, re.M)


@h.test()
def debian_xinetd_files_convert_and_check():
    d = tmpdir()
    with open(os.path.join(DATA, "debian", "xinetd.conf")) as f:
        conf = f.read().replace("includedir /etc/xinetd.d",
                                "includedir " + os.path.join(DATA, "debian", "xinetd.d"))
    path = h.write_file(os.path.join(d, "xinetd.conf"), conf)
    for args, what in (([path], "xinetd.conf"),
                       ([os.path.join(DATA, "debian", "xinetd.d")], "the directory")):
        r = convert(*args)
        h.eq(r.returncode, 0, "%s: exit status (stderr %r)" % (what, r.stderr))
        names = services(r.stdout)
        want = ["%s-%s" % (n, k) for n in ("chargen", "daytime", "discard", "echo", "time")
                for k in ("stream", "dgram")]
        h.eq(sorted(names), sorted(want), "%s: converted services" % what)
        h.eq(r.stdout.count("enabled: false"), 10, "%s: every service stays disabled" % what)
        for internal in ("servers", "services"):
            h.check(re.search(r"xinetd\.d/%s:\d+: warning: service %s not converted"
                              % (internal, internal), r.stderr),
                    "%s: warning for %s: %r" % (what, internal, r.stderr))
            h.check(re.search(r"^  # %s \(.*\) not converted" % internal, r.stdout, re.M),
                    "%s: comment for %s" % (what, internal))
        h.eq(len(re.findall(r"-udp:4: warning: .* defined again", r.stderr)), 5,
             "%s: the ids the -udp files repeat are named: %r" % (what, r.stderr))
        check_ok(r.stdout, what)


@h.test()
def corpus_converts_and_checks():
    for name in ("xinetd.conf", "inetd-netkit.conf", "inetd-bsd.conf"):
        r = convert(os.path.join(CORPUS, name))
        h.eq(r.returncode, 0, "%s: exit status (stderr %r)" % (name, r.stderr))
        check_ok(r.stdout, name)


@h.test()
def xinetd_attributes_map_to_superd():
    r = convert(os.path.join(CORPUS, "xinetd.conf"))
    out = r.stdout
    for want in ('log: "syslog"', "max_connections: 60", "per_source: 10", "rate: 25",
                 'allow: ["127.0.0.0/8", "10.0.0.0/8", "192.168.1.0/24", "192.168.2.0/24", "::1"]',
                 'deny: ["10.9.9.9"]',
                 'listen: "[::]:rsync"', 'argv: ["/usr/bin/rsync", "--daemon", '
                 '"--config=/etc/rsyncd.conf"]', "    per_source: 4",
                 'listen: "127.0.0.1:tftp"', "    protocol: udp", "      wait: true",
                 'user: "nobody"', 'group: "nogroup"', '"HOME": "/srv/cvs"', '"LANG": "C"',
                 '"CVSUMASK": "002"', '"PATH": ', "    rate: 50",
                 'allow: ["127.0.0.1", "172.16.0.0/12", "2001:db8::/32"]',
                 "module: daytime", 'listen: "127.0.0.1:daytime"', 'listen: "[::1]:10037"'):
        h.check(want in out, "want %r in:\n%s" % (want, out))
    tftp = out[out.index("  tftp:"):]
    h.check("enabled: false" in tftp.split("\n  ")[0] or "enabled: false" in tftp[:300],
            "disable = yes becomes enabled: false")
    h.check("max_connections" not in out[out.index("  cvspserver:"):out.index("  daytime")],
            "instances = UNLIMITED sets no limit")


@h.test()
def unsupported_attributes_are_comments_and_warnings():
    r = convert(os.path.join(CORPUS, "xinetd.conf"))
    for attr, line, value in (("banner", 17, "/etc/cvs.banner"),
                              ("access_times", 18, "08:00-18:00"),
                              ("rlimit_as", 19, "64M"), ("nice", 12, "10"),
                              ("umask", 12, "022"), ("address", 14, "cvs.example.org")):
        h.check(re.search(r"^\s+# %s = %s: " % (attr, re.escape(value)), r.stdout, re.M),
                "%s: want a comment in the YAML" % attr)
        h.check(re.search(r"superd-convert: \S+:%d: warning: %s = %s" % (
            line, attr, re.escape(value)), r.stderr),
            "%s: want a warning naming FILE:%d: %r" % (attr, line, r.stderr))
    h.check(re.search(r"internal:20: warning: service tcpmux-server not converted", r.stderr),
            "an INTERNAL service superd lacks is named")
    r = convert(os.path.join(CORPUS, "inetd-netkit.conf"))
    h.check(re.search(r"inetd-netkit\.conf:20: warning: service rstatd/1-3 not converted: "
                      r"protocol rpc/udp", r.stderr), "rpc is named: %r" % r.stderr)
    h.check(re.search(r"inetd-netkit\.conf:13: warning: server = /usr/sbin/tcpd", r.stderr),
            "tcpd is named")
    h.check('argv: ["/usr/sbin/in.ftpd", "-l"]' in r.stdout, "tcpd's program runs directly")


@h.test()
def inetd_forms_map_to_superd():
    r = convert(os.path.join(CORPUS, "inetd-bsd.conf"))
    out = r.stdout
    for want in ('  echo:', 'listen: "127.0.0.1:echo"', '  echo-udp:', '  ftp-ipv6:',
                 'listen: "[::]:ftp"', 'listen: "127.0.0.1:chargen"', 'listen: "[::1]:comsat"',
                 'group: "tty"', 'group: "wheel"', 'listen: "0.0.0.0:finger"'):
        h.check(want in out, "want %r in:\n%s" % (want, out))
    r = convert(os.path.join(CORPUS, "inetd-netkit.conf"))
    for want in ('  discard-udp:', 'user: "telnetd"', 'group: "telnetd"', 'listen: "[::]:ident"',
                 'argv: ["/usr/sbin/in.tftpd", "/srv/tftp"]', 'group: "nogroup"'):
        h.check(want in r.stdout, "want %r in:\n%s" % (want, r.stdout))


@h.test()
def bad_input_is_a_clear_error():
    d = tmpdir()
    r = convert(os.path.join(d, "missing.conf"))
    h.eq(r.returncode, 1, "a missing file")
    h.check("missing.conf" in r.stderr and r.stdout == "", "named, nothing printed: %r" % r.stderr)
    bad = h.write_file(os.path.join(d, "bad.conf"), "service x\n{\n\tport 7\n")
    r = convert(bad)
    h.eq(r.returncode, 1, "a broken xinetd file (stderr %r)" % r.stderr)
    h.check("bad.conf:3:" in r.stderr, "the line is named: %r" % r.stderr)
    r = convert()
    h.eq(r.returncode, 2, "no argument")
    r = convert("--help")
    h.eq((r.returncode, "superd-convert" in r.stdout), (0, True), "--help")


# ------------------------------------------------------------ behaviour

XINETD = """\
defaults
{
	log_type	= FILE %(tmp)s/xinetd.log
	instances	= 20
}
service echo
{
	type		= INTERNAL UNLISTED
	id		= echo-stream
	socket_type	= stream
	bind		= 127.0.0.1
	port		= %(p0)d
	wait		= no
}
service echo
{
	type		= INTERNAL UNLISTED
	id		= echo-dgram
	socket_type	= dgram
	protocol	= udp
	bind		= 127.0.0.1
	port		= %(p0)d
	wait		= yes
}
service daytime
{
	type		= INTERNAL UNLISTED
	socket_type	= stream
	bind		= 127.0.0.1
	port		= %(p1)d
	wait		= no
}
service time
{
	type		= INTERNAL UNLISTED
	socket_type	= stream
	bind		= 127.0.0.1
	port		= %(p2)d
	wait		= no
}
service hello
{
	type		= UNLISTED
	socket_type	= stream
	bind		= 127.0.0.1
	port		= %(p3)d
	wait		= no
	user		= nobody
	server		= /bin/echo
	server_args	= hello from exec
}
service greeting
{
	type		= UNLISTED
	socket_type	= stream
	bind		= 127.0.0.1
	port		= %(p4)d
	wait		= no
	user		= nobody
	server		= /usr/bin/env
	env		= GREETING=bonjour
	only_from	= 127.0.0.1
}
"""


def wait_port(port, proc):
    def ready():
        if proc.poll() is not None:
            h.fail("the server exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    h.wait_until(ready, timeout=10, what="port %d accepting" % port)


def answers(p):
    """What the services on ports p answer (the same questions each time)."""
    got = {"echo": h.tcp_exchange("127.0.0.1", p["p0"], b"ping\r\n"),
           "echo-udp": h.udp_exchange("127.0.0.1", p["p0"], b"datagram"),
           "daytime": h.tcp_exchange("127.0.0.1", p["p1"]),
           "time": h.tcp_exchange("127.0.0.1", p["p2"]),
           "hello": h.tcp_exchange("127.0.0.1", p["p3"]),
           "greeting": h.tcp_exchange("127.0.0.1", p["p4"]),
           "refused": h.tcp_exchange("127.0.0.1", p["p4"], source="127.0.0.2")}
    return got


def check_answers(got, who):
    h.eq(got["echo"], b"ping\r\n", "%s: echo" % who)
    h.eq(got["echo-udp"], b"datagram", "%s: UDP echo" % who)
    h.check_daytime_reply(got["daytime"], "%s: daytime" % who)
    h.check_time_reply(got["time"], "%s: time" % who)
    h.eq(got["hello"], b"hello from exec\n", "%s: the program's output" % who)
    h.check(b"GREETING=bonjour\n" in got["greeting"], "%s: env: %r" % (who, got["greeting"]))
    h.eq(got["refused"], b"", "%s: a client only_from leaves out" % who)


@h.test()
def converted_services_answer_as_xinetd_does():
    xinetd = shutil.which("xinetd") or ("/usr/sbin/xinetd" if os.path.exists(
        "/usr/sbin/xinetd") else None)
    if not xinetd:
        h.skip("xinetd is not installed")
    if os.geteuid() != 0:
        h.skip("xinetd's user = nobody needs root")
    d = tmpdir()
    os.chmod(d, 0o755)
    ports = {"p%d" % i: h.free_port("both") for i in range(5)}
    conf = h.write_file(os.path.join(d, "xinetd.conf"), XINETD % dict(ports, tmp=d))
    proc = subprocess.Popen([xinetd, "-dontfork", "-pidfile", os.path.join(d, "xinetd.pid"),
                             "-f", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for k in ("p0", "p1", "p2", "p3", "p4"):
            wait_port(ports[k], proc)
        original = answers(ports)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    check_answers(original, "xinetd")
    r = convert(conf)
    h.eq(r.returncode, 0, "convert (stderr %r)" % r.stderr)
    text = r.stdout.replace('log: "%s/xinetd.log"' % d, 'log: stderr')
    with h.Superd(text, wait_tcp=[("127.0.0.1", ports[k]) for k in sorted(ports)]) as s:
        check_answers(answers(ports), "superd")


@h.test()
def converted_inetd_services_answer():
    ports = [h.free_port("both") for _ in range(2)]
    d = tmpdir()
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    # a wait-style UDP program, as inetd runs them: the socket on fd 0
    udp = h.write_file(os.path.join(d, "udp-echo"), "#!%s\n"
                       "import socket\n"
                       "s = socket.socket(fileno=0)\n"
                       "data, peer = s.recvfrom(512)\n"
                       "s.sendto(data, peer)\n" % python, mode=0o755)
    conf = h.write_file(os.path.join(d, "inetd.conf"), (
        "127.0.0.1:\n"
        "%d\tstream\ttcp\tnowait\tnobody\t/bin/echo\techo hello from inetd\n"
        "%d\tdgram\tudp\twait\troot\t%s\tudp-echo\n") % (ports[0], ports[1], udp))
    r = convert(conf)
    h.eq(r.returncode, 0, "convert (stderr %r)" % r.stderr)
    with h.Superd(r.stdout, wait_tcp=[("127.0.0.1", ports[0])]) as s:
        h.eq(h.tcp_exchange("127.0.0.1", ports[0]), b"hello from inetd\n", "the program runs")
        h.eq(h.udp_exchange("127.0.0.1", ports[1], b"udp wait", timeout=5), b"udp wait",
             "a wait-style UDP program gets the datagram")


if __name__ == "__main__":
    h.main(timeout=120)
