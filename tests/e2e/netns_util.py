"""Two network namespaces joined by a veth pair, for the XDP and tc tests.

    def test_x(netns):
        netns.ping(5)                          # 192.0.2.1 (netns.a) -> 192.0.2.2 (netns.b)
        run = netns.run(netns.b, "--iface", netns.ifb, obj)

Only addresses from 192.0.2.0/24 (TEST-NET-1, RFC 5737) are used, and traffic
only flows between the test's own namespaces: nothing reaches the machine's
network.  Names are unique per test process (ebpfctl-t<pid>-<n>a/-b), so
concurrent suites do not collide.  Teardown stops what the test started in
the namespaces (by PID) and deletes both namespaces, which removes the veth
pairs with them.

`ip netns exec` gives the command a fresh sysfs mount (its /sys/class/net is
the namespace's) without tracefs or bpffs; XDP and tc need neither, so
`ebpfctl run` for an interface of a namespace runs inside it.  `ip netns
exec` execs the command, so the PID is ebpfctl's own and signals reach it
directly.  /metrics is served on the namespace's loopback and scraped with
`ip netns exec NS curl`.
"""
import itertools
import json
import os
import subprocess

import pytest

from authoring_util import parse_metrics
from conftest import EBPFCTL, Run, deadline, wait_until

_seq = itertools.count()

# ICMP echo, one request at a time; exits 1 naming the first unanswered one.
_PING = r"""
import os, socket, struct, sys, time
dst, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff

def csum(b):
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    n = (n >> 16) + (n & 0xffff)
    return ~(n + (n >> 16)) & 0xffff

for seq in range(count):
    payload = bytes(range(56))
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload, (dst, 0))
    end = time.monotonic() + timeout
    while True:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            pkt = s.recv(2048)
        except socket.timeout:
            sys.exit(f"ping {dst}: no reply to seq {seq}")
        ihl = (pkt[0] & 15) * 4
        t, _, _, i, q = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
        if t == 0 and i == ident and q == seq:
            break
"""


def sh(*cmd, check=True, timeout=30):
    """Run a command to completion (text); fail the test with its output."""
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=deadline(timeout))
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


class NsRun(Run):
    """`ebpfctl run` inside a network namespace (conftest.Run's line access)."""

    def __init__(self, ns, args, metrics=False):
        cmd = in_ns(ns, EBPFCTL, "run") + list(args)
        if not metrics and "--no-metrics" not in args and "--metrics-addr" not in " ".join(args):
            cmd.append("--no-metrics")
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self._buf = b""
        self.lines = []
        self.stderr = ""


