#!/usr/bin/env python3
"""test_check_hints.py - what `superd -t` tells beyond errors (issue 13.3):
an unknown key names the nearest known key or, for an xinetd attribute,
superd's equivalent; a port another program holds, or a privileged port
without the right to bind it, is a warning naming the address (the file is
still ok); a port the running superd holds is not; --help is -h.  Run as
root with no `user` (issue 8.5): one warning per cause (the workers, each
exec program, each wait-style service, CGI) at its FILE:LINE:COLUMN, exit
status 0."""

import os
import re
import shutil
import socket
import subprocess
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

HEAD = """\
global:
  log_level: info
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
"""


def output(r):
    return r.stdout + r.stderr


def error_line(r, path, line):
    """The message of the error at path:line (fails if none)."""
    m = re.search(r"^%s:%d:\d+: (.+)$" % (re.escape(path), line), output(r), re.M)
    h.check(m, "want an error at line %d, got %r" % (line, output(r)))
    return m.group(1)


@h.test()
def unknown_keys_suggest_the_nearest_known_key():
    cases = [
        (HEAD + "    per_sorce: 3\n", 7, "did you mean 'per_source'?"),
        (HEAD + "    max_conections: 3\n", 7, "did you mean 'max_connections'?"),
        (HEAD.replace("  log_level: info\n", "  wokers: 2\n"), 2, "did you mean 'workers'?"),
        ("servces:\n  echo: {module: echo, listen: \"127.0.0.1:{port0}\"}\n", 1,
         "did you mean 'services'?"),
    ]
    for text, line, want in cases:
        r, path = h.check_config(text)
        h.eq(r.returncode, 1, "exit status of -t (output %r)" % output(r))
        msg = error_line(r, path, line)
        h.check(want in msg, "want %r in %r" % (want, msg))


@h.test()
def unknown_module_option_suggests_the_nearest_option():
    text = HEAD + """\
  prog:
    module: exec
    listen: "127.0.0.1:{port1}"
    options:
      agrv: [/bin/cat]
"""
    r, path = h.check_config(text)
    h.eq(r.returncode, 1, "exit status of -t (output %r)" % output(r))
    msg = error_line(r, path, 11)
    h.check("did you mean 'argv'?" in msg, "want a suggestion in %r" % msg)


@h.test()
def far_unknown_key_gets_no_suggestion():
    r, path = h.check_config(HEAD + "    flavour: vanilla\n")
    msg = error_line(r, path, 7)
    h.check("flavour" in msg and "did you mean" not in msg, "no suggestion wanted: %r" % msg)


@h.test()
def xinetd_names_map_to_superd_equivalents():
    cases = {"only_from": "'allow'", "no_access": "'deny'",
             "instances": "'max_connections'", "cps": "'rate'",
             "disable": "'enabled'", "server": "'argv'"}
    for key, want in cases.items():
        r, path = h.check_config(HEAD + "    %s: 1\n" % key)
        h.eq(r.returncode, 1, "exit status with %s (output %r)" % (key, output(r)))
        msg = error_line(r, path, 7)
        h.check("xinetd" in msg and want in msg, "%s: want %s in %r" % (key, want, msg))


@h.test()
def long_help_is_short_help():
    a, b = h.run_superd("-h"), h.run_superd("--help")
    h.eq(b.returncode, 0, "exit status of --help")
    h.eq(b.stdout, a.stdout, "--help prints what -h prints")
    h.eq(b.stderr, "", "stderr of --help")


def held_socket(kind, port):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", port))
    if kind == socket.SOCK_STREAM:
        s.listen(1)
    return s


@h.test()
def port_held_by_another_program_is_a_warning():
    text = HEAD.replace('"127.0.0.1:{port0}"', '"127.0.0.1:{port0}"\n    protocol: [tcp, udp]') + \
        '  other:\n    module: daytime\n    listen: "127.0.0.1:{port1}"\n'
    path = h.config_file(text)
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", open(path).read())]
    tcp = held_socket(socket.SOCK_STREAM, ports[0])
    udp = held_socket(socket.SOCK_DGRAM, ports[0])
    try:
        r = h.run_superd("-t", "-f", path)
    finally:
        tcp.close()
        udp.close()
    h.eq(r.returncode, 0, "a held port is a warning, not an error (output %r)" % output(r))
    h.check(re.search(r"^%s: ok$" % re.escape(path), r.stdout, re.M), "want ok: %r" % output(r))
    for proto in ("tcp", "udp"):
        want = r"^%s:6:\d+: warning: .*127\.0\.0\.1:%d/%s.*in use by another program \(pid %d" % (
            re.escape(path), ports[0], proto, os.getpid())
        h.check(re.search(want, r.stderr, re.M), "want %r in %r" % (want, r.stderr))
    h.check(str(ports[1]) not in r.stderr, "free port warned about: %r" % r.stderr)


