#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# buildcheck.sh [distro] [bisect]: the builds a distribution and a bisecting
# kernel developer make, beyond the harness's own tinyconfig kernels.
#
# distro: Debian's amd64 configuration (linux-config-6.12) turned into a
#   core-domain one by harness/distro-config.sh, the README's recipe.  First
#   the recipe itself: on Debian's config, and on one that sets SCHED_CORE=y
#   and SCHED_CLASS_EXT=y, it must keep the option; the option set without
#   the recipe must be reported dropped.  Then kernel/ and arch/x86/kvm/
#   (built-in and modules) with the option on and off, and with
#   BUILDCHECK_FULL=1 all of vmlinux and the modules.  Debug info is off (it
#   changes no code, only build time).  Any compiler warning fails.
# bisect: every prefix of the series, base first, builds vmlinux with the
#   default test configuration (tinyconfig + base test coredomain), one tree
#   checked out commit by commit so that each step rebuilds what changed.  A
#   warning the base does not have fails.
#
# Logs and times: out/buildcheck/.  Not part of 'make test' (it takes longer
# than the rest of CI); 'make buildcheck' runs both.
. "$(dirname "$0")/lib.sh"

what=${*:-distro bisect}
BOUT=$OUT/buildcheck
mkdir -p "$BOUT"
[ -d "$SRC/.git" ] || "$TOP/harness/assemble.sh"
"$TOP/harness/deps.sh"
# deps.sh installs Debian's configs (linux-config-6.12) and pahole.
[ -d /usr/src/linux-config-6.12 ] && command -v pahole >/dev/null ||
	die "linux-config-6.12 or pahole (dwarves) missing: harness/deps.sh installs them"
DEBCFG=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
fails=0
summary=$BOUT/summary.txt
: >"$summary"
note() { msg "$*"; echo "$*" >>"$summary"; }
bad()  { note "FAIL: $*"; fails=$((fails + 1)); }

# warnings LOG: the compiler's and the linker's warnings in a build log.
warnings() { grep -E '(warning|WARNING):' "$1" | grep -v '^make' | sort -u || true; }

# kmake OBJ LOG TARGET...: one build; 1 when it fails or warns.
kmake() {
	local obj=$1 log=$2 t0 rc=0
	shift 2
	t0=$(date +%s)
	nice make -C "$SRC" O="$obj" LOCALVERSION= -j"$JOBS" "$@" >"$log" 2>&1 || rc=1
	echo "$(($(date +%s) - t0))" >"$log.seconds"
	[ "$rc" = 0 ] || { grep -E 'error|Error' "$log" | head -20 >&2; return 1; }
	[ -z "$(warnings "$log")" ] || { warnings "$log" | head -20 >&2; return 1; }
}

distro() {
	local obj=$BUILD/obj-distro t0 targets="kernel/ arch/x86/kvm/"
	t0=$(date +%s)
	mkdir -p "$obj"

	# The recipe on Debian's config, and on a hostile one.
	xzcat "$DEBCFG" >"$obj/.config"
	(cd "$SRC" && "$TOP/harness/distro-config.sh" -O "$obj") ||
		bad "recipe: Debian's config lost CONFIG_SCHED_CORE_DOMAIN"
	local hostile=$BUILD/obj-distro-hostile
	mkdir -p "$hostile"
	xzcat "$DEBCFG" >"$hostile/.config"
	"$SRC/scripts/config" --file "$hostile/.config" -e SCHED_CORE -e SCHED_CLASS_EXT
	make -s -C "$SRC" O="$hostile" olddefconfig
	if ! grep -qx 'CONFIG_SCHED_CLASS_EXT=y' "$hostile/.config" ||
	   ! grep -qx 'CONFIG_SCHED_CORE=y' "$hostile/.config"; then
		bad "recipe: could not make a config with SCHED_CORE=y and SCHED_CLASS_EXT=y"
	fi
	cp "$hostile/.config" "$hostile/hostile.config"
	"$SRC/scripts/config" --file "$hostile/.config" -e SCHED_CORE_DOMAIN
	make -s -C "$SRC" O="$hostile" olddefconfig
	if grep -qx 'CONFIG_SCHED_CORE_DOMAIN=y' "$hostile/.config"; then
		bad "recipe: without the recipe, SCHED_CORE_DOMAIN survived a config with SCHED_CORE/SCHED_CLASS_EXT (the check below proves nothing)"
	fi
	cp "$hostile/hostile.config" "$hostile/.config"
	if (cd "$SRC" && "$TOP/harness/distro-config.sh" -O "$hostile") &&
	   ! grep -qx 'CONFIG_SCHED_CORE=y' "$hostile/.config" &&
	   ! grep -qx 'CONFIG_SCHED_CLASS_EXT=y' "$hostile/.config"; then
		note "recipe: keeps CONFIG_SCHED_CORE_DOMAIN=y on Debian's config and on one with SCHED_CORE=y SCHED_CLASS_EXT=y"
	else
		bad "recipe: a config with SCHED_CORE=y SCHED_CLASS_EXT=y lost CONFIG_SCHED_CORE_DOMAIN"
	fi

	"$SRC/scripts/config" --file "$obj/.config" -d DEBUG_INFO -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
		-d DEBUG_INFO_DWARF4 -d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE
	make -s -C "$SRC" O="$obj" olddefconfig
	grep -qx 'CONFIG_SCHED_CORE_DOMAIN=y' "$obj/.config" || bad "distro: option lost"
	grep -qx 'CONFIG_SCHED_CORE_DOMAIN_KERNEL=y' "$obj/.config" ||
		bad "distro: CONFIG_SCHED_CORE_DOMAIN_KERNEL is not on by default"
	[ "${BUILDCHECK_FULL:-0}" = 1 ] && targets="vmlinux modules"
	# shellcheck disable=SC2086
	if kmake "$obj" "$BOUT/distro-on.log" $targets; then
		[ -f "$obj/kernel/sched/core_tag.o" ] || bad "distro-on: kernel/sched/core_tag.o was not built"
		note "distro, option on: $targets without warnings in $(cat "$BOUT/distro-on.log.seconds") s"
	else
		bad "distro, option on: $targets (see $BOUT/distro-on.log)"
	fi
	"$SRC/scripts/config" --file "$obj/.config" -d SCHED_CORE_DOMAIN
	make -s -C "$SRC" O="$obj" olddefconfig
	rm -f "$obj/kernel/sched/core_tag.o"
	# shellcheck disable=SC2086
	if kmake "$obj" "$BOUT/distro-off.log" $targets; then
		[ ! -f "$obj/kernel/sched/core_tag.o" ] || bad "distro-off: core_tag.o built with the option off"
		note "distro, option off: $targets without warnings in $(cat "$BOUT/distro-off.log.seconds") s (incremental)"
	else
		bad "distro, option off: $targets (see $BOUT/distro-off.log)"
	fi
	note "distro: $(($(date +%s) - t0)) s in all"
}

