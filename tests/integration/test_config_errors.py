#!/usr/bin/env python3
"""test_config_errors.py - every kind of configuration error the issue names
prints FILE:LINE:COLUMN: message (FILE: message where no position exists)
and exits 1, both under -t and when starting; and no file, however broken,
crashes or hangs superd."""

import os
import re
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


def exact(msg):
    """A regex matching exactly msg (for cases whose whole text is fixed)."""
    return "^" + re.escape(msg) + "$"


# name -> (file text, expected line or None (any), expected column or None,
#          regex the message must match).  Lines and columns are 1-based.
CASES = {
    "yaml_syntax_unclosed_flow": (
        HEAD + "  daytime: {module: daytime, listen: [\"127.0.0.1:{port1}\"\n",
        None, None, r"."),
    "yaml_syntax_bad_indent": (
        HEAD + "    protocol: tcp\n   bad: indent\n", None, None, r"."),
    "yaml_tab_indent": (
        HEAD + "\tprotocol: tcp\n", None, None, r"."),
    "unknown_global_key": (
        HEAD.replace("  log_level: info\n", "  log_level: info\n  colour: blue\n"),
        3, 3, r"colour"),
    "unknown_service_key": (
        HEAD + "    flavour: vanilla\n", 7, 5, r"flavour"),
    "unknown_top_key": (
        HEAD + "extra: 1\n", 7, 1, r"extra"),
    # the blocks inside a service say it the same way, with the nearest key
    "unknown_tls_key": (
        HEAD + "    tls:\n      crt: a.pem\n      key: a.key\n", 8, 7,
        exact("service 'echo': tls: unknown key 'crt' (did you mean 'cert'?)")),
    "unknown_tls_sni_key": (
        HEAD + "    tls:\n      cert: a.pem\n      key: a.key\n"
        "      sni:\n        - nmes: [a.example]\n          cert: b.pem\n"
        "          key: b.key\n", 11, 11,
        exact("service 'echo': tls: unknown key 'nmes' (did you mean 'names'?)")),
    "unknown_defaults_tls_key": (
        "defaults:\n  tls:\n    cert: a.pem\n    key: a.key\n    min_verison: \"1.3\"\n"
        + HEAD, 5, 5,
        exact("defaults: tls: unknown key 'min_verison' (did you mean 'min_version'?)")),
    "unknown_sandbox_key": (
        HEAD + "    sandbox:\n      cpu: 5\n      memroy: 64M\n", 9, 7,
        exact("service 'echo': sandbox: unknown key 'memroy' (did you mean 'memory'?)")),
    "unknown_sandbox_key_far_from_any": (
        HEAD + "    sandbox:\n      bogus: 1\n", 8, 7,
        exact("service 'echo': sandbox: unknown key 'bogus'")),
    "wrong_type_workers": (
        HEAD.replace("  log_level: info\n", "  workers: many\n"), 2, 12, r"workers|number|integer"),
    "wrong_type_services_list": (
        "services: [a, b]\n", 1, 11, r"services|mapping"),
    "wrong_type_listen_map": (
        HEAD.replace('listen: "127.0.0.1:{port0}"', "listen: {a: b}"), 6, 13, r"listen"),
    "wrong_type_log_level": (
        HEAD.replace("log_level: info", "log_level: loud"), 2, 14, r"log_level|loud"),
    "wrong_type_protocol": (
        HEAD + "    protocol: sctp\n", 7, 15, r"protocol|sctp"),
    "wrong_type_enabled": (
        HEAD + "    enabled: maybe\n", 7, 14, r"enabled|maybe|bool"),
    "missing_module": (
        "services:\n  echo:\n    listen: \"127.0.0.1:{port0}\"\n", None, None, r"module"),
    "missing_listen": (
        "services:\n  echo:\n    module: echo\n", None, None, r"listen"),
    "missing_services": (
        "global:\n  log_level: info\n", None, None, r"services"),
    "bad_address_octet": (
        HEAD.replace("127.0.0.1:{port0}", "127.0.0.300:{port0}"), 6, 13, r"."),
    "bad_address_v6_bracket": (
        HEAD.replace('"127.0.0.1:{port0}"', '"[::1:{port0}"'), 6, 13, r"."),
    "bad_address_no_port": (
        HEAD.replace('"127.0.0.1:{port0}"', '"127.0.0.1:"'), 6, 13, r"."),
    "bad_address_unknown_service_name": (
        HEAD.replace('"127.0.0.1:{port0}"', '"127.0.0.1:no-such-service-xyz"'), 6, 13, r"."),
    "port_out_of_range": (
        HEAD.replace("127.0.0.1:{port0}", "127.0.0.1:70000"), 6, 13, r"70000|range|port"),
    "port_out_of_range_65536": (
        HEAD.replace('"127.0.0.1:{port0}"', "65536"), 6, 13, r"65536|range|port"),
    "port_negative": (
        HEAD.replace('"127.0.0.1:{port0}"', '"127.0.0.1:-5"'), 6, 13, r"."),
    "duplicate_address_two_services": (
        HEAD + "  again:\n    module: daytime\n    listen: \"127.0.0.1:{port0}\"\n",
        9, 13, r"."),
    "duplicate_address_in_list": (
        HEAD.replace('listen: "127.0.0.1:{port0}"',
                     'listen: ["127.0.0.1:{port0}", "127.0.0.1:{port0}"]'),
        6, None, r"."),
    "duplicate_service_name": (
        HEAD + "  echo:\n    module: echo\n    listen: \"127.0.0.1:{port1}\"\n",
        7, 3, r"echo|duplicate"),
    "unknown_module": (
        HEAD.replace("module: echo", "module: nonexistent_mod"), 5, 13, r"nonexistent_mod"),
    "module_path_missing_file": (
        HEAD.replace("module: echo", "module: ./missing/thing.so"), 5, 13, r"thing\.so|missing"),
    "module_rejects_options": (
        HEAD + "  prog:\n    module: exec\n    listen: \"127.0.0.1:{port1}\"\n"
        "    options:\n      wait: false\n", None, None, r"argv"),
    "module_rejects_unknown_option": (
        HEAD + "    options:\n      no_such_option: 1\n", None, None, r"no_such_option"),
}

