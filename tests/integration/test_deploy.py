#!/usr/bin/env python3
"""test_deploy.py - deploy/ says what superd really does: the Kubernetes
manifests parse, the ConfigMap holds deploy/superd.yaml and it passes
`superd -t`, the probes ask the metrics module's /ready and /live on the
port its listener uses, every container port is a port superd listens on
(and the reverse), the Services point at them, the grace period covers
shutdown_delay + stop_timeout, the configuration is mounted where the
container reads it, HAProxy's configuration is valid (`haproxy -c`) and
sends PROXY v2 to the service that trusts it; and, when the metrics module
is built, the configuration run for real answers /live and /ready, and
/ready turns 503 on SIGTERM while the site is still served."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time

import harness as h

try:
    import yaml
except ImportError:  # python3-yaml (Debian) is in bootstrap.sh's TEST_PKGS
    yaml = None

DEPLOY = os.path.join(h.TOP_SRCDIR, "deploy")
KUBE = os.path.join(DEPLOY, "kubernetes")


def need_yaml():
    if yaml is None:
        h.skip("python3-yaml is not installed")


def manifests():
    """Every document of every manifest, by (kind, name)."""
    out = {}
    for name in sorted(os.listdir(KUBE)):
        with open(os.path.join(KUBE, name)) as f:
            for doc in yaml.safe_load_all(f):
                h.check(isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind")
                        and doc.get("metadata", {}).get("name"),
                        "%s: a document without apiVersion, kind, metadata.name" % name)
                out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def superd_conf_text():
    with open(os.path.join(DEPLOY, "superd.yaml")) as f:
        return f.read()


def listen_port(listen):
    """The TCP port of a `listen:` value (a port, "HOST:PORT", a list)."""
    if isinstance(listen, list):
        ports = {listen_port(x) for x in listen}
        h.eq(len(ports), 1, "ports of one service")
        return ports.pop()
    if isinstance(listen, int):
        return listen
    return int(str(listen).rsplit(":", 1)[1])


def service_ports(conf):
    return {name: listen_port(s["listen"]) for name, s in conf["services"].items()}


def container(m, deployment, name):
    pod = m[("Deployment", deployment)]["spec"]["template"]["spec"]
    return pod, next(c for c in pod["containers"] if c["name"] == name)


def port_number(c, port):
    """A probe's or Service's port (a number or a container port's name)."""
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in c["ports"]}
    h.check(port in named, "port %r is not a named container port %s" % (port, named))
    return named[port]


def module_built(name):
    return any(os.path.exists(os.path.join(d, name + ".so"))
               for d in h.SUPERD_MODULE_PATH.split(":"))


def superd_t(text, what):
    """`superd -t` on text with the site's root made real; a check failure,
    or a skip naming what this build does not have yet."""
    root = os.path.dirname(h.config_file("x: 1"))
    r, path = h.check_config(text.replace("/srv/www", root))
    if r.returncode != 0:
        # what other parts of this round add; until they are built, skip
        for missing, why in (("unknown key 'proxy_protocol'", "proxy_protocol is not known"),
                             ("unknown key 'watch'", "global: watch is not known"),
                             ("'metrics'", "the metrics module is not built")):
            if missing in r.stderr and (missing != "'metrics'" or not module_built("metrics")):
                h.skip("%s: %s here (%s)" % (what, why, r.stderr.strip()[:200]))
    h.eq((r.returncode, r.stdout.strip()), (0, path + ": ok"),
         "superd -t of %s (stderr %r)" % (what, r.stderr))


@h.test()
def manifests_parse_and_hold_the_configuration():
    need_yaml()
    m = manifests()
    for want in (("ConfigMap", "superd-config"), ("Deployment", "superd"),
                 ("Service", "superd"), ("Service", "superd-pods"),
                 ("ConfigMap", "haproxy-config"), ("Deployment", "haproxy"),
                 ("Service", "haproxy")):
        h.check(want in m, "no %s %s in deploy/kubernetes" % want)
    h.eq(m[("ConfigMap", "superd-config")]["data"]["superd.yaml"], superd_conf_text(),
         "the ConfigMap's superd.yaml and deploy/superd.yaml")


@h.test()
def the_configuration_passes_superd_t():
    need_yaml()
    superd_t(superd_conf_text(), "deploy/superd.yaml")


@h.test()
def probes_ports_and_grace_match_the_configuration():
    need_yaml()
    m = manifests()
    conf = yaml.safe_load(superd_conf_text())
    ports = service_ports(conf)
    metrics = [n for n, s in conf["services"].items() if s["module"] == "metrics"]
    h.eq(len(metrics), 1, "metrics services in the configuration")
    pod, c = container(m, "superd", "superd")
    for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/live")):
        get = c[probe]["httpGet"]
        h.eq(get["path"], path, probe + " path")
        h.eq(port_number(c, get["port"]), ports[metrics[0]], probe + " port")
    h.eq(sorted(p["containerPort"] for p in c["ports"]), sorted(ports.values()),
         "container ports and the ports superd listens on")
    g = conf["global"]
    h.check(pod["terminationGracePeriodSeconds"] > g["shutdown_delay"] + g["stop_timeout"],
            "terminationGracePeriodSeconds %d is not above shutdown_delay %d + stop_timeout "
            "%d" % (pod["terminationGracePeriodSeconds"], g["shutdown_delay"],
                    g["stop_timeout"]))
    # the site's Service reaches the web service; the headless one the proxied one
    svc = m[("Service", "superd")]["spec"]["ports"][0]
    h.eq(port_number(c, svc["targetPort"]), ports["web"], "Service superd's targetPort")
    svc = m[("Service", "superd-pods")]["spec"]["ports"][0]
    h.eq(port_number(c, svc["targetPort"]), ports["web-proxied"],
         "Service superd-pods' targetPort")
    h.check("proxy_protocol" in conf["services"]["web-proxied"],
            "web-proxied does not trust PROXY headers")


