#!/usr/bin/env node
// Validate Kubernetes manifests offline, two ways, and print one JSON report.
//
//   node validate.mjs --modules DIR [FILE|-]...
//
// DIR holds node_modules with this directory's package.json installed (npm ci);
// tests/deploy/test_kubernetes.py puts it under build/deploy-k8s. Every YAML
// document in the inputs (stdin if none or "-") is checked by:
//
//  1. kubernetes-models: the Kubernetes OpenAPI schema as that package ships it
//     (types, required fields, formats). It accepts fields the schema does not
//     declare, and has no PodMonitor.
//  2. strict: the vendored schemas in schemas/ compiled with ajv, where every
//     object that lists its properties gets additionalProperties: false, as the
//     API server's strict field validation does. This catches unknown and
//     misspelled fields, and covers the PodMonitor CRD.
//
// Output: {"objects": [{"apiVersion", "kind", "name", "checked": [...],
// "errors": [{"validator", "path", "message"}]}]}. Exit status 0 when no object
// has an error, 1 when some has, 2 on a usage or setup error.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const K8S_SCHEMA = join(here, "schemas", "kubernetes-v1.36.json");
const CRD_SCHEMAS = [join(here, "schemas", "podmonitor-v1.json")];

function die(msg) {
  process.stderr.write(`validate.mjs: ${msg}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let modules = null;
const inputs = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--modules") modules = argv[++i];
  else inputs.push(argv[i]);
}
if (!modules) die("usage: validate.mjs --modules DIR [FILE|-]...");
if (inputs.length === 0) inputs.push("-");

const require = createRequire(join(resolve(modules), "package.json"));
let YAML, Ajv;
try {
  YAML = require("yaml");
  Ajv = require("ajv");
  Ajv = Ajv.default || Ajv;
  require.resolve("kubernetes-models/v1/Namespace");
} catch (e) {
  die(`cannot load the npm packages from ${modules}: ${e.message} (run npm ci there)`);
}

// ---- strict schemas -------------------------------------------------------

// Close every object schema that lists its properties, as strict field
// validation does; keep the Kubernetes special string types accepting what the
// API server accepts.
function closeK8s(node) {
  if (Array.isArray(node)) return node.map(closeK8s);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(v).map(([name, sub]) => [name, closeK8s(sub)]),
      );
    } else if (k === "items" || k === "additionalProperties") {
      out[k] = closeK8s(v);
    } else {
      out[k] = v;
    }
  }
  if (out.properties && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

const SPECIAL = {
  // "type: string, format: int-or-string" in the v2 document
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
    anyOf: [{ type: "integer" }, { type: "string" }],
  },
  // YAML `cpu: 1` is a number, and the API server takes it
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {
    anyOf: [{ type: "string" }, { type: "number" }],
  },
};

function closeCrd(node) {
  if (Array.isArray(node)) return node.map(closeCrd);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(v).map(([name, sub]) => [name, closeCrd(sub)]),
      );
    } else if (["items", "additionalProperties", "anyOf", "oneOf", "allOf"].includes(k)) {
      out[k] = closeCrd(v);
    } else if (k === "nullable" || k === "x-kubernetes-int-or-string") {
      // handled below
    } else {
      out[k] = v;
    }
  }
  if (node["x-kubernetes-int-or-string"] && !out.anyOf) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (node.nullable && typeof out.type === "string") out.type = [out.type, "null"];
  if (
    out.properties &&
    !("additionalProperties" in out) &&
    !out["x-kubernetes-preserve-unknown-fields"]
  ) {
    out.additionalProperties = false;
  }
  return out;
}

const ajv = new Ajv({
  strict: false,
  allErrors: true,
  validateFormats: false,
  unicodeRegExp: false,
  inlineRefs: false, // compile each definition once, shared by every kind
});

const k8s = JSON.parse(readFileSync(K8S_SCHEMA, "utf8"));
const defs = {};
const strictByGvk = new Map(); // "apiVersion/kind" -> compiled validator
for (const [name, def] of Object.entries(k8s.definitions)) {
  defs[name] = SPECIAL[name] || closeK8s(def);
}
ajv.addSchema({ $id: "k8s", definitions: defs });
for (const [name, def] of Object.entries(k8s.definitions)) {
  for (const gvk of def["x-kubernetes-group-version-kind"] || []) {
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    strictByGvk.set(
      `${apiVersion}/${gvk.kind}`,
      ajv.compile({
        allOf: [
          { $ref: `k8s#/definitions/${name}` },
          {
            properties: { apiVersion: { const: apiVersion }, kind: { const: gvk.kind } },
            required: ["apiVersion", "kind"],
          },
        ],
      }),
    );
  }
}
for (const file of CRD_SCHEMAS) {
  const crd = JSON.parse(readFileSync(file, "utf8"));
  const apiVersion = `${crd.group}/${crd.version}`;
  const schema = closeCrd(crd.schema);
  // The API server checks a custom resource's metadata as ObjectMeta.
  schema.properties.metadata = { $ref: "k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" };
  schema.properties.apiVersion = { const: apiVersion };
  schema.properties.kind = { const: crd.kind };
  schema.required = [...new Set([...(schema.required || []), "apiVersion", "kind"])];
  strictByGvk.set(`${apiVersion}/${crd.kind}`, ajv.compile(schema));
}

