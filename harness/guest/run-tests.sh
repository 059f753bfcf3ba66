#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every kselftest program of the guest image (CD_TESTS, default
# /coredomain/tests/*/), each under a time limit, framing its TAP output
# so that the host can attribute every result line to its suite.
#
# A suite must leave nothing running: after each one, any user-space
# process other than this runner and init is a leftover of that suite
# (nothing else runs in the guest).  The runner names them on a
# '@@CD-LEAK suite: ...' line, which fails the suite (report.py), and
# kills them so that the next suite starts clean.
: "${CD_TESTS:=/coredomain/tests}"
: "${CD_TEST_TIMEOUT:=600}"
# CD_TEST_ARGS: arguments for every suite of this boot, commas for spaces
# (it comes from the kernel command line: guests.conf), e.g. '-T,NAME' to
# leave a kselftest out.
args=$(echo "${CD_TEST_ARGS:-}" | tr ',' ' ')
# cd.only=suite:prog,... on the kernel command line limits the run;
# CD_SKIP_SUITES=suite:prog,... (guests.conf) leaves suites out of it.
only=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^cd.only=//p' | tr ',' ' ')
skip=" $(echo "${CD_SKIP_SUITES:-}" | tr ',' ' ') "
rc=0

# This shell and its ancestors (init, or the sh of 'make vm' running us).
keep=" $$ "
a=$PPID
while [ "${a:-0}" -gt 1 ]; do
	keep="$keep$a "
	read -r stat <"/proc/$a/stat" || break
	set -- ${stat##*) }
	a=$2
done

# leftovers: "pid comm [domain D]" of every user-space process but init,
# this shell, its ancestors and its own children (a command substitution
# in progress), zombies and kernel threads (children of kthreadd), one a
# line.
leftovers() {
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		case $keep in *" $p "*) continue ;; esac
		[ "$p" = 1 ] || [ "$p" = 2 ] && continue
		{ read -r stat <"$d/stat"; } 2>/dev/null || continue
		comm=${stat#*(}
		comm=${comm%)*}
		set -- ${stat##*) }
		state=$1 ppid=$2
		[ "$ppid" = 2 ] || [ "$ppid" = 0 ] || [ "$ppid" = $$ ] && continue
		[ "$state" = Z ] || [ "$state" = X ] && continue
		dom=$(sed -n 's/^CoreDomain:[[:space:]]*//p' "$d/status" 2>/dev/null)
		echo "$p $comm${dom:+ [domain $dom]}"
	done
}

for suite in "$CD_TESTS"/*/; do
	[ -d "$suite" ] || continue
	name=$(basename "$suite")
	for t in "$suite"*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		case $t in *.sh|*_test|*-test|*_test.sh) ;; *) continue ;; esac
		if [ -n "$only" ]; then
			case " $only " in *" $name:$(basename "$t") "*) ;; *) continue ;; esac
		fi
		case $skip in *" $name:$(basename "$t") "*) continue ;; esac
		echo "@@CD-SUITE $name:$(basename "$t")"
		t0=$(cut -d. -f1 /proc/uptime)
		(cd "$suite" && timeout -s KILL "$CD_TEST_TIMEOUT" "$t" $args)
		st=$?
		# What a suite kills on its way out may take a moment to go.
		left=""
		for i in 1 2 3 4 5 6 7 8 9 10; do
			left=$(leftovers)
			[ -z "$left" ] && break
			sleep 0.2
		done
		if [ -n "$left" ]; then
			echo "@@CD-LEAK $name:$(basename "$t"): $(echo "$left" | wc -l) processes still alive after it ended: $(echo "$left" | head -n 8 | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
			rc=1
			for i in 1 2 3 4 5; do
				for p in $(echo "$left" | cut -d' ' -f1); do
					kill -KILL "$p" 2>/dev/null
				done
				sleep 0.2
				left=$(leftovers)
				[ -z "$left" ] && break
			done
			[ -z "$left" ] || echo "@@CD-LEAK $name:$(basename "$t"): could not kill: $(echo "$left" | tr '\n' ' ')"
		fi
		echo "@@CD-SUITE-END $name:$(basename "$t") rc=$st secs=$(($(cut -d. -f1 /proc/uptime) - t0))"
		[ $st = 0 ] || rc=1
	done
done
exit $rc
