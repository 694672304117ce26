#!/usr/bin/env python3
"""test_cli.py - superd's command line, per the contract: -V, -h, a bad
flag, a missing file, and -t (checks the file, loads every module, binds
nothing, prints "FILE: ok" or "FILE:LINE:COLUMN: message")."""

import os
import re
import socket
import subprocess
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

GOOD = """\
global:
  log_level: info
services:
  echo:
    module: echo
    listen: "127.0.0.1:{port0}"
    protocol: [tcp, udp]
  daytime:
    module: daytime
    listen: "127.0.0.1:{port1}"
"""


def output(r):
    return r.stdout + r.stderr


@h.test()
def version_prints_name_and_version():
    r = h.run_superd("-V")
    h.eq(r.returncode, 0, "exit status of -V")
    h.check(re.fullmatch(r"superd \d+\.\d+\.\d+\n", r.stdout),
            "-V should print 'superd X.Y.Z' on stdout, got %r" % r.stdout)


@h.test()
def help_is_usage_on_stdout():
    r = h.run_superd("-h")
    h.eq(r.returncode, 0, "exit status of -h")
    h.check("-f" in r.stdout and "-t" in r.stdout,
            "-h should show usage with -f and -t on stdout, got %r" % r.stdout)
    h.eq(r.stderr, "", "stderr of -h")


@h.test()
def bad_flag_is_usage_on_stderr_exit_2():
    for args in (["-Z"], ["--no-such-flag"], ["-f"]):
        r = h.run_superd(*args)
        h.eq(r.returncode, 2, "exit status of superd %s" % " ".join(args))
        h.check("-f" in r.stderr, "usage expected on stderr for %s, got %r" % (args, r.stderr))
        h.eq(r.stdout, "", "stdout for a bad flag %s" % args)


@h.test()
def missing_file_is_an_error():
    path = "/nonexistent/superd-test/none.yaml"
    for args in (["-f", path], ["-t", "-f", path]):
        r = h.run_superd(*args)
        h.eq(r.returncode, 1, "exit status of superd %s" % " ".join(args))
        h.check(re.search(r"^%s: \S" % re.escape(path), r.stderr, re.M),
                "want 'FILE: message' on stderr, got %r" % r.stderr)


@h.test()
def check_good_file_prints_ok_and_binds_nothing():
    # Hold the port superd would bind: -t must not try.
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = h.free_port("both")
    holder.bind(("127.0.0.1", port))
    holder.listen(1)
    try:
        text = GOOD.replace("{port0}", str(port))
        r, path = h.check_config(text)
        h.eq(r.returncode, 0, "exit status of -t on a good file (output %r)" % output(r))
        h.check(re.search(r"^%s: ok$" % re.escape(path), output(r), re.M),
                "want '%s: ok', got %r" % (path, output(r)))
    finally:
        holder.close()


@h.test()
def check_bad_file_prints_file_line_column():
    text = GOOD.replace("  log_level: info\n", "  log_level: info\n  bogus_key: 1\n")
    r, path = h.check_config(text)
    h.eq(r.returncode, 1, "exit status of -t on a bad file")
    m = re.search(r"^%s:(\d+):(\d+): (.+)$" % re.escape(path), output(r), re.M)
    h.check(m, "want FILE:LINE:COLUMN: message, got %r" % output(r))
    h.eq((int(m.group(1)), int(m.group(2))), (3, 3), "position of the unknown key")
    h.check("bogus_key" in m.group(3), "message should name the key: %r" % m.group(3))


@h.test()
def check_unknown_module_is_an_error():
    text = GOOD.replace("module: daytime", "module: no_such_module_xyz")
    r, path = h.check_config(text)
    h.eq(r.returncode, 1, "exit status of -t with an unknown module (output %r)" % output(r))
    m = re.search(r"^%s:(\d+):(\d+): (.+)$" % re.escape(path), output(r), re.M)
    h.check(m, "want FILE:LINE:COLUMN: message, got %r" % output(r))
    h.eq(int(m.group(1)), 9, "line of the module key")
    h.check("no_such_module_xyz" in m.group(3), "message should name the module: %r" % m.group(3))