@h.test()
def port_held_by_the_running_superd_is_not_a_warning():
    text = HEAD + '  other:\n    module: daytime\n    listen: "127.0.0.1:{port1}"\n'
    with h.Superd(text) as s:
        r = h.run_superd("-t", "-f", s.config_path)
    h.eq(r.returncode, 0, "exit status (output %r)" % output(r))
    h.check("listen:" not in r.stderr, "no warning for superd's own ports: %r" % r.stderr)


@h.test()
def privileged_port_without_root_is_a_warning():
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        low = int(f.read())
    if low == 0:
        h.skip("every port is unprivileged here")
    text = HEAD.replace('"127.0.0.1:{port0}"', '"127.0.0.1:%d"' % (low - 1))
    path = h.config_file(text)
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            h.skip("running as root and no setpriv to drop it")
        os.chmod(os.path.dirname(path), 0o755)
        os.chmod(path, 0o644)
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    r = subprocess.run(prefix + [h.SUPERD_BIN, "-t", "-f", path], capture_output=True,
                       text=True, timeout=30 * h.TIME_SCALE, env=h.superd_env())
    h.eq(r.returncode, 0, "a privileged port is a warning (output %r)" % output(r))
    want = r"^%s:6:\d+: warning: .*127\.0\.0\.1:%d/tcp.*root or CAP_NET_BIND_SERVICE" % (
        re.escape(path), low - 1)
    h.check(re.search(want, r.stderr, re.M), "want %r in %r" % (want, r.stderr))


ROOT_CASES = """\
# module code as root: one warning per cause
global:
  log_level: info{user}
services:
  web:
    module: http
    listen: "127.0.0.1:{port0}"
    options:
      root: .
  bare:
    module: http
    listen: "127.0.0.1:{port1}"
    options:
      root: .
      cgi: []
  sh:
    module: exec
    listen: "127.0.0.1:{port2}"
    options:
      argv: [/bin/cat]
  shw:
    module: exec
    listen: "127.0.0.1:{port3}"
    options:
      wait: true
      argv: [/bin/cat]
  own:
    module: exec
    listen: "127.0.0.1:{port4}"
    options:
      argv: [/bin/cat]
      user: nobody
  echo:
    module: echo
    listen: "127.0.0.1:{port5}"
"""


def root_warnings(r):
    """The lines that say something would run as root."""
    return [ln for ln in r.stderr.splitlines() if "as root" in ln]


def check_as_root(user_line):
    """superd -t, as root, on ROOT_CASES with user_line under global:; it
    must pass.  (CompletedProcess, path)."""
    if not h.is_root():
        h.skip("-t warns about root only when run as root")
    r, path = h.check_config(ROOT_CASES.replace("{user}", user_line))
    h.eq(r.returncode, 0, "warnings, not errors (output %r)" % output(r))
    h.check(re.search(r"^%s: ok$" % re.escape(path), r.stdout, re.M), "want ok: %r" % output(r))
    return r, path


@h.test()
def root_without_user_warns_once_per_cause():
    r, path = check_as_root("")
    p = re.escape(path)
    want = [
        r"^%s:2:1: warning: global: no 'user': the workers would run every module as root" % p,
        r"^%s:9:7: warning: service 'web': CGI programs would run as root \(no 'user' for "
        r"the service, no global: user\)$" % p,
        r"^%s:20:13: warning: service 'sh': its program would run as root \(no 'user'" % p,
        r"^%s:26:13: warning: service 'shw': its program would run as root, started by the "
        r"master in wait style" % p,
    ]
    got = root_warnings(r)
    h.eq(len(got), len(want), "one line per cause: %r" % got)
    for rx, line in zip(want, got):
        h.check(re.match(rx, line), "want %r, got %r" % (rx, line))


@h.test()
def global_user_silences_the_root_warnings():
    r, _ = check_as_root("\n  user: nobody")
    h.eq(root_warnings(r), [], "no root warning with global: user")


@h.test()
def no_root_warning_when_not_run_as_root():
    setpriv = shutil.which("setpriv")
    prefix = []
    if h.is_root():
        if not setpriv:
            h.skip("running as root and no setpriv to drop it")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    path = h.config_file(ROOT_CASES.replace("{user}", "").replace(
        "      user: nobody\n", ""))
    os.chmod(os.path.dirname(path), 0o755)
    os.chmod(path, 0o644)
    r = subprocess.run(prefix + [h.SUPERD_BIN, "-t", "-f", path], capture_output=True,
                       text=True, timeout=30 * h.TIME_SCALE, env=h.superd_env())
    h.eq(r.returncode, 0, "exit status (output %r)" % output(r))
    h.eq(root_warnings(r), [], "not root: nothing runs as root")


if __name__ == "__main__":
    h.main(timeout=60)
