#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Our selftests through the kselftest runner, as a distribution or a CI
# system runs them: the installed tree's run_kselftest.sh (what 'make -C
# tools/testing/selftests TARGETS=core_domain run_tests' runs) on three of
# them, which must pass there too, with the timeout from their settings
# file.  The runner's own output follows as comments.
K=/coredomain/kselftest
TESTS="param_test permission_test coredomain_test.sh"

echo "TAP version 13"
echo "1..4"
if [ ! -x "$K/run_kselftest.sh" ]; then
	echo "# no installed kselftest tree at $K"
fi
args=""
for t in $TESTS; do args="$args -t core_domain:$t"; done
# shellcheck disable=SC2086
out=$("$K/run_kselftest.sh" $args 2>&1)
echo "$out" | sed 's/^/# /'
n=0
for t in $TESTS; do
	n=$((n + 1))
	if echo "$out" | grep -q "^ok [0-9]* selftests: core_domain: $t\$"; then
		echo "ok $n $t passes under run_kselftest.sh"
	else
		echo "not ok $n $t passes under run_kselftest.sh"
	fi
done
if echo "$out" | grep -q "timeout set to 1200"; then
	echo "ok 4 the runner takes the timeout from core_domain/settings"
else
	echo "not ok 4 the runner takes the timeout from core_domain/settings"
fi
