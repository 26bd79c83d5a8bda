"""deploy/kubernetes: renders offline, validates against the Kubernetes schemas, and says
what DESIGN.md section 10 and deploy/kubernetes/README.md promise.

Needs kubectl (kustomize v4 or later built in), node 18+ and npm. The npm packages
(tests/deploy/k8s/package-lock.json) are installed with `npm ci` under build/deploy-k8s the
first time, and again whenever the lock file changes.

    /usr/bin/python3 -m pytest -q tests/deploy/test_kubernetes.py
"""
import base64
import copy
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
BASE = DEPLOY / "base"
K8S = ROOT / "tests" / "deploy" / "k8s"
MODULES = ROOT / "build" / "deploy-k8s"
EBPFCTL = ROOT / "build" / "ebpfctl"
PROBE_OBJECT = BASE / "probes" / "syscount.bpf.o"

VARIANTS = {
    "base": DEPLOY,
    "oci-ref": DEPLOY / "overlays" / "oci-ref",
    "privileged": DEPLOY / "overlays" / "privileged",
}

CAPS = {"BPF", "PERFMON", "SYS_ADMIN", "NET_ADMIN", "SYS_RESOURCE", "SYS_PTRACE"}
METRICS_PORT = 9091
PROBE_PATH = "/etc/ebpfctl/probe.bpf.o"
HOST_ROOT = "/host"

# `ebpfctl run` flags in the contract (README "Commands", DESIGN.md sections 8-16); the
# binary's own `run --help` adds whatever it has on top.
CONTRACT_RUN_FLAGS = {
    "metrics-addr", "no-metrics", "set", "interval", "duration", "metrics-namespace",
    "hist-buckets", "max-series", "verbose", "iface", "xdp-mode", "cgroup", "pid", "attach",
    "sample-freq", "bpf-stats", "folded", "host-root", "log-format", "web-config",
    "capabilities-keep", "otlp-endpoint", "otlp-header", "otlp-interval", "enrich", "tui",
    "btf", "pull", "store", "plain-http", "insecure", "ca-file",
}
# Honoured as the OpenTelemetry specification says (DESIGN.md section 10), and docker's
# credential location (section 9).
OTHER_DOCUMENTED_ENV = {
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
    "DOCKER_CONFIG",
}


# ---------------------------------------------------------------- tools and fixtures

def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="session")
def kubectl():
    exe = shutil.which("kubectl")
    if not exe:
        pytest.fail("kubectl not found: the deploy tests need kubectl with kustomize v4 or later "
                    "(Debian 12's kubernetes-client 1.20 is too old)")
    p = run([exe, "version", "--client", "-o", "json"])
    assert p.returncode == 0, p.stderr
    kv = json.loads(p.stdout).get("kustomizeVersion", "")
    m = re.match(r"v(\d+)\.", kv)
    if not m or int(m.group(1)) < 4:
        pytest.fail(f"kubectl's kustomize is {kv or 'unknown'}: v4 or later is needed "
                    "(directories in resources:, patches:)")
    return exe


