#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest.sh VARIANT: the harness tests itself.  Each case boots the guest
# with a deliberate fault and checks that the harness fails, with the reason
# printed: a kernel WARN, a kernel BUG, a hung guest, a failing selftest,
# a selftest that leaves a process running.
# A case passes only when the fault was caught.
. "$(dirname "$0")/lib.sh"

variant=${1:-default}
dir=$OUT/test/harness
mkdir -p "$dir"
record() { python3 "$TOP/harness/report.py" record "$1" "harness/$2" "$3"; }

# fault NAME EXPECT_RC PATTERN CMD: boot with CMD; pass if boot.sh exits
# EXPECT_RC ('nonzero' for any failure) and PATTERN appears in its output.
fault() {
	local name=$1 want=$2 pattern=$3 rc
	CMD=$4 "$TOP/harness/initramfs.sh" "$variant" "$dir/$name.cpio" "${@:5}"
	set +e
	TIMEOUT=${FAULT_TIMEOUT:-120} "$TOP/harness/boot.sh" "$variant" "$dir/$name.cpio" vm \
		"$dir/$name" >"$dir/$name.out" 2>&1
	rc=$?
	set -e
	if [ "$want" = nonzero ] && [ $rc = 0 ]; then
		record FAIL "$name" "harness passed a guest with a deliberate fault"
	elif [ "$want" != nonzero ] && [ $rc != "$want" ]; then
		record FAIL "$name" "harness exited $rc, expected $want"
	elif ! grep -qE "$pattern" "$dir/$name.out"; then
		record FAIL "$name" "harness failed (status $rc) without naming the reason /$pattern/"
	else
		record PASS "$name" "caught: status $rc"
	fi
}

lkdtm=/sys/kernel/debug/provoke-crash/DIRECT
fault warn-fails 126 'console line [0-9]+: .*WARNING:' "echo WARNING >$lkdtm; echo survived"
fault bug-fails nonzero 'BUG:|Oops' "echo BUG >$lkdtm; echo survived"
FAULT_TIMEOUT=25 fault hang-fails 124 'time limit' "sleep 100000"

# A failing selftest must fail the summary: run the real guest test runner
# over one suite whose second test fails.
tdir=$(mktemp -d)
mkdir -p "$tdir/injected"
cat >"$tdir/injected/failing_test.sh" <<'T'
#!/bin/sh
echo "TAP version 13"
echo "1..2"
echo "ok 1 passes"
echo "not ok 2 fails on purpose"
exit 1
T
# ... and a suite that passes but leaves a process running must fail
# as a leak (the runner names and kills what is left).
cat >"$tdir/injected/leaky_test.sh" <<'T'
#!/bin/sh
echo "TAP version 13"
echo "1..1"
sleep 100000 &
echo "ok 1 passes but leaves a child"
T
chmod +x "$tdir/injected/failing_test.sh" "$tdir/injected/leaky_test.sh"
CMD="CD_TESTS=/coredomain/files/$(basename "$tdir") /coredomain/run-tests.sh" \
	"$TOP/harness/initramfs.sh" "$variant" "$dir/selftest-fails.cpio" "$tdir"
rm -rf "$tdir"
set +e
TIMEOUT=120 "$TOP/harness/boot.sh" "$variant" "$dir/selftest-fails.cpio" vm "$dir/selftest-fails" \
	>"$dir/selftest-fails.out" 2>&1
rc=$?
summary=$(CD_RESULTS=$dir/injected.tsv python3 "$TOP/harness/report.py" collect injected \
	"$dir/selftest-fails/results.log" "$dir/selftest-fails/console.log" $rc; \
	python3 "$TOP/harness/report.py" total "$dir/injected.tsv")
trc=$?
set -e
rm -f "$dir/injected.tsv"
if [ $trc != 0 ] && echo "$summary" | grep -q '^2 passed, 2 failed$' &&
   echo "$summary" | grep -q 'FAIL injected/injected:failing_test.sh:fails on purpose' &&
   echo "$summary" | grep -q 'FAIL injected/injected:leaky_test.sh:leftover-processes.*sleep'; then
	record PASS selftest-fails "caught: 2 passed, 2 failed (a failing test, a leftover process)"
else
	record FAIL selftest-fails "summary did not fail: $(echo "$summary" | tail -n 1)"
fi
