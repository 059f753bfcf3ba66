#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# distro-config.sh [-O OBJDIR]: turn a distribution's .config into one with
# core domains, run from the top of a kernel tree that has the series.
#
# This is the README's recipe for out-of-tree users.  SCHED_CORE_DOMAIN
# depends on !SCHED_CLASS_EXT, and SCHED_CORE depends on !SCHED_CORE_DOMAIN:
# a configuration that sets SCHED_CORE=y or SCHED_CLASS_EXT=y would make
# 'make olddefconfig' drop the option without a word, so both are switched
# off first and the result is checked.  Debian's certificate paths, which
# only exist in Debian's own build tree, are emptied when absent.
set -euo pipefail

obj=.
if [ "${1:-}" = -O ]; then obj=$2; shift 2; fi
cfg=$obj/.config
die() { printf 'distro-config: %s\n' "$*" >&2; exit 1; }

[ -x scripts/config ] || die "run me from the top of a kernel tree"
[ -f "$cfg" ] || die "no $cfg: copy the distribution's config there first"
grep -q '^config SCHED_CORE_DOMAIN$' kernel/Kconfig.preempt ||
	die "this tree does not have the coredomain series"

scripts/config --file "$cfg" -d SCHED_CORE -d SCHED_CLASS_EXT -e SCHED_CORE_DOMAIN
for k in SYSTEM_TRUSTED_KEYS SYSTEM_REVOCATION_KEYS; do
	v=$(sed -n "s/^CONFIG_$k=\"\(.*\)\"$/\1/p" "$cfg")
	[ -z "$v" ] || [ -e "$v" ] || scripts/config --file "$cfg" --set-str "$k" ""
done
make -s O="$obj" olddefconfig

# What olddefconfig may have dropped, named rather than guessed at.
grep -qx 'CONFIG_SCHED_CORE_DOMAIN=y' "$cfg" && exit 0
why=""
grep -qx 'CONFIG_SCHED_SMT=y' "$cfg" || why="$why SCHED_SMT is off;"
grep -qx 'CONFIG_SCHED_CLASS_EXT=y' "$cfg" && why="$why SCHED_CLASS_EXT is on;"
grep -qx 'CONFIG_SCHED_CORE=y' "$cfg" && why="$why SCHED_CORE is on;"
die "CONFIG_SCHED_CORE_DOMAIN did not survive olddefconfig:${why:- see kernel/Kconfig.preempt}"
