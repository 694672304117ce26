"""test_example_module.py - the out-of-tree example module (examples/hello)
builds against the *installed* superd only, with its own Makefile and
`pkg-config superd`, installs into `pkg-config --variable=moduledir superd`,
and superd loads and runs it.

The header and superd.pc are installed into a staging directory with the
build tree's own install rules (`make install-... DESTDIR=`); pkg-config is
pointed at it with PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR, so no file
outside the staging directory is read or written.
"""

import filecmp
import os
import shutil
import subprocess
import tempfile

import harness as h

EXAMPLE = os.path.join(h.TOP_SRCDIR, "examples", "hello")
_built = {}


def _run(cmd, cwd=None, env=None):
    """Run cmd (bounded); fail with its output unless it exits 0."""
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=120 * h.TIME_SCALE)
    if r.returncode != 0:
        h.fail("%s exited %d:\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def _make_env(extra=None):
    """Our environment without the calling make's flags (its jobserver
    fds are not inherited), plus extra."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra or {})
    return env


def build_example():
    """Stage the installed API, build and install hello.so with the
    example's Makefile; return the directory it was installed into."""
    if "moduledir" in _built:
        return _built["moduledir"]
    if shutil.which("pkg-config") is None or shutil.which("make") is None:
        h.skip("pkg-config or make missing")
    tmp = tempfile.mkdtemp(prefix="superd-example-")
    h._temp_dirs.append(tmp)
    root = os.path.join(tmp, "root")
    _run(["make", "-C", h.TOP_BUILDDIR, "install-superdincludeHEADERS",
          "install-pkgconfigDATA", "DESTDIR=" + root], env=_make_env())
    pcdirs = [d for d, _, files in os.walk(root) if "superd.pc" in files]
    h.eq(len(pcdirs), 1, "superd.pc installed once")
    env = _make_env({"PKG_CONFIG_PATH": pcdirs[0], "PKG_CONFIG_SYSROOT_DIR": root,
                     "PKG_CONFIG_LIBDIR": pcdirs[0]})

    # pkg-config names the staged header, and it is the tree's header.
    cflags = _run(["pkg-config", "--cflags", "superd"], env=env).stdout.split()
    incs = [f[2:] for f in cflags if f.startswith("-I")]
    h.eq(len(incs), 1, "one -I in `pkg-config --cflags superd` (%s)" % cflags)
    h.check(incs[0].startswith(root), "cflags %s point outside the staging dir" % cflags)
    h.check(filecmp.cmp(os.path.join(incs[0], "superd", "module.h"),
                        os.path.join(h.TOP_SRCDIR, "include", "superd", "module.h"),
                        shallow=False), "installed module.h differs from the tree's")
    moduledir = _run(["pkg-config", "--variable=moduledir", "superd"], env=env).stdout.strip()
    libdir = _run(["pkg-config", "--variable=libdir", "superd"], env=env).stdout.strip()
    # <libdir>/superd, whatever the libdir: lib, lib64, Debian's multiarch
    # lib/x86_64-linux-gnu (a package build configures --libdir so).
    h.check(moduledir.startswith(root) and moduledir == libdir + "/superd",
            "moduledir %r is not <libdir>/superd (libdir %r) in the staging dir"
            % (moduledir, libdir))

    # The example's own Makefile, in a copy (the source tree may be read-only).
    work = os.path.join(tmp, "hello")
    shutil.copytree(EXAMPLE, work)
    cc = os.environ.get("CC") or "cc"
    flags = "-O2 -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Werror"
    _run(["make", "CC=" + cc, "CFLAGS=" + flags], cwd=work, env=env)
    _run(["make", "install"], cwd=work, env=env)
    h.check(os.path.exists(os.path.join(moduledir, "hello.so")),
            "hello.so not installed into %s" % moduledir)
    _built["moduledir"] = moduledir
    _built["env"] = env
    return moduledir


def build_readme_module():
    """Compile the README's "module in ten lines" against the staged
    header with the README's own command; the .so's path."""
    moduledir = build_example()
    if "readme" in _built:
        return _built["readme"]
    with open(os.path.join(h.TOP_SRCDIR, "README.md")) as f:
        text = f.read()
    section = text[text.index("## A module in ten lines"):]
    code = section[section.index("```c\n") + 5:section.index("```\n", section.index("```c\n") + 5)]
    h.check(len(code.strip().splitlines()) <= 14, "the README's module grew past ten-odd lines")
    src = os.path.join(tempfile.mkdtemp(prefix="superd-readme-"), "hello.c")
    h._temp_dirs.append(os.path.dirname(src))
    h.write_file(src, code)
    cflags = _run(["pkg-config", "--cflags", "superd"], env=_built["env"]).stdout.split()
    out = os.path.join(os.path.dirname(src), "hello.so")
    _run([os.environ.get("CC") or "cc", "-shared", "-fPIC"] + cflags + ["-o", out, src])
    _built["readme"] = out
    return out


CONFIG = """
global:
  module_path: ["%s"]
services:
  hello:
    module: hello
    listen: "127.0.0.1:{port0}"
    protocol: [tcp, udp]
    options:
      greeting: %s
"""


@h.test()
def example_builds_against_installed_api_and_checks():
    moduledir = build_example()
    r, path = h.check_config(CONFIG % (moduledir, "bonjour"))
    h.eq(r.returncode, 0, "superd -t exit (stderr: %s)" % r.stderr.strip())
    h.check("ok" in r.stdout + r.stderr, "superd -t did not say ok")


@h.test()
def example_rejects_unknown_option_with_position():
    moduledir = build_example()
    text = CONFIG % (moduledir, "bonjour") + "      greting: oops\n"
    r, path = h.check_config(text)
    h.eq(r.returncode, 1, "superd -t exit for an unknown option")
    h.check(path + ":" in r.stderr and "greting" in r.stderr,
            "error does not name FILE:LINE:COLUMN and the key: %r" % r.stderr)


@h.test(backends=True)
def example_serves_tcp_and_udp(backend):
    moduledir = build_example()
    with h.Superd(CONFIG % (moduledir, "bonjour"), backend=backend) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0)), b"bonjour, 127.0.0.1!\r\n")
        h.eq(h.udp_exchange("127.0.0.1", s.port(0), b"hi"), b"bonjour, 127.0.0.1!\r\n")


@h.test(backends=True)
def readme_module_serves(backend):
    so = build_readme_module()
    config = """
services:
  hello:
    module: %s
    listen: "127.0.0.1:{port0}"
""" % so
    with h.Superd(config, backend=backend) as s:
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0)), b"hello\r\n")


if __name__ == "__main__":
    h.main(timeout=300)