NO_POSITION = {
    "empty_file": ("", r"."),
    "comment_only_file": ("# nothing here\n", r"."),
}


def one_error(r, path, line, col, rx, what):
    """Check r: exit 1 and a FILE:LINE:COLUMN: message line as expected."""
    out = r.stdout + r.stderr
    h.eq(r.returncode, 1, "%s: exit status (output %r)" % (what, out))
    m = re.search(r"^%s:(\d+):(\d+): (.+)$" % re.escape(path), out, re.M)
    h.check(m, "%s: want %s:LINE:COLUMN: message, got %r" % (what, path, out))
    if line is not None:
        h.eq(int(m.group(1)), line, "%s: line in %r" % (what, m.group(0)))
    if col is not None:
        h.eq(int(m.group(2)), col, "%s: column in %r" % (what, m.group(0)))
    h.check(re.search(rx, m.group(3)), "%s: message %r should match %r" % (what, m.group(3), rx))
    h.check(int(m.group(1)) >= 1 and int(m.group(2)) >= 1, "%s: positions are 1-based" % what)


def run_case(name, text, line, col, rx):
    path = h.config_file(text)
    one_error(h.run_superd("-t", "-f", path), path, line, col, rx, name + " (-t)")
    one_error(h.run_superd("-f", path, timeout=10), path, line, col, rx, name + " (-f)")


def make_case_test(name, case):
    def fn():
        run_case(name, *case)
    fn.__name__ = name
    return fn


for _name, _case in CASES.items():
    h.test()(make_case_test(_name, _case))


@h.test()
def empty_or_comment_only_file():
    for name, (text, rx) in NO_POSITION.items():
        path = h.config_file(text)
        for args in (("-t", "-f", path), ("-f", path)):
            r = h.run_superd(*args)
            out = r.stdout + r.stderr
            h.eq(r.returncode, 1, "%s %s: exit status (output %r)" % (name, args[0], out))
            h.check(re.search(r"^%s(:\d+:\d+)?: \S" % re.escape(path), out, re.M),
                    "%s: want 'FILE: message', got %r" % (name, out))


