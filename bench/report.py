#!/usr/bin/env python3
"""report.py OUTDIR [OUTDIR...] - the Markdown report of bench/run.sh.

Reads results.tsv (scen sut rep value unit p50_us p99_us cpu0 cpu1 errors
verify losses), memory.tsv (name role pid comm kB) and meta.txt from each
directory (several directories pool their samples) and prints: throughput
(median, spread = half the min-max range in % of the median, ratio to the
best peer), throughput per busy server-core second (value / CPU 0 busy
fraction), latency and CPU, errors, memory, and superd against the bars of
the issues."""

import os
import statistics
import sys

PEERS_OF = {}
# Columns that are no peer: superd itself, and the bare epoll reference
# (bench/refsrv.c), shown beside the peers for what an event loop costs.
NOT_PEERS = ("superd", "refsrv")


def load(dirs):
    rows, mem, meta = [], [], []
    for d in dirs:
        with open(os.path.join(d, "results.tsv")) as f:
            for ln in f:
                p = ln.rstrip("\n").split("\t")
                if len(p) < 12:
                    continue
                rows.append({"scen": p[0], "sut": p[1], "rep": p[2], "value": float(p[3] or 0),
                             "unit": p[4], "p50": float(p[5] or 0), "p99": float(p[6] or 0),
                             "cpu0": float(p[7] or 0), "cpu1": float(p[8] or 0),
                             "errors": int(float(p[9] or 0)), "verify": int(float(p[10] or 0)),
                             "losses": int(float(p[11] or 0))})
        try:
            with open(os.path.join(d, "memory.tsv")) as f:
                mem += [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]
        except OSError:
            pass
        try:
            with open(os.path.join(d, "meta.txt")) as f:
                meta.append(f.read().strip())
        except OSError:
            pass
    return rows, mem, meta


def fmt(v):
    if v >= 100:
        return "{:,.0f}".format(v)
    if v >= 10:
        return "{:.1f}".format(v)
    return "{:.2f}".format(v)


class Table:
    """Per (scenario, sut): the samples."""

    def __init__(self, rows):
        self.scens, self.suts, self.cells, self.unit = [], [], {}, {}
        for r in rows:
            if r["scen"] not in self.scens:
                self.scens.append(r["scen"])
            if r["sut"] not in self.suts:
                self.suts.append(r["sut"])
            self.cells.setdefault((r["scen"], r["sut"]), []).append(r)
            self.unit[r["scen"]] = r["unit"]
        order = ["superd", "xinetd", "tcpserver", "refsrv", "lighttpd", "nginx"]
        self.suts.sort(key=lambda s: order.index(s) if s in order else 99)

    def median(self, scen, sut, key=lambda r: r["value"]):
        c = self.cells.get((scen, sut))
        if not c:
            return None
        return statistics.median(key(r) for r in c)

    def spread(self, scen, sut):
        c = [r["value"] for r in self.cells.get((scen, sut), [])]
        m = statistics.median(c) if c else 0
        return 0 if len(c) < 2 or m == 0 else 50 * (max(c) - min(c)) / m

    def best_peer(self, scen, key=None):
        vals = [(self.median(scen, s, key) if key else self.median(scen, s), s)
                for s in self.suts if s not in NOT_PEERS and (scen, s) in self.cells]
        vals = [v for v in vals if v[0] is not None]
        return max(vals) if vals else (None, None)


def per_core(r):
    return r["value"] / r["cpu0"] if r["cpu0"] > 0.05 else 0


def throughput_table(t, title, key=None):
    out = ["### " + title, "",
           "| scenario | unit | " + " | ".join(t.suts) + " | superd ÷ best peer |",
           "|---|---|" + "---|" * len(t.suts) + "---|"]
    for scen in t.scens:
        best, best_sut = t.best_peer(scen, key)
        cells = []
        for s in t.suts:
            v = t.median(scen, s, key) if key else t.median(scen, s)
            if v is None:
                cells.append("n/a")
                continue
            txt = fmt(v)
            if key is None and len(t.cells[(scen, s)]) > 1:
                txt += " ±%.0f%%" % t.spread(scen, s)
            if any(r["cpu1"] >= 0.95 for r in t.cells[(scen, s)]):
                txt += " †"
            if best:
                txt += " (%.2f)" % (v / best)
            if s == best_sut:
                txt = "**" + txt + "**"
            cells.append(txt)
        sd = t.median(scen, "superd", key) if key else t.median(scen, "superd")
        ratio = "%.2f× %s" % (sd / best, best_sut) if sd is not None and best else "—"
        out.append("| %s | %s | %s | %s |" % (scen, t.unit[scen], " | ".join(cells), ratio))
    out.append("")
    return out


