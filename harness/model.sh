#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# 'make model': check the Promela models of the per-core arbitration
# (model/core_tag.pml), for 2 and 4 threads per core, and of kernel-entry
# protection (model/core_domain_kernel.pml) with spin.  One result
# line per check through harness/report.py (appended to $CD_RESULTS when it
# is set).  Installs nothing: spin comes from harness/deps.sh.
#
# Each check is exhaustive when it fits, else bitstate (-DBITSTATE) for a
# bounded time; the detail of its result line says which, with the states
# stored, the depth reached and the time.  Generated files and trails
# (trail.txt: the counterexample as a readable event list) are under
# out/model/NAME/.
#
#   MODEL_CODE_FLAGS   what of the proposed fixes core_tag.c contains
#                      (default: both, as core_tag.c has them since
#                      patch 0010; "" checks the code as first written)
#   MODEL_BIT_SECONDS  time budget of a bitstate check (default 30)
#   MODEL_BITS         bitstate array of 2^N bits (default 30: 128 MiB)
#   MODEL_EXH_SECONDS  an 'auto' check still running exhaustively after
#                      this long is redone in bitstate (default 60)
#   MODEL_MEMLIM_MB    memory limit of an exhaustive check (default 4096)
#   MODEL_ONLY         run only the checks whose name contains this
. "$(dirname "$0")/lib.sh"

# The model the checks below use: set again before each group.
PML=core_tag.pml
W=$OUT/model
CODE=${MODEL_CODE_FLAGS--DFIX_BOUND -DFIX_TAKEOVER}
FIX="-DFIX_BOUND -DFIX_TAKEOVER"
BIT_SECONDS=${MODEL_BIT_SECONDS:-30}
EXH_SECONDS=${MODEL_EXH_SECONDS:-60}
MEMLIM=${MODEL_MEMLIM_MB:-4096}
BITS=${MODEL_BITS:-30}

failed=0
rec() {
	[ "$1" = PASS ] || failed=$((failed + 1))
	python3 "$TOP/harness/report.py" record "$@"
}

start=$(date +%s)
mkdir -p "$W"
if ! command -v spin >/dev/null || ! command -v gcc >/dev/null; then
	rec FAIL model/spin "spin or gcc missing: run harness/deps.sh (apt-get install spin gcc)"
	exit 1
fi

# field NAME FILE: a number pan printed
pan_states() { sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$1" | tail -n 1; }
pan_depth()  { sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$1" | tail -n 1; }
pan_errors() { sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$1" | tail -n 1; }
pan_hashf()  { sed -n 's/^hash factor: \([0-9.e+]*\).*/\1/p' "$1" | tail -n 1; }

# run_pan DIR KIND MODE DEPTH SHORTEST SPINFLAGS: compile and run pan in
# DIR; leaves pan.out and sets 'took' (seconds) and 'stopped' (1: hit its
# budget).  SHORTEST=1: look for a shorter counterexample (-i) for 5 s.
run_pan() {
	local dir=$1 kind=$2 mode=$3 depth=$4 shortest=$5 flags=$6
	local cc=(-O2 -w) args=(-m"$depth") budget=0 t0 rc

	case $kind in
	safety) cc+=(-DSAFETY) ;;
	assert) cc+=(-DSAFETY); args+=(-E) ;;
	live)   cc+=(-DNFAIR=4); args+=(-a -f) ;;
	esac
	case $mode in
	exhaustive)
		cc+=(-DCOLLAPSE -DMEMLIM="$MEMLIM")
		budget=$EXH_SECONDS ;;
	bitstate)
		cc+=(-DBITSTATE); args+=(-w"$BITS")
		budget=$BIT_SECONDS ;;
	esac
	if [ "$shortest" = 1 ]; then
		cc+=(-DREACH); args+=(-i)
		budget=5
	fi
	# shellcheck disable=SC2086
	(cd "$dir" && spin -a $flags "$PML" >spin.out 2>&1) ||
		{ took=0; stopped=0; echo "spin -a failed: $(head -n 3 "$dir/spin.out")" >"$dir/pan.out"; return; }
	gcc "${cc[@]}" -o "$dir/pan" "$dir/pan.c" 2>"$dir/gcc.out" ||
		{ took=0; stopped=0; echo "gcc failed: $(head -n 3 "$dir/gcc.out")" >"$dir/pan.out"; return; }
	t0=$(date +%s.%N)
	set +e
	(cd "$dir" && timeout -s INT "$budget" ./pan "${args[@]}" >pan.out 2>&1)
	rc=$?
	set -e
	took=$(echo "$(date +%s.%N) - $t0" | bc)
	took=$(printf '%.1f' "$took")
	stopped=0
	[ $rc = 124 ] || grep -q '^Interrupted' "$dir/pan.out" && stopped=1
	return 0
}