@h.test()
def every_error_is_reported_not_only_the_first():
    text = HEAD.replace("  log_level: info\n", "  colour: blue\n") + "    flavour: x\n"
    r, path = h.check_config(text)
    out = r.stdout + r.stderr
    h.eq(r.returncode, 1, "exit status")
    h.check("colour" in out and "flavour" in out,
            "both unknown keys should be reported: %r" % out)


# Files that must neither crash nor hang superd: exit 0 or 1, never a signal.
NASTY = {
    "binary_garbage": bytes(range(256)) * 8,
    "nul_bytes": b"services:\n  e\x00cho:\n    module: echo\n",
    "invalid_utf8": b"services:\n  \xff\xfe:\n    module: echo\n",
    "deep_nesting": b"services: " + b"[" * 20000 + b"]" * 20000 + b"\n",
    "deep_nesting_maps": b"services:\n" + b"".join(b" " * i + b"a:\n" for i in range(1, 3000)),
    "alias_bomb": (b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                   + b"".join(b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n"
                              % ((98 + i, 98 + i) + (97 + i,) * 10) for i in range(9))
                   + b"services: *j\n"),
    "alias_undefined": b"services:\n  echo: *nothing\n",
    "alias_to_service": (b"x: &svc {module: echo, listen: \"127.0.0.1:1\"}\n"
                         b"services:\n  echo: *svc\n"),
    "two_documents": b"services: {}\n---\nservices: {}\n",
    "long_line": b"services:\n  " + b"a" * 1000000 + b": 1\n",
    "long_scalar_address": b"services:\n  e:\n    module: echo\n    listen: \"" + b"1" * 100000
                           + b"\"\n",
    "huge_number": b"global:\n  workers: 99999999999999999999999999999\nservices: {}\n",
    "negative_workers": b"global:\n  workers: -1\nservices: {}\n",
    "zero_workers": b"global:\n  workers: 0\nservices: {}\n",
    "tags": b"services: !!binary aGVsbG8=\n",
    "null_services": b"services:\n",
    "null_service": b"services:\n  echo:\n",
    "directive": b"%YAML 9.9\n---\nservices: {}\n",
    "only_dashes": b"---\n...\n",
    "empty_listen_list": b"services:\n  e: {module: echo, listen: []}\n",
    "empty_protocol_list": b"services:\n  e: {module: echo, listen: \"127.0.0.1:1\", protocol: []}\n",
    "unix_path_too_long": b"services:\n  e: {module: echo, listen: \"unix:/" + b"p" * 200 + b"\"}\n",
    "options_scalar": b"services:\n  e: {module: echo, listen: \"127.0.0.1:1\", options: 5}\n",
    "module_empty": b"services:\n  e: {module: \"\", listen: \"127.0.0.1:1\"}\n",
    "module_dir": b"services:\n  e: {module: /, listen: \"127.0.0.1:1\"}\n",
    "module_not_so": b"services:\n  e: {module: /etc/passwd, listen: \"127.0.0.1:1\"}\n",
}


@h.test()
def nasty_files_neither_crash_nor_hang():
    import tempfile
    d = tempfile.mkdtemp(prefix="superd-nasty-")
    h._temp_dirs.append(d)
    bad = []
    for name, body in NASTY.items():
        path = os.path.join(d, name + ".yaml")
        with open(path, "wb") as f:
            f.write(body)
        r = h.run_superd("-t", "-f", path, timeout=10)
        if r.returncode not in (0, 1):
            bad.append("%s: exit %d, stderr %s" % (name, r.returncode, h.short(r.stderr[-300:])))
        elif r.returncode == 1 and not re.search(r"^%s(:\d+:\d+)?: \S" % re.escape(path),
                                                 r.stderr, re.M):
            bad.append("%s: exit 1 without 'FILE[:LINE:COLUMN]: message' (stderr %s)"
                       % (name, h.short(r.stderr[-300:])))
    h.check(not bad, "bad outcomes:\n  " + "\n  ".join(bad))


if __name__ == "__main__":
    h.main(timeout=120)
