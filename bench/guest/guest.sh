#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of 'make bench': run the plan /bench/plans/$cdb.plan with
# the domain mode $cdb.mode (none, coredomain, upstream), both from the
# kernel command line.  A plan line is "TAG cdbench-arguments":
#   main    the kernel's mode (domains made the kernel's way)
#   none    no domains, on every kernel
#   unused  no domains, only on kernels with a feature (cdb.feat=1):
#           the feature compiled in but unused
#   onedom  only with a feature: one domain for everything the run starts
# "unused" lines come first in a plan: upstream's core scheduling stays
# enabled while a cookie exists, coredomain's static key once a domain has.
# cdb.nofast=1 turns off the kernel level's VM-exit fast path (debugfs
# core_domain/kernel_fastpath) before the first step.
# Output: cdbench's @@B result lines, "@@P i/n ..." before each step (the
# host's progress line), "@@F ..." for a step that failed.
mode=none plan= feat=0 nofast=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	cdb.mode=*) mode=${arg#cdb.mode=} ;;
	cdb.plan=*) plan=${arg#cdb.plan=} ;;
	cdb.feat=*) feat=${arg#cdb.feat=} ;;
	cdb.nofast=*) nofast=${arg#cdb.nofast=} ;;
	esac
done
B=/bench/cdbench
P=/bench/plans/$plan
[ -f "$P" ] || { echo "no plan '$plan'"; exit 2; }
if [ "$nofast" = 1 ]; then
	D=/sys/kernel/debug/core_domain
	echo 0 >$D/kernel_fastpath && [ "$(cat $D/kernel_fastpath)" = N ] ||
		{ echo "@@F cannot turn off $D/kernel_fastpath"; exit 2; }
fi
$B --mode "$mode" info </dev/null
sleep 1		# let boot-time work settle

runs() {	# does a line with this tag run here?
	case $1 in
	main|none) return 0 ;;
	unused|onedom) [ "$feat" = 1 ] ;;
	*) return 1 ;;
	esac
}
n=0
while read -r t args; do
	case $t in ''|'#'*) continue ;; esac
	runs "$t" && n=$((n + 1))
done <"$P"

i=0 rc=0 traced=0
while read -r t args; do
	case $t in ''|'#'*) continue ;; esac
	runs "$t" || continue
	i=$((i + 1))
	# pack leaves the sched_switch event on for the next pack step
	case $args in
	pack*) traced=1 ;;
	*) [ $traced = 1 ] && $B trace-off </dev/null; traced=0 ;;
	esac
	case $t in
	main)        opts="--mode $mode" ;;
	none|unused) opts="--mode none" ;;
	onedom)      opts="--mode $mode --onedom" ;;
	esac
	echo "@@P $i/$n $t $args"
	# shellcheck disable=SC2086
	$B $opts --tag "$t" $args </dev/null
	st=$?
	[ $st = 0 ] || { echo "@@F $t $args rc=$st"; rc=1; }
done <"$P"
exit $rc
