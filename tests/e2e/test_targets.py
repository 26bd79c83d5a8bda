"""Attach targets, several objects, check and program cost (DESIGN.md section 8).

- XDP and tc on the veth pair of two test namespaces (netns_util): `--iface`,
  `--xdp-mode`, tcx or clsact, what is left after every kind of exit;
- cgroup programs on the cgroup v2 root and on a cgroup the test creates;
- perf_event sampling with stack traces and `--folded`;
- `--attach PROG=TARGET` and `--pid`;
- several objects in one run (`"object"` in JSON lines, one /metrics, family
  clashes), `ebpfctl check` and `--bpf-stats`.

Examples exercised here: xdp_protocols, tc_egress_bytes, cgroup_sock, profile.
Every namespace, cgroup, file and process a test creates is removed by it;
processes are stopped by their PID; every wait is on a condition.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from authoring_util import LeftBehind, bpf_progs, ebpfctl_build, prog_names, reap, samples, wait_sample
from conftest import BUILD, EBPFCTL, deadline, fixture, free_port, run_cli, wait_until
from netns_util import netns, sh  # noqa: F401  (netns is a fixture)

NS = "ebpf_solo_io_"
GUEST = os.environ.get("EBPFCTL_TEST_KERNEL") == "guest"
ICMP_FRAME = 14 + 20 + 8 + 56      # Ethernet + IPv4 + ICMP echo + ping's 56 bytes


def obj(name):
    path = os.path.join(BUILD, "examples", name + ".bpf.o")
    assert os.path.exists(path), f"{path} not built (run make)"
    return path


def err_lines(stderr):
    """stderr without warning: lines."""
    return [l for l in stderr.splitlines() if not l.startswith("warning:")]


def assert_one_error(p, status, *words):
    """One `error:` line (and optional `hint:` lines) naming every word; the
    given exit status; nothing on stdout."""
    lines = err_lines(p.stderr)
    assert p.returncode == status, f"exit {p.returncode}, expected {status}: {p.stderr}"
    assert lines and lines[0].startswith("error: "), p.stderr
    assert all(l.startswith("hint: ") for l in lines[1:]), p.stderr
    for w in words:
        assert re.search(r"(?<![\w/.-])" + re.escape(w) + r"(?![\w/.-])", lines[0]), \
            f"{w!r} not named in {lines[0]!r}"
    assert p.stdout == "", p.stdout


def stop_ok(run, sig=signal.SIGINT):
    rc, err = run.stop(sig)
    assert rc == 0, f"exit {rc}: {err}"
    assert err_lines(err) == [], err
    return err


def metrics_up(ns_pair, ns, port, run):
    """Wait until /metrics answers inside ns (ebpfctl is attached by then)."""
    ns_pair.wait_sample(ns, port, "ebpfctl_programs_attached", lambda l, v: v >= 1, run=run)


def ids_named(names):
    return {i for i, n in bpf_progs().items() if n[:15] in {x[:15] for x in names}}


class NothingLeft:
    """Programs of these objects loaded now; check() waits (the kernel frees a
    program shortly after its last reference goes) until no other is.  Only
    these objects' program names count, so a concurrent suite loading other
    fixtures does not make the test fail."""

    def __init__(self, *objs):
        self.names = set().union(*(prog_names(o) for o in objs))
        self.before = ids_named(self.names)

    def check(self, what="nothing left loaded"):
        wait_until(lambda: not (ids_named(self.names) - self.before), timeout=5, what=what)


# --- XDP -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", [None, "auto", "native", "generic"])
def test_xdp_protocols_counts_icmp_exactly(netns, mode):
    o = obj("xdp_protocols")
    left = LeftBehind(o)
    port = free_port()
    extra = ["--xdp-mode", mode] if mode else []
    run = netns.run(netns.b, "--iface", netns.ifb, *extra, "--metrics-addr", f"127.0.0.1:{port}",
                    "--interval", "200ms", o, metrics=True)
    metrics_up(netns, netns.b, port, run)
    attached = netns.xdp_attached(netns.b, netns.ifb)
    assert attached, "no XDP program on the interface while running"
    # auto tries native first, and veth has a native XDP driver
    assert attached[0] == ("xdpgeneric" if mode == "generic" else "xdp"), attached
    assert attached[1] in left.snapshot(), (attached, left.ours)

    netns.ping(5)
    idx = str(netns.ifindex(netns.b, netns.ifb))
    want = {"ifindex": idx, "proto": "ICMP"}
    _, v = netns.wait_sample(netns.b, port, NS + "rx_packets_total",
                             lambda l, v: l == want and v >= 5, run=run)
    assert v == 5, "echo requests counted more than once"
    _, v = netns.wait_sample(netns.b, port, NS + "rx_bytes_total", lambda l, v: l == want, run=run)
    assert v == 5 * ICMP_FRAME
    # the replies leave veth-b: XDP sees only what arrives
    netns.ping(3)
    netns.wait_sample(netns.b, port, NS + "rx_packets_total", lambda l, v: l == want and v == 8, run=run)

    stop_ok(run)
    assert netns.xdp_attached(netns.b, netns.ifb) is None
    assert netns.bpftool_net(netns.b, netns.ifb).get("xdp") == []
    left.assert_gone()


def _ipv6_frames():
    """(frame, proto) raw Ethernet frames carrying IPv6 with extension headers."""
    def frame(nexthdr, ext, payload_len=20):
        body = ext + bytes(payload_len)
        # source and destination "::": IPv6 is off on the link and b's
        # stack drops these after XDP has counted them
        ip6 = bytes([0x60, 0, 0, 0]) + len(body).to_bytes(2, "big") + bytes([nexthdr, 64]) + bytes(32)
        return b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x86\xdd" + ip6 + body

    hop_dst_tcp = bytes([60, 0]) + bytes(6) + bytes([6, 0]) + bytes(6)     # HBH -> DSTOPTS -> TCP
    frag_udp = bytes([17, 0, 0, 0]) + bytes(4)                              # FRAGMENT -> UDP
    return [(frame(0, hop_dst_tcp), "TCP")] * 3 + [(frame(44, frag_udp), "UDP")] * 2 + \
        [(frame(58, b""), "ICMPV6")]


def test_xdp_protocols_ipv6_next_header(netns):
    """IPv6 frames sent raw from a are counted under the protocol after the
    extension headers."""
    o = obj("xdp_protocols")
    left = LeftBehind(o)
    port = free_port()
    run = netns.run(netns.b, "--iface", netns.ifb, "--metrics-addr", f"127.0.0.1:{port}",
                    "--interval", "200ms", o, metrics=True)
    metrics_up(netns, netns.b, port, run)
    left.snapshot()
    frames = _ipv6_frames()
    code = ("import socket,sys\n"
            f"s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind(('{netns.ifa}',0))\n"
            f"for f in {[f for f, _ in frames]!r}: s.send(f)\n")
    sh("ip", "netns", "exec", netns.a, "/usr/bin/python3", "-c", code)
    idx = str(netns.ifindex(netns.b, netns.ifb))
    for proto in ("TCP", "UDP", "ICMPV6"):
        n = sum(1 for _, p in frames if p == proto)
        size = sum(len(f) for f, p in frames if p == proto)
        want = {"ifindex": idx, "proto": proto}
        _, v = netns.wait_sample(netns.b, port, NS + "rx_packets_total",
                                 lambda l, v: l == want and v >= n, run=run)
        assert v == n, (proto, v)
        _, v = netns.wait_sample(netns.b, port, NS + "rx_bytes_total", lambda l, v: l == want, run=run)
        assert v == size, (proto, v)
    stop_ok(run)
    left.assert_gone()


def test_xdp_iface_repeated(netns):
    netns.add_link("veth-a2", "192.0.2.129/25", "veth-b2", "192.0.2.130/25")
    o = obj("xdp_protocols")
    left = LeftBehind(o)
    port = free_port()
    run = netns.run(netns.b, "--iface", netns.ifb, "--iface", "veth-b2",
                    "--metrics-addr", f"127.0.0.1:{port}", "--interval", "200ms", o, metrics=True)
    metrics_up(netns, netns.b, port, run)
    for dev in (netns.ifb, "veth-b2"):
        assert netns.xdp_attached(netns.b, dev), f"nothing attached to {dev}"
    left.snapshot()
    netns.ping(3)
    netns.ping(4, dst="192.0.2.130")
    for dev, n in ((netns.ifb, 3), ("veth-b2", 4)):
        want = {"ifindex": str(netns.ifindex(netns.b, dev)), "proto": "ICMP"}
        _, v = netns.wait_sample(netns.b, port, NS + "rx_packets_total",
                                 lambda l, v: l == want and v >= n, run=run)
        assert v == n, (dev, v)
    stop_ok(run, signal.SIGTERM)
    for dev in (netns.ifb, "veth-b2"):
        assert netns.xdp_attached(netns.b, dev) is None, dev
        assert netns.bpftool_net(netns.b, dev).get("xdp") == [], dev
    left.assert_gone()


@pytest.mark.parametrize("mode", ["native", "generic"])
def test_xdp_is_link_attached_sigkill_leaves_nothing(netns, mode):
    """XDP is link-attached: a killed run's program goes with its process."""
    o = obj("xdp_protocols")
    left = LeftBehind(o)
    port = free_port()
    run = netns.run(netns.b, "--iface", netns.ifb, "--xdp-mode", mode,
                    "--metrics-addr", f"127.0.0.1:{port}", o, metrics=True)
    metrics_up(netns, netns.b, port, run)
    assert netns.xdp_attached(netns.b, netns.ifb)
    left.snapshot()
    run.proc.send_signal(signal.SIGKILL)
    run.finish()
    wait_until(lambda: netns.xdp_attached(netns.b, netns.ifb) is None, timeout=5,
               what="the killed run's XDP program detached")
    left.assert_gone()


