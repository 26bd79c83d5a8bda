#!/usr/bin/python3
"""Regenerate the vendored schemas in schemas/ (see schemas/README.md).

    vendor_schemas.py k8s SWAGGER_JSON VERSION SOURCE_NOTE
    vendor_schemas.py podmonitor CRD_YAML VERSION SOURCE_NOTE

`k8s` keeps, from a Kubernetes OpenAPI v2 document (api/openapi-spec/swagger.json),
the definitions that the kinds in ROOT_KINDS reach through $ref, without
descriptions and without the keys the validator does not read. `podmonitor`
keeps the openAPIV3Schema of the v1 version of the prometheus-operator
PodMonitor CRD, without descriptions. Both write sorted, indented JSON so that
a refresh shows as a readable diff.
"""
import json
import sys

import yaml

# Every kind that deploy/kubernetes (base and overlays) renders, core types only.
# validate.mjs refuses a kind that has no schema here: add it and re-run.
ROOT_KINDS = [
    ("", "v1", "Namespace"),
    ("", "v1", "ServiceAccount"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "Service"),
    ("apps", "v1", "DaemonSet"),
]

K8S_KEYS = {"type", "format", "$ref", "properties", "items", "required",
            "additionalProperties", "enum"}
CRD_KEYS = {"type", "format", "properties", "items", "required", "additionalProperties",
            "enum", "pattern", "minimum", "maximum", "minLength", "maxLength",
            "minItems", "maxItems", "anyOf", "oneOf", "allOf", "nullable",
            "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields"}


def strip(node, keep):
    """Copy a schema node keeping only `keep` keys (recursively)."""
    if isinstance(node, list):
        return [strip(x, keep) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k not in keep:
            continue
        if k == "properties":
            out[k] = {name: strip(sub, keep) for name, sub in v.items()}
        elif k in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
            out[k] = strip(v, keep)
        else:
            out[k] = v
    return out


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v.rsplit("/", 1)[-1]
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for x in node:
            yield from refs(x)


def vendor_k8s(path, version, note):
    with open(path) as f:
        defs = json.load(f)["definitions"]
    roots = {}
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            key = (gvk.get("group", ""), gvk["version"], gvk["kind"])
            if key in ROOT_KINDS:
                roots[name] = key
    missing = set(ROOT_KINDS) - set(roots.values())
    if missing:
        sys.exit(f"no definition for {sorted(missing)}")
    todo, seen = list(roots), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(refs(defs[name]))
    out = {}
    for name in sorted(seen):
        out[name] = strip(defs[name], K8S_KEYS)
        if name in roots:
            g, v, k = roots[name]
            out[name]["x-kubernetes-group-version-kind"] = [
                {"group": g, "version": v, "kind": k}]
    return {"$comment": f"Kubernetes {version} OpenAPI v2 definitions reachable from "
                        f"{', '.join(k for _, _, k in ROOT_KINDS)}; descriptions removed. "
                        f"Source: {note}. Copyright The Kubernetes Authors, Apache License "
                        "2.0 (see README.md).",
            "definitions": out}


def vendor_podmonitor(path, version, note):
    with open(path) as f:
        crd = yaml.safe_load(f)
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["spec"]["names"]["kind"] == "PodMonitor"
    [v1] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema = strip(v1["schema"]["openAPIV3Schema"], CRD_KEYS)
    return {"$comment": f"openAPIV3Schema of the v1 PodMonitor CRD "
                        f"(podmonitors.monitoring.coreos.com) of prometheus-operator {version}; "
                        f"descriptions removed. Source: {note}. Copyright The "
                        "prometheus-operator Authors, Apache License 2.0 (see README.md).",
            "group": crd["spec"]["group"], "version": "v1", "kind": "PodMonitor",
            "schema": schema}


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("k8s", "podmonitor"):
        sys.exit(__doc__)
    what, path, version, note = sys.argv[1:]
    doc = (vendor_k8s if what == "k8s" else vendor_podmonitor)(path, version, note)
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