class NetnsPair:
    """Namespaces `a` and `b`; veth `ifa` (192.0.2.1/24, in a) <-> `ifb`
    (192.0.2.2/24, in b); loopback up in both."""

    def __init__(self):
        base = f"ebpfctl-t{os.getpid()}-{next(_seq)}"
        self.a, self.b = base + "a", base + "b"
        self.ifa, self.ifb = "veth-a", "veth-b"
        self.ipa, self.ipb = "192.0.2.1", "192.0.2.2"
        self.links = []
        self.runs = []
        self.procs = []
        self._made = []
        try:
            for ns in (self.a, self.b):
                sh("ip", "netns", "add", ns)
                self._made.append(ns)
                sh("ip", "-n", ns, "link", "set", "lo", "up")
            self.add_link(self.ifa, self.ipa + "/24", self.ifb, self.ipb + "/24")
        except BaseException:
            self.close()
            raise

    def add_link(self, name_a, addr_a, name_b, addr_b):
        """Another veth pair between a and b (addresses with prefix length,
        inside 192.0.2.0/24: a longer prefix than /24 wins the route)."""
        for addr in (addr_a, addr_b):
            assert addr.startswith("192.0.2."), addr
        sh("ip", "link", "add", name_a, "netns", self.a, "type", "veth",
           "peer", "name", name_b, "netns", self.b)
        for ns, dev, addr in ((self.a, name_a, addr_a), (self.b, name_b, addr_b)):
            # no IPv6 on the link: no router/neighbour solicitations or MLD
            # reports, so the only packets are the test's (and ARP)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1")
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        self.links.append((name_a, name_b))
        # carrier on both ends before the first packet
        for ns, dev in ((self.a, name_a), (self.b, name_b)):
            wait_until(lambda: "LOWER_UP" in sh("ip", "-n", ns, "link", "show", dev).stdout,
                       timeout=10, what=f"{dev} up in {ns}")

    def ifindex(self, ns, dev):
        return int(sh(*in_ns(ns, "cat", f"/sys/class/net/{dev}/ifindex")).stdout)

    # --- traffic -------------------------------------------------------------

    def ping(self, count, src=None, dst=None):
        """`count` ICMP echo requests (56 payload bytes: 98-byte frames, as
        ping(8) sends) from src (default a) to dst (default b's address), each
        sent once the previous one is answered; fails the test if one is
        lost.  A raw socket in Python, so iputils-ping is not needed."""
        src = src or self.a
        dst = dst or (self.ipb if src == self.a else self.ipa)
        sh(*in_ns(src, "/usr/bin/python3", "-c", _PING, dst, str(count), str(deadline(5))),
           timeout=count * deadline(5) + 30)

    def udp(self, count, size, src=None, dst=None, port=9999):
        """`count` UDP datagrams of `size` payload bytes from src to dst:port
        (nobody need listen: an ICMP port unreachable may come back)."""
        src = src or self.a
        dst = dst or (self.ipb if src == self.a else self.ipa)
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                f"[s.sendto(b'x'*{size},('{dst}',{port})) for _ in range({count})]\n")
        sh(*in_ns(src, "/usr/bin/python3", "-c", code))

    def tcp(self, nbytes, client=None, port=9998):
        """A TCP connection from client (default a) to a listener in the other
        namespace; nbytes sent and received; both ends closed."""
        client = client or self.a
        server = self.b if client == self.a else self.a
        dst = self.ipb if client == self.a else self.ipa
        srv = subprocess.Popen(in_ns(server, "/usr/bin/python3", "-c",
                                     "import socket,sys\n"
                                     "l=socket.socket()\n"
                                     "l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                                     f"l.bind(('0.0.0.0',{port})); l.listen(1)\n"
                                     "print('ready',flush=True)\n"
                                     "c,_=l.accept(); n=0\n"
                                     "while True:\n"
                                     "  b=c.recv(65536)\n"
                                     "  if not b: break\n"
                                     "  n+=len(b)\n"
                                     "print(n,flush=True)\n"),
                               stdout=subprocess.PIPE, text=True)
        self.procs.append(srv)
        assert srv.stdout.readline().strip() == "ready"
        sh(*in_ns(client, "/usr/bin/python3", "-c",
                  "import socket\n"
                  f"s=socket.create_connection(('{dst}',{port}),timeout=10)\n"
                  f"s.sendall(b'y'*{nbytes}); s.close()\n"))
        got = srv.stdout.readline().strip()
        srv.wait(timeout=deadline(10))
        assert got == str(nbytes), got

    # --- ebpfctl inside a namespace --------------------------------------------

    def run(self, ns, *args, metrics=False):
        """Start `ebpfctl run ARGS` inside ns; stopped at teardown."""
        r = NsRun(ns, args, metrics=metrics)
        self.runs.append(r)
        return r

    def cli(self, ns, *args, timeout=60):
        """Run `ebpfctl ARGS` inside ns to completion."""
        return subprocess.run(in_ns(ns, EBPFCTL, *args), capture_output=True, text=True,
                              timeout=deadline(timeout))

    def scrape(self, ns, port):
        """/metrics served inside ns on 127.0.0.1:port, or None while not up."""
        p = subprocess.run(in_ns(ns, "curl", "-sf", "--max-time", str(int(deadline(5))),
                                 f"http://127.0.0.1:{port}/metrics"),
                           capture_output=True, text=True)
        return p.stdout if p.returncode == 0 else None

    def samples(self, ns, port, name):
        body = self.scrape(ns, port)
        if body is None:
            return []
        return [(labels, value) for n, labels, value in parse_metrics(body) if n == name]

    def wait_sample(self, ns, port, name, pred=lambda labels, value: True, timeout=20, run=None):
        """Wait until /metrics inside ns has a sample of `name` for which pred holds."""
        def check():
            if run is not None and run.proc.poll() is not None:
                rc, err = run.finish()
                raise AssertionError(f"ebpfctl exited {rc} while waiting for {name}: {err}")
            for labels, value in self.samples(ns, port, name):
                if pred(labels, value):
                    return labels, value
            return None
        try:
            return wait_until(check, timeout=timeout, interval=0.1, what=f"metric {name}")
        except AssertionError:
            raise AssertionError(f"no matching {name} sample; /metrics was:\n{self.scrape(ns, port)}")

    # --- what is attached -------------------------------------------------------

    def xdp_attached(self, ns, dev):
        """`ip -d link show` of dev: (mode, prog id) of its XDP program, or None.
        mode is "xdp" (native/driver), "xdpgeneric" or "xdpoffload"."""
        j = json.loads(sh("ip", "-n", ns, "-d", "-j", "link", "show", "dev", dev).stdout)[0]
        x = j.get("xdp")
        if not x or not x.get("prog"):
            return None
        mode = {1: "xdp", 2: "xdpgeneric", 3: "xdpoffload"}.get(x.get("mode"), x.get("mode"))
        return mode, x["prog"]["id"]

    def bpftool_net(self, ns, dev):
        """`bpftool net show dev` inside ns: {"xdp": [...], "tc": [...], ...}."""
        out = sh(*in_ns(ns, "bpftool", "-j", "net", "show", "dev", dev)).stdout
        j = json.loads(out or "[]")
        return j[0] if j else {}

    def tc_filters(self, ns, dev, direction):
        """`tc filter show dev DEV ingress|egress` lines (empty without clsact)."""
        p = sh("tc", "-n", ns, "filter", "show", "dev", dev, direction, check=False)
        return [l for l in p.stdout.splitlines() if l.strip()]

    def qdiscs(self, ns, dev):
        return sh("tc", "-n", ns, "qdisc", "show", "dev", dev).stdout

    def close(self):
        for r in self.runs:
            r.kill()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for ns in self._made:
            sh("ip", "netns", "del", ns, check=False)
        self._made = []


@pytest.fixture
def netns():
    """A NetnsPair, deleted (with everything in it) at teardown."""
    pair = NetnsPair()
    try:
        yield pair
    finally:
        pair.close()
        left = sh("ip", "netns", "list").stdout
        assert pair.a not in left and pair.b not in left, left