def test_xdp_attach_flag_names_the_interface(netns):
    """--attach PROG=IFACE instead of --iface."""
    o = obj("xdp_protocols")
    left = LeftBehind(o)
    port = free_port()
    run = netns.run(netns.b, "--attach", f"count_protocols={netns.ifb}",
                    "--metrics-addr", f"127.0.0.1:{port}", "--interval", "200ms", o, metrics=True)
    metrics_up(netns, netns.b, port, run)
    assert netns.xdp_attached(netns.b, netns.ifb)
    left.snapshot()
    netns.ping(2)
    want = {"ifindex": str(netns.ifindex(netns.b, netns.ifb)), "proto": "ICMP"}
    netns.wait_sample(netns.b, port, NS + "rx_packets_total", lambda l, v: l == want and v == 2, run=run)
    stop_ok(run)
    assert netns.xdp_attached(netns.b, netns.ifb) is None
    left.assert_gone()


def test_xdp_unknown_interface(netns):
    nothing = NothingLeft(obj("xdp_protocols"))
    p = netns.cli(netns.b, "run", "--iface", "nosuch0", "--no-metrics", obj("xdp_protocols"))
    assert_one_error(p, 1, "nosuch0")
    nothing.check("a failed run left programs loaded")


def test_xdp_second_iface_unknown_detaches_the_first(netns):
    """A failure on the second interface leaves nothing on the first."""
    nothing = NothingLeft(obj("xdp_protocols"))
    p = netns.cli(netns.b, "run", "--iface", netns.ifb, "--iface", "nosuch0", "--no-metrics",
                  obj("xdp_protocols"))
    assert_one_error(p, 1, "nosuch0")
    assert netns.xdp_attached(netns.b, netns.ifb) is None
    nothing.check("a failed run left programs loaded")


def test_xdp_explicit_mode_that_fails_names_interface_and_mode(netns):
    """The loopback device has no native XDP: native is an error, auto falls
    back to generic."""
    nothing = NothingLeft(obj("xdp_protocols"))
    p = netns.cli(netns.b, "run", "--iface", "lo", "--xdp-mode", "native", "--no-metrics",
                  obj("xdp_protocols"))
    assert_one_error(p, 1, "lo", "native")
    assert netns.xdp_attached(netns.b, "lo") is None
    nothing.check()

    run = netns.run(netns.b, "--iface", "lo", "--xdp-mode", "auto", obj("xdp_protocols"))
    wait_until(lambda: netns.xdp_attached(netns.b, "lo") or run.proc.poll() is not None,
               what="XDP on lo")
    assert run.proc.poll() is None, run.finish()
    assert netns.xdp_attached(netns.b, "lo")[0] == "xdpgeneric"
    stop_ok(run)
    assert netns.xdp_attached(netns.b, "lo") is None
    nothing.check()


@pytest.mark.parametrize("value", ["turbo", "", "NATIVE"])
def test_xdp_mode_malformed_is_a_usage_error(netns, value):
    p = netns.cli(netns.b, "run", "--iface", netns.ifb, "--xdp-mode", value, "--no-metrics",
                  obj("xdp_protocols"))
    assert p.returncode == 64, p.stderr
    assert err_lines(p.stderr)[0].startswith("error: "), p.stderr
    assert netns.xdp_attached(netns.b, netns.ifb) is None


def test_xdp_without_iface_names_the_missing_target():
    nothing = NothingLeft(obj("xdp_protocols"))
    p = run_cli("run", "--no-metrics", obj("xdp_protocols"))
    assert p.returncode == 1, p.stderr
    first = err_lines(p.stderr)[0]
    assert first.startswith("error: program 'count_protocols': ") and "interface" in first, p.stderr
    nothing.check()


# --- tc ------------------------------------------------------------------------


def tc_ours(netns, ns, dev, names=("tc_egress",)):
    """Programs named `names` attached to dev's egress: tcx links and clsact
    filters, as a list of (how, prog id)."""
    ids = ids_named(names)
    found = []
    links = json.loads(sh("bpftool", "-j", "link", "show").stdout or "[]")
    ifindex = netns.ifindex(ns, dev)
    for l in links:
        # bpftool 7.1 shows tcx links as "type 11" (no name for the type yet)
        if l.get("prog_id") in ids and str(l.get("type")) in ("tcx", "11"):
            if l.get("ifindex", ifindex) == ifindex:
                found.append(("tcx", l["prog_id"]))
    for line in netns.tc_filters(ns, dev, "egress"):
        m = re.search(r"\bid (\d+)\b", line)
        if m and int(m.group(1)) in ids:
            found.append(("clsact", int(m.group(1))))
    return found


def assert_tc_clean(netns, ns, dev, qdisc_before):
    assert netns.tc_filters(ns, dev, "egress") == [], netns.tc_filters(ns, dev, "egress")
    assert netns.tc_filters(ns, dev, "ingress") == []
    assert netns.qdiscs(ns, dev) == qdisc_before, "the qdiscs changed"
    assert tc_ours(netns, ns, dev) == []
    assert netns.bpftool_net(ns, dev).get("tc") == []


def start_tc(netns, *extra):
    o = obj("tc_egress_bytes")
    port = free_port()
    run = netns.run(netns.a, "--iface", netns.ifa, "--metrics-addr", f"127.0.0.1:{port}",
                    "--interval", "200ms", *extra, o, metrics=True)
    metrics_up(netns, netns.a, port, run)
    return run, port


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "duration"])
def test_tc_egress_bytes_per_destination(netns, stop):
    o = obj("tc_egress_bytes")
    left = LeftBehind(o)
    qdisc_before = netns.qdiscs(netns.a, netns.ifa)
    t0 = time.monotonic()
    run, port = start_tc(netns, *(["--duration", f"{deadline(6):g}s"] if stop == "duration" else []))
    ours = tc_ours(netns, netns.a, netns.ifa)
    assert len(ours) == 1, ours
    assert ours[0][1] in left.snapshot()
    types = {p["id"]: p["type"] for p in json.loads(sh("bpftool", "-j", "prog", "show").stdout)}
    assert types[ours[0][1]] == "sched_cls"

    netns.ping(5)
    netns.udp(3, 100)
    want = {"daddr": netns.ipb}
    netns.wait_sample(netns.a, port, NS + "egress_packets_total", lambda l, v: l == want and v == 8,
                      run=run)
    _, v = netns.wait_sample(netns.a, port, NS + "egress_bytes_total", lambda l, v: l == want, run=run)
    assert v == 5 * ICMP_FRAME + 3 * (14 + 20 + 8 + 100)
    # only what leaves veth-a: nothing addressed to 192.0.2.1
    assert {l["daddr"] for l, _ in netns.samples(netns.a, port, NS + "egress_packets_total")} == \
        {netns.ipb}

    if stop == "duration":
        rc, err = run.finish(timeout=20)
        assert rc == 0 and err_lines(err) == [], err
        assert time.monotonic() - t0 >= deadline(6) - 1
    else:
        stop_ok(run, getattr(signal, stop))
    assert_tc_clean(netns, netns.a, netns.ifa, qdisc_before)
    left.assert_gone()


