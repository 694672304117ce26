#!/usr/bin/env python3
"""test_metrics.py - the metrics module and the counters behind it, against
the real superd: every family of the contract, summed over two workers,
checked by `promtool check metrics`; OpenMetrics when Accept asks; no client
address in any label; nothing goes backwards across SIGHUP (good and bad
files) or a worker's SIGKILL; refusals by reason (acl, proxy); HTTP
responses by code; /ready turns 503 on SIGTERM while /live stays 200; and a
real Prometheus server scraping superd."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import harness as h

CONFIG = """
global: {workers: 2, shutdown_delay: %(delay)s}
services:
  metrics: {module: metrics, listen: "127.0.0.1:{port0}"}
  echo: {module: echo, listen: "127.0.0.1:{port1}"}
  web: {module: http, listen: "127.0.0.1:{port2}", options: {root: "{tmp}"}}
  closed: {module: echo, listen: "127.0.0.1:{port3}", allow: [10.0.0.0/8]}
  proxied: {module: echo, listen: "127.0.0.1:{port4}", proxy_protocol: [127.0.0.2/32]}
"""

FAMILIES = [
    "superd_build_info", "superd_workers", "superd_worker_restarts_total",
    "superd_reloads_total", "superd_connections_accepted_total",
    "superd_connections_refused_total", "superd_connections_active",
    "superd_received_bytes_total", "superd_sent_bytes_total",
    "superd_connection_duration_seconds", "superd_datagrams_received_total",
    "superd_datagrams_dropped_total", "superd_http_responses_total",
]
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def get(port, path, accept=None, timeout=5):
    """(status, headers, body) of GET path."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def parse(text):
    """{(name, frozenset(labels)): value} of a text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        h.check(m, "bad sample line %r" % line)
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(samples, name, **labels):
    want = frozenset(labels.items())
    got = [v for (n, l), v in samples.items() if n == name and want <= l]
    h.check(got, "no sample %s%s" % (name, labels))
    return sum(got)


def scrape(s):
    st, hd, body = get(s.port(0), "/metrics")
    h.eq(st, 200, "/metrics status")
    h.check(hd.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
            "content type %r" % hd.get("Content-Type"))
    return body, parse(body)


def traffic(s, n):
    for i in range(n):
        h.eq(h.tcp_exchange("127.0.0.1", s.port(1), b"x" * 10), b"x" * 10, "echo")
    with open(s.path("index.html"), "w") as f:
        f.write("hello\n")
    for path in ("/index.html", "/missing"):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d%s" % (s.port(2), path), timeout=5).read()
        except urllib.error.HTTPError:
            pass
    # acl refusal, and a refused PROXY header from a trusted sender.
    h.tcp_exchange("127.0.0.1", s.port(3), b"", timeout=2)
    c = h.connect("127.0.0.1", s.port(4), source="127.0.0.2")
    c.sendall(b"NOT A PROXY HEADER\r\n")
    h.check(h.is_closed(c), "bad header closed")
    c.close()


def counters_after(s, want_echo):
    """Scrape until the echo connections are all counted (closes race the
    client's read); return the samples."""
    def ready():
        body, sm = scrape(s)
        return (body, sm) if value(sm, "superd_connection_duration_seconds_count",
                                   service="echo") >= want_echo else None
    return h.wait_until(ready, 5, what="%d echo connections counted" % want_echo)


def settled(s):
    """Samples once the harness's start-up probes (one connection per port)
    are counted: the baseline that traffic adds to.  The probe of the
    closed service is refused by a worker that may be slower than the one
    serving echo's, so its refusal is waited for too."""
    def ready():
        sm = counters_after(s, 1)[1]
        acl = [v for (n, l), v in sm.items() if n == "superd_connections_refused_total"
               and {("service", "closed"), ("reason", "acl")} <= l]
        return sm if sum(acl) >= 1 else None
    return h.wait_until(ready, 5, what="the closed service's probe refused and counted")


def check_monotonic(before, after, what):
    for key, v in before.items():
        name = key[0]
        if name in ("superd_connections_active", "superd_workers"):
            continue
        h.check(key in after, "%s: %s disappeared" % (what, key))
        h.check(after[key] >= v, "%s: %s went back from %s to %s"
                % (what, key, v, after[key]))


@h.test(backends=True)
def families_summed_and_valid(backend):
    with h.Superd(CONFIG % {"delay": 0}, backend=backend) as s:
        base = settled(s)
        traffic(s, 20)
        body, sm = counters_after(s, 21)

        def delta(name, **labels):
            return value(sm, name, **labels) - value(base, name, **labels)
        for fam in FAMILIES:
            h.check(re.search(r"^# TYPE %s " % fam, body, re.M), "family %s missing" % fam)
        h.eq(delta("superd_connections_accepted_total", service="echo"), 20, "echo accepted")
        h.eq(delta("superd_received_bytes_total", service="echo"), 200, "echo bytes in")
        h.eq(delta("superd_sent_bytes_total", service="echo"), 200, "echo bytes out")
        h.eq(delta("superd_connection_duration_seconds_bucket", service="echo", le="+Inf"),
             20, "histogram +Inf")
        h.eq(delta("superd_connections_refused_total", service="closed", reason="acl"),
             1, "acl refusal")
        h.eq(delta("superd_connections_refused_total", service="proxied", reason="proxy"),
             1, "proxy refusal")
        h.eq(value(sm, "superd_http_responses_total", service="web", code="200"), 1, "200s")
        h.eq(value(sm, "superd_http_responses_total", service="web", code="404"), 1, "404s")
        h.eq(value(sm, "superd_workers"), 2, "workers")
        h.check("127.0.0.1" not in body and "127.0.0.2" not in body, "a client address in labels")
        if shutil.which("promtool"):
            r = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                               capture_output=True, timeout=30)
            h.eq(r.returncode, 0, "promtool check metrics: %s%s" % (r.stdout, r.stderr))
        st, hd, om = get(s.port(0), "/metrics",
                         accept="application/openmetrics-text; version=1.0.0")
        h.eq(st, 200, "OpenMetrics status")
        h.check(hd["Content-Type"].startswith("application/openmetrics-text; version=1.0.0"),
                "OpenMetrics content type %r" % hd["Content-Type"])
        h.check(om.endswith("\n# EOF\n"), "OpenMetrics ends with # EOF")
        h.check(re.search(r"^# TYPE superd_connections_accepted counter$", om, re.M) and
                re.search(r"^# UNIT superd_connection_duration_seconds seconds$", om, re.M),
                "OpenMetrics family names and units")


