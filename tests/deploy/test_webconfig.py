"""--web-config FILE (DESIGN.md section 11): the Prometheus exporter-toolkit format, served by
libmicrohttpd over GnuTLS: TLS versions, client certificates, bcrypt basic auth, response
headers, strict parsing with one error line for a bad file, re-reading on change, and a real
Prometheus scraping through all of it.  `promtool check web-config` must agree on every file.

Not about the kernel: runs on the host only (tests/deploy is not run in the second-kernel guest).
"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from conftest import BUILD, EBPFCTL, bpf_prog_ids, deadline, free_port, run_cli, wait_until  # noqa: E402

EXAMPLE = os.path.join(BUILD, "examples", "opensnoop.bpf.o")


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, two server certificates for 127.0.0.1, a client certificate, and one from another CA."""
    d = tmp_path_factory.mktemp("pki")
    ext = d / "ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for ca in ("ca", "other-ca"):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d / f"{ca}.key", "-out",
           d / f"{ca}.crt", "-days", "2", "-subj", f"/CN={ca}")
    for name, ca, extra in (("srv", "ca", ["-extfile", ext]), ("srv2", "ca", ["-extfile", ext]), ("cli", "ca", []),
                            ("rogue", "other-ca", [])):
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d / f"{name}.key", "-out",
           d / f"{name}.csr", "-subj", f"/CN={name}")
        sh("openssl", "x509", "-req", "-in", d / f"{name}.csr", "-CA", d / f"{ca}.crt", "-CAkey", d / f"{ca}.key",
           "-CAcreateserial", "-out", d / f"{name}.crt", "-days", "2", *extra)
    return d


def bcrypt(password, cost=5):
    return sh("htpasswd", "-nbB", "-C", str(cost), "u", password).stdout.strip().split(":", 1)[1]


def write(d, name, text):
    p = d / name
    p.write_text(text)
    return p


def promtool_ok(path):
    return subprocess.run(["promtool", "check", "web-config", str(path)], capture_output=True,
                          text=True).returncode == 0


class Server:
    def __init__(self, cfg, *extra):
        self.port = free_port()
        self.proc = subprocess.Popen([EBPFCTL, "run", EXAMPLE, "--web-config", str(cfg), "--metrics-addr",
                                      f"127.0.0.1:{self.port}", *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait(self, pki=None):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"ebpfctl exited {self.proc.returncode}: {self.proc.stderr.read()}")
            import socket
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_until(up, what="the metrics port")
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)
        try:
            _, err = self.proc.communicate(timeout=deadline(20))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise
        return self.proc.returncode, err


@pytest.fixture
def server():
    started = []

    def start(cfg, *extra):
        s = Server(cfg, *extra)
        started.append(s)
        return s.wait()
    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.communicate()


def curl(port, path="/metrics", *args, scheme="https"):
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "-w", "%{http_code}",
                        "--max-time", str(int(deadline(10))), *args, f"{scheme}://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True)
    code = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "000"
    return p.returncode, code, p.stdout


# --- TLS, client certificates, basic auth, headers --------------------------------------------

def test_tls_basic_auth_and_headers(pki, tmp_path, server):
    cfg = write(tmp_path, "web.yml", f"""
tls_server_config:
  cert_file: {pki}/srv.crt
  key_file: {pki}/srv.key
basic_auth_users:
  alice: {bcrypt("secret")}
http_server_config:
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
""")
    assert promtool_ok(cfg)
    s = server(cfg)
    ca = ["--cacert", f"{pki}/ca.crt"]
    rc, code, head = curl(s.port, "/metrics", *ca, "-u", "alice:secret")
    assert (rc, code) == (0, "200"), head
    assert "X-Frame-Options: deny" in head and "Strict-Transport-Security: max-age=31536000" in head, head
    # every endpoint is behind the same auth, with the headers, 401s included
    for path in ("/-/healthy", "/-/ready", "/", "/metrics"):
        rc, code, head = curl(s.port, path, *ca)
        assert code == "401" and 'WWW-Authenticate: Basic realm="ebpfctl"' in head and "X-Frame-Options" in head, \
            (path, head)
        assert curl(s.port, path, *ca, "-u", "alice:wrong")[1] == "401"
        assert curl(s.port, path, *ca, "-u", "bob:secret")[1] == "401"
    assert curl(s.port, "/-/ready", *ca, "-u", "alice:secret")[1] == "200"
    # plain HTTP on the TLS port is not served
    assert curl(s.port, "/metrics", scheme="http")[1] != "200"
    rc, err = s.stop()
    assert rc == 0, err


