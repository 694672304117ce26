#!/usr/bin/env python3
"""test_include.py - `global: include` (more files of services: glob
patterns relative to the file, name order, services only, a service
defined twice names both places, errors name the included file, a pattern
matching nothing is fine) and `global: watch` (a changed file reloads as
SIGHUP does, a bad one is refused, a Kubernetes ConfigMap's `..data`
symlink swap is seen, in the main file's directory and in conf.d/)."""

import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MAIN = """\
global:
  include: ["conf.d/*.yaml", "missing/*.yaml"]
services:
  echo: {module: echo, listen: "127.0.0.1:{port0}"}
"""



def daytime(port=None):
    """An included file with one service (on a free port by default)."""
    return 'services:\n  daytime: {module: daytime, listen: "127.0.0.1:%d"}\n' % (
        port or h.free_port("both"))


def time_svc(name, port=None):
    return 'services:\n  %s: {module: time, listen: "127.0.0.1:%d"}\n' % (
        name, port or h.free_port("both"))


def output(r):
    return r.stdout + r.stderr


@h.test(backends=True)
def included_services_run(backend):
    p1 = h.free_port("both")
    with h.Superd(MAIN, backend=backend, files={"conf.d/10-daytime.yaml": daytime(p1),
                                                "conf.d/notes.txt": "not yaml: [",
                                                "conf.d/empty.yaml": "services:\n"}) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"hi"), b"hi")
        h.check_daytime_reply(h.tcp_exchange("127.0.0.1", p1), "daytime")
        s.wait_log(r"started: 2 services")


@h.test()
def pattern_matching_nothing_is_fine():
    r, path = h.check_config(MAIN)
    h.eq(r.returncode, 0, "-t with an empty conf.d (output %r)" % output(r))


@h.test()
def main_file_may_leave_services_to_includes():
    r, path = h.check_config('global: {include: "conf.d/*.yaml"}\n',
                             files={"conf.d/a.yaml": daytime()})
    h.eq(r.returncode, 0, "-t (output %r)" % output(r))
    r, path = h.check_config('global: {include: "conf.d/*.yaml"}\n')
    h.eq(r.returncode, 1, "no service anywhere is an error")
    h.check(re.search(r"no services", r.stderr), "want 'no services': %r" % r.stderr)


@h.test()
def service_defined_twice_names_both_places_in_name_order():
    twice, other = time_svc("x"), time_svc("x")
    r, path = h.check_config(MAIN, files={"conf.d/b.yaml": other, "conf.d/a.yaml": twice})
    d = os.path.dirname(path)
    h.eq(r.returncode, 1, "exit status (output %r)" % output(r))
    want = r"^%s:2:3: .*'x' is defined twice: here and at %s:2:3" % (
        re.escape(os.path.join(d, "conf.d/b.yaml")),
        re.escape(os.path.join(d, "conf.d/a.yaml")))
    h.check(re.search(want, r.stderr, re.M), "want %r in %r" % (want, r.stderr))
    # the main file against an included one
    r, path = h.check_config(MAIN, files={
        "conf.d/a.yaml": time_svc("echo")})
    want = r"conf\.d/a\.yaml:2:3: .*'echo' is defined twice: here and at %s:4:3" % (
        re.escape(path))
    h.check(re.search(want, r.stderr, re.M), "want %r in %r" % (want, r.stderr))


@h.test()
def errors_in_an_included_file_name_that_file():
    bad = time_svc("x").replace("}", ", \n      tmeout: 3}")
    r, path = h.check_config(MAIN, files={"conf.d/a.yaml": bad,
                                          "conf.d/b.yaml": "services: [\n",
                                          "conf.d/c.yaml": "global: {workers: 1}\n"})
    d = os.path.join(os.path.dirname(path), "conf.d")
    h.eq(r.returncode, 1, "exit status (output %r)" % output(r))
    for want in (r"^%s:3:7: service 'x': unknown key 'tmeout'" % re.escape(d + "/a.yaml"),
                 r"^%s:\d+:\d+: YAML syntax error" % re.escape(d + "/b.yaml"),
                 r"^%s:1:1: 'global' is not allowed in an included file" % re.escape(
                     d + "/c.yaml")):
        h.check(re.search(want, r.stderr, re.M), "want %r in %r" % (want, r.stderr))


