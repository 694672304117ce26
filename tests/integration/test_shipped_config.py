#!/usr/bin/env python3
"""test_shipped_config.py - the configuration packages ship (issue 8.5).

etc/superd.yaml as installed (etc/installed-conf.sh, what `make install`
runs): it listens on loopback addresses only; with an account (configure
--with-user, the Debian package's `superd`) it drops to it and `superd -t`,
as root, has nothing to warn about; without one (a source install) -t warns
that the workers would run as root.  The Debian side: debian/rules
configures --with-user=superd, and debian/superd.sysusers, run by
systemd-sysusers as the package's postinst does, makes that account in a
throwaway copy of this machine's account files, twice with the same result;
then the packaged configuration passes `superd -t` against those files (in
a private mount namespace, as root).  The RPM side: superd.spec configures
--with-user=superd, ships the same sysusers file and makes the account in
%pre from its lines."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SRC = os.path.join(h.TOP_SRCDIR, "etc", "superd.yaml")
SCRIPT = os.path.join(h.TOP_SRCDIR, "etc", "installed-conf.sh")
SITE = os.path.join(h.TOP_SRCDIR, "site")
SYSUSERS = os.path.join(h.TOP_SRCDIR, "debian", "superd.sysusers")
LOOPBACK = ("127.0.0.1", "[::1]")


def installed(user=""):
    """The shipped file as installed with user, in a fresh directory (with
    an empty conf.d/, as make install leaves it); returns its path."""
    d = tempfile.mkdtemp(prefix="superd-shipped-")
    h._temp_dirs.append(d)
    os.chmod(d, 0o755)
    os.mkdir(os.path.join(d, "conf.d"))
    r = subprocess.run(["sh", SCRIPT, SRC, SITE, user], capture_output=True, text=True,
                       timeout=30)
    h.eq(r.returncode, 0, "installed-conf.sh (stderr %r)" % r.stderr)
    path = os.path.join(d, "superd.yaml")
    with open(path, "w") as f:
        f.write(r.stdout)
    os.chmod(path, 0o644)
    return path


def listens(path):
    """Every listen address of every service in the file."""
    import yaml
    with open(path) as f:
        doc = yaml.safe_load(f)
    out = []
    for name, svc in doc["services"].items():
        addrs = svc["listen"] if isinstance(svc["listen"], list) else [svc["listen"]]
        out += [(name, str(a)) for a in addrs]
    return doc, out


def check(path, argv_prefix=()):
    """superd -t on path (after argv_prefix); the CompletedProcess."""
    return subprocess.run(list(argv_prefix) + [h.SUPERD_BIN, "-t", "-f", path],
                          capture_output=True, text=True, timeout=30 * h.TIME_SCALE,
                          env=h.superd_env())


def need_yaml():
    try:
        import yaml  # noqa: F401
    except ImportError:
        h.skip("python3-yaml is not installed")


@h.test()
def shipped_config_listens_on_loopback_only():
    need_yaml()
    for user in ("", "nobody"):
        doc, addrs = listens(installed(user))
        h.check(addrs, "no listen address in %s" % SRC)
        for name, a in addrs:
            h.check(a.startswith("unix:") or a.rsplit(":", 1)[0] in LOOPBACK,
                    "service %s listens on %s, not loopback" % (name, a))


@h.test()
def with_an_account_it_drops_and_check_is_quiet():
    need_yaml()
    path = installed("nobody")
    doc, _ = listens(path)
    h.eq(doc["global"].get("user"), "nobody", "global: user of the installed file")
    with open(path) as a, open(SRC) as b:
        h.eq(len(a.read().splitlines()), len(b.read().splitlines()),
             "the user replaces the commented line, nothing more")
    r = check(path)
    h.eq(r.returncode, 0, "superd -t (output %r)" % (r.stdout + r.stderr))
    h.check(r.stdout.strip().endswith(": ok"), "ok: %r" % r.stdout)
    h.check("as root" not in r.stderr, "nothing runs as root: %r" % r.stderr)


@h.test()
def without_an_account_check_warns_as_root():
    if not h.is_root():
        h.skip("-t warns about root only when run as root")
    need_yaml()
    path = installed("")
    doc, _ = listens(path)
    h.check("user" not in (doc.get("global") or {}), "a source install names no user")
    r = check(path)
    h.eq(r.returncode, 0, "superd -t (output %r)" % (r.stdout + r.stderr))
    h.check(re.search(r"^%s:3:1: warning: global: no 'user'" % re.escape(path), r.stderr, re.M),
            "the warning names global: %r" % r.stderr)


@h.test()
def bad_account_name_is_refused():
    r = subprocess.run(["sh", SCRIPT, SRC, SITE, "a;b"], capture_output=True, text=True,
                       timeout=30)
    h.eq(r.returncode, 2, "installed-conf.sh with 'a;b' (stderr %r)" % r.stderr)


@h.test()
def debian_package_configures_its_account():
    with open(os.path.join(h.TOP_SRCDIR, "debian", "rules")) as f:
        h.check(re.search(r"^\tdh_auto_configure -- .*--with-user=superd\b", f.read(), re.M),
                "debian/rules configures --with-user=superd")
    with open(SYSUSERS) as f:
        lines = [ln.split() for ln in f if ln.strip() and not ln.startswith("#")]
    h.eq([ln[:2] for ln in lines], [["u", "superd"]], "debian/superd.sysusers: one account")


def spec_text():
    """superd.spec as made from superd.spec.in (the build tree's, or the
    release tarball's when it is up to date there)."""
    for d in (h.TOP_BUILDDIR, h.TOP_SRCDIR):
        path = os.path.join(d, "superd.spec")
        if os.path.exists(path):
            with open(path) as f:
                return f.read()
    h.fail("no superd.spec in %s or %s" % (h.TOP_BUILDDIR, h.TOP_SRCDIR))


@h.test()
def rpm_package_makes_the_same_account():
    """The RPM does what the .deb does: configures --with-user=superd,
    ships debian/superd.sysusers as the sysusers.d file, and makes the
    account in %pre from the same lines."""
    spec = spec_text()
    h.check(re.search(r"^%configure .*--with-user=superd\b", spec, re.M),
            "the spec configures --with-user=superd")
    h.check(re.search(r"^install .* debian/superd\.sysusers "
                      r"%\{buildroot\}%\{_sysusersdir\}/superd\.conf$", spec, re.M),
            "the spec installs debian/superd.sysusers as superd.conf")
    h.check(re.search(r"^%\{_sysusersdir\}/superd\.conf$", spec, re.M),
            "%files lists the sysusers file")
    h.check(re.search(r"^Requires\(pre\): +/usr/bin/systemd-sysusers$", spec, re.M),
            "%pre's tool is required")
    m = re.search(r"^%pre\n(.*?)^%", spec, re.M | re.S)
    h.check(m, "the spec has a %pre")
    pre = m.group(1).splitlines()
    h.eq(pre[0], "systemd-sysusers --replace=%{_sysusersdir}/superd.conf - "
         "<<'SUPERD_SYSUSERS_EOF'", "%pre runs systemd-sysusers on its lines")
    end = pre.index("SUPERD_SYSUSERS_EOF")
    with open(SYSUSERS) as f:
        want = [ln.rstrip("\n") for ln in f if not ln.startswith("#")]
    h.eq(pre[1:end], want, "%pre's lines are debian/superd.sysusers'")


def sysusers_root():
    """A throwaway root holding a copy of this machine's account files, with
    debian/superd.sysusers applied twice (postinst on install and upgrade)."""
    tool = shutil.which("systemd-sysusers")
    if not tool:
        h.skip("systemd-sysusers is not installed")
    root = tempfile.mkdtemp(prefix="superd-root-")
    h._temp_dirs.append(root)
    os.mkdir(os.path.join(root, "etc"))
    for name in ("passwd", "group"):
        shutil.copy(os.path.join("/etc", name), os.path.join(root, "etc", name))
    runs = []
    for _ in range(2):
        r = subprocess.run([tool, "--root=" + root, SYSUSERS], capture_output=True, text=True,
                           timeout=30)
        h.eq(r.returncode, 0, "systemd-sysusers --root (stderr %r)" % r.stderr)
        with open(os.path.join(root, "etc", "passwd")) as f:
            runs.append(f.read())
    h.eq(runs[0], runs[1], "a second run changes nothing")
    return root, runs[1]


@h.test()
def sysusers_file_makes_a_locked_system_account():
    root, passwd = sysusers_root()
    ent = [ln.split(":") for ln in passwd.splitlines() if ln.startswith("superd:")]
    h.eq(len(ent), 1, "one superd entry: %r" % passwd[-300:])
    uid, home, shell = int(ent[0][2]), ent[0][5], ent[0][6]
    h.check(0 < uid < 1000, "a system uid: %d" % uid)
    h.check(shell.endswith("nologin") or shell == "/bin/false", "no login shell: %s" % shell)
    h.eq(home, "/nonexistent", "no home")
    with open(os.path.join(root, "etc", "group")) as f:
        h.check(re.search(r"^superd:x:\d+:", f.read(), re.M), "its group superd")


@h.test()
def packaged_config_checks_with_the_account():
    if not h.is_root():
        h.skip("bind-mounting account files needs root")
    need_yaml()
    unshare = shutil.which("unshare")
    if not unshare or subprocess.run([unshare, "-m", "true"], capture_output=True).returncode:
        h.skip("no private mount namespace here (unshare -m)")
    root, _ = sysusers_root()
    path = installed("superd")
    etc = os.path.join(root, "etc")
    script = ("mount --bind %s/passwd /etc/passwd && mount --bind %s/group /etc/group && "
              'exec "$@"' % (etc, etc))
    r = check(path, argv_prefix=(unshare, "-m", "sh", "-c", script, "sh"))
    h.eq(r.returncode, 0, "superd -t, user superd (output %r)" % (r.stdout + r.stderr))
    h.check("as root" not in r.stderr, "nothing runs as root: %r" % r.stderr)


if __name__ == "__main__":
    h.main(timeout=60)