@pytest.mark.parametrize("tls_max, ok", [("1.2", True), ("1.3", True), ("1.1", False)])
def test_tls_versions(pki, tmp_path, server, tls_max, ok):
    cfg = write(tmp_path, "web.yml", f"tls_server_config:\n  cert_file: {pki}/srv.crt\n  key_file: {pki}/srv.key\n")
    s = server(cfg)
    rc, code, _ = curl(s.port, "/metrics", "--cacert", f"{pki}/ca.crt", "--tls-max", tls_max)
    assert (code == "200") == ok, (rc, code)
    s.stop()


def test_min_version_tls13(pki, tmp_path, server):
    cfg = write(tmp_path, "web.yml", f"tls_server_config:\n  cert_file: {pki}/srv.crt\n  key_file: {pki}/srv.key\n"
                                     f"  min_version: TLS13\n")
    assert promtool_ok(cfg)
    s = server(cfg)
    assert curl(s.port, "/metrics", "--cacert", f"{pki}/ca.crt", "--tls-max", "1.2")[1] == "000"
    assert curl(s.port, "/metrics", "--cacert", f"{pki}/ca.crt", "--tlsv1.3")[1] == "200"
    s.stop()


def test_require_and_verify_client_cert(pki, tmp_path, server):
    cfg = write(tmp_path, "web.yml", f"""
tls_server_config:
  cert_file: srv.crt
  key_file: srv.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
""")
    for f in ("srv.crt", "srv.key", "ca.crt"):   # relative names: next to the configuration file
        shutil.copy(pki / f, tmp_path / f)
    assert promtool_ok(cfg)
    s = server(cfg)
    ca = ["--cacert", f"{pki}/ca.crt"]
    # no certificate, or one from another CA: the handshake fails (no HTTP status at all)
    assert curl(s.port, "/metrics", *ca)[1] == "000"
    assert curl(s.port, "/metrics", *ca, "--cert", f"{pki}/rogue.crt", "--key", f"{pki}/rogue.key")[1] == "000"
    assert curl(s.port, "/metrics", *ca, "--cert", f"{pki}/cli.crt", "--key", f"{pki}/cli.key")[1] == "200"
    s.stop()


def test_basic_auth_without_tls(tmp_path, server):
    cfg = write(tmp_path, "web.yml", f"basic_auth_users:\n  alice: {bcrypt('pw')}\n")
    assert promtool_ok(cfg)
    s = server(cfg)
    assert curl(s.port, "/metrics", scheme="http")[1] == "401"
    assert curl(s.port, "/metrics", "-u", "alice:pw", scheme="http")[1] == "200"
    s.stop()


def test_changed_file_applies_to_new_connections(tmp_path, server):
    cfg = write(tmp_path, "web.yml", f"basic_auth_users:\n  alice: {bcrypt('one')}\n")
    s = server(cfg)
    assert curl(s.port, "/metrics", "-u", "alice:one", scheme="http")[1] == "200"
    time.sleep(0.01)  # a new mtime
    cfg.write_text(f"basic_auth_users:\n  alice: {bcrypt('two')}\n  bob: {bcrypt('three')}\n")
    os.utime(cfg, (time.time() + 1, time.time() + 1))
    assert curl(s.port, "/metrics", "-u", "alice:two", scheme="http")[1] == "200"
    assert curl(s.port, "/metrics", "-u", "bob:three", scheme="http")[1] == "200"
    assert curl(s.port, "/metrics", "-u", "alice:one", scheme="http")[1] == "401"
    # a broken edit keeps the last good configuration, with one warning
    cfg.write_text("basic_auth_users:\n  alice: plain\n")
    os.utime(cfg, (time.time() + 2, time.time() + 2))
    assert curl(s.port, "/metrics", "-u", "alice:two", scheme="http")[1] == "200"
    assert curl(s.port, "/metrics", "-u", "alice:two", scheme="http")[1] == "200"
    rc, err = s.stop()
    assert rc == 0
    warns = [l for l in err.splitlines() if l.startswith("warning:")]
    assert len(warns) == 1 and "keeping the previous configuration" in warns[0], err


