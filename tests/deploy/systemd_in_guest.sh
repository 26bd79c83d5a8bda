#!/bin/bash
# The systemd units at work: run inside the second-kernel guest (ci/vm-run.sh, Debian's
# 6.1 kernel) by tests/deploy/test_systemd.py. systemd runs as PID 1 of a new PID and
# mount namespace with only deploy/systemd's units (and stub targets), so nothing of the
# guest is touched; the guest itself goes away afterwards.
#
# Prints "RESULT <name> <key>=<value>..." lines for the test to check, and the services'
# stderr and systemd's log after "LOGS".
# shellcheck disable=SC2086,SC2016,SC2012,SC2034,SC2231 # plain names, awk program, loop counters
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
D=/tmp/ebpfctl-systemd
rm -rf $D
mkdir -p $D/units $D/log /etc/ebpfctl
for t in sysinit basic sockets network network-online multi-user shutdown default timers paths slices local-fs; do
	printf '[Unit]\nDescription=stub %s\n' $t >$D/units/$t.target
done
# installed where the unit expects it (the guest's root is a throw-away overlay): a tree
# under /tmp would be hidden from the service by its PrivateTmp=yes
install -D -m 755 build/ebpfctl /usr/local/bin/ebpfctl
cp deploy/systemd/ebpfctl@.service $D/units/ebpfctl@.service
cp deploy/systemd/ebpfctl@.socket $D/units/

# instance  object                              drop-in                 settings
cat >$D/instances <<EOF
opensnoop   build/examples/opensnoop.bpf.o      -                       EBPFCTL_METRICS_ADDR=127.0.0.1:9101 EBPFCTL_SET=failed_only=false
xdp         build/examples/xdp_protocols.bpf.o  network.conf            EBPFCTL_METRICS_ADDR=127.0.0.1:9102 EBPFCTL_IFACE=lo EBPFCTL_XDP_MODE=generic
readline    build/examples/bashreadline.bpf.o   uprobe.conf             EBPFCTL_METRICS_ADDR=127.0.0.1:9103
profile     build/examples/profile.bpf.o        stacks.conf             EBPFCTL_METRICS_ADDR=127.0.0.1:9105 EBPFCTL_SAMPLE_FREQ=199 EBPFCTL_FOLDED=/var/lib/ebpfctl/profile.folded
runqlat     build/examples/runqlat.bpf.o        00-no-sys-admin.conf    EBPFCTL_METRICS_ADDR=127.0.0.1:9106
pinned      build/tests/bpf/ev_pinned.bpf.o     -                       EBPFCTL_NO_METRICS=1
execsnoop   build/examples/execsnoop.bpf.o      -                       -
badenv      build/examples/opensnoop.bpf.o      -                       EBPFCTL_INTERVAL=nonsense
badattach   build/tests/bpf/bad_tracepoint.bpf.o -                      EBPFCTL_NO_METRICS=1
EOF
while read -r name obj dropin settings; do
	cp "$obj" /etc/ebpfctl/$name.bpf.o
	mkdir -p $D/units/ebpfctl@$name.service.d
	printf '[Service]\nStandardOutput=file:%s/log/%s.out\nStandardError=file:%s/log/%s.err\n' \
		$D $name $D $name >$D/units/ebpfctl@$name.service.d/log.conf
	[ "$dropin" = - ] || cp deploy/systemd/drop-ins/$dropin $D/units/ebpfctl@$name.service.d/
	: >/etc/ebpfctl/$name.env
	[ "$settings" = - ] || for s in $settings; do echo "$s" >>/etc/ebpfctl/$name.env; done
done <$D/instances
mkdir -p $D/units/ebpfctl@execsnoop.socket.d
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:9104\n' >$D/units/ebpfctl@execsnoop.socket.d/port.conf
ip link set lo up

unshare --pid --fork --mount --uts --propagation private bash -c "
	mount -t proc proc /proc
	mount -o bind,ro /proc/sys /proc/sys
	exec env -i container=ebpfctl-test SYSTEMD_UNIT_PATH=$D/units PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/lib/systemd/systemd --system --log-target=console --log-level=info --show-status=no" \
	>$D/log/systemd.log 2>&1 &
