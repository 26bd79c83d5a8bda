#!/bin/bash
# Build a container image of ebpfctl as an OCI archive, from Debian packages and
# with no image registry (these machines reach none):
#
#   deploy/image/build.sh runtime build/ebpfctl-image.tar           # make image
#   deploy/image/build.sh builder build/ebpfctl-builder-image.tar   # make builder-image
#
# 1. Base layer: mmdebstrap (variant apt, merged /usr, no docs/man/locales)
#    from this machine's own apt sources (the entries of its Debian suite), with
#    the packages owning the shared libraries build/ebpfctl links plus those in
#    deploy/image/<flavour>.packages. It is cached as the only layer of an OCI
#    layout in build/image/cache/<flavour>-<key>/, key = a hash of everything
#    that goes into it (suite, options, package list, apt sources), so only a
#    changed package list or source rebuilds it (~30 s cold; seconds warm).
# 2. Second layer: this tree's files: /usr/bin/ebpfctl, the built examples and
#    their sources and READMEs in /usr/share/ebpfctl/examples, include/*.h in
#    /usr/include/ebpfctl (where `ebpfctl build` finds solo_types.h).
# 3. umoci writes the config (entrypoint, cmd, env, labels, port, working dir)
#    and the layout is tarred as an oci-archive with one image, named
#    $IMAGE_REF (`podman load` makes it localhost/$IMAGE_REF).
#
# Environment: B (build dir), IMAGE_REF, IMAGE_SOURCE (the
# org.opencontainers.image.source label), IMAGE_APT_SOURCES (apt source files
# to use instead of the filtered /etc/apt ones), SOURCE_DATE_EPOCH (timestamps;
# with it two builds of the same inputs give the same archive).
set -euo pipefail