# check NAME KIND MODE DEPTH EXPECT SPINFLAGS
#   KIND    safety (assertions, invalid end states) | assert (assertions
#           only: -E, for a broken variant that must break the invariant
#           itself, not only deadlock) | live (ltl live, -a -f)
#   MODE    exhaustive | bitstate | auto (exhaustive, bitstate if it does
#           not fit in MODEL_MEMLIM_MB / MODEL_EXH_SECONDS)
#   EXPECT  ok | error (a deliberately broken variant: must fail)
check() {
	local name=$1 kind=$2 mode=$3 depth=$4 expect=$5 flags=$6
	local dir=$W/${name//\//-} how states d err what detail status

	[ -z "${MODEL_ONLY:-}" ] || [[ $name == *"$MODEL_ONLY"* ]] || return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$TOP/model/$PML" "$dir/$PML"
	local run=$mode
	[ "$mode" = auto ] && run=exhaustive
	run_pan "$dir" "$kind" "$run" "$depth" 0 "$flags"
	# Too deep for -m: redo deeper, it must be exhaustive to count as such.
	if [ "$run" = exhaustive ] && grep -q 'max search depth too small' "$dir/pan.out" &&
	   [ "$(pan_errors "$dir/pan.out")" = 0 ]; then
		depth=$((depth * 8))
		run_pan "$dir" "$kind" "$run" "$depth" 0 "$flags"
	fi
	if [ "$mode" = auto ] && [ "$(pan_errors "$dir/pan.out")" = 0 ] &&
	   { [ "$stopped" = 1 ] || grep -q 'memory limit\|out of memory' "$dir/pan.out"; }; then
		msg "$name: does not fit exhaustively ($(pan_states "$dir/pan.out") states in ${took}s), bitstate"
		run=bitstate
		run_pan "$dir" "$kind" "$run" "$depth" 0 "$flags"
	fi
	# A counterexample on 2 threads: search again for the shortest, for a
	# readable trail (the numbers reported stay those of the first search).
	if [ "$(pan_errors "$dir/pan.out")" != 0 ] && [[ $flags != *NT=4* ]]; then
		cp "$dir/pan.out" "$dir/pan.first"
		cp "$dir/$PML.trail" "$dir/first.trail"
		local t1=$took s1=$stopped
		run_pan "$dir" "$kind" "$run" 600 1 "$flags"
		mv "$dir/pan.out" "$dir/pan.shortest"
		mv "$dir/pan.first" "$dir/pan.out"
		took=$t1 stopped=$s1
		# Keep the first trail unless a shorter one was written whole.
		# shellcheck disable=SC2086
		(cd "$dir" && spin -t $flags "$PML" 2>&1 |
			grep -q 'trail ends after [1-9]') ||
			cp "$dir/first.trail" "$dir/$PML.trail"
	fi

	states=$(pan_states "$dir/pan.out")
	d=$(pan_depth "$dir/pan.out")
	err=$(pan_errors "$dir/pan.out")
	if [ -z "$err" ]; then
		rec FAIL "model/$name" "no verdict: $(grep -v '^Depth=' "$dir/pan.out" | head -n 2 | tr '\n' ' ')"
		return 0
	fi
	case $run in
	exhaustive)
		how="exhaustive"
		grep -q 'max search depth too small' "$dir/pan.out" && [ "$err" = 0 ] &&
			how="depth-bounded (-m$depth)"
		[ "$stopped" = 1 ] && how="exhaustive, stopped after ${took}s" ;;
	bitstate)
		how="bitstate -w$BITS, hash factor $(pan_hashf "$dir/pan.out")"
		[ "$stopped" = 1 ] && how="$how, stopped at its ${BIT_SECONDS}s budget" ;;
	esac
	detail="$how: $states states, depth $d, ${took}s"

	if [ "$err" != 0 ]; then
		# The counterexample, as the model's own event lines.
		# shellcheck disable=SC2086
		(cd "$dir" && spin -t $flags "$PML" 2>&1 |
			grep -v '^[[:space:]]*[a-z_]*\(\[[0-9]*\]\)\? = ' |
			grep -v '^ *[0-9]*:[[:space:]]*proc \|processes created\|^#processes\|Never claim moves' |
			sed 's/^ *//' >trail.txt) || true
		what=$(grep -m1 '^VIOLATION' "$dir/trail.txt" | sed 's/^VIOLATION //' || true)
		[ -n "$what" ] || what=$(grep -m1 -o 'acceptance cycle\|assertion violated.*\|invalid end state' "$dir/pan.out" || true)
		[ "$kind" = live ] && grep -q 'acceptance cycle' "$dir/pan.out" &&
			what="a run in which CPU 0 waits for domain 1 forever (acceptance cycle)"
		# Events the model prints, or else the steps of the trail.
		local ev
		ev="$(grep -c '^\(cpu[0-9]\|move\): [_a-z]' "$dir/trail.txt" || true) events"
		[ "${ev% *}" != 0 ] ||
			ev="$(sed -n 's/.*(at depth \([0-9]*\)).*/\1/p' "$dir/pan.out" | head -n 1) steps"
		detail="$detail; counterexample of $ev: $what; out/model/${name//\//-}/trail.txt"
	fi
	if [ "$expect" = error ]; then
		if [ "$err" != 0 ]; then status=PASS; detail="broken as expected: $detail"; else status=FAIL; detail="no counterexample: $detail"; fi
	else
		if [ "$err" = 0 ]; then status=PASS; else status=FAIL; fi
	fi
	rec "$status" "model/$name" "$detail"
}