def test_tc_keeps_a_clsact_it_did_not_create(netns):
    """A clsact qdisc and a filter that were there before stay (on a tcx
    kernel trivially: tcx needs neither)."""
    sh("tc", "-n", netns.a, "qdisc", "add", "dev", netns.ifa, "clsact")
    # a u32 filter that never matches (IP version 13); no action: the kernel
    # here has no act_* or cls_matchall modules
    sh("tc", "-n", netns.a, "filter", "add", "dev", netns.ifa, "egress", "pref", "7",
       "u32", "match", "u32", "0xdeadbeef", "0xffffffff", "at", "0")
    qdisc_before = netns.qdiscs(netns.a, netns.ifa)
    filters_before = netns.tc_filters(netns.a, netns.ifa, "egress")
    left = LeftBehind(obj("tc_egress_bytes"))
    run, port = start_tc(netns)
    assert len(tc_ours(netns, netns.a, netns.ifa)) == 1
    left.snapshot()
    netns.ping(2)
    netns.wait_sample(netns.a, port, NS + "egress_packets_total",
                      lambda l, v: l == {"daddr": netns.ipb} and v == 2, run=run)
    stop_ok(run)
    assert netns.qdiscs(netns.a, netns.ifa) == qdisc_before
    assert netns.tc_filters(netns.a, netns.ifa, "egress") == filters_before
    assert tc_ours(netns, netns.a, netns.ifa) == []
    left.assert_gone()


def test_tc_after_sigkill_the_next_run_replaces_not_stacks(netns):
    """A tcx link goes with the killed process; a clsact filter (6.1) stays,
    and the next run replaces it (and removes the clsact the killed run
    made when it exits)."""
    left = LeftBehind(obj("tc_egress_bytes"))
    qdisc_before = netns.qdiscs(netns.a, netns.ifa)
    run1, _ = start_tc(netns)
    assert len(tc_ours(netns, netns.a, netns.ifa)) == 1
    left.snapshot()
    run1.proc.send_signal(signal.SIGKILL)
    run1.finish()
    leftover = tc_ours(netns, netns.a, netns.ifa)
    assert all(how == "clsact" for how, _ in leftover), leftover

    run2, port = start_tc(netns)
    ours = tc_ours(netns, netns.a, netns.ifa)
    assert len(ours) == 1, f"stacked: {ours}"
    left.snapshot()
    netns.ping(3)
    netns.wait_sample(netns.a, port, NS + "egress_packets_total",
                      lambda l, v: l == {"daddr": netns.ipb} and v == 3, run=run2)
    stop_ok(run2)
    assert_tc_clean(netns, netns.a, netns.ifa, qdisc_before)
    left.assert_gone()


def test_tc_unknown_interface(netns):
    nothing = NothingLeft(obj("tc_egress_bytes"))
    p = netns.cli(netns.a, "run", "--iface", "nosuch0", "--no-metrics", obj("tc_egress_bytes"))
    assert_one_error(p, 1, "nosuch0")
    nothing.check()


TC_VARIANTS_SRC = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Every section name DESIGN.md 8 lists for XDP and tc, each counting the
 * IPv4 ICMP packets it sees. */
enum hook { XDP_FRAGS, TC, CLASSIFIER, TC_INGRESS, TCX_INGRESS, TCX_EGRESS };
struct hook_key { enum hook hook; };
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct hook_key);
	__type(value, u64);
} icmp SEC(".maps.counter");

static __always_inline void count(enum hook h)
{
	struct hook_key k = { .hook = h };
	u64 one = 1, *n = bpf_map_lookup_elem(&icmp, &k);

	if (!n && !bpf_map_update_elem(&icmp, &k, &one, BPF_NOEXIST))
		return;
	n = bpf_map_lookup_elem(&icmp, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int tc_count(struct __sk_buff *skb, enum hook h)
{
	u8 proto;

	if (skb->protocol == bpf_htons(0x0800) &&
	    !bpf_skb_load_bytes_relative(skb, 9, &proto, 1, BPF_HDR_START_NET) && proto == 1)
		count(h);
	return -1;	/* TC_ACT_UNSPEC / TCX_NEXT: the next program sees it too */
}

SEC("xdp.frags")
int hook_xdp_frags(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) <= end && eth->h_proto == bpf_htons(0x0800) && ip->protocol == 1)
		count(XDP_FRAGS);
	return XDP_PASS;
}

SEC("tc") int hook_tc(struct __sk_buff *skb) { return tc_count(skb, TC); }
SEC("classifier") int hook_classifier(struct __sk_buff *skb) { return tc_count(skb, CLASSIFIER); }
SEC("tc/ingress") int hook_tc_ingress(struct __sk_buff *skb) { return tc_count(skb, TC_INGRESS); }
SEC("tcx/ingress") int hook_tcx_ingress(struct __sk_buff *skb) { return tc_count(skb, TCX_INGRESS); }
SEC("tcx/egress") int hook_tcx_egress(struct __sk_buff *skb) { return tc_count(skb, TCX_EGRESS); }

char LICENSE[] SEC("license") = "GPL";
"""
TC_HOOKS = ["hook_tc", "hook_classifier", "hook_tc_ingress", "hook_tcx_ingress", "hook_tcx_egress"]


def tc_attached(netns, ns, dev, names):
    """(direction, how, prog name) of the programs `names` attached to dev."""
    ids = {i: n for i, n in bpf_progs().items() if n[:15] in {x[:15] for x in names}}
    ifindex = netns.ifindex(ns, dev)
    found = []
    for l in json.loads(sh("bpftool", "-j", "link", "show").stdout or "[]"):
        if l.get("prog_id") in ids and str(l.get("type")) in ("tcx", "11") and \
                l.get("ifindex", ifindex) == ifindex:
            found.append(("tcx", ids[l["prog_id"]]))
    for direction in ("ingress", "egress"):
        for line in netns.tc_filters(ns, dev, direction):
            m = re.search(r"\bid (\d+)\b", line)
            if m and int(m.group(1)) in ids:
                found.append((direction, ids[int(m.group(1))]))
    return found


def test_every_xdp_and_tc_section_name(netns, tmp_path):
    """xdp.frags, tc, classifier (ingress), tc/ingress, tcx/ingress and
    tcx/egress on one interface: each sees exactly the pings."""
    src = tmp_path / "tc_variants.bpf.c"
    src.write_text(TC_VARIANTS_SRC)
    ebpfctl_build(src)
    o = str(tmp_path / "tc_variants.bpf.o")
    left = LeftBehind(o)
    qdisc_before = netns.qdiscs(netns.b, netns.ifb)
    port = free_port()
    run = netns.run(netns.b, "--iface", netns.ifb, "--metrics-addr", f"127.0.0.1:{port}",
                    "--interval", "200ms", o, metrics=True)
    metrics_up(netns, netns.b, port, run)
    assert netns.xdp_attached(netns.b, netns.ifb), "xdp.frags not attached"
    att = tc_attached(netns, netns.b, netns.ifb, TC_HOOKS)
    assert sorted(n for _, n in att) == sorted(TC_HOOKS), att
    # without tcx (before 6.6) they are clsact filters, in the right direction
    for how, name in att:
        if how != "tcx":
            assert how == ("egress" if name == "hook_tcx_egress" else "ingress"), att
    types = {p["name"][:15]: p["type"] for p in json.loads(sh("bpftool", "-j", "prog", "show").stdout)
             if p["id"] in left.snapshot()}
    assert all(types[n[:15]] == "sched_cls" for n in TC_HOOKS), types

    netns.ping(4)
    for hook in ("XDP_FRAGS", "TC", "CLASSIFIER", "TC_INGRESS", "TCX_INGRESS", "TCX_EGRESS"):
        # ingress hooks see the requests, the egress one the replies
        _, v = netns.wait_sample(netns.b, port, NS + "icmp_total",
                                 lambda l, v: l == {"hook": hook} and v >= 4, run=run)
        assert v == 4, (hook, v)
    stop_ok(run)
    assert tc_attached(netns, netns.b, netns.ifb, TC_HOOKS) == []
    assert netns.xdp_attached(netns.b, netns.ifb) is None
    assert_tc_clean(netns, netns.b, netns.ifb, qdisc_before)
    left.assert_gone()


@pytest.mark.parametrize("second", ["iface", "object"])
def test_tc_failure_after_attach_leaves_nothing(netns, second):
    """An error after the first attach (an unknown second interface, an
    object the verifier rejects) detaches what was attached."""
    o = obj("tc_egress_bytes")
    nothing = NothingLeft(o, fixture("bad_verifier"))
    qdisc_before = netns.qdiscs(netns.a, netns.ifa)
    extra = ["--iface", "nosuch0", o] if second == "iface" else [o, fixture("bad_verifier")]
    p = netns.cli(netns.a, "run", "--no-metrics", "--iface", netns.ifa, *extra)
    assert p.returncode == 1, p.stderr
    assert [l for l in err_lines(p.stderr) if l.startswith("error: ")], p.stderr
    assert_tc_clean(netns, netns.a, netns.ifa, qdisc_before)
    nothing.check()


# --- cgroup ----------------------------------------------------------------------


def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return mnt.replace("\\040", " ")
    pytest.skip("no cgroup v2 hierarchy mounted")


def own_cgroup_path():
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    raise AssertionError("no cgroup v2 line in /proc/self/cgroup")


def cgroup_progs(path):
    """{attach_type: [prog names]} attached to the cgroup at path (not inherited)."""
    p = sh("bpftool", "-j", "cgroup", "show", path, check=False)
    out = {}
    for e in json.loads(p.stdout.strip() or "[]"):
        out.setdefault(e.get("attach_type"), []).append(e.get("name", ""))
    return out


CG_PROGS = {"cgroup_inet_egress": ["skb_egress"], "cgroup_inet_ingress": ["skb_ingress"]}

# Sends COUNT datagrams of SIZE bytes to a socket of its own on 127.0.0.1 and
# receives them all.
_UDP_SELF = """
import socket, sys
count, size = int(sys.argv[1]), int(sys.argv[2])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(count):
    s.sendto(b"z" * size, r.getsockname())
    r.recv(65536)