// ---- kubernetes-models -----------------------------------------------------

function modelFor(apiVersion, kind) {
  // v1 Namespace -> kubernetes-models/v1/Namespace, apps/v1 DaemonSet ->
  // kubernetes-models/apps/v1/DaemonSet (one kind's module loads much faster
  // than a whole group's index)
  if (!/^[A-Za-z0-9.-]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  let mod;
  try {
    mod = require(`kubernetes-models/${apiVersion}/${kind}`);
  } catch {
    return null;
  }
  return typeof mod[kind] === "function" ? mod[kind] : null;
}

function ajvErrors(validator, errors) {
  return (errors || []).map((e) => {
    let message = e.message || e.keyword;
    if (e.keyword === "additionalProperties") message = `unknown field "${e.params.additionalProperty}"`;
    else if (e.keyword === "enum") message += `: ${JSON.stringify(e.params.allowedValues)}`;
    else if (e.keyword === "const") message += `: ${JSON.stringify(e.params.allowedValue)}`;
    return { validator, path: e.instancePath || "/", message };
  });
}

// kustomize writes a generated ConfigMap's binaryData (and a Secret's data) as
// base64 wrapped at 70 columns. The API server decodes it with Go's
// encoding/base64, which ignores \r and \n; kubernetes-models' "byte" format
// does not. Unwrap those values for kubernetes-models only (the strict pass
// still sees them as written, and the test decodes them itself).
function unwrapBase64(obj) {
  const fields = { ConfigMap: ["binaryData"], Secret: ["data"] }[obj.kind];
  if (obj.apiVersion !== "v1" || !fields) return obj;
  const copy = { ...obj };
  for (const f of fields) {
    if (copy[f] && typeof copy[f] === "object" && !Array.isArray(copy[f])) {
      copy[f] = Object.fromEntries(
        Object.entries(copy[f]).map(([k, v]) => [k, typeof v === "string" ? v.replace(/[\r\n]/g, "") : v]),
      );
    }
  }
  return copy;
}

// The strict validator reports both branches of an allOf and every failing
// anyOf branch; keep the errors readable.
function dedupe(errors) {
  const seen = new Set();
  return errors.filter((e) => {
    const key = `${e.validator}\0${e.path}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---- main -------------------------------------------------------------------

const objects = [];
for (const input of inputs) {
  const text = readFileSync(input === "-" ? 0 : input, "utf8");
  const docs = YAML.parseAllDocuments(text);
  for (const doc of docs) {
    const entry = { input, apiVersion: null, kind: null, name: null, checked: [], errors: [] };
    objects.push(entry);
    if (doc.errors.length) {
      entry.errors.push(...doc.errors.map((e) => ({ validator: "yaml", path: "/", message: e.message })));
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) {
      objects.pop(); // an empty document (a trailing ---)
      continue;
    }
    if (typeof obj !== "object" || Array.isArray(obj)) {
      entry.errors.push({ validator: "yaml", path: "/", message: "document is not a mapping" });
      continue;
    }
    entry.apiVersion = obj.apiVersion ?? null;
    entry.kind = obj.kind ?? null;
    entry.name = obj.metadata?.name ?? null;
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      entry.errors.push({ validator: "yaml", path: "/", message: "apiVersion and kind must be strings" });
      continue;
    }

    const Model = modelFor(obj.apiVersion, obj.kind);
    if (Model) {
      entry.checked.push("kubernetes-models");
      try {
        new Model(unwrapBase64(obj)).validate();
      } catch (e) {
        const errs = e.errors && Array.isArray(e.errors) ? e.errors : null;
        if (errs) entry.errors.push(...ajvErrors("kubernetes-models", errs));
        else entry.errors.push({ validator: "kubernetes-models", path: "/", message: String(e.message || e) });
      }
    }

    const strict = strictByGvk.get(`${obj.apiVersion}/${obj.kind}`);
    if (strict) {
      entry.checked.push("strict");
      if (!strict(obj)) entry.errors.push(...ajvErrors("strict", strict.errors));
    } else {
      entry.errors.push({
        validator: "strict",
        path: "/",
        message: `no vendored schema for ${obj.apiVersion} ${obj.kind} (see tests/deploy/k8s/schemas/README.md)`,
      });
    }
    entry.errors = dedupe(entry.errors);
  }
}

process.stdout.write(JSON.stringify({ objects }, null, 1) + "\n");
process.exit(objects.some((o) => o.errors.length) ? 1 : 0);
