"""Real registries for the OCI tests: Debian's docker-registry (distribution 2.8) started on
127.0.0.1 by the test, open, with htpasswd (bcrypt) over TLS with a test CA, or with bearer
tokens from a small token server in the test (ES256 JWTs with an x5c certificate the registry
trusts, as distribution's docs/spec/auth/token.md describes).  Stopped by PID.
"""
import base64
import hashlib
import http.server
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from conftest import deadline, free_port, wait_until  # noqa: E402

USER, PASSWORD = "alice", "s3cret-pw"


def sh(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw)


def make_pki(d):
    """A test CA and a server certificate for 127.0.0.1 and localhost signed by it."""
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d / "ca.key", "-out", d / "ca.crt",
       "-days", "2", "-subj", "/CN=ebpfctl test CA")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d / "srv.key", "-out", d / "srv.csr",
       "-subj", "/CN=127.0.0.1")
    sh("openssl", "x509", "-req", "-in", d / "srv.csr", "-CA", d / "ca.crt", "-CAkey", d / "ca.key",
       "-CAcreateserial", "-out", d / "srv.crt", "-days", "2", "-extfile", d / "ext")
    return d


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Registry:
    """docker-registry serve CONFIG, on a free port; mode 'open', 'htpasswd' (TLS) or 'token'."""

    def __init__(self, d, mode="open", pki=None, token=None):
        self.dir = d
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.data = d / "data"
        self.log = d / "registry.log"
        cfg = ["version: 0.1", "log:", "  level: info", "  accesslog:", "    disabled: false",
               "storage:", "  filesystem:", f"    rootdirectory: {self.data}", "  delete:", "    enabled: true",
               "http:", f"  addr: 127.0.0.1:{self.port}"]
        if mode == "htpasswd":
            h = sh("htpasswd", "-nbB", "-C", "5", USER, PASSWORD).stdout.strip()
            (d / "htpasswd").write_text(h + "\n")
            cfg += ["  tls:", f"    certificate: {pki / 'srv.crt'}", f"    key: {pki / 'srv.key'}",
                    "auth:", "  htpasswd:", "    realm: ebpfctl-test", f"    path: {d / 'htpasswd'}"]
        elif mode == "token":
            cfg += ["auth:", "  token:", f"    realm: {token.url}/token", f"    service: {token.service}",
                    f"    issuer: {token.issuer}", f"    rootcertbundle: {token.cert_path}"]
        (d / "config.yml").write_text("\n".join(cfg) + "\n")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(d / "config.yml")],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        wait_until(lambda: self.proc.poll() is not None or port_open(self.port), what="docker-registry")
        assert self.proc.poll() is None, self.log.read_text()

    def blob_file(self, digest):
        hexd = digest.split(":", 1)[1]
        return self.data / "docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"

    def requests(self):
        """The access log's request lines, e.g. 'PATCH /v2/x/blobs/uploads/...'."""
        out = []
        for line in self.log.read_text().splitlines():
            if '"' in line and "HTTP/1.1" in line:
                out.append(line.split('"')[1])
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=deadline(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class TokenServer:
    """GET /token?service=&scope=&account=: Basic USER:PASSWORD gets what it asks for; anonymous
    gets pull only; a wrong password gets 401.  Remembers every request."""

    def __init__(self, d):
        self.service, self.issuer = "ebpfctl-test-registry", "ebpfctl-test-issuer"
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "token signer")])
        now = __import__("datetime").datetime.utcnow()
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - __import__("datetime").timedelta(hours=1))
                     .not_valid_after(now + __import__("datetime").timedelta(days=1))
                     .sign(self.key, hashes.SHA256()))
        self.cert_path = d / "token.crt"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.seen = []
        srv = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(u.query)
                auth = self.headers.get("Authorization", "")
                user = None
                if auth.startswith("Basic "):
                    u_, _, p_ = base64.b64decode(auth[6:]).decode().partition(":")
                    if (u_, p_) != (USER, PASSWORD):
                        srv.seen.append({"query": q, "user": u_, "refused": True})
                        self.send_response(401)
                        self.end_headers()
                        return
                    user = u_
                srv.seen.append({"query": q, "user": user})
                access = []
                for scope in q.get("scope", []):
                    for item in scope.split(" "):
                        typ, name, actions = item.split(":")
                        acts = actions.split(",")
                        if not user:
                            acts = [a for a in acts if a == "pull"]
                        access.append({"type": typ, "name": name, "actions": acts})
                body = json.dumps({"token": srv.token(user or "", access), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def token(self, sub, access):
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": sub, "aud": self.service, "exp": now + 300, "nbf": now - 60,
                  "iat": now, "jti": os.urandom(8).hex(), "access": access}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        r, s = decode_dss_signature(self.key.sign(signing.encode(), ec.ECDSA(hashes.SHA256())))
        return signing + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class BlobRedirectProxy:
    """A reverse proxy in front of a registry that answers blob GETs with a 307 to a 'blob
    storage' server on another port (as S3-backed registries do); that server serves the bytes
    from the registry's files and records whether an Authorization header reached it.  With
    .fault set, requests whose path has the substring get that status instead (a registry that
    is overloaded or broken behind a load balancer)."""

    def __init__(self, reg):
        self.reg = reg
        self.storage_auth = []
        self.fault = None       # (status, path substring): answer that instead of forwarding
        px = self

        class Storage(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                px.storage_auth.append(self.headers.get("Authorization"))
                data = reg.blob_file(self.path.rsplit("/", 1)[1]).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Proxy(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def forward(self):
                if px.fault and px.fault[1] in self.path:
                    body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "try later"}]}).encode()
                    self.send_response(px.fault[0])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                    return
                if self.command == "GET" and "/blobs/sha256:" in self.path:
                    self.send_response(307)
                    self.send_header("Location", f"{px.storage_url}/storage/{self.path.rsplit('/', 1)[1]}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                req = urllib.request.Request(f"http://{reg.host}{self.path}", data=body, method=self.command)
                for k, v in self.headers.items():
                    if k.lower() not in ("host", "content-length", "connection"):
                        req.add_header(k, v)
                try:
                    resp = urllib.request.urlopen(req)
                    status, headers, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as e:
                    status, headers, data = e.code, e.headers, e.read()
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        continue
                    if k.lower() == "location":
                        v = v.replace(f"http://{reg.host}", px.url)
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.storage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Storage)
        self.storage_url = f"http://127.0.0.1:{self.storage.server_address[1]}"
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"http://{self.host}"
        for s in (self.storage, self.httpd):
            threading.Thread(target=s.serve_forever, daemon=True).start()

    def stop(self):
        for s in (self.httpd, self.storage):
            s.shutdown()
            s.server_close()


