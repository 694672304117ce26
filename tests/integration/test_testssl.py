#!/usr/bin/env python3
"""test_testssl.py - testssl.sh (Debian's testssl) against a TLS http
service: the protocol and vulnerability checks find nothing rated
vulnerable, HIGH or CRITICAL.  One run, bounded (about 40 s: the checks
that need no more than a few handshakes each; ROBOT, DROWN, LOGJAM and
BREACH take longer and are not run here).  Skipped when testssl is not
installed, and under the sanitizers (the same TLS code is exercised there
by test_tls.py; this keeps CI short)."""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import tlskit as tk  # noqa: E402

CHECKS = ["-p", "-H", "-I", "-T", "-R", "-C", "-O", "-Z", "-W", "-F", "-A",
          "-L", "-4"]


@h.test()
def testssl_finds_nothing():
    tool = shutil.which("testssl") or shutil.which("testssl.sh")
    if not tool:
        h.skip("testssl (Debian package testssl.sh) is not installed")
    if os.environ.get("SUPERD_SANITIZED"):
        h.skip("not under the sanitizers (one plain run is enough; CI time)")
    tk.require_tls()
    d = tk.pki()
    with h.Superd("""
services:
  web:
    module: http
    listen: "127.0.0.1:{port0}"
    options: {root: "{tmp}"}
    tls: {cert: "%s/server.pem", key: "%s/server.key"}
""" % (d, d), files={"index.html": "hi\n"}) as s:
        out = s.path("testssl.json")
        r = subprocess.run([tool, "--quiet", "--color", "0", "--warnings", "off",
                            "--nodns", "none", "--connect-timeout", "5",
                            "--openssl-timeout", "5", "--jsonfile", out] + CHECKS +
                           ["127.0.0.1:%d" % s.port(0)],
                           capture_output=True, timeout=240, cwd=s.tmp)
        text = r.stdout.decode(errors="replace")
        h.check(os.path.exists(out), "testssl wrote no JSON (rc %d): %s"
                % (r.returncode, text[-800:]))
        with open(out) as f:
            findings = json.load(f)
        ids = {x.get("id") for x in findings}
        for want in ("TLS1_2", "TLS1_3", "heartbleed", "CCS", "LUCKY13", "SWEET32"):
            h.check(want in ids, "testssl ran %s (ids: %s)" % (want, sorted(ids)[:40]))
        def vulnerable(f):
            f = f.lower()
            return "vulnerable" in f and "not vulnerable" not in f
        bad = [x for x in findings
               if x.get("severity") in ("HIGH", "CRITICAL")
               or vulnerable(x.get("finding", ""))]
        h.check(not bad, "testssl findings: %s" % json.dumps(bad, indent=1)[:2000])
        by_id = {x.get("id"): x.get("finding", "") for x in findings}
        for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
            h.check("not offered" in by_id.get(old, "not offered"),
                    "%s: %s" % (old, by_id.get(old)))


if __name__ == "__main__":
    h.main(timeout=300)