def latency_table(t):
    out = ["### Latency p50 / p99 (µs), CPU0 / CPU1 busy %, errors / verify errors / losses", "",
           "| scenario | " + " | ".join(t.suts) + " |", "|---|" + "---|" * len(t.suts)]
    for scen in t.scens:
        cells = []
        for s in t.suts:
            c = t.cells.get((scen, s))
            if not c:
                cells.append("n/a")
                continue
            med = lambda k: statistics.median(r[k] for r in c)  # noqa: E731
            cells.append("%s / %s — %.0f/%.0f%% — %d/%d/%d" % (
                fmt(med("p50")), fmt(med("p99")), 100 * med("cpu0"), 100 * med("cpu1"),
                sum(r["errors"] for r in c), sum(r["verify"] for r in c),
                sum(r["losses"] for r in c)))
        out.append("| %s | %s |" % (scen, " | ".join(cells)))
    out.append("")
    return out


def memtrace_table(dirs):
    """superd's processes: VmHWM / VmRSS after each scenario (first run)."""
    rows = []
    for d in dirs[:1]:
        try:
            with open(os.path.join(d, "memtrace.tsv")) as f:
                rows = [ln.rstrip("\n").split("\t") for ln in f if ln.startswith(("start", "tcp",
                        "udp", "http"))]
        except OSError:
            return []
    rows = [r for r in rows if len(r) == 6 and r[1] == "superd"]
    if not rows:
        return []
    procs = []
    for r in rows:
        if (r[2], r[3]) not in procs:
            procs.append((r[2], r[3]))
    out = ["### superd's memory after each scenario: VmHWM / VmRSS (MB)", "",
           "| after | " + " | ".join("%s %s" % p for p in procs) + " |",
           "|---|" + "---|" * len(procs)]
    scens = []
    for r in rows:
        if r[0] not in scens:
            scens.append(r[0])
    for s in scens:
        cells = []
        for p in procs:
            m = [r for r in rows if r[0] == s and (r[2], r[3]) == p]
            cells.append("%.1f / %.1f" % (int(m[0][4] or 0) / 1024, int(m[0][5] or 0) / 1024)
                         if m else "—")
        out.append("| %s | %s |" % (s, " | ".join(cells)))
    out.append("")
    return out


def memory_table(mem):
    out = ["### Memory (VmHWM at the end of the run)", "",
           "| server | process | pid | VmHWM |", "|---|---|---|---|"]
    for name, role, pid, comm, kb in mem:
        out.append("| %s | %s (%s) | %s | %.1f MB |" % (name, role, comm, pid, int(kb) / 1024))
    out.append("")
    return out


# (label, scenario, per_core?, compare to: "best" | sut name | "superd:SCEN", minimum ratio)
BARS = [
    ("daytime conn per busy server-core s ≥ xinetd", "tcp.daytime.conn50", True, "xinetd", 1.0),
    ("time conn per busy server-core s ≥ xinetd", "tcp.time.conn50", True, "xinetd", 1.0),
    ("echo new conn/s ≥ 10× xinetd", "tcp.echo.conn50", False, "xinetd", 10.0),
    ("echo ping-pong 50 conns ≥ 1.3× best peer", "tcp.echo.pingpong50", False, "best", 1.3),
    ("echo streaming ≥ tcpserver+cat", "tcp.echo.stream1", False, "tcpserver", 1.0),
    ("discard streaming ≥ 2× xinetd", "tcp.discard.stream1", False, "xinetd", 2.0),
    ("chargen streaming ≥ 20× xinetd", "tcp.chargen.stream1", False, "xinetd", 20.0),
    ("UDP echo 10 clients ≥ 3× xinetd (and no loss)", "udp.echo.c10", False, "xinetd", 3.0),
    ("exec /bin/cat conn/s > xinetd and tcpserver", "tcp.exec.conn50", False, "best", 1.0),
    ("controls cost < 10% (daytime-acl vs daytime, per core)", "tcp.daytime-acl.conn50", True,
     "superd:tcp.daytime.conn50", 0.9),
    ("HTTP 100 B keep-alive c50 ≥ best peer", "http.100b.wrk.c50", False, "best", 1.0),
    ("HTTP 100 B keep-alive c500 ≥ best peer", "http.100b.wrk.c500", False, "best", 1.0),
    ("HTTP 4 KiB keep-alive c50 ≥ best peer", "http.4k.wrk.c50", False, "best", 1.0),
    ("HTTP 4 KiB keep-alive c500 ≥ best peer", "http.4k.wrk.c500", False, "best", 1.0),
    ("HTTP 1 MiB ≥ best peer", "http.1m.wrk.c50", False, "best", 1.0),
    ("HTTP new connections per server-core s ≥ best peer", "http.100b.ab.c50", True, "best", 1.0),
    ("HTTP 1000-entry listing ≥ best peer", "http.dir1000.wrk.c50", False, "best", 1.0),
    ("HTTP shell CGI ≥ best peer", "http.cgi-sh.wrk.c50", False, "best", 1.0),
    ("HTTP C CGI ≥ best peer", "http.cgi-c.wrk.c50", False, "best", 1.0),
]