def served_cert(port):
    """The certificate the server presents on a new connection (DER), unverified."""
    import ssl
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port), timeout=deadline(10)))


def der(path):
    import ssl
    return ssl.PEM_cert_to_DER_cert(open(path).read())


def test_rotated_certificate_is_served_on_new_connections(pki, tmp_path, server):
    """DESIGN.md section 11: the file is re-read for each new connection, as exporter-toolkit does, and so
    are the files it names: cert-manager rotating a Secret (a symlink swap in the pod) or a script
    rewriting the certificate in place is served from the next connection on, with no restart.  A
    connection open across the rotation keeps working with what it negotiated; a broken rotation or
    turning TLS off keeps the previous configuration, with one warning each."""
    import http.client
    import ssl
    # a Kubernetes Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>
    for gen, name in (("..g1", "srv"), ("..g2", "srv2")):
        (tmp_path / gen).mkdir()
        shutil.copy(pki / f"{name}.crt", tmp_path / gen / "tls.crt")
        shutil.copy(pki / f"{name}.key", tmp_path / gen / "tls.key")
    os.symlink("..g1", tmp_path / "..data")
    for f in ("tls.crt", "tls.key"):
        os.symlink(f"..data/{f}", tmp_path / f)
    shutil.copy(pki / "ca.crt", tmp_path / "clients.crt")
    cfg = write(tmp_path, "web.yml", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n"
                                     "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: clients.crt\n")
    assert promtool_ok(cfg)
    s = server(cfg)
    ca = ["--cacert", f"{pki}/ca.crt"]
    cli = ["--cert", f"{pki}/cli.crt", "--key", f"{pki}/cli.key"]
    rogue = ["--cert", f"{pki}/rogue.crt", "--key", f"{pki}/rogue.key"]
    assert curl(s.port, "/metrics", *ca, *cli)[1] == "200"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(str(pki / "cli.crt"), str(pki / "cli.key"))
    kept = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=deadline(10))
    kept.request("GET", "/-/ready")
    assert kept.getresponse().read() and kept.sock.getpeercert(binary_form=True) == der(pki / "srv.crt")
    # the Secret is updated: the symlink swapped atomically, web.yml untouched
    os.symlink("..g2", tmp_path / "..data.new")
    os.rename(tmp_path / "..data.new", tmp_path / "..data")
    assert served_cert(s.port) == der(pki / "srv2.crt")
    assert curl(s.port, "/metrics", *ca, *cli)[1] == "200"
    # the connection from before still answers, on the certificate it negotiated
    kept.request("GET", "/-/ready")
    r = kept.getresponse()
    assert r.status == 200 and r.read() and kept.sock.getpeercert(binary_form=True) == der(pki / "srv.crt")
    kept.close()
    # rewritten in place: the trust list for client certificates, then the certificate itself
    shutil.copy(pki / "other-ca.crt", tmp_path / "clients.crt")
    assert curl(s.port, "/metrics", *ca, *cli)[1] == "000"
    assert curl(s.port, "/metrics", *ca, *rogue)[1] == "200"
    shutil.copy(pki / "ca.crt", tmp_path / "clients.crt")
    shutil.copy(pki / "srv.crt", tmp_path / "..g2" / "tls.crt")
    shutil.copy(pki / "srv.key", tmp_path / "..g2" / "tls.key")
    assert served_cert(s.port) == der(pki / "srv.crt")
    assert curl(s.port, "/metrics", *ca, *cli)[1] == "200"
    # a certificate whose key does not match: the previous pair stays, one warning
    shutil.copy(pki / "srv2.crt", tmp_path / "..g2" / "tls.crt")
    for _ in range(3):
        assert served_cert(s.port) == der(pki / "srv.crt")
    assert curl(s.port, "/metrics", *ca, *cli)[1] == "200"
    # fixed: served at once
    shutil.copy(pki / "srv2.key", tmp_path / "..g2" / "tls.key")
    assert served_cert(s.port) == der(pki / "srv2.crt")
    # TLS turned off in the file: that needs a restart; TLS goes on as before, one warning
    cfg.write_text("basic_auth_users: {}\n")
    for _ in range(2):
        assert served_cert(s.port) == der(pki / "srv2.crt")
    assert curl(s.port, "/metrics", *ca, *cli)[1] == "200"
    assert curl(s.port, "/metrics", scheme="http")[1] != "200"
    rc, err = s.stop()
    assert rc == 0, err
    warns = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert len(warns) == 2, err
    assert "cannot load the certificate" in warns[0] and "keeping the previous configuration" in warns[0], warns
    assert "TLS turned off: that needs a restart (keeping the previous configuration)" in warns[1], warns