@h.test(backends=True)
def never_backwards(backend):
    with h.Superd(CONFIG % {"delay": 0}, backend=backend) as s:
        settled(s)
        traffic(s, 10)
        _, before = counters_after(s, 11)
        mark = s.log_mark()
        s.reload()
        s.wait_log(r"reloaded ", since=mark)
        traffic(s, 5)
        _, after = counters_after(s, 16)
        check_monotonic(before, after, "SIGHUP")
        h.eq(value(after, "superd_reloads_total", result="ok"), 1, "reloads ok")
        # A bad file is refused and counted.
        good = open(s.config_path).read()
        mark = s.log_mark()
        s.reload("services: [")
        s.wait_log(r"has errors", since=mark)
        s.write_config(good)
        h.eq(value(scrape(s)[1], "superd_reloads_total", result="failed"), 1, "reloads failed")
        # A killed worker's counts stay.
        _, before = scrape(s)
        workers = s.wait_workers(2)
        os.kill(workers[0], signal.SIGKILL)
        h.wait_until(lambda: value(scrape(s)[1], "superd_worker_restarts_total") == 1,
                     5, what="restart counted")
        s.wait_workers(2)
        traffic(s, 1)
        _, after = counters_after(s, 17)
        check_monotonic(before, after, "kill -9")


@h.test()
def client_prints_a_table():
    client = os.path.join(h.TOP_BUILDDIR, "superd-client")
    with h.Superd(CONFIG % {"delay": 0}) as s:
        settled(s)
        traffic(s, 3)
        counters_after(s, 4)
        r = subprocess.run([client, "metrics", "127.0.0.1:%d" % s.port(0)],
                           capture_output=True, text=True, timeout=30)
        h.eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        rows = {l.split()[0]: l.split() for l in r.stdout.splitlines()[1:]}
        h.eq(sorted(rows), ["closed", "echo", "metrics", "proxied", "web"], "services")
        h.eq(rows["echo"][1], "4", "echo accepted (3 and the start-up probe)")
        h.eq(rows["closed"][2], "2", "closed refused (the probe and ours)")
        h.eq(rows["web"][4] != "0", True, "web bytes in")
        r = subprocess.run([client, "-t", "2", "metrics", "127.0.0.1:%d" % s.port(2)],
                           capture_output=True, text=True, timeout=30)
        h.eq(r.returncode, 1, "not a metrics service: wrong (%r)" % r.stdout)


@h.test()
def ready_turns_503_on_sigterm():
    with h.Superd(CONFIG % {"delay": 3}, check_exit=False) as s:
        h.eq(get(s.port(0), "/ready")[0], 200, "/ready before")
        h.eq(get(s.port(0), "/live")[0], 200, "/live")
        h.eq(get(s.port(0), "/nowhere")[0], 404, "unknown path")
        s.signal(signal.SIGTERM)
        h.wait_until(lambda: get(s.port(0), "/ready")[0] == 503, 2,
                     what="/ready 503 after SIGTERM")
        h.eq(get(s.port(0), "/live")[0], 200, "/live while stopping")
        h.check(s.wait_exit(10) == 0, "exit 0 after the delay")


@h.test()
def prometheus_scrapes_superd():
    prom = shutil.which("prometheus")
    if prom is None:
        h.skip("prometheus not installed")
    with h.Superd(CONFIG % {"delay": 0}) as s:
        settled(s)
        traffic(s, 7)
        counters_after(s, 8)
        port = h.free_port("tcp")
        cfg = s.path("prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                    "scrape_configs:\n  - job_name: superd\n"
                    "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % s.port(0))
        log = open(s.path("prometheus.log"), "wb")
        p = subprocess.Popen([prom, "--config.file=" + cfg, "--storage.tsdb.path=" +
                              s.path("tsdb"), "--web.listen-address=127.0.0.1:%d" % port],
                             stdout=log, stderr=log, start_new_session=True)
        try:
            url = ("http://127.0.0.1:%d/api/v1/query?query=" % port +
                   "sum(superd_connections_accepted_total%7Bservice%3D%22echo%22%7D)")

            def scraped():
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        res = json.load(r)["data"]["result"]
                except (OSError, ValueError, KeyError):
                    return None
                return res and float(res[0]["value"][1])
            got = h.wait_until(scraped, 30, interval=0.25, what="Prometheus scraped superd")
            h.eq(got, 8, "accepted echo connections seen by Prometheus (7 and the start-up probe)")
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
            log.close()


if __name__ == "__main__":
    h.main(timeout=240)