UPID=$!
SD=
for i in $(seq 1 100); do
	SD=$(pgrep -P $UPID | head -1)
	[ -n "$SD" ] && break
	sleep 0.1
done
sc() { nsenter -t "$SD" -m -p -- timeout 300 env SYSTEMD_UNIT_PATH=$D/units SYSTEMD_COLORS=0 systemctl --no-pager "$@"; }
for i in $(seq 1 300); do
	s=$(sc is-system-running 2>/dev/null)
	[ "$s" = running ] || [ "$s" = degraded ] && break
	sleep 0.2
done
echo "RESULT systemd state=$(sc is-system-running 2>&1)"
show() { sc show -p ActiveState,SubState,Result,ExecMainStatus,NRestarts,StatusText "$1" | tr '\n' ' '; }
# capabilities of a running service's main process, read in its PID namespace
caps() {
	local p
	p=$(sc show -p MainPID --value "$1")
	nsenter -t "$SD" -m -p -- awk '/^CapEff|^CapBnd/ { printf "%s=%s ", $1, $2 }' /proc/$p/status 2>/dev/null | tr -d ':'
}
start() { # start an instance; systemctl returns once READY=1 came, or the start failed
	sc start "ebpfctl@$1.service" >/dev/null 2>&1
	echo "RESULT $1 start=$? $(show ebpfctl@$1.service) $(caps ebpfctl@$1.service)"
}
for n in opensnoop xdp readline profile runqlat pinned badenv badattach; do start $n; done
echo "RESULT opensnoop ready=$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:9101/-/ready)" \
	"opens_series=$(curl -s 127.0.0.1:9101/metrics | grep -c '^ebpf_solo_io_opens_total')"
ping -c 2 -W 1 127.0.0.1 >/dev/null
echo "RESULT xdp rx_series=$(curl -s 127.0.0.1:9102/metrics | grep -c '^ebpf_solo_io_rx_packets_total')"
echo "RESULT pinned pins=$(ls /sys/fs/bpf | tr '\n' ,)"

# socket activation: the first scrape starts the service; a restart keeps the port
sc start ebpfctl@execsnoop.socket
echo "RESULT socket $(show ebpfctl@execsnoop.socket)"
n=$(curl -s -m 120 127.0.0.1:9104/metrics | grep -c '^ebpfctl_program_info')
echo "RESULT execsnoop scrape_first=$n $(show ebpfctl@execsnoop.service)"
sc restart ebpfctl@execsnoop.service >/dev/null 2>&1 &
RS=$!
n=$(curl -s -m 120 127.0.0.1:9104/metrics | grep -c '^ebpfctl_program_info')
wait $RS
echo "RESULT execsnoop scrape_restart=$n $(show ebpfctl@execsnoop.service)"
sc stop ebpfctl@execsnoop.service >/dev/null 2>&1
echo "RESULT socket_after_stop $(show ebpfctl@execsnoop.socket)"

sleep 2 # profile: a few --interval writes of the folded file
sc stop ebpfctl@opensnoop.service ebpfctl@xdp.service ebpfctl@readline.service ebpfctl@profile.service \
	ebpfctl@runqlat.service ebpfctl@pinned.service ebpfctl@badattach.service ebpfctl@execsnoop.socket >/dev/null 2>&1
for n in opensnoop xdp readline profile runqlat pinned; do echo "RESULT $n stopped $(show ebpfctl@$n.service)"; done
f=/var/lib/ebpfctl/profile.folded
echo "RESULT profile folded_lines=$(wc -l <$f 2>/dev/null || echo 0)" \
	"kernel_symbols=$(grep -c -E 'entry_SYSCALL|do_syscall_64|asm_sysvec|irqentry' $f 2>/dev/null || echo 0)"
echo "RESULT left progs=$(bpftool prog show | grep -c -E 'enter_openat|xdp_|readline|profile_cpu|enter_execve')"
sc exit >/dev/null 2>&1 || kill "$SD"
for i in $(seq 1 100); do kill -0 $UPID 2>/dev/null || break; sleep 0.1; done
echo LOGS
for f in $D/log/*.err; do echo "--- $f"; tail -5 "$f"; done
echo "--- systemd"
grep 'ebpfctl@' $D/log/systemd.log | grep -v -E 'Consumed|Scheduled restart' | tail -40
exit 0
