#!/bin/bash
# vm-run.sh — run a command as root inside Debian's 6.1 kernel under qemu (TCG, software
# emulation), with the host's root filesystem as the guest root: 9p read-only plus a tmpfs
# overlay, so the guest can write without touching the host.  Recipe and the facts behind it:
# /work/shared/notes/second-kernel.md (KVM here cannot run stock kernels, hence TCG).
#
#   usage: ci/vm-run.sh [-t TIMEOUT_S] [-q] -- CMD [ARGS...]    (CMD runs in the current dir)
#     -t  seconds before the guest is killed (default 600)
#     -q  keep the console in the log file only and show it when the guest fails to report
#   A guest CPU stuck in the kernel (soft lockup) panics the guest, which ends qemu at once
#   (status 124, "soft lockup" in the console) instead of waiting for the timeout.
#         an exit status (timeout / crash); default: stream the console to stdout as well
#   env:  VM_CACHE  cache of the unpacked kernel + initramfs (default /var/tmp/ebpfctl-vm)
#         VM_KPKG   kernel package (default: the one linux-image-amd64 depends on)
#         VM_MEM    guest memory (default 2G), VM_SMP guest CPUs (default nproc)
#   Pass environment to CMD with env(1): ci/vm-run.sh -- env FOO=1 cmd ...
#
# Exit status = CMD's exit status; 124 on timeout or guest crash (console log shown).
# Console (kernel + CMD's stdout/stderr) goes to stdout and to $VM_CACHE/runs/<id>/console.log.
set -euo pipefail
TIMEOUT=600
QUIET=0
while [ $# -gt 0 ]; do
	case "$1" in
	-t) TIMEOUT=$2; shift 2 ;;
	-q) QUIET=1; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-t SECS] [-q] -- CMD..." >&2; exit 2; }
C=${VM_CACHE:-/var/tmp/ebpfctl-vm}
mkdir -p "$C"
C=$(cd "$C" && pwd)
log() { echo "vm-run: $*" >&2; }