def sha256_file(p):
    return "sha256:" + hashlib.sha256(open(p, "rb").read()).hexdigest()


def write_layout(d, ref, manifest_obj, blobs, mt="application/vnd.oci.image.manifest.v1+json"):
    """An OCI image layout written by hand (bumblebee's exact bytes, odd artifacts): blobs is a
    list of bytes; the manifest (dict, or bytes as-is) is stored and named ref."""
    (d / "blobs/sha256").mkdir(parents=True, exist_ok=True)
    (d / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    for b in blobs:
        (d / "blobs/sha256" / hashlib.sha256(b).hexdigest()).write_bytes(b)
    man = manifest_obj if isinstance(manifest_obj, bytes) else json.dumps(manifest_obj,
                                                                          separators=(",", ":")).encode()
    md = hashlib.sha256(man).hexdigest()
    (d / "blobs/sha256" / md).write_bytes(man)
    (d / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": mt, "digest": "sha256:" + md, "size": len(man),
         "annotations": {"org.opencontainers.image.ref.name": ref}}]}))
    return "sha256:" + md


def desc(mt, b, title=None):
    d = {"mediaType": mt, "digest": "sha256:" + hashlib.sha256(b).hexdigest(), "size": len(b)}
    if title:
        d["annotations"] = {"org.opencontainers.image.title": title}
    return d


def skopeo(*args):
    return subprocess.run(["skopeo", *[str(a) for a in args]], capture_output=True, text=True,
                          timeout=deadline(120))