bisect() {
	local wt=$BUILD/bisect obj=$BUILD/obj-bisect t0 n=0 c subj base_warn cfgs=() f f0=$fails
	t0=$(date +%s)
	for f in base test coredomain; do cfgs+=("$TOP/config/$f.config"); done
	local commits
	commits=$(gitb rev-list --reverse base..HEAD)
	[ -n "$commits" ] || die "bisect: no commits between base and HEAD in $SRC"
	[ -d "$wt" ] || gitb worktree add -q -f --detach "$wt" base >/dev/null
	mkdir -p "$obj"
	for c in $(gitb rev-parse base) $commits; do
		git -C "$wt" checkout -q --detach "$c"
		subj=$(git -C "$wt" log -1 --format=%s)
		make -s -C "$wt" O="$obj" tinyconfig >/dev/null
		"$wt/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${cfgs[@]}" >/dev/null
		make -s -C "$wt" O="$obj" olddefconfig >/dev/null
		local log rc=0 t1
		log=$BOUT/bisect-$(printf %02d $n).log
		t1=$(date +%s)
		nice make -C "$wt" O="$obj" LOCALVERSION= -j"$JOBS" vmlinux >"$log" 2>&1 || rc=1
		if [ $n = 0 ]; then
			base_warn=$(warnings "$log")
			[ "$rc" = 0 ] || die "bisect: the base itself does not build (see $log)"
		fi
		if [ "$rc" != 0 ]; then
			bad "bisect $n ${c:0:12} $subj: build fails (see $log)"
		elif [ -n "$(comm -13 <(echo "$base_warn") <(warnings "$log"))" ]; then
			bad "bisect $n ${c:0:12} $subj: new warnings (see $log)"
			comm -13 <(echo "$base_warn") <(warnings "$log") | head -10 >&2
		else
			msg "bisect $n ${c:0:12} $subj: builds in $(($(date +%s) - t1)) s"
		fi
		[ $n = 0 ] || [ "$(grep -c '^CONFIG_SCHED_CORE_DOMAIN=y' "$obj/.config")" = 1 ] ||
			bad "bisect $n: CONFIG_SCHED_CORE_DOMAIN not set"
		n=$((n + 1))
	done
	if [ "$fails" = "$f0" ]; then
		note "bisect: base and all $((n - 1)) prefixes build vmlinux in $(($(date +%s) - t0)) s"
	else
		note "bisect: $((fails - f0)) of $((n - 1)) prefixes failed, $(($(date +%s) - t0)) s"
	fi
}

for w in $what; do
	case $w in
	distro) distro ;;
	bisect) bisect ;;
	*) die "unknown check '$w' (distro, bisect)" ;;
	esac
done
cat "$summary"
[ "$fails" = 0 ] || die "$fails build checks failed"
