#!/usr/bin/env python3
"""test_logrotate.py - the shipped logrotate file (etc/superd.logrotate,
installed as /etc/logrotate.d/superd) works with the real logrotate: the
log file and an http access log are rotated, superd gets SIGUSR1 through
the pid file, and the next lines go to the new files."""

import os
import re
import shutil
import subprocess
import sys
import urllib.request

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

CONFIG = """\
global:
  log: "{tmp}/logs/superd.log"
  pid_file: "{tmp}/superd.pid"
services:
  echo: {module: echo, listen: "127.0.0.1:{port0}"}
  web:
    module: http
    listen: "127.0.0.1:{port1}"
    options: {root: "{tmp}/www", access_log: "{tmp}/logs/access.log"}
"""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


@h.test()
def shipped_logrotate_file_rotates_and_superd_reopens():
    logrotate = shutil.which("logrotate") or (
        os.path.exists("/usr/sbin/logrotate") and "/usr/sbin/logrotate")
    if not logrotate:
        h.skip("logrotate is not installed")
    with h.Superd(CONFIG, files={"www/index.html": "hi\n", "logs/.keep": ""}) as s:
        logs = s.path("logs")
        h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"one"), b"one")
        urllib.request.urlopen("http://127.0.0.1:%d/" % s.port(1), timeout=5).read()
        h.wait_until(lambda: "GET / " in read(os.path.join(logs, "access.log")),
                     what="the first request in access.log")
        h.wait_until(lambda: "echo: 127.0.0.1" in read(os.path.join(logs, "superd.log")),
                     what="the first connection in superd.log")
        with open(os.path.join(h.TOP_SRCDIR, "etc", "superd.logrotate")) as f:
            conf = f.read()
        conf = (conf.replace("/var/log/superd", logs)
                .replace("/run/superd.pid", s.path("superd.pid"))
                .replace("/run/systemd/system", s.path("no-systemd")))
        conf_path = h.write_file(s.path("logrotate.conf"), conf, mode=0o644)
        r = subprocess.run([logrotate, "-f", "-s", s.path("logrotate.state"), conf_path],
                           capture_output=True, text=True, timeout=30)
        h.eq(r.returncode, 0, "logrotate exit (stderr %r)" % r.stderr)
        for name in ("superd.log", "access.log"):
            h.check("echo: 127.0.0.1" in read(os.path.join(logs, name + ".1")) or
                    "GET / " in read(os.path.join(logs, name + ".1")),
                    "%s.1 holds the old lines" % name)
        # after SIGUSR1 the new lines go to the new files.  The signal
        # reaches the workers through the master, so a request sent at once
        # may still be written to the old file: ask until one lands.
        access, access1 = os.path.join(logs, "access.log"), os.path.join(logs, "access.log.1")

        def next_request_in_new_log():
            urllib.request.urlopen("http://127.0.0.1:%d/index.html" % s.port(1),
                                   timeout=5).read()
            return "GET /index.html " in read(access)
        h.wait_until(next_request_in_new_log, what="a request in the new access.log")

        def next_connection_in_new_log():
            h.eq(h.tcp_exchange("127.0.0.1", s.port(0), b"two"), b"two")
            return re.search(r"echo: 127\.0\.0\.1:\d+ .*in 3, out 3",
                             read(os.path.join(logs, "superd.log")))
        h.wait_until(next_connection_in_new_log, what="a connection in the new superd.log")
        # from then on, nothing goes to the rotated file
        before = read(access1)
        urllib.request.urlopen("http://127.0.0.1:%d/index.html?again" % s.port(1), timeout=5).read()
        h.wait_until(lambda: "GET /index.html?again " in read(access),
                     what="the last request in the new access.log")
        h.eq(read(access1), before, "the rotated access log got no new line")

if __name__ == "__main__":
    h.main(timeout=60)
