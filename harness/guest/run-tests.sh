#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every kselftest program of the guest image (CD_TESTS, default
# /coredomain/tests/*/), each under a time limit, framing its TAP output
# so that the host can attribute every result line to its suite.
: "${CD_TESTS:=/coredomain/tests}"
: "${CD_TEST_TIMEOUT:=600}"
# cd.only=suite:prog,... on the kernel command line limits the run.
only=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^cd.only=//p' | tr ',' ' ')
rc=0
for suite in "$CD_TESTS"/*/; do
	[ -d "$suite" ] || continue
	name=$(basename "$suite")
	for t in "$suite"*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		case $t in *.sh|*_test|*-test|*_test.sh) ;; *) continue ;; esac
		if [ -n "$only" ]; then
			case " $only " in *" $name:$(basename "$t") "*) ;; *) continue ;; esac
		fi
		echo "@@CD-SUITE $name:$(basename "$t")"
		(cd "$suite" && timeout -s KILL "$CD_TEST_TIMEOUT" "$t")
		st=$?
		echo "@@CD-SUITE-END $name:$(basename "$t") rc=$st"
		[ $st = 0 ] || rc=1
	done
done
exit $rc
