#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Upstream's tools/testing/selftests/sched/cs_prctl_test, built unmodified
# from the base tree (harness/initramfs.sh), run on this kernel's
# PR_SCHED_CORE and reported as TAP: one test per "(line) PASSED/FAILED"
# line it prints, and one for its exit status (0: "SUCCESS !!!").
bin=/coredomain/upstream/cs_prctl_test
out=$(cd /tmp && "$bin" "$@" 2>&1)
rc=$?
checks=$(printf '%s\n' "$out" | grep -E '^\([0-9]+\) (PASSED|FAILED): ')
n=$(printf '%s\n' "$checks" | grep -c .)
echo "TAP version 13"
echo "1..$((n + 1))"
# Its whole output first, as diagnostics.
printf '%s\n' "$out" | sed 's/^/# /'
i=0
printf '%s\n' "$checks" | while IFS= read -r l; do
	[ -n "$l" ] || continue
	i=$((i + 1))
	line=${l%%)*}
	line=${line#(}
	what=${l#*: }
	case $l in
	*") PASSED: "*) echo "ok $i cs_prctl_test.c:$line $what" ;;
	*) echo "not ok $i cs_prctl_test.c:$line $what" ;;
	esac
done
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -q '^SUCCESS !!!'; then
	echo "ok $((n + 1)) cs_prctl_test exits 0"
else
	echo "not ok $((n + 1)) cs_prctl_test exits 0 # exit status $rc"
	rc=1
fi
exit $rc