# -- 2 threads per core: everything exhaustive ---------------------------
# The protocol as coded: isolation and no invalid end state ...
check smt2/isolation               safety auto 200000 ok "-DNT=2 $CODE"
check smt2/isolation-3dom          safety auto 200000 ok "-DNT=2 -DND=3 -DHP=2 $CODE"
# ... no CPU waiting for good (three distinct ways, see model/README.rst) ...
check smt2/no-lost-wait            safety auto 200000 ok "-DNT=2 -DQUIESCE $CODE"
check smt2/no-lost-wait-fair       safety auto 200000 ok "-DNT=2 -DQUIESCE -DNR=1 $CODE"
check smt2/no-stranded-reservation safety auto 200000 ok "-DNT=2 -DQUIESCE -DONLY_STRANDED $CODE"
# ... and liveness under weak fairness.
check smt2/liveness                live   auto 200000 ok "-DNT=2 -DLIVE $CODE"
# The proposed fixes: still isolated, nobody waits for good, live.
check smt2/isolation+fix           safety auto 200000 ok "-DNT=2 -DND=3 -DHP=2 $FIX"
check smt2/no-lost-wait+fix        safety auto 200000 ok "-DNT=2 -DQUIESCE $FIX"
check smt2/liveness+fix            live   auto 200000 ok "-DNT=2 -DLIVE $FIX"
check smt2/liveness+fix-3dom       live   auto 200000 ok "-DNT=2 -DLIVE -DND=3 $FIX"
# Deliberately broken: each must give a counterexample.
check smt2/broken-release-early    safety auto 200000 error "-DNT=2 -DBROKEN_RELEASE_EARLY $CODE"
check smt2/broken-no-old-check     safety auto 200000 error "-DNT=2 -DBROKEN_NO_OLD_CHECK $CODE"
check smt2/broken-no-kick          live   auto 200000 error "-DNT=2 -DLIVE -DBROKEN_NO_KICK $FIX"
# A running task moved to another domain (MOVE): once the move call has
# returned, the task never runs in its new domain beside another domain.
# The mover waits for the task's re-pick or switch-out (the stopper sync);
# without that wait (the code before it) it must fail.
check smt2/move-running            safety auto 200000 ok "-DNT=2 -DMOVE $CODE"
check smt2/move-running-3dom       safety auto 200000 ok "-DNT=2 -DND=3 -DHP=2 -DMOVE $CODE"
check smt2/broken-move-no-sync     safety auto 200000 error "-DNT=2 -DMOVE -DBROKEN_MOVE_NO_SYNC $CODE"

