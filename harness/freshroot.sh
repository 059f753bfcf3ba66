#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# freshroot.sh ('make fresh-root'): prove that a fresh Debian 12 needs
# nothing by hand.  Bootstraps a minimal Debian 12 root (debootstrap
# --variant=minbase, from the archive this machine's apt uses), puts a
# clean clone of this repository's HEAD in it, and runs there, as root in
# a chroot, what the README tells a new user to run: harness/deps.sh,
# then 'make run' (assemble, build, boot the demo).  A command the harness
# calls that no package of deps.sh brings fails that run.
#
# Environment:
#   FRESH_WITHOUT="pkg ..."  drop these packages from the clone's deps.sh
#                            first: the check must then fail (the proof
#                            that it can, e.g. FRESH_WITHOUT=rsync)
#   FRESH_CMD                what to run in the root after deps.sh
#                            ('make run')
#   FRESH_KEEP=1             leave the root in build/fresh-root
# The pristine minbase root is cached as build/fresh-root-minbase.tar
# (only debootstrap's own packages: nothing of ours is in it).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "fresh-root needs root (debootstrap, chroot, mounts)"
root=$BUILD/fresh-root
tarball=$BUILD/fresh-root-minbase.tar
cmd=${FRESH_CMD:-make run}
start=$(date +%s)

"$TOP/harness/deps.sh"	# debootstrap among the rest

# The archive this machine's apt uses, for debootstrap and the root alike.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || die "no Debian archive in this machine's apt sources"

mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount -R -l "${mounts[i]}" 2>/dev/null || true
	done
	if [ "${FRESH_KEEP:-0}" != 1 ]; then
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT

# Never reuse a root: every check starts from debootstrap's.
if mountpoint -q "$root/proc" 2>/dev/null; then
	die "$root is still in use (a fresh-root run in progress?)"
fi
rm -rf --one-file-system "$root"
mkdir -p "$root"
if [ ! -f "$tarball" ]; then
	msg "debootstrap --variant=minbase bookworm (once; cached as $tarball)"
	debootstrap --variant=minbase --make-tarball="$tarball.tmp" bookworm \
		"$BUILD/fresh-root-dl" "$mirror" >"$BUILD/fresh-root-debootstrap.log" 2>&1 ||
		{ tail -n 20 "$BUILD/fresh-root-debootstrap.log" >&2; die "debootstrap --make-tarball failed"; }
	rm -rf "$BUILD/fresh-root-dl"
	mv "$tarball.tmp" "$tarball"
fi
msg "bootstrapping a minimal Debian 12 root in $root"
debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$root" "$mirror" \
	>"$BUILD/fresh-root-debootstrap.log" 2>&1 ||
	{ tail -n 20 "$BUILD/fresh-root-debootstrap.log" >&2; die "debootstrap failed"; }

# apt as this machine has it (the same archive and suites), a resolver.
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The repository as a new user gets it: a clone of HEAD, nothing else.
git clone -q --no-hardlinks "$TOP" "$root/work/coredomain"
git -C "$root/work/coredomain" log -1 --format='==> fresh root: clone of %h %s'
for p in ${FRESH_WITHOUT:-}; do
	sed -i -E "s/(^|[ \"])$p([ \"]|\$)/\\1\\2/" "$root/work/coredomain/harness/deps.sh"
	! grep -qw -- "$p" "$root/work/coredomain/harness/deps.sh" ||
		die "could not drop $p from deps.sh"
	msg "dropped $p from the clone's harness/deps.sh"
done

# /dev with what is mounted under it, as a slave: nothing mounted or
# unmounted in the root propagates back to this machine's /dev.
for m in proc sys dev; do
	mkdir -p "$root/$m"
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys)  mount -t sysfs sysfs "$root/sys" ;;
	dev)  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" ;;
	esac
	mounts+=("$root/$m")
done
mount -t tmpfs tmpfs "$root/tmp"
mounts+=("$root/tmp")

msg "in the fresh root: harness/deps.sh && $cmd"
set +e
env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	TERM=dumb LANG=C.UTF-8 chroot "$root" /bin/bash -c \
	"cd /work/coredomain && harness/deps.sh && $cmd" \
	>"$BUILD/fresh-root.log" 2>&1
rc=$?
set -e
tail -n 25 "$BUILD/fresh-root.log" | sed 's/^/    /'
took=$(($(date +%s) - start))
if [ $rc != 0 ]; then
	msg "FAIL: '$cmd' in a fresh Debian 12 root exited $rc after $took s (log: $BUILD/fresh-root.log)"
	exit 1
fi
msg "ok: deps.sh and '$cmd' work in a fresh Debian 12 root ($took s)"