def lock_digest():
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((K8S / name).read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def node_modules():
    """build/deploy-k8s with the locked npm packages, installed by `npm ci` when missing or
    when tests/deploy/k8s/package-lock.json changed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are needed (Node.js 18 or later)")
    major = int(run([node, "-p", "process.versions.node.split('.')[0]"]).stdout.strip())
    assert major >= 18, f"Node.js {major}: 18 or later is needed"
    MODULES.parent.mkdir(parents=True, exist_ok=True)
    digest = lock_digest()
    stamp = MODULES / ".lock-sha256"
    with open(MODULES.parent / ".deploy-k8s.lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)  # another test run may be installing
        if stamp.is_file() and stamp.read_text().strip() == digest and \
                (MODULES / "node_modules" / "kubernetes-models").is_dir():
            return MODULES
        tmp = MODULES.with_name(f".deploy-k8s.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name in ("package.json", "package-lock.json"):
            shutil.copy(K8S / name, tmp / name)
        t0 = time.monotonic()
        p = run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"],
                cwd=tmp)
        if p.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            pytest.fail(f"npm ci failed in {tmp}:\n{p.stdout}\n{p.stderr}")
        (tmp / ".lock-sha256").write_text(digest + "\n")
        shutil.rmtree(MODULES, ignore_errors=True)
        tmp.rename(MODULES)
        print(f"\nnpm ci for tests/deploy/k8s: {time.monotonic() - t0:.1f}s")
    return MODULES


def kustomize(kubectl, directory):
    p = run([kubectl, "kustomize", str(directory)])
    assert p.returncode == 0, f"kubectl kustomize {directory}:\n{p.stderr}"
    assert "Warning" not in p.stderr, p.stderr  # deprecated kustomization fields
    return p.stdout


@pytest.fixture(scope="session")
def rendered(kubectl):
    """variant -> (YAML text, list of objects)"""
    out = {}
    for name, d in VARIANTS.items():
        text = kustomize(kubectl, d)
        out[name] = (text, [o for o in yaml.safe_load_all(text) if o is not None])
    return out


def validate(node_modules, text):
    p = run(["node", str(K8S / "validate.mjs"), "--modules", str(node_modules), "-"],
            input=text)
    assert p.returncode in (0, 1), f"validate.mjs failed:\n{p.stdout}\n{p.stderr}"
    report = json.loads(p.stdout)
    assert (p.returncode == 0) == all(not o["errors"] for o in report["objects"])
    return report


# ---------------------------------------------------------------- object helpers

def by_kind(objs, kind):
    found = [o for o in objs if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod_spec(objs):
    return by_kind(objs, "DaemonSet")["spec"]["template"]["spec"]


def the_container(objs):
    [c] = pod_spec(objs)["containers"]
    return c


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def resolve_port(container, port):
    if isinstance(port, int):
        return port
    [p] = [p for p in container["ports"] if p.get("name") == port]
    return p["containerPort"]


def mount_at(objs, path):
    found = [m for m in the_container(objs)["volumeMounts"] if m["mountPath"] == path]
    assert len(found) == 1, f"no single mount at {path}"
    return found[0]


def volume(objs, name):
    [v] = [v for v in pod_spec(objs)["volumes"] if v["name"] == name]
    return v


def selects(selector_labels, labels):
    return all(labels.get(k) == v for k, v in selector_labels.items())


_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6,
           "G": 1e9, "T": 1e12, "m": 1e-3, "": 1}


def quantity(q):
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(q))
    assert m and m.group(2) in _SUFFIX, f"bad quantity {q!r}"
    return float(m.group(1)) * _SUFFIX[m.group(2)]


# ---------------------------------------------------------------- rendering

@pytest.mark.parametrize("variant", VARIANTS)
def test_renders_offline(rendered, variant):
    kinds = sorted(o["kind"] for o in rendered[variant][1])
    expected = ["DaemonSet", "Namespace", "PodMonitor", "Service", "ServiceAccount"]
    if variant != "oci-ref":
        expected.append("ConfigMap")
    assert kinds == sorted(expected)
    for o in rendered[variant][1]:
        assert o["metadata"]["name"]
        if o["kind"] != "Namespace":
            assert o["metadata"].get("namespace") == "ebpfctl", o["kind"]


def test_top_level_is_the_base(rendered, kubectl):
    """`kubectl apply -k deploy/kubernetes` deploys exactly base/."""
    assert rendered["base"][0] == kustomize(kubectl, BASE)


# ---------------------------------------------------------------- schema validation
# Starting node and compiling the schemas takes most of a second, so every check below
# shares one validate.mjs run: the rendered variants, and one mutated copy of a rendered
# object per negative case.

def set_path(obj, path, value):
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


def del_path(obj, path):
    for k in path[:-1]:
        obj = obj[k]
    del obj[path[-1]]


WRONG_TYPES = [
    ("DaemonSet", ["spec", "template", "spec", "hostPID"], "yes",
     "/spec/template/spec/hostPID", "must be boolean"),
    ("DaemonSet", ["spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"],
     "9091", "/spec/template/spec/containers/0/ports/0/containerPort", "must be integer"),
    ("DaemonSet", ["spec", "template", "spec", "containers", 0, "volumeMounts", 1, "readOnly"],
     "true", "/spec/template/spec/containers/0/volumeMounts/1/readOnly", "must be boolean"),
    ("Service", ["spec", "ports", 0, "port"], "9091", "/spec/ports/0/port", "must be integer"),
    ("PodMonitor", ["spec", "podMetricsEndpoints", 0, "interval"], 30,
     "/spec/podMetricsEndpoints/0/interval", "must be string"),
]

MISSING_REQUIRED = [
    ("DaemonSet", ["spec", "selector"], "selector"),
    ("DaemonSet", ["spec", "template", "spec", "containers", 0, "name"], "name"),
    ("Service", ["spec", "ports", 0, "port"], "port"),
    ("PodMonitor", ["spec", "selector"], "selector"),
]

UNKNOWN_FIELDS = [
    # misspelt fields, which the API server rejects (strict field validation) or drops
    ("DaemonSet", ["spec", "template", "spec"], "hostPid", True, "/spec/template/spec"),
    ("DaemonSet", ["spec", "template", "spec", "containers", 0, "securityContext"],
     "privilaged", False, "/spec/template/spec/containers/0/securityContext"),
    ("DaemonSet", ["spec", "template", "spec", "containers", 0, "volumeMounts", 1],
     "readonly", True, "/spec/template/spec/containers/0/volumeMounts/1"),
    ("DaemonSet", ["metadata"], "label", {"a": "b"}, "/metadata"),
    ("Service", ["spec"], "headless", True, "/spec"),
    ("PodMonitor", ["spec"], "podMetricsEndpoint", [], "/spec"),
    ("PodMonitor", ["spec", "podMetricsEndpoints", 0], "intervall", "30s",
     "/spec/podMetricsEndpoints/0"),
    ("PodMonitor", ["metadata"], "namespce", "x", "/metadata"),
]

UNKNOWN_KIND = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
                "spec": {"containers": [{"name": "c", "image": "i"}]}}


def negative_cases(base_objs):
    """(case id, object) for every negative case"""
    def obj(kind):
        return copy.deepcopy(next(o for o in base_objs if o["kind"] == kind))
    for kind, path, value, where, _ in WRONG_TYPES:
        o = obj(kind)
        set_path(o, path, value)
        yield f"type:{kind}:{where}", o
    for kind, path, _ in MISSING_REQUIRED:
        o = obj(kind)
        del_path(o, path)
        yield f"missing:{kind}:{'/'.join(map(str, path))}", o
    for kind, path, field, value, where in UNKNOWN_FIELDS:
        o = obj(kind)
        target = o
        for k in path:
            target = target[k]
        target[field] = value
        yield f"unknown:{kind}:{where}/{field}", o
    yield "kind:Pod", UNKNOWN_KIND


@pytest.fixture(scope="session")
def reports(rendered, node_modules):
    """One validate.mjs run over everything: {"variant:NAME": [objects' reports],
    "CASE": one object's report}"""
    parts, keys = [], []
    for name, (text, objs) in rendered.items():
        parts.append(text)
        keys += [f"variant:{name}"] * len(objs)
    for case, o in negative_cases(rendered["base"][1]):
        parts.append(yaml.safe_dump(o, sort_keys=False))
        keys.append(case)
    report = validate(node_modules, "\n---\n".join(parts))
    assert len(report["objects"]) == len(keys)
    out = {}
    for key, o in zip(keys, report["objects"]):
        if key.startswith("variant:"):
            out.setdefault(key, []).append(o)
        else:
            out[key] = o
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_object_validates(rendered, reports, variant):
    objs = reports[f"variant:{variant}"]
    assert [(o["kind"], o["name"]) for o in objs] == \
        [(o["kind"], o["metadata"]["name"]) for o in rendered[variant][1]]
    bad = [(o["kind"], o["errors"]) for o in objs if o["errors"]]
    assert not bad, json.dumps(bad, indent=1)
    for o in objs:
        # every core object through both validators; the PodMonitor through the CRD schema
        expected = ["strict"] if o["kind"] == "PodMonitor" else ["kubernetes-models", "strict"]
        assert o["checked"] == expected, o


@pytest.mark.parametrize("kind,path,value,where,message", WRONG_TYPES,
                         ids=[w[3] for w in WRONG_TYPES])
def test_wrong_type_fails(reports, kind, path, value, where, message):
    errs = reports[f"type:{kind}:{where}"]["errors"]
    assert {"validator": "strict", "path": where, "message": message} in errs, errs
    if kind != "PodMonitor":
        # kubernetes-models catches wrong types on its own too
        assert any(e["validator"] == "kubernetes-models" and e["path"] == where for e in errs)


@pytest.mark.parametrize("kind,path,field", MISSING_REQUIRED,
                         ids=[f"{m[0]}:{m[2]}" for m in MISSING_REQUIRED])
def test_missing_required_field_fails(reports, kind, path, field):
    errs = reports[f"missing:{kind}:{'/'.join(map(str, path))}"]["errors"]
    validators = {e["validator"] for e in errs
                  if re.fullmatch(rf"must have required property '?{field}'?", e["message"])}
    assert validators == ({"strict"} if kind == "PodMonitor" else {"strict", "kubernetes-models"}), errs


@pytest.mark.parametrize("kind,path,field,value,where", UNKNOWN_FIELDS,
                         ids=[f"{u[0]}:{u[4]}/{u[2]}" for u in UNKNOWN_FIELDS])
def test_unknown_field_fails(reports, kind, path, field, value, where):
    errs = reports[f"unknown:{kind}:{where}/{field}"]["errors"]
    assert {"validator": "strict", "path": where, "message": f'unknown field "{field}"'} in errs, errs
    # kubernetes-models alone lets it through: that is why the strict pass exists
    assert not [e for e in errs if e["validator"] == "kubernetes-models"], errs


def test_unknown_kind_fails(reports):
    [err] = reports["kind:Pod"]["errors"]
    assert "no vendored schema for v1 Pod" in err["message"]


# ---------------------------------------------------------------- what the contract asks

@pytest.mark.parametrize("variant", VARIANTS)
def test_host_pid_and_no_host_network(rendered, variant):
    spec = pod_spec(rendered[variant][1])
    assert spec["hostPID"] is True
    assert spec.get("hostNetwork", False) is False


def test_capabilities_not_privileged_by_default(rendered):
    sc = the_container(rendered["base"][1])["securityContext"]
    assert sc["privileged"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    added = set(sc["capabilities"]["add"])
    assert CAPS <= added, CAPS - added
    assert not any(c.startswith("CAP_") for c in added)  # Kubernetes names them without CAP_
    assert added - CAPS == {"SYSLOG"}  # nothing beyond what README.md explains
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["runAsUser"] == 0  # no ambient capabilities in Kubernetes: root or nothing
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert sc["seLinuxOptions"] == {"type": "spc_t"}
    assert sc["appArmorProfile"] == {"type": "Unconfined"}
    # the API server refuses allowPrivilegeEscalation: false together with SYS_ADMIN
    assert sc.get("allowPrivilegeEscalation") is not False


def test_privileged_overlay(rendered):
    base, priv = rendered["base"][1], rendered["privileged"][1]
    sc = the_container(priv)["securityContext"]
    assert sc["privileged"] is True
    assert "capabilities" not in sc
    assert sc["seccompProfile"] == {"type": "Unconfined"}
    assert sc.get("allowPrivilegeEscalation") is not False
    # only the kernel interfaces become writable; the host's / and /proc stay read-only
    for path in ("/sys/kernel/tracing", "/sys/kernel/debug", "/sys/fs/bpf"):
        assert mount_at(priv, path)["readOnly"] is False
    for path in (HOST_ROOT, HOST_ROOT + "/proc", "/sys/kernel/btf", "/etc/ebpfctl"):
        assert mount_at(priv, path)["readOnly"] is True
    # everything else as in the base
    strip = lambda objs: [o for o in copy.deepcopy(objs) if o["kind"] != "DaemonSet"]
    assert strip(priv) == strip(base)


@pytest.mark.parametrize("variant", VARIANTS)
def test_health_probes(rendered, variant):
    c = the_container(rendered[variant][1])
    for probe, path in (("readinessProbe", "/-/ready"), ("livenessProbe", "/-/healthy"),
                        ("startupProbe", "/-/healthy")):
        get = c[probe]["httpGet"]
        assert get["path"] == path, probe
        assert resolve_port(c, get["port"]) == METRICS_PORT, probe
        assert get.get("scheme", "HTTP") == "HTTP"


@pytest.mark.parametrize("variant", VARIANTS)
def test_resources(rendered, variant):
    res = the_container(rendered[variant][1])["resources"]
    for r in ("cpu", "memory"):
        req, lim = quantity(res["requests"][r]), quantity(res["limits"][r])
        assert 0 < req <= lim, r  # the API server refuses requests above limits
    assert quantity(res["limits"]["memory"]) >= 256 * 2**20  # BPF maps are charged here


@pytest.mark.parametrize("variant", VARIANTS)
def test_host_mounts(rendered, variant):
    objs = rendered[variant][1]
    c = the_container(objs)
    hostpaths = {v["name"]: v["hostPath"]["path"] for v in pod_spec(objs)["volumes"]
                 if "hostPath" in v}
    mounted = {m["name"]: m for m in c["volumeMounts"]}
    # every hostPath volume is mounted, and where
    where = {hostpaths[n]: mounted[n]["mountPath"] for n in hostpaths}
    assert where == {
        "/": HOST_ROOT, "/proc": HOST_ROOT + "/proc", "/sys/kernel/btf": "/sys/kernel/btf",
        "/sys/kernel/tracing": "/sys/kernel/tracing", "/sys/kernel/debug": "/sys/kernel/debug",
        "/sys/fs/bpf": "/sys/fs/bpf",
    }
    writable = {"/sys/kernel/tracing", "/sys/kernel/debug", "/sys/fs/bpf"} \
        if variant == "privileged" else set()
    for name, host in hostpaths.items():
        m = mounted[name]
        assert m.get("readOnly", False) is (host not in writable), host
        # Bidirectional would need privileged and could leak mounts to the host
        assert m.get("mountPropagation", "None") in ("None", "HostToContainer"), host
        assert volume(objs, name)["hostPath"]["type"] == "Directory"
    root = mount_at(objs, HOST_ROOT)
    assert root["recursiveReadOnly"] == "IfPossible"
    assert root.get("mountPropagation", "None") == "None"  # recursiveReadOnly needs it
    # --host-root points at the mount of /
    assert env_of(c)["EBPFCTL_HOST_ROOT"] == HOST_ROOT
    # the root filesystem is read-only: only emptyDirs are writable
    for m in c["volumeMounts"]:
        v = volume(objs, m["name"])
        if not m.get("readOnly", False):
            assert "emptyDir" in v or v["hostPath"]["path"] in writable, m


def test_probe_from_configmap(rendered):
    objs = rendered["base"][1]
    c = the_container(objs)
    assert c["args"] == ["run", PROBE_PATH]
    m = mount_at(objs, os.path.dirname(PROBE_PATH))
    assert m["readOnly"] is True
    cm_volume = volume(objs, m["name"])["configMap"]
    cm = by_kind(objs, "ConfigMap")
    # kustomize rewrote the reference to the hashed name of the generated ConfigMap
    assert cm_volume["name"] == cm["metadata"]["name"]
    assert re.fullmatch(r"ebpfctl-probe-[a-z0-9]{10}", cm["metadata"]["name"])
    key = os.path.basename(PROBE_PATH)
    assert cm_volume.get("items") is None or any(i["key"] == key for i in cm_volume["items"])
    # the object goes as binaryData (the API server's base64 decoder skips kustomize's newlines)
    assert "data" not in cm
    blob = base64.b64decode(cm["binaryData"][key].replace("\n", ""), validate=True)
    assert blob == PROBE_OBJECT.read_bytes()
    assert len(cm["binaryData"][key]) < 1024 * 1024  # a ConfigMap holds at most 1 MiB


def test_oci_ref_overlay(rendered):
    objs = rendered["oci-ref"][1]
    c = the_container(objs)
    assert c["args"][0] == "run"
    [ref] = c["args"][1:]
    # a reference, not a file: HOST/PATH:TAG or @sha256:DIGEST
    assert re.fullmatch(r"[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?",
                        ref), ref
    assert not ref.startswith("/")
    assert not [o for o in objs if o["kind"] == "ConfigMap"]
    assert not [v for v in pod_spec(objs)["volumes"] if "configMap" in v]
    env = env_of(c)
    assert env["EBPFCTL_PULL"] in ("missing", "always", "never")
    # the store is writable (an emptyDir): the root filesystem is read-only
    store = env["EBPFCTL_STORE"]
    mounts = [m for m in c["volumeMounts"] if store == m["mountPath"]
              or store.startswith(m["mountPath"].rstrip("/") + "/")]
    assert mounts and "emptyDir" in volume(objs, mounts[-1]["name"])
    assert not mounts[-1].get("readOnly", False)
    # registry credentials: an optional dockerconfigjson Secret at $DOCKER_CONFIG/config.json
    auth = mount_at(objs, env["DOCKER_CONFIG"])
    secret = volume(objs, auth["name"])["secret"]
    assert auth["readOnly"] is True and secret["optional"] is True
    assert secret["items"] == [{"key": ".dockerconfigjson", "path": "config.json"}]
    # the rest is the base
    base = rendered["base"][1]
    keep = lambda objs: [o for o in objs if o["kind"] not in ("DaemonSet", "ConfigMap")]
    assert keep(objs) == keep(base)


def test_service_and_podmonitor_select_the_pods(rendered):
    objs = rendered["base"][1]
    ds = by_kind(objs, "DaemonSet")
    labels = ds["spec"]["template"]["metadata"]["labels"]
    c = the_container(objs)
    # the API server refuses a DaemonSet whose selector does not match its template
    assert selects(ds["spec"]["selector"]["matchLabels"], labels)

    svc = by_kind(objs, "Service")
    assert svc["spec"]["clusterIP"] == "None"  # headless: every pod its own target
    assert selects(svc["spec"]["selector"], labels)
    [port] = svc["spec"]["ports"]
    assert port["name"] == "metrics" and port["port"] == METRICS_PORT
    assert resolve_port(c, port["targetPort"]) == METRICS_PORT

    pm = by_kind(objs, "PodMonitor")
    assert pm["apiVersion"] == "monitoring.coreos.com/v1"
    assert pm["metadata"]["namespace"] == ds["metadata"]["namespace"]
    ns = pm["spec"].get("namespaceSelector")
    assert ns is None or ds["metadata"]["namespace"] in ns.get("matchNames", [])
    assert selects(pm["spec"]["selector"]["matchLabels"], labels)
    [ep] = pm["spec"]["podMetricsEndpoints"]
    assert resolve_port(c, ep["port"]) == METRICS_PORT
    assert ep["path"] == "/metrics"


def test_prometheus_annotations(rendered):
    objs = rendered["base"][1]
    ann = by_kind(objs, "DaemonSet")["spec"]["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true"
    assert ann["prometheus.io/port"] == str(METRICS_PORT)
    assert ann["prometheus.io/path"] == "/metrics"


@pytest.fixture(scope="session")
def run_flags():
    flags = set(CONTRACT_RUN_FLAGS)
    if EBPFCTL.is_file():
        p = run([str(EBPFCTL), "run", "--help"])
        flags |= set(re.findall(r"--([a-z][a-z0-9-]*)", p.stdout + p.stderr))
    return flags


@pytest.mark.parametrize("variant", VARIANTS)
def test_environment(rendered, run_flags, variant):
    objs = rendered[variant][1]
    spec = pod_spec(objs)
    c = the_container(objs)
    for e in c["env"]:
        name = e["name"]
        if name.startswith("EBPFCTL_"):
            flag = name[len("EBPFCTL_"):].lower().replace("_", "-")
            assert flag in run_flags, f"{name}: ebpfctl run has no --{flag}"
        else:
            assert name in OTHER_DOCUMENTED_ENV, f"{name} is neither EBPFCTL_* nor documented"
            assert name != "DOCKER_CONFIG" or variant == "oci-ref"
    env = env_of(c)
    # the metrics address, the container port and the annotations agree
    assert env["EBPFCTL_METRICS_ADDR"].rsplit(":", 1)[1] == str(METRICS_PORT)
    assert resolve_port(c, "metrics") == METRICS_PORT
    # Service links would put EBPFCTL_SERVICE_HOST, EBPFCTL_PORT, ... in the environment
    assert spec["enableServiceLinks"] is False
    assert spec["automountServiceAccountToken"] is False
    assert spec["serviceAccountName"] == by_kind(objs, "ServiceAccount")["metadata"]["name"]


def test_image_and_namespace(rendered):
    objs = rendered["base"][1]
    c = the_container(objs)
    assert c["image"] == "localhost/ebpfctl:latest"
    # :latest would default to Always, and no registry serves localhost/
    assert c["imagePullPolicy"] in ("IfNotPresent", "Never")
    assert "command" not in c  # the image's entrypoint is ebpfctl
    ns = by_kind(objs, "Namespace")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


# ---------------------------------------------------------------- files beside the manifests

def test_committed_probe_object():
    data = PROBE_OBJECT.read_bytes()
    assert data[:4] == b"\x7fELF"
    assert data[4] == 2 and data[5] == 1  # ELF64, little-endian
    assert int.from_bytes(data[16:18], "little") == 1  # ET_REL
    assert int.from_bytes(data[18:20], "little") == 247  # EM_BPF
    assert b".BTF\0" in data and b".maps.counter\0" in data


def test_committed_probe_loads():
    """The default object still loads with this ebpfctl (it is a build of examples/syscount)."""
    if not EBPFCTL.is_file() or os.geteuid() != 0:
        pytest.skip("needs build/ebpfctl and root")
    p = run([str(EBPFCTL), "check", str(PROBE_OBJECT)])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "syscalls counter" in p.stdout


def test_selinux_module_compiles(tmp_path):
    if not shutil.which("checkmodule") or not shutil.which("semodule_package"):
        pytest.skip("checkmodule/semodule_package not installed (packages checkpolicy, "
                    "semodule-utils)")
    te = DEPLOY / "selinux" / "ebpfctl_bpf.te"
    p = run(["checkmodule", "-M", "-m", "-o", "ebpfctl_bpf.mod", str(te)], cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    p = run(["semodule_package", "-o", "ebpfctl_bpf.pp", "-m", "ebpfctl_bpf.mod"], cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr


def readme_yaml_blocks():
    text = (DEPLOY / "README.md").read_text()
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_readme_usage():
    text = (DEPLOY / "README.md").read_text()
    assert "kubectl apply -k deploy/kubernetes" in text
    for word in ("spc_t", "AppArmor", "privileged: true", "hostPID", "PodMonitor",
                 "ebpfctl_bpf.te"):
        assert word in text, word


def is_kustomization_snippet(block):
    return isinstance(block, dict) and bool({"patches", "images", "configMapGenerator"} & set(block))


@pytest.fixture(scope="session")
def readme_overlays(kubectl, node_modules, tmp_path_factory):
    """block index -> (snippet, rendered objects, their validation reports): each
    kustomization snippet of the README rendered as an overlay of base/"""
    out, parts = {}, []
    for i, k in enumerate(readme_yaml_blocks()):
        if not is_kustomization_snippet(k):
            continue
        d = tmp_path_factory.mktemp(f"readme{i}")
        k = dict(k, resources=[os.path.relpath(BASE, d)])
        for gen in k.get("configMapGenerator", []):
            for f in gen.get("files", []):
                path = f.rpartition("=")[2]
                (d / path).write_bytes(PROBE_OBJECT.read_bytes() + b"\0")  # another object
        (d / "kustomization.yaml").write_text(yaml.safe_dump(k))
        text = kustomize(kubectl, d)
        objs = [o for o in yaml.safe_load_all(text) if o]
        out[i] = (k, objs)
        parts.append(text)
    report = validate(node_modules, "\n---\n".join(parts))["objects"]
    for i, (k, objs) in out.items():
        out[i] = (k, objs, report[:len(objs)])
        report = report[len(objs):]
    assert not report
    return out


@pytest.mark.parametrize("block", range(len(readme_yaml_blocks())))
def test_readme_overlay_examples(rendered, readme_overlays, block):
    """Each kustomization snippet in deploy/kubernetes/README.md renders on top of the base,
    validates, and does what the text next to it says."""
    if block not in readme_overlays:
        pytest.skip("not a kustomization snippet")
    k, objs, reports = readme_overlays[block]
    assert not [o for o in reports if o["errors"]], json.dumps(reports, indent=1)
    c = the_container(objs)
    for img in k.get("images", []):
        assert c["image"] == f"{img['newName']}:{img['newTag']}"
    for gen in k.get("configMapGenerator", []):
        cm = by_kind(objs, "ConfigMap")
        assert volume(objs, "probe")["configMap"]["name"] == cm["metadata"]["name"]
        assert cm["metadata"]["name"] != by_kind(rendered["base"][1], "ConfigMap")["metadata"]["name"]
    for p in k.get("patches", []):
        for op in yaml.safe_load(p["patch"]):
            path = op["path"]
            if op["op"] == "add" and path.endswith("/env/-"):
                assert env_of(c)[op["value"]["name"]] == op["value"]["value"]
            elif op["op"] == "remove" and path.endswith("/appArmorProfile"):
                assert "appArmorProfile" not in c["securityContext"]
            elif op["op"] == "remove" and path.endswith("/recursiveReadOnly"):
                assert "recursiveReadOnly" not in mount_at(objs, HOST_ROOT)
            elif op["op"] == "replace" and path.endswith("/readOnly"):
                # the README says which mount this index is
                assert mount_at(objs, "/sys/fs/bpf")["readOnly"] is op["value"]
            else:
                pytest.fail(f"README patch op not checked here: {op}")
