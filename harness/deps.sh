#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs from Debian's archive, once (debootstrap:
# for 'make fresh-root', harness/freshroot.sh; linux-config-6.12 and
# dwarves: for 'make buildcheck', Debian's configs and the pahole without
# which Kconfig drops DEBUG_INFO_BTF and with it SCHED_CLASS_EXT).
. "$(dirname "$0")/lib.sh"

pkgs="linux-source-6.12 qemu-system-x86 busybox-static gcc make flex bison bc
      libelf-dev libssl-dev cpio xz-utils git perl python3 libc6-dev file
      python3-ply python3-git spin stress-ng rsync debootstrap
      linux-config-6.12 dwarves"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
msg "installing from apt:$missing"
[ "$(id -u)" = 0 ] || die "need root to apt-get install:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