@h.test()
def check_loads_modules_and_runs_their_option_checks():
    # exec requires argv: its configure() must run under -t and refuse.
    text = GOOD + """\
  prog:
    module: exec
    listen: "127.0.0.1:{port2}"
    options:
      env: {A: b}
"""
    r, path = h.check_config(text)
    h.eq(r.returncode, 1, "exit status of -t when a module rejects its options (output %r)"
         % output(r))
    m = re.search(r"^%s:(\d+):(\d+): (.+)$" % re.escape(path), output(r), re.M)
    h.check(m, "want FILE:LINE:COLUMN: message, got %r" % output(r))
    h.check(12 <= int(m.group(1)) <= 15, "position should be in the prog service: %s" % m.group(0))
    h.check("argv" in m.group(3), "message should name the missing option: %r" % m.group(3))


BAD_ABI_MODULE = r"""
#include <superd/module.h>
const struct superd_module superd_module = {
	.magic = MAGIC, .abi_major = MAJOR, .abi_minor = SUPERD_ABI_MINOR,
	.size = sizeof(struct superd_module), .name = "badabi", .version = "0",
	.protocols = SUPERD_PROTO_TCP,
};
"""


def build_module(d, name, defines):
    cc = os.environ.get("CC") or "cc"
    src = h.write_file(os.path.join(d, name + ".c"), BAD_ABI_MODULE)
    out = os.path.join(d, name + ".so")
    cmd = cc.split() + ["-shared", "-fPIC", "-I", os.path.join(h.TOP_SRCDIR, "include"),
                        "-o", out, src] + ["-D%s=%s" % kv for kv in defines.items()]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        h.skip("cannot build a test module with %s: %s" % (cc, e))
    if r.returncode != 0:
        h.skip("cannot build a test module: %s" % r.stderr[-300:])
    return out


@h.test()
def check_refuses_module_with_wrong_magic_or_abi():
    import tempfile
    d = tempfile.mkdtemp(prefix="superd-abi-")
    h._temp_dirs.append(d)
    cases = {
        "badmagic": {"MAGIC": "0x12345678u", "MAJOR": "SUPERD_ABI_MAJOR"},
        "badmajor": {"MAGIC": "SUPERD_MODULE_MAGIC", "MAJOR": "(SUPERD_ABI_MAJOR + 1)"},
    }
    for name, defines in cases.items():
        so = build_module(d, name, defines)
        text = GOOD + '  bad:\n    module: "%s"\n    listen: "127.0.0.1:{port2}"\n' % so
        path = h.config_file(text)
        for args in (("-t", "-f", path), ("-f", path)):
            r = h.run_superd(*args)
            what = "%s, superd %s" % (name, args[0])
            h.eq(r.returncode, 1, "%s: exit status (output %r)" % (what, output(r)))
            m = re.search(r"^%s:(\d+):(\d+): (.+)$" % re.escape(path), output(r), re.M)
            h.check(m, "%s: want FILE:LINE:COLUMN: message, got %r" % (what, output(r)))
            h.eq(int(m.group(1)), 12, "%s: line of the module key" % what)
            h.check(re.search(r"(?i)magic|abi|version", m.group(3)),
                    "%s: message should say magic/ABI: %r" % (what, m.group(3)))


@h.test()
def check_accepts_module_given_as_path():
    so = os.path.join(h.SUPERD_MODULE_PATH, "echo.so")
    if not os.path.exists(so):
        h.skip("no built echo.so in %s" % h.SUPERD_MODULE_PATH)
    text = GOOD.replace("module: echo", 'module: "%s"' % so)
    r, path = h.check_config(text)
    h.eq(r.returncode, 0, "-t with module given as a path (output %r)" % output(r))


@h.test()
def harness_picks_again_when_a_port_is_taken():
    """The harness itself: a port another program binds between the pick
    and superd's bind (parallel suites) gets new ports and another start,
    instead of a failed test."""
    s = h.Superd(GOOD)
    taken = s.port(1)
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", taken))
    squatter.listen(1)
    try:
        with s:
            h.check(s.port(1) != taken, "the taken port was kept")
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"hi"), b"hi", "echo on new ports")
    finally:
        squatter.close()


if __name__ == "__main__":
    h.main(timeout=60)