usage="usage: deploy/image/build.sh runtime|builder OUTPUT.tar"
flavour=${1:?$usage}
out=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
B=${B:-$root/build}
case "$B" in /*) ;; *) B=$root/$B ;; esac
case "$out" in /*) ;; *) out=$PWD/$out ;; esac

die() {
	echo "error: image: $1" >&2
	[ -z "${2:-}" ] || echo "hint: $2" >&2
	exit 1
}

case "$flavour" in
runtime)
	IMAGE_REF=${IMAGE_REF:-ebpfctl:latest}
	title=ebpfctl
	description="ebpfctl: run eBPF probes with zero user-space code; print maps as JSON lines on stdout, serve counter/gauge/hist maps as Prometheus metrics on :9091"
	workdir=/work
	;;
builder)
	IMAGE_REF=${IMAGE_REF:-ebpfctl-builder:latest}
	title="ebpfctl-builder"
	description="ebpfctl-builder: compile eBPF probes with 'ebpfctl build' (clang, llvm, libbpf-dev, bpftool, ebpfctl)"
	workdir=/src
	;;
*) die "unknown flavour '$flavour'" "$usage" ;;
esac

for t in mmdebstrap umoci tar readelf ldd dpkg-query sha256sum flock; do
	command -v "$t" >/dev/null || die "$t: not found on PATH" \
		"bash ci/install-deps.sh (Debian packages mmdebstrap, umoci, binutils)"
done
ebpfctl=$B/ebpfctl
[ -x "$ebpfctl" ] || die "$ebpfctl: not built" "make"
# the version label is what the binary in the image says (`ebpfctl version`)
VERSION=$("$ebpfctl" version 2>/dev/null | sed -n '1s/^ebpfctl //p')
[ -n "$VERSION" ] || die "$ebpfctl version: no version line"
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
IMAGE_SOURCE=${IMAGE_SOURCE:-$(git -C "$root" config --get remote.origin.url 2>/dev/null || true)}
IMAGE_SOURCE=${IMAGE_SOURCE:-file://$root}
epoch=${SOURCE_DATE_EPOCH:-$(date +%s)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

mkdir -p "$B/image/cache"
# one image build at a time per build dir (several people share a tree)
exec 9>"$B/image/.lock"
flock -w 1800 9 || die "another image build holds $B/image/.lock"

# --- the package list -------------------------------------------------------
# The Debian package owning a file; ldd gives /lib/... paths that dpkg records
# under /usr/lib (merged /usr), or the other way round.
dpkg_owner() {
	local c o
	for c in "$1" "$(realpath -e "$1" 2>/dev/null || true)" "/usr$1" "${1#/usr}"; do
		[ -n "$c" ] || continue
		o=$(dpkg-query -S "$c" 2>/dev/null | head -n1) || continue
		[ -n "$o" ] || continue
		o=${o%%: *}
		echo "${o%%:*}"
		return 0
	done
	return 1
}

pkgs=()
mapfile -t needed < <(readelf -d "$ebpfctl" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p')
[ ${#needed[@]} -gt 0 ] || die "$ebpfctl: no NEEDED entries (a static binary?)"
ldd_out=$(ldd "$ebpfctl")
for lib in "${needed[@]}"; do
	path=$(awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 }' <<<"$ldd_out")
	if [ -z "$path" ] || [ "$path" = "not" ]; then
		die "$ebpfctl needs $lib, which ldd does not find"
	fi
	p=$(dpkg_owner "$path") || die "no Debian package owns $path (needed: $lib)"
	pkgs+=("$p")
done
while read -r p; do
	pkgs+=("$p")
done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/$flavour.packages" | grep -v '^$')
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)

# --- apt sources: this machine's, its Debian suite only ---------------------
# Third-party entries (another suite, or keys only the host has) are left out.
# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "/etc/os-release has no VERSION_CODENAME" "this script builds from a Debian host"
srcdir=$B/image/apt
rm -rf "$srcdir" && mkdir -p "$srcdir"
mirrors=()
if [ -n "${IMAGE_APT_SOURCES:-}" ]; then
	for f in $IMAGE_APT_SOURCES; do
		[ -f "$f" ] || die "IMAGE_APT_SOURCES: $f: no such file"
		mirrors+=("$f")
	done
else
	shopt -s nullglob
	deb822=(/etc/apt/sources.list.d/*.sources)
	oneline=(/etc/apt/sources.list.d/*.list)
	[ -f /etc/apt/sources.list ] && oneline=(/etc/apt/sources.list "${oneline[@]}")
	shopt -u nullglob
	if [ ${#deb822[@]} -gt 0 ]; then
		awk -v c="$codename" 'BEGIN { RS = ""; ORS = "\n\n" } {
			n = split($0, L, "\n"); ok = 0; on = 1; deb = 0
			for (i = 1; i <= n; i++) {
				if (L[i] ~ /^[Ss]uites:/) {
					s = L[i]; sub(/^[^:]*:/, "", s); m = split(s, S, " ")
					for (j = 1; j <= m; j++) if (S[j] == c || index(S[j], c "-") == 1) ok = 1
				}
				if (L[i] ~ /^[Tt]ypes:.*(^|[ \t:])deb([ \t]|$)/) deb = 1
				if (L[i] ~ /^[Ee]nabled:[ \t]*([Nn]o|false)/) on = 0
			}
			if (ok && on && deb) print
		}' "${deb822[@]}" >"$srcdir/debian.sources"
		[ -s "$srcdir/debian.sources" ] && mirrors+=("$srcdir/debian.sources")
	fi
	if [ ${#oneline[@]} -gt 0 ]; then
		awk -v c="$codename" '/^[ \t]*deb[ \t]/ {
			l = $0; gsub(/\[[^]]*\]/, "", l); split(l, F, " ")
			if (F[3] == c || index(F[3], c "-") == 1) print
		}' "${oneline[@]}" >"$srcdir/debian.list"
		[ -s "$srcdir/debian.list" ] && mirrors+=("$srcdir/debian.list")
	fi
fi
[ ${#mirrors[@]} -gt 0 ] || die "no apt source for '$codename' in /etc/apt" \
	"set IMAGE_APT_SOURCES to an apt sources file (deb822 .sources or one-line .list)"

# --- the base layer (cached) --------------------------------------------------
# (hooks are run by mmdebstrap with the root directory as $1: single quotes)
# shellcheck disable=SC2016
mm_opts=(
	--variant=apt
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-include=/usr/share/locale/locale.alias'
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
	--aptopt='Acquire::Languages "none"'
	# mmdebstrap copies the host's resolv.conf and hostname: the runtime gives them
	--customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"'
	--customize-hook='rm -rf "$1"/var/log/apt/* "$1/var/log/dpkg.log" "$1/var/log/alternatives.log" "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old'
)
# merged /usr without the usrmerge package (which would pull in perl)
hooks=/usr/share/mmdebstrap/hooks/merged-usr
[ -d "$hooks" ] && mm_opts+=(--hook-dir="$hooks")

key=$( {
	echo "format 1 $flavour $codename $(uname -m)"
	printf '%s\n' "${mm_opts[@]}" "${pkgs[@]}"
	cat "${mirrors[@]}"
} | sha256sum | cut -c1-16)
cache=$B/image/cache/$flavour-$key

if [ -f "$cache/done" ]; then
	echo "image: $flavour base $key cached (${#pkgs[@]} packages: ${pkgs[*]})"
else
	echo "image: $flavour base $key: mmdebstrap $codename with ${pkgs[*]}"
	tmp=$(mktemp -d "$B/image/cache/.tmp-$flavour.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	incl=$(IFS=,; echo "${pkgs[*]}")
	mmdebstrap --quiet "${mm_opts[@]}" --include="$incl" \
		--customize-hook="dpkg-query --admindir=\"\$1/var/lib/dpkg\" -W -f='\${Package} \${Version}\n' >\"$tmp/packages.txt\"" \
		"$codename" "$tmp/base.tar" "${mirrors[@]}" >"$tmp/mmdebstrap.log" 2>&1 || {
		tail -n 30 "$tmp/mmdebstrap.log" >&2
		die "mmdebstrap failed (log above)" "are the apt sources reachable? (apt-get update)"
	}
	# no device nodes in a layer: the container runtime provides /dev
	if tar -tf "$tmp/base.tar" | grep -q '^\./dev/.'; then
		tar --delete --wildcards -f "$tmp/base.tar" './dev/?*'
	fi
	umoci init --layout "$tmp/layout"
	umoci new --image "$tmp/layout:base"
	umoci raw add-layer --image "$tmp/layout:base" --history.created="$created" \
		--history.created_by="mmdebstrap --variant=apt $codename --include=$incl" "$tmp/base.tar"
	rm -f "$tmp/base.tar"
	touch "$tmp/done"
	rm -rf "$B/image/cache/$flavour"-*
	mv "$tmp" "$cache"
	trap - EXIT
fi
cp "$cache/packages.txt" "$B/image/$flavour.packages.txt"

# --- the ebpfctl layer --------------------------------------------------------
work=$B/image/$flavour
rm -rf "$work"
s=$work/stage
install -d -m 755 "$s/usr/bin" "$s/usr/share/ebpfctl/examples" "$s/usr/include/ebpfctl" "$s$workdir"
install -m 755 "$ebpfctl" "$s/usr/bin/ebpfctl"
install -m 644 "$root"/include/*.h "$s/usr/include/ebpfctl/"
n=0
for o in "$B"/examples/*.bpf.o; do
	[ -e "$o" ] || continue
	name=$(basename "$o" .bpf.o)
	src=$root/examples/$name
	[ -f "$src/$name.bpf.c" ] || continue        # a stale object of a removed example
	install -m 644 "$o" "$s/usr/share/ebpfctl/examples/$name.bpf.o"
	install -d -m 755 "$s/usr/share/ebpfctl/examples/$name"
	install -m 644 "$src/$name.bpf.c" "$s/usr/share/ebpfctl/examples/$name/"
	[ -f "$src/README.md" ] && install -m 644 "$src/README.md" "$s/usr/share/ebpfctl/examples/$name/"
	n=$((n + 1))
done
[ $n -gt 0 ] || die "no built examples in $B/examples" "make"
top=(usr "${workdir#/}")
env=(--config.env="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
if [ "$flavour" = builder ]; then
	# `ebpfctl build` caches vmlinux.h under $XDG_CACHE_HOME: mount a volume here to keep it
	install -d -m 1777 "$s/cache"
	top+=(cache)
	env+=(--config.env=XDG_CACHE_HOME=/cache)
fi
tar --create --file "$work/files.tar" --directory "$s" --sort=name --format=gnu \
	--owner=0 --group=0 --numeric-owner --mtime="@$epoch" "${top[@]}"

# The cache's blobs are immutable (umoci writes new ones and renames): hard links
# are safe; index.json is rewritten, so it is copied.
L=$work/layout
mkdir -p "$L"
cp "$cache/layout/oci-layout" "$cache/layout/index.json" "$L/"
cp -al "$cache/layout/blobs" "$L/blobs"
umoci raw add-layer --image "$L:base" --tag "$IMAGE_REF" --history.created="$created" \
	--history.created_by="ebpfctl $VERSION: /usr/bin/ebpfctl, $n examples in /usr/share/ebpfctl/examples, /usr/include/ebpfctl" \
	"$work/files.tar"
umoci config --image "$L:$IMAGE_REF" --created="$created" --history.created="$created" \
	--history.created_by="entrypoint ebpfctl, port 9091" \
	--config.entrypoint=/usr/bin/ebpfctl --config.cmd=--help \
	"${env[@]}" --config.workingdir="$workdir" \
	--config.exposedports=9091/tcp --config.stopsignal=SIGTERM \
	--config.label=org.opencontainers.image.title="$title" \
	--config.label=org.opencontainers.image.version="$VERSION" \
	--config.label=org.opencontainers.image.revision="$revision" \
	--config.label=org.opencontainers.image.source="$IMAGE_SOURCE" \
	--config.label=org.opencontainers.image.description="$description" \
	--config.label=org.opencontainers.image.created="$created"
umoci rm --image "$L:base"
umoci gc --layout "$L"
chmod 644 "$L/oci-layout" "$L/index.json"
rm -rf "$s" "$work/files.tar"

mkdir -p "$(dirname "$out")"
tar --create --file "$out.tmp" --directory "$L" --sort=name --format=gnu \
	--owner=0 --group=0 --numeric-owner --mode=a+r --mtime="@$epoch" oci-layout index.json blobs
mv -f "$out.tmp" "$out"
rm -rf "$work"
echo "image: wrote ${out#"$root"/} ($(du -m "$out" | cut -f1) MB, $IMAGE_REF, $VERSION): podman load -i ${out#"$root"/}"
