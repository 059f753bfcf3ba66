#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# soak.sh [MINUTES]: 'make soak'.  Build the debug kernel (SOAK_KCONFIG,
# default debug: lockdep, atomic-sleep and preemption debugging, the
# invariant checker), boot the SMT guest (CORES x THREADS, default 4x2) and
# run the stress mix (stress_test: hotplug, churn, lifecycle, stress-ng
# under the trace-based isolation checker) and the interface fuzzer
# (fuzz_test) again and again for MINUTES (default 10).  Prints a progress
# line at least every minute, every run's report, and a summary; exits
# non-zero on any isolation violation, kernel warning or splat, model
# mismatch, failed test or hung guest.
# Environment: SOAK_KCONFIG, SOAK_SKIP_BUILD=1 (use the kernel as built),
# SOAK_AREA_SECONDS (load per area and run,
# default 60), SOAK_SEED (first fuzzer seed; each run adds one), CORES,
# THREADS, SOCKETS, MEM, APPEND.
. "$(dirname "$0")/lib.sh"

minutes=${1:-${MINUTES:-10}}
[[ $minutes =~ ^[0-9]+$ ]] && [ "$minutes" -gt 0 ] || die "usage: soak.sh MINUTES (a positive number)"
variant=${SOAK_KCONFIG:-debug}
area=${SOAK_AREA_SECONDS:-60}
seed=${SOAK_SEED:-$(date +%s)}
out=$OUT/soak/$variant
mkdir -p "$out"

if [ "${SOAK_SKIP_BUILD:-0}" != 1 ]; then
"$TOP/harness/deps.sh"
fi
if ! command -v stress-ng >/dev/null; then
	msg "installing stress-ng from apt"
	[ "$(id -u)" = 0 ] || die "need root to apt-get install stress-ng"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null ||
		{ apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null; }
fi
if [ "${SOAK_SKIP_BUILD:-0}" != 1 ]; then
	"$TOP/harness/assemble.sh"
	"$TOP/harness/kbuild.sh" "$variant"
fi
obj=$(obj_dir "$variant")
src=$(src_for "$variant")

# The two programs, static, against this kernel's uapi headers, from this
# repository (kselftest_harness.h from the assembled tree).
bin=$out/bin
mkdir -p "$bin"
for t in stress_test fuzz_test; do
	gcc -static -O2 -Wall -isystem "$obj/usr/include" \
		-I "$src/tools/testing/selftests/core_domain" -o "$bin/$t" \
		"$TOP/tools/testing/selftests/core_domain/$t.c" -lpthread ||
		die "building $t failed"
done

# The guest's loop: runs until the deadline, one report per area and run.
# shellcheck disable=SC2016
guest='end=$(( $(date +%s) + '"$minutes"' * 60 )); run=0; rc=0
seed='"$seed"'
while [ "$(date +%s)" -lt "$end" ]; do
	run=$((run + 1)); left=$((end - $(date +%s)))
	secs='"$area"'; [ $((left / 5)) -lt "$secs" ] && secs=$((left / 5)); [ "$secs" -lt 10 ] && secs=10
	echo "@@SOAK-RUN $run ${secs}s per area, $((left / 60)) min left"
	CD_TRACE_KEEP=1 CD_STRESS_SECONDS=$secs CD_PROGRESS_SECONDS=30 CD_STRESS_SEED=$((seed + run)) ./stress_test || rc=1
	CD_FUZZ_SECONDS=$secs CD_PROGRESS_SECONDS=30 CD_FUZZ_SEED=$((seed + run)) ./fuzz_test -t random_calls || rc=1
done
echo "@@SOAK-DONE $run runs"
exit $rc'

CMD=$guest "$TOP/harness/initramfs.sh" "$variant" "$out/initramfs.cpio" \
	"$bin/stress_test" "$bin/fuzz_test" "$(command -v stress-ng)"

msg "soak: $variant kernel, ${CORES:-4}x${THREADS:-2} guest, $minutes min, ${area}s per area, seeds from $seed"
start=$(date +%s)
# A heartbeat, so that a quiet stretch still shows a line every minute.
(
	while sleep 60; do
		r=$(grep -c '^# REPORT' "$out/results.log" 2>/dev/null || true)
		v=$(grep -o ' violations=[0-9]*' "$out/results.log" 2>/dev/null | awk -F= '{s += $2} END {print s + 0}')
		msg "soak: $((($(date +%s) - start) / 60))/$minutes min, ${r:-0} area reports, $v violations so far"
	done
) &
beat=$!
trap 'kill $beat 2>/dev/null || true' EXIT
set +e
TIMEOUT=$((minutes * 60 + 900)) APPEND=${APPEND:-core_domain=on} STREAM=1 \
	"$TOP/harness/boot.sh" "$variant" "$out/initramfs.cpio" vm "$out"
rc=$?
set -e
kill $beat 2>/dev/null || true

# The per-run reports and the verdict.
echo
echo "soak report ($variant, $minutes min, logs in $out):"
grep '^# REPORT' "$out/results.log" | sed 's/^# REPORT //' | awk '
	{ delete kv; x = $0; sub(/ extra=.*/, "", x); gsub(/\r/, "", x); n = split(x, f, " ")
	  for (i = 1; i <= n; i++) { split(f[i], p, "="); kv[p[1]] = p[2] }
	  if (kv["area"] == "fuzz")
		printf "  %-10s %6s ops, %s mismatches, %s warnings (seed %s)\n", kv["area"], kv["ops"], kv["mismatches"], kv["warnings"], kv["seed"]
	  else
		printf "  %-10s %5ss %9s switches %7s kicks %5s%% forced idle, %s violations, %s warnings, %s lost\n", kv["area"], kv["secs"], kv["switches"], kv["kicks"], kv["fi_pct"], kv["violations"], kv["warnings"], kv["lost"] }'
viol=$(grep '^# REPORT' "$out/results.log" | grep -o ' violations=[0-9]*' | awk -F= '{s += $2} END {print s + 0}')
warn=$(grep '^# REPORT' "$out/results.log" | grep -o ' warnings=[0-9]*' | awk -F= '{s += $2} END {print s + 0}')
mism=$(grep '^# REPORT' "$out/results.log" | grep -o ' mismatches=[0-9]*' | awk -F= '{s += $2} END {print s + 0}')
notok=$(grep -c '^not ok' "$out/results.log" || true)
runs=$(sed -n 's/^@@SOAK-DONE \([0-9]*\).*/\1/p' "$out/results.log")
splats=$(python3 "$TOP/harness/report.py" console "$out/console.log" || true)
echo "  ${runs:-?} runs in $((($(date +%s) - start) / 60)) min: $viol violations, $warn kernel warnings, $mism model mismatches, $notok failed tests"
[ -n "$splats" ] && printf '  kernel log:\n%s\n' "$splats"
if [ "$rc" != 0 ] || [ "$viol" != 0 ] || [ "$warn" != 0 ] || [ "$mism" != 0 ] ||
   [ "$notok" != 0 ] || [ -n "$splats" ] || [ -z "$runs" ]; then
	echo "soak FAILED (guest status $rc)"
	exit 1
fi
echo "soak passed"