"""


def udp_self(count, size, cgroup=None):
    def enter():
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    p = subprocess.run(["/usr/bin/python3", "-c", _UDP_SELF, str(count), str(size)],
                       preexec_fn=enter if cgroup else None, timeout=deadline(30))
    assert p.returncode == 0


@pytest.fixture
def child_cgroup():
    path = os.path.join(cgroup2_root(), f"ebpfctl-t{os.getpid()}-cg")
    os.mkdir(path)
    try:
        yield path
    finally:
        os.rmdir(path)


def test_cgroup_sock_default_is_the_cgroup_v2_root(run_ebpfctl):
    root = cgroup2_root()
    o = obj("cgroup_sock")
    left = LeftBehind(o)
    before = cgroup_progs(root)
    port = free_port()
    run = run_ebpfctl("--metrics-addr", f"127.0.0.1:{port}", "--interval", "200ms", o, metrics=True)
    wait_sample(port, "ebpfctl_programs_attached", lambda l, v: v == 2, run=run)
    now = cgroup_progs(root)
    for t, names in CG_PROGS.items():
        assert [n for n in now.get(t, []) if n in names] == names, now
    left.snapshot()
    # this process's cgroup is below the root: its traffic is seen
    me = str(os.stat(os.path.join(root, own_cgroup_path().lstrip("/"))).st_ino)
    udp_self(5, 100)
    for d in ("EGRESS", "INGRESS"):
        wait_sample(port, NS + "cgroup_traffic_packets_total",
                    lambda l, v: l == {"cgroup_id": me, "direction": d} and v >= 5, run=run)
    stop_ok(run)
    assert cgroup_progs(root) == before
    left.assert_gone()


def test_cgroup_sock_on_a_child_cgroup_exactly(run_ebpfctl, child_cgroup):
    o = obj("cgroup_sock")
    left = LeftBehind(o)
    port = free_port()
    run = run_ebpfctl("--cgroup", child_cgroup, "--metrics-addr", f"127.0.0.1:{port}",
                      "--interval", "200ms", o, metrics=True)
    wait_sample(port, "ebpfctl_programs_attached", lambda l, v: v == 2, run=run)
    assert {t: [n for n in v if n in ("skb_egress", "skb_ingress")]
            for t, v in cgroup_progs(child_cgroup).items()} == CG_PROGS
    left.snapshot()
    cg_id = str(os.stat(child_cgroup).st_ino)
    udp_self(3, 50)                     # from outside the cgroup: not seen
    udp_self(7, 100, cgroup=child_cgroup)
    for d in ("EGRESS", "INGRESS"):
        want = {"cgroup_id": cg_id, "direction": d}
        _, v = wait_sample(port, NS + "cgroup_traffic_packets_total",
                           lambda l, v: l == want and v >= 7, run=run)
        assert v == 7, (d, v)
        _, v = wait_sample(port, NS + "cgroup_traffic_bytes_total", lambda l, v: l == want, run=run)
        assert v == 7 * (20 + 8 + 100), (d, v)     # skb->len from the IP header on
    assert {l["cgroup_id"] for l, _ in samples(port, NS + "cgroup_traffic_packets_total")} == {cg_id}
    stop_ok(run, signal.SIGTERM)
    assert cgroup_progs(child_cgroup) == {}
    left.assert_gone()


def test_cgroup_is_link_attached_sigkill_leaves_nothing(run_ebpfctl, child_cgroup):
    o = obj("cgroup_sock")
    left = LeftBehind(o)
    port = free_port()
    run = run_ebpfctl("--cgroup", child_cgroup, "--metrics-addr", f"127.0.0.1:{port}", o, metrics=True)
    wait_sample(port, "ebpfctl_programs_attached", lambda l, v: v == 2, run=run)
    assert cgroup_progs(child_cgroup)
    left.snapshot()
    run.proc.send_signal(signal.SIGKILL)
    run.finish()
    wait_until(lambda: cgroup_progs(child_cgroup) == {}, timeout=5, what="the killed run's programs detached")
    left.assert_gone()


@pytest.mark.parametrize("where", ["/tmp", "/nonexistent/cg", "v1"])
def test_cgroup_path_that_is_not_cgroup_v2(where):
    if where == "v1":
        v1 = [l.split()[1] for l in open("/proc/mounts") if l.split()[2] == "cgroup"]
        if not v1:
            pytest.skip("no cgroup v1 hierarchy on this machine (unified layout)")
        where = v1[0]
    root = cgroup2_root()
    nothing = NothingLeft(obj("cgroup_sock"))
    cg_before = cgroup_progs(root)
    p = run_cli("run", "--cgroup", where, "--no-metrics", obj("cgroup_sock"))
    assert_one_error(p, 1, where)
    nothing.check()
    assert cgroup_progs(root) == cg_before


CG_VARIANTS_SRC = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* cgroup programs other than cgroup_skb, each counting its events. */
enum hook { SOCKOPS_CONNECT, SYSCTL_READ, CONNECT4, SOCK_CREATE };
struct hook_key { enum hook hook; };
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct hook_key);
	__type(value, u64);
} cg_events SEC(".maps.counter");

static __always_inline void count(enum hook h)
{
	struct hook_key k = { .hook = h };
	u64 one = 1, *n = bpf_map_lookup_elem(&cg_events, &k);

	if (!n && !bpf_map_update_elem(&cg_events, &k, &one, BPF_NOEXIST))
		return;
	n = bpf_map_lookup_elem(&cg_events, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("sockops")
int hook_sockops(struct bpf_sock_ops *ctx)
{
	if (ctx->op == BPF_SOCK_OPS_TCP_CONNECT_CB)
		count(SOCKOPS_CONNECT);
	return 1;
}

SEC("cgroup/sysctl")
int hook_sysctl(struct bpf_sysctl *ctx)
{
	if (!ctx->write)
		count(SYSCTL_READ);
	return 1;
}

SEC("cgroup/connect4")
int hook_connect4(struct bpf_sock_addr *ctx)
{
	count(CONNECT4);
	return 1;
}

SEC("cgroup/sock_create")
int hook_sock_create(struct bpf_sock *ctx)
{
	if (ctx->family == 2)	/* AF_INET */
		count(SOCK_CREATE);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
"""