def bars_table(t, mem):
    out = ["### superd against the bars", "",
           "| bar | superd | against | ratio | verdict |", "|---|---|---|---|---|"]
    for label, scen, core, against, need in BARS:
        key = per_core if core else None
        sd = t.median(scen, "superd", key) if key else t.median(scen, "superd")
        if sd is None:
            out.append("| %s | not measured | | | — |" % label)
            continue
        if against == "best":
            ref, ref_name = t.best_peer(scen, key)
        elif against.startswith("superd:"):
            s2 = against.split(":", 1)[1]
            ref = t.median(s2, "superd", key) if key else t.median(s2, "superd")
            ref_name = "superd " + s2
        else:
            ref = t.median(scen, against, key) if key else t.median(scen, against)
            ref_name = against
        if not ref:
            out.append("| %s | %s | no reference | | — |" % (label, fmt(sd)))
            continue
        ratio = sd / ref
        ok = ratio >= need
        extra = ""
        if scen.startswith("udp."):
            lost = sum(r["losses"] for r in t.cells.get((scen, "superd"), []))
            ok = ok and lost == 0
            extra = ", %d lost" % lost
        out.append("| %s | %s%s | %s %s | %.2f× | %s |" % (
            label, fmt(sd), extra, ref_name, fmt(ref), ratio, "met" if ok else "**not met**"))
    big = [m for m in mem if m[0] == "superd" and int(m[4]) >= 4096]
    sd_mem = [m for m in mem if m[0] == "superd"]
    if sd_mem:
        out.append("| superd master and each worker VmHWM < 4 MB | %s | | | %s |" % (
            ", ".join("%s %.1f MB" % (m[1], int(m[4]) / 1024) for m in sd_mem),
            "**not met**" if big else "met"))
    out.append("")
    return out


def main():
    dirs = sys.argv[1:] or ["."]
    rows, mem, meta = load(dirs)
    if not rows:
        print("no results")
        return 1
    t = Table(rows)
    out = ["## superd benchmark", ""]
    for m in meta:
        out += ["    " + ln for ln in m.splitlines()] + [""]
    out += ["Medians of the repeats; (ratio) to the best peer of the row, **bold**; "
            "† = the load tool's core was ≥95% busy (the figure is the client's limit); "
            "refsrv is the bare epoll reference (bench/refsrv.c), shown beside the peers "
            "but never taken as one.", ""]
    wrong = []
    for d in dirs:
        try:
            with open(os.path.join(d, "preflight.txt")) as f:
                wrong += [ln.strip() for ln in f if ln.startswith("WRONG")]
        except OSError:
            pass
    if wrong:
        out += ["**HTTP answers checked before the run were wrong** (those rows measure "
                "something else):", ""] + ["    " + w for w in wrong] + [""]
    out += bars_table(t, mem)
    out += throughput_table(t, "Throughput")
    out += throughput_table(t, "Per busy server-core second (throughput ÷ CPU0 busy fraction)",
                            key=per_core)
    out += latency_table(t)
    out += memory_table(mem)
    out += memtrace_table(dirs)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