# 1. tools on the host, installed only when missing: qemu, a static busybox for the
# initramfs, kmod (depmod/modprobe here, and the guest's module autoload: the guest root is
# the host's /), xz-utils for the kernel payload.
missing=()
for p in qemu-system-x86 busybox-static kmod xz-utils; do
	dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q 'install ok installed' || missing+=($p)
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
fi
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# 2. kernel: the Debian package downloaded and unpacked (never installed), depmod'ed, its xz
# payload decompressed to an ELF vmlinux with the PVH note, which qemu boots directly (~0.5 s
# instead of ~4 s through the BIOS).  Cached; a lock serialises concurrent first runs.
KPKG=${VM_KPKG:-$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-/{print $2; exit}')}
if [ -z "$KPKG" ]; then # no apt lists yet
	apt-get update -qq >&2
	KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
fi
KV=${KPKG#linux-image-}
K=$C/$KPKG
exec 9>"$C/.lock"
flock 9
if [ ! -f "$K/vmlinux" ]; then
	log "unpacking $KPKG into $K"
	rm -rf "$K" && mkdir -p "$K"
	(cd "$K" && { apt-get download "$KPKG" >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get download "$KPKG"; }; } &&
		dpkg -x ./*.deb . && rm -f ./*.deb) >&2
	depmod -b "$K" "$KV"
	Z=$K/boot/vmlinuz-$KV # a bzImage with an xz payload (CONFIG_KERNEL_XZ=y)
	for pos in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$Z" | cut -d: -f1); do
		tail -c+$((pos + 1)) "$Z" | xz -dc >"$K/vmlinux.tmp" 2>/dev/null || true
		is_elf "$K/vmlinux.tmp" && break
	done
	is_elf "$K/vmlinux.tmp" || { log "no ELF payload in $Z"; exit 2; }
	mv "$K/vmlinux.tmp" "$K/vmlinux"
	rm -f "$K/initramfs.cpio.gz"
fi

# 3. initramfs: static busybox + the virtio-pci, virtio-rng, 9p and overlay modules (all =m in
# Debian's config); it mounts the host root over 9p under a tmpfs overlay and switch_roots.
if [ ! -f "$K/initramfs.cpio.gz" ]; then
	I=$K/initramfs
	rm -rf "$I"
	mkdir -p "$I"/{bin,dev,proc,sys,newroot,lower,rw,mods}
	cp /bin/busybox "$I/bin/"
	for m in virtio_pci virtio-rng 9pnet_virtio 9p overlay; do
		modprobe -d "$K" -S "$KV" --show-depends $m
	done | awk '!s[$2]++{print $2}' >"$K/order"
	while read -r f; do cp "$f" "$I/mods/"; done <"$K/order"
	sed 's|.*/||' "$K/order" >"$I/mods/order"
	rm "$K/order"
	cat >"$I/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin; export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod /mods/$m || echo "initramfs: insmod $m failed"; done < /mods/order
INIT=/sbin/init; for a in $(cat /proc/cmdline); do case "$a" in init=*) INIT="${a#init=}";; esac; done
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose /dev/root /lower || exec sh
mount -t tmpfs -o mode=755 tmpfs /rw; mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || exec sh
for d in dev sys proc; do mount --move /$d /newroot/$d; done
exec switch_root /newroot "$INIT"
EOF
	chmod +x "$I/init"
	(cd "$I" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$K/initramfs.tmp"
	mv "$K/initramfs.tmp" "$K/initramfs.cpio.gz"
	rm -rf "$I"
fi
flock -u 9

# 4. this run's directory, shared read-write with the guest: guest PID 1, the command, its
# exit status and the console log.  One directory per run, so runs may overlap.
mkdir -p "$C/runs"
R=$(mktemp -d "$C/runs/run.XXXXXX")
trap 'cp -f "$R/console.log" "$C/last-console.log" 2>/dev/null; rm -rf "$R"' EXIT
cat >"$R/init.sh" <<EOF
#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf; mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug; mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out '$R'
mkdir -p /usr/lib/modules/$KV && mount --bind '$K/lib/modules/$KV' /usr/lib/modules/$KV
ulimit -l unlimited; ip link set lo up 2>/dev/null
# Keep the syscall tracepoints on for the whole run (an ftrace event whose filter never
# matches): otherwise every test that attaches to or detaches from sys_enter/sys_exit flips
# their static keys, and live-patching syscall_trace_enter while the other vCPU runs it
# occasionally livelocks TCG (both vCPUs looping on the int3 of text_poke_bp: a soft
# lockup, seen about once per suite run with Debian 6.1.192).
for e in sys_enter sys_exit; do
	d=/sys/kernel/tracing/events/raw_syscalls/\$e
	echo 'common_pid == 0' > \$d/filter && echo 1 > \$d/enable
done
echo "vm-run: guest ready (\$(uname -r)), uptime \$(cut -d' ' -f1 /proc/uptime)s"
/bin/bash '$R/cmd.sh' </dev/null; rc=\$?
echo \$rc > '$R/rc'; echo "vm-run: exit \$rc, uptime \$(cut -d' ' -f1 /proc/uptime)s"
# the out share is uncached (writes are through); this script lives on it, so power off
# from a shell that no longer reads it
sync; exec /bin/sh -c 'echo o > /proc/sysrq-trigger; while :; do :; done'
EOF
chmod +x "$R/init.sh"
{
	printf 'cd %q || exit 125\nexec' "$PWD"
	printf ' %q' "$@"
	echo
} >"$R/cmd.sh"

# 5. boot.  TCG: /dev/kvm here is kvm_pvm, which cannot run a stock kernel.
t0=$(date +%s)
set +e
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m "${VM_MEM:-2G}" \
	-smp "${VM_SMP:-$(nproc)}" -nographic -no-reboot -nodefaults -display none -serial stdio \
	-kernel "$K/vmlinux" -initrd "$K/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet softlockup_panic=1 panic=-1${VM_APPEND:+ $VM_APPEND} root=/dev/root init=$R/init.sh" \
	-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev local,id=out,path="$R",security_model=none \
	-device virtio-9p-pci,fsdev=out,mount_tag=out \
	-device virtio-rng-pci </dev/null 2>&1 |
	if [ "$QUIET" = 1 ]; then sed -u 's/\r//g' >"$R/console.log"; else sed -u 's/\r//g' | tee "$R/console.log"; fi
qrc=${PIPESTATUS[0]}
set -e
if [ -f "$R/rc" ]; then
	rc=$(cat "$R/rc")
	log "guest exit status $rc after $(($(date +%s) - t0))s"
	exit "$rc"
fi
if [ "$qrc" = 124 ]; then
	log "timeout: no exit status from the guest within ${TIMEOUT}s"
else
	log "guest ended without an exit status (qemu status $qrc: crash or panic)"
fi
if [ "$QUIET" = 1 ]; then
	echo "---- guest console ----" >&2
	cat "$R/console.log" >&2
	echo "---- end of guest console ----" >&2
fi
exit 124