# In a cgroup: COUNT TCP connections to a listener of its own on 127.0.0.1
# and COUNT single reads of a sysctl.
_CG_WORK = """
import os, socket, sys
count = int(sys.argv[1])
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(count)
for _ in range(count):
    c = socket.socket(); c.connect(l.getsockname()); a, _ = l.accept(); a.close(); c.close()
    fd = os.open("/proc/sys/kernel/ostype", os.O_RDONLY); os.read(fd, 64); os.close(fd)
"""


def test_cgroup_program_types_on_a_child_cgroup(run_ebpfctl, child_cgroup, tmp_path):
    src = tmp_path / "cg_variants.bpf.c"
    src.write_text(CG_VARIANTS_SRC)
    ebpfctl_build(src)
    o = str(tmp_path / "cg_variants.bpf.o")
    left = LeftBehind(o)
    port = free_port()
    run = run_ebpfctl("--cgroup", child_cgroup, "--metrics-addr", f"127.0.0.1:{port}",
                      "--interval", "200ms", o, metrics=True)
    wait_sample(port, "ebpfctl_programs_attached", lambda l, v: v == 4, run=run)
    attached = {t: sorted(v) for t, v in cgroup_progs(child_cgroup).items()}
    assert attached == {"cgroup_sock_ops": ["hook_sockops"], "cgroup_sysctl": ["hook_sysctl"],
                        "cgroup_inet4_connect": ["hook_connect4"],
                        "cgroup_inet_sock_create": ["hook_sock_create"]}, attached
    left.snapshot()

    def enter():
        with open(os.path.join(child_cgroup, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    p = subprocess.run(["/usr/bin/python3", "-c", _CG_WORK, "6"], preexec_fn=enter,
                       timeout=deadline(30))
    assert p.returncode == 0
    # the listener and 6 clients are created; accepted sockets are not
    for hook, n in (("SOCKOPS_CONNECT", 6), ("SYSCTL_READ", 6), ("CONNECT4", 6), ("SOCK_CREATE", 7)):
        _, v = wait_sample(port, NS + "cg_events_total", lambda l, v: l == {"hook": hook} and v >= n,
                           run=run)
        assert v == n, (hook, v)
    stop_ok(run)
    assert cgroup_progs(child_cgroup) == {}
    left.assert_gone()


def test_cgroup_attach_flag_overrides_the_default(run_ebpfctl, child_cgroup):
    """--attach PROG=CGROUP for one program; the other goes to --cgroup's
    default, the v2 root."""
    root = cgroup2_root()
    o = obj("cgroup_sock")
    left = LeftBehind(o)
    port = free_port()
    run = run_ebpfctl("--attach", f"skb_egress={child_cgroup}", "--metrics-addr", f"127.0.0.1:{port}",
                      o, metrics=True)
    wait_sample(port, "ebpfctl_programs_attached", lambda l, v: v == 2, run=run)
    assert cgroup_progs(child_cgroup) == {"cgroup_inet_egress": ["skb_egress"]}
    assert "skb_ingress" in cgroup_progs(root).get("cgroup_inet_ingress", [])
    assert "skb_egress" not in cgroup_progs(root).get("cgroup_inet_egress", [])
    left.snapshot()
    stop_ok(run)
    assert cgroup_progs(child_cgroup) == {}
    left.assert_gone()


# --- perf_event and stacks ----------------------------------------------------------

SPINNER = r"""
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* user time: a loop the samples land in */
__attribute__((noinline)) unsigned long spin_here(double until)
{
	volatile unsigned long x = 0;
	while (now() < until)
		for (int i = 0; i < 100000; i++)
			x += i;
	return x;
}

/* kernel time: reading /dev/zero clears user memory in the kernel */
__attribute__((noinline)) void spin_in_kernel(int fd, double until)
{
	static char buf[1 << 20];
	while (now() < until)
		if (read(fd, buf, sizeof(buf)) < 0)
			return;
}

int main(void)
{
	int fd = open("/dev/zero", O_RDONLY);
	puts("spinning");
	fflush(stdout);
	for (;;) {
		spin_here(now() + 0.02);
		spin_in_kernel(fd, now() + 0.01);
	}
}
"""


@pytest.fixture
def spinner(tmp_path):
    src = tmp_path / "spinner.c"
    src.write_text(SPINNER)
    exe = tmp_path / "spinner"
    subprocess.run(["gcc", "-O0", "-g", "-fno-omit-frame-pointer", "-o", str(exe), str(src)],
                   check=True, timeout=deadline(60))
    p = subprocess.Popen([str(exe)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "spinning"
        yield p
    finally:
        reap([p])


USER_FRAMES = {"main", "spin_here", "spin_in_kernel", "read", "__libc_start_call_main",
               "__libc_start_main", "_start"}


def online_cpus():
    n = 0
    with open("/sys/devices/system/cpu/online") as f:
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            n += int(hi or lo) - int(lo) + 1
    return n


def kallsyms():
    with open("/proc/kallsyms") as f:
        return {l.split()[2] for l in f}


def test_profile_folded_and_symbolized_stacks(run_ebpfctl, spinner, tmp_path):
    o = obj("profile")
    left = LeftBehind(o)
    folded = tmp_path / "out.folded"
    port = free_port()
    t0 = time.monotonic()
    run = run_ebpfctl("--sample-freq", "99", "--folded", str(folded), "--duration", "3s",
                      "--metrics-addr", f"127.0.0.1:{port}", "--interval", "500ms", o, metrics=True)
    # labels: the stack ids render as their symbolized frames, outermost
    # first, joined by ';' (solo_types.h)
    labels, _ = wait_sample(port, NS + "samples_total",
                            lambda l, v: l.get("comm") == "spinner" and "spin_here" in l.get("ustack", ""),
                            timeout=10, run=run)
    assert labels["pid"] == str(spinner.pid)
    frames = [f.split("+")[0] for f in labels["ustack"].split(";")]
    assert frames[-1] == "spin_here" and "main" in frames, labels
    assert re.fullmatch(r"spin_here\+0x[0-9a-f]+", labels["ustack"].split(";")[-1]), labels
    ours = left.snapshot()
    # one perf event per online CPU, each a link to the program
    links = [l for l in json.loads(sh("bpftool", "-j", "link", "show").stdout or "[]")
             if l.get("prog_id") in ours and l.get("type") == "perf_event"]
    assert len(links) == online_cpus(), links
    rc, err = run.finish(timeout=30)
    elapsed = time.monotonic() - t0
    assert rc == 0 and err_lines(err) == [], err

    lines = folded.read_text().splitlines()
    assert lines, "empty folded file"
    total = spin = 0
    ksyms = kallsyms()
    kernel_frames = False
    for line in lines:
        m = re.fullmatch(r"(\S.*) (\d+)", line)
        assert m, f"not a folded line: {line!r}"
        stack, n = m.group(1).split(";"), int(m.group(2))
        assert n > 0 and all(stack), line
        total += n
        if stack[0] != "spinner":
            continue
        spin += n
        names = [f.split("+")[0] for f in stack[1:]]
        if "spin_here" in names and "main" in names:
            # root first, as flame graph tools want
            assert names.index("main") < names.index("spin_here"), line
        # read(2) of /dev/zero: user frames, then the kernel's (libc's read
        # has no frame pointer, so spin_in_kernel itself is skipped)
        if any(x in ksyms for x in names if x not in USER_FRAMES):
            kernel_frames = True
    assert any("spin_here" in l for l in lines if l.startswith("spinner;")), lines[:20]
    assert kernel_frames, "no kernel frames in the spinner's stacks"
    # one CPU kept busy for ~3 s at 99 Hz; nothing samples faster than 99 Hz per CPU
    assert spin >= 99 * 3 * 0.25, spin
    assert total <= 99 * os.cpu_count() * elapsed * 1.2, (total, elapsed)
    left.assert_gone()


@pytest.mark.parametrize("value", ["0", "-5", "fast", "99x"])
def test_sample_freq_malformed_is_a_usage_error(value):
    p = run_cli("run", "--sample-freq", value, "--no-metrics", obj("profile"))
    assert p.returncode == 64, p.stderr
    assert err_lines(p.stderr)[0].startswith("error: ")


def test_profile_pid_samples_one_process(run_ebpfctl, spinner, tmp_path):
    """--pid on a perf_event program: only that process is sampled (and
    without --sample-freq: 49 Hz)."""
    o = obj("profile")
    left = LeftBehind(o)
    folded = tmp_path / "pid.folded"
    port = free_port()
    dur = deadline(2)
    run = run_ebpfctl("--pid", str(spinner.pid), "--folded", str(folded), "--duration", f"{dur:g}s",
                      "--metrics-addr", f"127.0.0.1:{port}", "--interval", "200ms", o, metrics=True)
    wait_sample(port, NS + "samples_total", lambda l, v: l.get("comm") == "spinner", run=run)
    left.snapshot()
    # rewritten every --interval, not only at exit
    wait_until(lambda: folded.exists() and "spinner;" in folded.read_text() or run.proc.poll() is not None,
               what="the folded file written while running")
    assert run.proc.poll() is None, "the run ended before the folded file was written"
    rc, err = run.finish(timeout=30)
    assert rc == 0 and err_lines(err) == [], err
    lines = folded.read_text().splitlines()
    assert lines and all(l.startswith("spinner;") for l in lines), lines
    assert sum(int(l.rsplit(" ", 1)[1]) for l in lines) <= 49 * dur * 1.5 + 5, lines
    left.assert_gone()


# --- --attach and --pid on uprobes ----------------------------------------------------

UPROBE_SRC = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct call { u32 pid; int arg; };
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct call);
} calls SEC(".maps.print");

SEC("uprobe")
int BPF_KPROBE(bare_uprobe, int arg)
{
	struct call *c = bpf_ringbuf_reserve(&calls, sizeof(*c), 0);
	if (c) {
		c->pid = bpf_get_current_pid_tgid() >> 32;
		c->arg = arg;
		bpf_ringbuf_submit(c, 0);
	}
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""

# Calls getpgid(ARG) every 50 ms until stdin closes.
_GETPGID = """
import ctypes, select, sys
libc = ctypes.CDLL("libc.so.6")
print("ready", flush=True)
while not select.select([sys.stdin], [], [], 0.05)[0]:
    libc.getpgid(int(sys.argv[1]))
"""


def libc_path():
    for line in open("/proc/self/maps"):
        if "/libc.so.6" in line or re.search(r"/libc-[\d.]+\.so", line):
            return line.split()[-1]
    pytest.skip("no libc.so.6 mapped")


@pytest.fixture
def bare_uprobe(tmp_path):
    src = tmp_path / "bare_uprobe.bpf.c"
    src.write_text(UPROBE_SRC)
    ebpfctl_build(src)
    return str(tmp_path / "bare_uprobe.bpf.o")


def test_attach_gives_a_bare_uprobe_its_target_and_pid_filters(run_ebpfctl, bare_uprobe):
    if not os.path.isdir("/sys/bus/event_source/devices/uprobe"):
        pytest.skip("kernel has no uprobes")
    procs = [subprocess.Popen(["/usr/bin/python3", "-c", _GETPGID, str(a)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for a in (1111, 2222)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        left = LeftBehind(bare_uprobe)
        run = run_ebpfctl("--attach", f"bare_uprobe={libc_path()}:getpgid", "--pid", str(procs[0].pid),
                          bare_uprobe)
        e = run.wait_line(lambda o: o["map"] == "calls", timeout=20)
        assert e["event"] == {"pid": procs[0].pid, "arg": 1111}
        left.snapshot()
        # a while later: still only the --pid process
        run.wait_line(lambda o: len(run.lines) >= 10, timeout=20)
        assert {json.loads(l)["event"]["pid"] for l in run.lines} == {procs[0].pid}
        stop_ok(run)
        left.assert_gone()
    finally:
        for p in procs:
            p.stdin.close()
        reap(procs)


def test_bare_uprobe_without_attach_names_what_is_missing(bare_uprobe):
    nothing = NothingLeft(bare_uprobe)
    p = run_cli("run", "--no-metrics", bare_uprobe)
    assert p.returncode == 1, p.stderr
    assert err_lines(p.stderr)[0].startswith("error: program 'bare_uprobe': "), p.stderr
    nothing.check()


def test_attach_unknown_program_is_a_usage_error():
    p = run_cli("run", "--attach", "no_such_prog=lo", "--no-metrics", obj("xdp_protocols"))
    assert p.returncode == 64, p.stderr
    assert "no_such_prog" in err_lines(p.stderr)[0], p.stderr


NO_TARGET_SRC = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("socket") int sock_prog(struct __sk_buff *skb) { return 0; }
char LICENSE[] SEC("license") = "GPL";
"""


def test_program_type_without_a_target_flag_is_an_error_naming_it(tmp_path):
    src = tmp_path / "no_target.bpf.c"
    src.write_text(NO_TARGET_SRC)
    ebpfctl_build(src)
    o = str(tmp_path / "no_target.bpf.o")
    nothing = NothingLeft(o)
    for cmd in (["run", "--no-metrics"], ["check"]):
        p = run_cli(*cmd, o)
        assert p.returncode == 1, p.stderr
        first = err_lines(p.stderr)[0]
        assert first.startswith("error: program 'sock_prog': ") and "socket" in first, p.stderr
        assert p.stdout == ""
    nothing.check()
    # loading it without attaching is fine
    p = run_cli("check", "--load-only", o)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"ok: {o}: 1 programs (socket_filter), 0 maps exported"), p.stdout


KFUNC_SRC = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile u32 target_tgid = 0;
struct hit { u32 pid; char kind[8]; };
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
	__type(value, struct hit);
} hits SEC(".maps.print");

static __always_inline void hit(const char *kind)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct hit *h;

	if (pid != target_tgid)
		return;
	h = bpf_ringbuf_reserve(&hits, sizeof(*h), 0);
	if (h) {
		h->pid = pid;
		__builtin_memcpy(h->kind, kind, 7);
		h->kind[7] = 0;
		bpf_ringbuf_submit(h, 0);
	}
}

SEC("kprobe") int bare_kprobe(void *ctx) { hit("kprobe\0"); return 0; }
SEC("fentry") int BPF_PROG(bare_fentry) { hit("fentry\0"); return 0; }
char LICENSE[] SEC("license") = "GPL";
"""


def need(ok, why):
    """Skip when the kernel lacks a feature; inside the second-kernel guest,
    where every attach type works, fail instead."""
    if ok:
        return
    if GUEST:
        pytest.fail(f"{why} (EBPFCTL_TEST_KERNEL=guest)")
    pytest.skip(why)


@pytest.fixture
def kfunc_obj(tmp_path):
    src = tmp_path / "kfunc.bpf.c"
    src.write_text(KFUNC_SRC)
    ebpfctl_build(src)
    return str(tmp_path / "kfunc.bpf.o")


@pytest.mark.parametrize("kind", ["kprobe", "fentry"])
def test_attach_gives_a_bare_kernel_probe_its_function(run_ebpfctl, kfunc_obj, kind):
    import platform
    need(platform.machine() == "x86_64", "the probe traces the x86_64 syscall wrapper")
    if kind == "kprobe":
        need(os.path.isdir("/sys/bus/event_source/devices/kprobe"),
             f"kernel {platform.release()} has no kprobes (CONFIG_KPROBES off)")
    other = "bare_fentry" if kind == "kprobe" else "bare_kprobe"
    # the other program is not wanted here: give it the same target, it stays quiet
    left = LeftBehind(kfunc_obj)
    run = run_ebpfctl("--set", f"target_tgid={os.getpid()}",
                      "--attach", f"bare_{kind}=__x64_sys_getpgid",
                      "--attach", f"{other}=__x64_sys_getpgid", kfunc_obj)
    try:
        e = run.wait_line(lambda o: o["event"]["kind"] == kind, trigger=lambda: os.getpgid(0), timeout=20)
    except AssertionError:
        if run.proc.poll() is not None and "Operation not permitted" in run.stderr:
            need(False, f"kernel refuses fentry programs: {run.stderr.splitlines()[0]}")
        if run.proc.poll() is not None and "kprobe" in run.stderr and \
                not os.path.isdir("/sys/bus/event_source/devices/kprobe"):
            need(False, "no kprobes")
        raise
    assert e["event"]["pid"] == os.getpid()
    left.snapshot()
    stop_ok(run)
    left.assert_gone()


# --- several objects -------------------------------------------------------------

def test_several_objects_one_run(run_ebpfctl, tmp_path):
    objs = [obj("execsnoop"), obj("opensnoop"), obj("exitsnoop")]
    lefts = [LeftBehind(o) for o in objs]
    port = free_port()
    run = run_ebpfctl("--metrics-addr", f"127.0.0.1:{port}", "--interval", "200ms",
                      "--set", "opensnoop:target_comm=cat", *objs, metrics=True)
    f = tmp_path / "seen"
    f.write_text("x")
    last = [0.0]

    def trigger():
        if time.monotonic() - last[0] > 0.3:
            last[0] = time.monotonic()
            subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL)
    run.wait_line(lambda o: o.get("object") == "opensnoop" and o["event"]["filename"] == str(f),
                  trigger=trigger)
    run.wait_line(lambda o: o.get("object") == "execsnoop" and o["event"]["comm"] == "cat",
                  trigger=trigger)
    run.wait_line(lambda o: o.get("object") == "exitsnoop" and o["event"]["comm"] == "cat",
                  trigger=trigger)
    for line in run.lines:
        # "object" right after "time", in every line
        m = re.match(r'\{"time":"[0-9T:.\-]+Z","object":"(execsnoop|opensnoop|exitsnoop)","map":"events",', line)
        assert m, line
    # the scoped --set reached opensnoop only
    assert {json.loads(l)["event"]["comm"] for l in run.lines
            if json.loads(l)["object"] == "opensnoop"} == {"cat"}
    # one /metrics with both objects' families
    wait_sample(port, NS + "opens_total", lambda l, v: l == {"comm": "cat"} and v >= 1, run=run)
    wait_sample(port, NS + "exits_total", lambda l, v: v >= 1, run=run)
    wait_sample(port, "ebpfctl_programs_attached", lambda l, v: v == 5, run=run)
    for left in lefts:
        left.snapshot()
    stop_ok(run)
    for left in lefts:
        left.assert_gone()


def test_one_object_lines_have_no_object_field(run_ebpfctl, tmp_path):
    run = run_ebpfctl("--set", "target_comm=cat", obj("opensnoop"))
    f = tmp_path / "one"
    f.write_text("x")
    e = run.wait_line(lambda o: o["event"]["filename"] == str(f),
                      trigger=lambda: subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL))
    assert "object" not in e
    assert run.lines[0].startswith('{"time":"') and '"map":"events"' in run.lines[0]
    stop_ok(run)


def test_set_applies_to_every_object_that_declares_it(run_ebpfctl):
    """failed_only is declared by opensnoop and exitsnoop: both get it."""
    run = run_ebpfctl("--set", "failed_only=true", obj("opensnoop"), obj("exitsnoop"))
    tag = f"/nonexistent/ebpfctl-{os.getpid()}"
    last = [0.0]

    def trigger():
        if time.monotonic() - last[0] > 0.3:
            last[0] = time.monotonic()
            subprocess.run(["cat", tag], stderr=subprocess.DEVNULL)    # open fails, cat exits 1
            subprocess.run(["true"])                                    # exits 0: not printed
    run.wait_line(lambda o: o["object"] == "opensnoop" and o["event"]["filename"] == tag, trigger=trigger)
    run.wait_line(lambda o: o["object"] == "exitsnoop" and o["event"]["comm"] == "cat", trigger=trigger)
    for line in run.lines:
        o = json.loads(line)
        if o["object"] == "opensnoop":
            assert o["event"]["error"] != 0, line
        else:
            assert o["event"]["exit_code"] != 0 or o["event"]["signal"] != 0, line
    stop_ok(run)


@pytest.mark.parametrize("set_arg", ["no_such_var=1", "opensnoop:no_such_var=1", "nosuchobj:failed_only=1"])
def test_set_unknown_in_every_object_is_a_usage_error(set_arg):
    nothing = NothingLeft(obj("opensnoop"), obj("execsnoop"))
    p = run_cli("run", "--set", set_arg, "--no-metrics", obj("opensnoop"), obj("execsnoop"))
    assert p.returncode == 64, p.stderr
    assert err_lines(p.stderr)[0].startswith("error: "), p.stderr
    nothing.check()


@pytest.fixture
def opensnoop_copy(tmp_path):
    copy = tmp_path / "opensnoop_copy.bpf.o"
    shutil.copy(obj("opensnoop"), copy)
    return str(copy)


@pytest.mark.parametrize("cmd", ["run", "check"])
def test_same_family_in_two_objects_is_an_error_naming_both(cmd, opensnoop_copy):
    nothing = NothingLeft(obj("opensnoop"))
    p = run_cli(cmd, "--no-metrics", obj("opensnoop"), opensnoop_copy) if cmd == "run" else \
        run_cli(cmd, obj("opensnoop"), opensnoop_copy)
    assert_one_error(p, 1, NS + "opens_total")
    first = err_lines(p.stderr)[0]
    assert re.search(r"\bopensnoop\b", first) and "opensnoop_copy" in first, first
    nothing.check()


def test_a_failing_object_fails_the_whole_run():
    nothing = NothingLeft(obj("opensnoop"), fixture("bad_verifier"))
    p = run_cli("run", "--no-metrics", obj("opensnoop"), fixture("bad_verifier"))
    assert p.returncode == 1, p.stderr
    assert err_lines(p.stderr)[-1].startswith("error: program 'unchecked': rejected by the verifier: ")
    assert p.stdout == ""
    nothing.check("the good object stayed loaded")


# --- check -----------------------------------------------------------------------

OK_LINE = re.compile(r"ok: (?P<file>\S+): (?P<n>\d+) programs? \((?P<types>[^)]*)\), "
                     r"(?P<m>\d+) maps? exported(?: \((?P<maps>[^)]*)\))?")

CHECKED = {
    # object: (programs, program types, exported maps in declaration order, families)
    "execsnoop": (2, {"tracepoint"}, ["events print"], []),
    "opensnoop": (2, {"tracepoint"}, ["events print", "opens counter"], [NS + "opens_total"]),
    "runqlat": (3, {"tracing"}, ["runq_latency hist"], [NS + "runq_latency"]),
    "tcpstates": (1, {"tracepoint"}, ["events print", "tcp_opens counter"], [NS + "tcp_opens_total"]),
    "syscount": (2, {"raw_tracepoint", "tracepoint"}, ["syscalls counter", "syscall_errors counter"],
                 [NS + "syscalls_total", NS + "syscall_errors_total"]),
}


def parse_check(stdout):
    """[(ok-line match, [family lines])] in order."""
    out = []
    for line in stdout.splitlines():
        m = OK_LINE.fullmatch(line)
        if m:
            out.append((m, []))
        else:
            assert out, f"family line before any ok: line: {line!r}"
            out[-1][1].append(line)
    return out


def assert_check_ok(m, fam_lines, name, path):
    n, types, maps, fams = CHECKED[name] if isinstance(name, str) else name
    assert m["file"] == path
    assert int(m["n"]) == n, m.group(0)
    assert set(m["types"].split(", ")) == types, m.group(0)
    assert int(m["m"]) == len(maps) and (m["maps"] or "").split(", ") == maps, m.group(0)
    for fam in fams:
        assert any(re.search(r"(?<![\w])" + fam + r"(?![\w])", l) for l in fam_lines), (fam, fam_lines)


def test_check_examples():
    names = list(CHECKED)
    paths = [obj(n) for n in names]
    nothing = NothingLeft(*paths)
    p = run_cli("check", *paths)
    assert p.returncode == 0, p.stderr
    assert err_lines(p.stderr) == [], p.stderr
    parsed = parse_check(p.stdout)
    assert [m["file"] for m, _ in parsed] == paths, p.stdout
    for (m, fam_lines), name, path in zip(parsed, names, paths):
        assert_check_ok(m, fam_lines, name, path)
    nothing.check()


def test_check_load_only_every_example():
    """--load-only: every example loads, also those needing a target."""
    # tcpconnlat_fentry exports the families of tcpconnlat_kprobe (checked
    # alone below); fentry loads with EPERM on the 6.18 machines
    ex = sorted(f[:-len(".bpf.o")] for f in os.listdir(os.path.join(BUILD, "examples"))
                if f.endswith(".bpf.o") and f != "tcpconnlat_fentry.bpf.o")
    nothing = NothingLeft(*[obj(n) for n in ex])
    p = run_cli("check", "--load-only", *[obj(n) for n in ex])
    assert p.returncode == 0, p.stderr
    parsed = parse_check(p.stdout)
    assert [m["file"] for m, _ in parsed] == [obj(n) for n in ex]
    byname = dict(zip(ex, parsed))
    m, fams = byname["xdp_protocols"]
    assert_check_ok(m, fams, (1, {"xdp"}, ["rx counter"], [NS + "rx_packets_total", NS + "rx_bytes_total"]),
                    obj("xdp_protocols"))
    m, fams = byname["tc_egress_bytes"]
    assert_check_ok(m, fams, (1, {"sched_cls"}, ["egress counter"],
                              [NS + "egress_bytes_total", NS + "egress_packets_total"]), obj("tc_egress_bytes"))
    m, fams = byname["cgroup_sock"]
    assert_check_ok(m, fams, (2, {"cgroup_skb"}, ["cgroup_traffic counter"],
                              [NS + "cgroup_traffic_bytes_total", NS + "cgroup_traffic_packets_total"]),
                    obj("cgroup_sock"))
    m, fams = byname["profile"]
    assert_check_ok(m, fams, (1, {"perf_event"}, ["samples counter"], [NS + "samples_total"]), obj("profile"))
    nothing.check()


def test_check_load_only_fentry_example():
    o = obj("tcpconnlat_fentry")
    nothing = NothingLeft(o)
    p = run_cli("check", "--load-only", o)
    if p.returncode == 1 and "Operation not permitted" in p.stderr and not GUEST:
        pytest.skip(f"kernel refuses fentry programs: {err_lines(p.stderr)[0]}")
    assert p.returncode == 0, p.stderr
    (m, fams), = parse_check(p.stdout)
    assert_check_ok(m, fams, (3, {"tracing"}, ["connects print", "tcp_connect_latency_seconds hist"],
                              [NS + "tcp_connect_latency_seconds"]), o)
    nothing.check()


def test_check_attaches_unless_load_only():
    """Without --load-only, check attaches: an XDP program without an
    interface is run's error, with run's status."""
    r = run_cli("run", "--no-metrics", obj("xdp_protocols"))
    c = run_cli("check", obj("xdp_protocols"))
    assert c.returncode == r.returncode == 1
    assert c.stderr == r.stderr
    assert "ok:" not in c.stdout


def test_check_xdp_on_an_interface(netns):
    nothing = NothingLeft(obj("xdp_protocols"))
    p = netns.cli(netns.b, "check", "--iface", netns.ifb, obj("xdp_protocols"))
    assert p.returncode == 0, p.stderr
    (m, fams), = parse_check(p.stdout)
    assert_check_ok(m, fams, (1, {"xdp"}, ["rx counter"], [NS + "rx_packets_total"]), obj("xdp_protocols"))
    assert netns.xdp_attached(netns.b, netns.ifb) is None
    nothing.check()


@pytest.mark.parametrize("fixture_name", ["bad_verifier", "bad_suffix", "bad_tracepoint"])
def test_check_errors_are_runs(fixture_name):
    nothing = NothingLeft(fixture(fixture_name))
    r = run_cli("run", "--no-metrics", fixture(fixture_name))
    c = run_cli("check", fixture(fixture_name))
    assert c.returncode == r.returncode != 0
    assert err_lines(c.stderr)[-1] == err_lines(r.stderr)[-1], (c.stderr, r.stderr)
    assert "ok:" not in c.stdout
    nothing.check()


def test_check_usage_errors():
    assert run_cli("check").returncode == 64
    assert run_cli("check", "--no-such-flag", obj("opensnoop")).returncode == 64
    p = run_cli("check", "--set", "no_such_var=1", obj("opensnoop"))
    assert p.returncode == 64, p.stderr


# --- program cost ------------------------------------------------------------------

def prog_show(pid):
    j = json.loads(sh("bpftool", "-j", "prog", "show", "id", str(pid)).stdout)
    return j


def test_program_info_always(run_ebpfctl):
    o = obj("opensnoop")
    port = free_port()
    run = run_ebpfctl("--metrics-addr", f"127.0.0.1:{port}", o, metrics=True)
    wait_sample(port, "ebpfctl_program_info", run=run)
    info = samples(port, "ebpfctl_program_info")
    assert sorted(l["program"] for l, _ in info) == ["enter_openat", "exit_openat"], info
    for labels, v in info:
        assert v == 1
        assert set(labels) == {"object", "program", "type", "id", "tag"}, labels
        assert labels["object"] == "opensnoop" and labels["type"] == "tracepoint", labels
        p = prog_show(labels["id"])
        assert p["name"] == labels["program"][:15] and p["tag"] == labels["tag"], (p, labels)
    stop_ok(run)


def read_stats_sysctl():
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        return f.read().strip()


def test_bpf_stats(run_ebpfctl, tmp_path):
    old = read_stats_sysctl()
    o = obj("opensnoop")
    port = free_port()
    run = run_ebpfctl("--bpf-stats", "--set", "target_comm=cat", "--metrics-addr", f"127.0.0.1:{port}",
                      o, metrics=True)
    f = tmp_path / "f"
    f.write_text("x")
    cat = lambda: subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL)  # noqa: E731
    _, v1 = wait_sample(port, "ebpfctl_program_runs_total",
                        lambda l, v: l.get("program") == "enter_openat" and v >= 1, trigger=cat, run=run)
    for _ in range(5):
        cat()
    # every openat on the machine runs the program (the comm filter is inside it)
    wait_sample(port, "ebpfctl_program_runs_total",
                lambda l, v: l.get("program") == "enter_openat" and v >= v1 + 5, run=run)
    wait_sample(port, "ebpfctl_program_run_seconds_total",
                lambda l, v: l.get("program") == "enter_openat" and v > 0, run=run)
    stop_ok(run)
    assert read_stats_sysctl() == old


def write_stats_sysctl(v):
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write(v)


def test_bpf_stats_already_on_is_left_on(run_ebpfctl, tmp_path):
    """With kernel.bpf_stats_enabled=1 the cost families are there without
    --bpf-stats, and neither kind of run turns the sysctl off."""
    old = read_stats_sysctl()
    f = tmp_path / "f"
    f.write_text("x")
    cat = lambda: subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL)  # noqa: E731
    write_stats_sysctl("1")
    try:
        for extra in ([], ["--bpf-stats"]):
            port = free_port()
            run = run_ebpfctl(*extra, "--metrics-addr", f"127.0.0.1:{port}", obj("opensnoop"), metrics=True)
            wait_sample(port, "ebpfctl_program_runs_total",
                        lambda l, v: l.get("program") == "enter_openat" and v >= 1, trigger=cat, run=run)
            stop_ok(run)
            assert read_stats_sysctl() == "1", extra
    finally:
        write_stats_sysctl(old)


def test_bpf_stats_duration_prints_mean_cost(tmp_path):
    old = read_stats_sysctl()
    f = tmp_path / "f"
    f.write_text("x")
    p = subprocess.Popen([EBPFCTL, "run", "--bpf-stats", "--no-metrics", "--duration", "2s",
                          "--set", "target_comm=cat", obj("opensnoop")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + deadline(20)
        while p.poll() is None and time.monotonic() < end:
            subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL)
            try:
                p.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
        out, err = p.communicate(timeout=deadline(20))
    finally:
        reap([p])
    assert p.returncode == 0, err
    for prog in ("enter_openat", "exit_openat"):
        assert any(prog in l and re.search(r"\d ?ns\b", l) for l in err.splitlines()), err
    assert all(l.startswith("{") for l in out.splitlines()), out
    assert read_stats_sysctl() == old