@h.test()
def the_container_reads_the_mounted_configuration():
    need_yaml()
    m = manifests()
    conf = yaml.safe_load(superd_conf_text())
    h.eq(conf["global"].get("log", "stderr"), "stderr", "the container's log target")
    pod, c = container(m, "superd", "superd")
    mount = next(v for v in c["volumeMounts"] if v["name"] == "config")
    vol = next(v for v in pod["volumes"] if v["name"] == "config")
    h.eq(vol["configMap"]["name"], "superd-config", "the config volume")
    h.check("subPath" not in mount, "a subPath mount never sees ConfigMap updates")
    with open(os.path.join(DEPLOY, "Containerfile")) as f:
        cf = f.read()
    h.check(re.search(r"^FROM debian:12\b", cf, re.M), "the build is not from Debian 12")
    entry = re.search(r'^ENTRYPOINT \["([^"]+)"\]', cf, re.M).group(1)
    cmd = re.search(r"^CMD (\[.*\])", cf, re.M).group(1)
    h.eq(entry, "/usr/sbin/superd", "ENTRYPOINT")
    h.eq(yaml.safe_load(cmd), ["-f", mount["mountPath"] + "/superd.yaml"], "CMD")
    h.eq(c["args"], ["-f", mount["mountPath"] + "/superd.yaml"], "the container's args")
    h.check("COPY deploy/superd.yaml %s/superd.yaml" % mount["mountPath"] in cf,
            "the image's default configuration is not deploy/superd.yaml")


@h.test()
def haproxy_sends_proxy_v2_to_the_trusting_service():
    need_yaml()
    if not shutil.which("haproxy"):
        h.skip("haproxy is not installed")
    m = manifests()
    conf = yaml.safe_load(superd_conf_text())
    ports = service_ports(conf)
    cfg = m[("ConfigMap", "haproxy-config")]["data"]["haproxy.cfg"]
    path = h.config_file("", name="haproxy.cfg")
    with open(path, "w") as f:
        f.write(cfg)
    r = subprocess.run(["haproxy", "-c", "-f", path], capture_output=True, text=True,
                       timeout=20)
    h.eq(r.returncode, 0, "haproxy -c (%s%s)" % (r.stdout, r.stderr))
    h.check(re.search(r"default-server .*\bsend-proxy-v2\b", cfg), "no send-proxy-v2")
    h.check(re.search(r"default-server .*\bcheck port %d\b" % ports["metrics"], cfg),
            "HAProxy's check is not on the metrics port")
    h.check("option httpchk GET /ready" in cfg, "HAProxy does not check /ready")
    target = re.search(r"server-template \S+ \d+ (\S+):(\d+)", cfg)
    h.eq(int(target.group(2)), ports["web-proxied"], "HAProxy's server port")
    h.check(target.group(1).startswith("superd-pods."), "HAProxy's servers: %s" % target.group(1))


@h.test()
def ready_turns_503_on_sigterm_while_the_site_is_served():
    need_yaml()
    if not module_built("metrics"):
        h.skip("the metrics module is not built")
    conf = yaml.safe_load(superd_conf_text())
    conf["global"].update(workers=1, shutdown_delay=2, stop_timeout=2, watch=False)
    names = list(conf["services"])
    for i, name in enumerate(names):
        conf["services"][name]["listen"] = "127.0.0.1:{port%d}" % i
    conf["services"]["web"]["options"]["root"] = "{tmp}"
    conf["services"]["web-proxied"]["options"]["root"] = "{tmp}"
    mport = names.index("metrics")

    def get(port, path):
        s = h.connect("127.0.0.1", port)
        try:
            s.sendall(b"GET %s HTTP/1.0\r\nHost: x\r\n\r\n" % path.encode())
            return int(h.recv_all(s).split(b" ", 2)[1])
        finally:
            s.close()
    with h.Superd(yaml.safe_dump(conf)) as s:
        h.eq(get(s.port(mport), "/live"), 200, "/live")
        h.eq(get(s.port(mport), "/ready"), 200, "/ready before SIGTERM")
        s.signal(signal.SIGTERM)
        h.wait_until(lambda: get(s.port(mport), "/ready") == 503, 1.5,
                     what="/ready 503 after SIGTERM")
        h.check(get(s.port(names.index("web")), "/") in (200, 404),
                "the site during shutdown_delay")
        h.eq(s.wait_exit(timeout=10), 0, "exit status")


if __name__ == "__main__":
    h.main(timeout=60)