WATCHED = MAIN.replace("global:\n", "global:\n  watch: true\n")


@h.test(backends=True)
def watch_reloads_on_a_changed_file_and_refuses_a_bad_one(backend):
    with h.Superd(WATCHED, backend=backend) as s:
        s.wait_log(r"info: started: ")  # the watch is armed by then
        mark = s.log_mark()
        p1 = h.free_port("both")
        h.write_file(s.path("conf.d/a.yaml"), daytime(p1))
        s.wait_log(r"reloaded .*: 2 services", since=mark)
        h.check_daytime_reply(h.tcp_exchange("127.0.0.1", p1), "daytime")
        # a bad file (written in place) is refused; the old services stay
        mark = s.log_mark()
        with open(s.path("conf.d/a.yaml"), "a") as f:
            f.write("  oops: {module: daytime}\n")
        s.wait_log(r"has errors; the running configuration stays", since=mark)
        h.check(s.log_lines(r"conf\.d/a\.yaml:3:\d+: service 'oops'", since=mark),
                "the refusal names the file: %s" % s.log_tail())
        h.check_daytime_reply(h.tcp_exchange("127.0.0.1", p1), "daytime")
        # removing the file reloads without it
        mark = s.log_mark()
        os.unlink(s.path("conf.d/a.yaml"))
        s.wait_log(r"reloaded .*: 1 services", since=mark)
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"x"), b"x")


def configmap(d, files, gen):
    """Kubernetes' atomic writer: files in a new ..TIMESTAMP dir, then the
    ..data symlink swapped to it by rename, then the old dir removed; the
    visible names are symlinks through ..data."""
    new = os.path.join(d, "..2026_%02d" % gen)
    os.makedirs(new)
    for name, text in files.items():
        h.write_file(os.path.join(new, name), text)
    tmp = os.path.join(d, "..data_tmp")
    os.symlink(os.path.basename(new), tmp)
    old = os.path.realpath(os.path.join(d, "..data")) if os.path.islink(
        os.path.join(d, "..data")) else None
    os.rename(tmp, os.path.join(d, "..data"))
    for name in files:
        if not os.path.islink(os.path.join(d, name)):
            os.symlink(os.path.join("..data", name), os.path.join(d, name))
    if old:
        shutil.rmtree(old)


@h.test(backends=True)
def watch_sees_a_configmap_swap(backend):
    s = h.Superd(WATCHED, backend=backend)
    cm = s.path("cm")
    port1 = h.free_port("both")

    def main(extra):
        return WATCHED.replace("{port0}", str(s.port(0))) + extra
    os.makedirs(os.path.join(cm, "conf.d"))
    configmap(cm, {"superd.yaml": main("")}, 1)
    s.config_path = os.path.join(cm, "superd.yaml")
    with s:
        s.wait_log(r"info: started: ")  # the watch is armed by then
        # the main file's ConfigMap swapped: a new service appears
        mark = s.log_mark()
        configmap(cm, {"superd.yaml": main(
            '  daytime: {module: daytime, listen: "127.0.0.1:%d"}\n' % port1)}, 2)
        s.wait_log(r"reloaded .*: 2 services", since=mark)
        h.check_daytime_reply(h.tcp_exchange("127.0.0.1", port1), "daytime")
        # conf.d is a ConfigMap of its own
        port2 = h.free_port("both")
        mark = s.log_mark()
        configmap(os.path.join(cm, "conf.d"), {"t.yaml": time_svc("t", port2)}, 1)
        s.wait_log(r"reloaded .*: 3 services", since=mark)
        h.check_time_reply(h.tcp_exchange("127.0.0.1", port2), "time")
        # a bad swap is refused; everything keeps running
        mark = s.log_mark()
        configmap(os.path.join(cm, "conf.d"), {"t.yaml": "services: [\n"}, 2)
        s.wait_log(r"has errors; the running configuration stays", since=mark)
        h.check_daytime_reply(h.tcp_exchange("127.0.0.1", port1), "daytime")


if __name__ == "__main__":
    h.main(timeout=120)