# -- 4 threads per core ----------------------------------------------------
# Isolation on the safety abstraction (a superset of the behaviours):
# exhaustive with fair tasks only (0.85M states), bitstate with RT too
# (exhaustively well over 20M states).
check smt4/isolation-fair          safety auto 2000000 ok "-DNT=4 -DSAFETY_ABSTRACT -DNR=1 $CODE"
check smt4/isolation               safety bitstate 20000000 ok "-DNT=4 -DSAFETY_ABSTRACT $CODE"
check smt4/liveness                live   auto 2000000 ok "-DNT=4 -DLIVE $CODE"
# Liveness with the fixes: exhaustively well over 60M states (x fairness).
check smt4/liveness+fix            live   bitstate 2000000 ok "-DNT=4 -DLIVE $FIX"
check smt4/broken-release-early    safety auto 2000000 error "-DNT=4 -DBROKEN_RELEASE_EARLY $CODE"
check smt4/broken-no-old-check     safety auto 2000000 error "-DNT=4 -DBROKEN_NO_OLD_CHECK $CODE"
check smt4/broken-no-kick          live   auto 2000000 error "-DNT=4 -DLIVE -DBROKEN_NO_KICK $FIX"
# The move on 4 threads, on the safety abstraction: exhaustive with fair
# tasks and no hotplug (1.0M states; with hotplug, or RT too, well over
# 1.3M, which the 2-thread checks above cover).
check smt4/move-running-fair       safety auto 2000000 ok "-DNT=4 -DSAFETY_ABSTRACT -DNR=1 -DHP=0 -DMOVE $CODE"
check smt4/broken-move-no-sync     safety auto 2000000 error "-DNT=4 -DSAFETY_ABSTRACT -DMOVE -DBROKEN_MOVE_NO_SYNC $CODE"

# -- Kernel-entry protection (model/core_domain_kernel.pml) ----------------
# K (no CPU of the core in a protected domain's guest code while another
# runs host-kernel code) and no deadlock, with interrupts, IPIs whose
# sender waits, and hotplug: exhaustive on 2 threads, bitstate on 3.
PML=core_domain_kernel.pml
check kentry/smt2                  safety auto 2000000 ok "-DNT=2 -DCALLS=2 -DHP"
check kentry/smt3                  safety bitstate 2000000 ok "-DNT=3 -DCALLS=1"
# Deliberately broken: K fails (assert: -E, the invariant itself) ...
check kentry/broken-no-mb          assert auto 2000000 error "-DNT=2 -DBROKEN_NO_MB"
check kentry/broken-no-recheck     assert auto 2000000 error "-DNT=2 -DBROKEN_NO_RECHECK"
check kentry/broken-no-spin        assert auto 2000000 error "-DNT=2 -DBROKEN_NO_SPIN"
check kentry/broken-idle-irqs-on   assert auto 2000000 error "-DNT=2 -DBROKEN_IDLE_IRQS_ON"
# ... or the core deadlocks.
check kentry/broken-no-kick        safety auto 2000000 error "-DNT=2 -DBROKEN_NO_KICK"
check kentry/broken-wait-irqs-off  safety auto 2000000 error "-DNT=2 -DBROKEN_WAIT_IRQS_OFF"

msg "make model took $(($(date +%s) - start)) s; pan output and trails in out/model/"
# Under 'make test' the results file decides; alone, the exit status does.
[ -n "${CD_RESULTS:-}" ] || [ "$failed" = 0 ]