# --- bad files: one error line at start, exit 1, nothing loaded; promtool agrees -------------

BAD = {
    "unknown_key": ("tls_server_config:\n  cert_file: {pki}/srv.crt\n  key_file: {pki}/srv.key\n  foo: 1\n",
                    "error: --web-config {cfg}: line 4: unknown key 'foo' in tls_server_config"),
    "unknown_top": ("tls_config:\n  cert_file: x\n",
                    "error: --web-config {cfg}: line 1: unknown key 'tls_config' (tls_server_config, "
                    "http_server_config or basic_auth_users)"),
    "missing_key": ("tls_server_config:\n  cert_file: {pki}/srv.crt\n",
                    "error: --web-config {cfg}: tls_server_config: missing key_file"),
    "missing_cert": ("tls_server_config:\n  cert_file: {pki}/nope.crt\n  key_file: {pki}/srv.key\n",
                     "error: --web-config {cfg}: cert_file {pki}/nope.crt: No such file or directory"),
    "wrong_key": ("tls_server_config:\n  cert_file: {pki}/srv.crt\n  key_file: {pki}/cli.key\n",
                  "error: --web-config {cfg}: cannot load the certificate {pki}/srv.crt with the key {pki}/cli.key: "
                  "*"),
    "plain_password": ("basic_auth_users:\n  alice: secret\n",
                       "error: --web-config {cfg}: line 2: user 'alice': the password must be a bcrypt hash "
                       "($2y$..., e.g. from htpasswd -nBC 10 alice)"),
    "bad_auth_type": ("tls_server_config:\n  cert_file: {pki}/srv.crt\n  key_file: {pki}/srv.key\n"
                      "  client_auth_type: Sometimes\n",
                      "error: --web-config {cfg}: line 4: client_auth_type: invalid value 'Sometimes' *"),
    "bad_version": ("tls_server_config:\n  cert_file: {pki}/srv.crt\n  key_file: {pki}/srv.key\n"
                    "  min_version: TLS14\n",
                    "error: --web-config {cfg}: line 4: min_version: unknown TLS version 'TLS14' *"),
    "bad_header": ("http_server_config:\n  headers:\n    X-Foo: bar\n",
                   "error: --web-config {cfg}: line 3: HTTP header \"X-Foo\" can not be configured *"),
    "bad_frame_options": ("http_server_config:\n  headers:\n    X-Frame-Options: maybe\n",
                          "error: --web-config {cfg}: line 3: invalid value for X-Frame-Options: expected deny or "
                          "sameorigin, got \"maybe\""),
    "not_yaml": ("tls_server_config: [\n", "error: --web-config {cfg}: line *"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file(pki, tmp_path, case):
    text, want = BAD[case]
    cfg = write(tmp_path, "web.yml", text.format(pki=pki))
    assert not promtool_ok(cfg), "promtool accepts it"
    before = bpf_prog_ids()
    p = run_cli("run", EXAMPLE, "--web-config", str(cfg))
    assert p.returncode == 1, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    want = want.format(pki=pki, cfg=cfg)
    if want.endswith("*"):
        assert lines[0].startswith(want[:-1]), p.stderr
    else:
        assert lines[0] == want, p.stderr
    assert not (bpf_prog_ids() - before)


def test_unreadable_file(tmp_path):
    p = run_cli("run", EXAMPLE, "--web-config", str(tmp_path / "none.yml"))
    assert p.returncode == 1
    assert p.stderr.splitlines() == [f"error: --web-config {tmp_path}/none.yml: No such file or directory"]


def test_bcrypt_cost_is_bounded(tmp_path):
    """ebpfctl refuses costs above 16 (promtool accepts them): every request would take seconds."""
    h = "$2y$17$" + "a" * 53
    cfg = write(tmp_path, "web.yml", f"basic_auth_users:\n  alice: '{h}'\n")
    p = run_cli("run", EXAMPLE, "--web-config", str(cfg))
    assert p.returncode == 1
    assert "bcrypt cost 17 is outside 4..16" in p.stderr, p.stderr


@pytest.mark.parametrize("text", ["", "{}\n", "tls_server_config:\nhttp_server_config:\n  http2: false\n"])
def test_empty_configs_are_plain_http(tmp_path, server, text):
    cfg = write(tmp_path, "web.yml", text)
    assert promtool_ok(cfg)
    s = server(cfg)
    assert curl(s.port, "/metrics", scheme="http")[1] == "200"
    s.stop()


# --- a real Prometheus scraping over TLS + basic auth + client certificate -------------------

@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus not installed (ci/ installs it)")
def test_prometheus_scrapes_through_tls_and_auth(pki, tmp_path, server):
    cfg = write(tmp_path, "web.yml", f"""
tls_server_config:
  cert_file: {pki}/srv.crt
  key_file: {pki}/srv.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {pki}/ca.crt
basic_auth_users:
  prom: {bcrypt("scrape-me")}
""")
    s = server(cfg)
    prom_port = free_port()
    pcfg = write(tmp_path, "prometheus.yml", f"""
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ebpfctl
    scheme: https
    tls_config:
      ca_file: {pki}/ca.crt
      cert_file: {pki}/cli.crt
      key_file: {pki}/cli.key
    basic_auth:
      username: prom
      password: scrape-me
    static_configs:
      - targets: ['127.0.0.1:{s.port}']
  - job_name: wrong-password
    scheme: https
    tls_config:
      ca_file: {pki}/ca.crt
      cert_file: {pki}/cli.crt
      key_file: {pki}/cli.key
    basic_auth:
      username: prom
      password: nope
    static_configs:
      - targets: ['127.0.0.1:{s.port}']
""")
    prom = subprocess.Popen(["prometheus", f"--config.file={pcfg}", f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        def query(q):
            url = f"http://127.0.0.1:{prom_port}/api/v1/query?query=" + urllib.parse.quote(q)
            try:
                return json.loads(urllib.request.urlopen(url, timeout=5).read())["data"]["result"]
            except OSError:
                return []

        def up():
            r = {x["metric"]["job"]: x["value"][1] for x in query("up")}
            return r if len(r) == 2 else None
        # the good job is up, the one with a wrong password down
        ups = wait_until(lambda: (lambda r: r if r and r["ebpfctl"] == "1" else None)(up()), timeout=60,
                         interval=0.5, what="Prometheus scraping over TLS")
        assert ups["wrong-password"] == "0", ups
        # and it has ebpfctl's samples
        assert wait_until(lambda: query('ebpfctl_build_info{job="ebpfctl"}'), timeout=30, interval=0.5,
                          what="ebpfctl_build_info in Prometheus")
    finally:
        prom.terminate()
        prom.wait(timeout=30)
    s.stop()
