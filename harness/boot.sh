#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# boot.sh VARIANT INITRD MODE OUTDIR: boot a kernel variant under QEMU TCG
# with an SMT topology and run the guest job MODE (test, run, vm, shell).
# The console goes to OUTDIR/console.log, the job's output to
# OUTDIR/results.log (ttyS1).  Exit status: the guest job's, or
#   124 the guest exceeded TIMEOUT seconds (killed),
#   125 the guest stopped without reporting (panic, triple fault),
#   126 the job passed but the console shows a kernel splat.
# Environment: CORES THREADS SOCKETS MEM TIMEOUT APPEND ICOUNT STREAM CONTEND
# TCG_THREAD QEMU_ARGS.
# CONTEND (hostile timing): 1 runs QEMU, every vCPU thread included, on one
# host CPU (CONTEND_CPU, default the last one); 'hog' also runs a busy loop
# pinned beside it, which this script starts and kills on every way out.
. "$(dirname "$0")/lib.sh"

variant=$1 initrd=$2 mode=$3 outdir=$4
obj=$(obj_dir "$variant")
cores=${CORES:-4} threads=${THREADS:-2} sockets=${SOCKETS:-1}
ncpu=$((sockets * cores * threads))
mem=${MEM:-1G}
timeout=${TIMEOUT:-900}
mkdir -p "$outdir"
rm -f "$outdir/console.log" "$outdir/results.log"
: >"$outdir/results.log"

# TCG_THREAD=single: one host thread runs every vCPU in turn (the
# contended mode's default, see below); otherwise one thread per vCPU.
accel=(-accel "tcg${TCG_THREAD:+,thread=$TCG_THREAD}")
if [ -n "${ICOUNT:-}" ]; then
	# Deterministic virtual time: one host thread, instructions as clock.
	accel=(-accel tcg,thread=single -icount "shift=$ICOUNT,sleep=off")
fi
numa=()
if [ "$sockets" -gt 1 ]; then
	memmb=$(($(numfmt --from=iec "$mem") / 1048576 / sockets))
	per=$((cores * threads))
	for s in $(seq 0 $((sockets - 1))); do
		numa+=(-object "memory-backend-ram,id=m$s,size=${memmb}M"
		       -numa "node,nodeid=$s,memdev=m$s,cpus=$((s * per))-$((s * per + per - 1))")
	done
fi
contend=${CONTEND:-0}
pin=()
hogpid=""
tailpid=""
cleanup() {
	[ -n "$hogpid" ] && kill "$hogpid" 2>/dev/null
	[ -n "$tailpid" ] && kill "$tailpid" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
case $contend in
0|"") ;;
1|hog)
	hcpu=${CONTEND_CPU:-$(($(nproc) - 1))}
	pin=(taskset -c "$hcpu")
	# One TCG thread for all vCPUs: each runs only in its turn, so IPIs
	# arrive late and vCPUs are preempted mid-path as a matter of course.
	# With a thread per vCPU squeezed onto one host CPU, QEMU executed
	# stale translations of kernel text that ftrace had just patched
	# (guest "Oops: int3" in __schedule() when stress_test toggled its
	# events); single-threaded TCG sees every code write at once.
	[ -n "${ICOUNT:-}" ] || accel=(-accel "tcg,thread=${TCG_THREAD:-single}")
	if [ "$contend" = hog ]; then
		# Dies with this script even if it is SIGKILLed.
		"${pin[@]}" bash -c "while kill -0 $$ 2>/dev/null; do :; done" &
		hogpid=$!
	fi
	;;
*) die "CONTEND=$contend: use 1 (QEMU on one host CPU) or hog (and a busy loop beside it)" ;;
esac

# tsc=reliable: QEMU derives every vCPU's TSC from one virtual clock, so it
# is synchronous across vCPUs; but a loaded host delays the clocksource
# watchdog's reads, the guest then marks the TSC (and sched_clock) unstable,
# and trace timestamps of different CPUs no longer order their events: the
# trace checker saw overlaps the arbitration never allowed (all five
# stress_test areas, in every boot that logged "sched_clock: Marking
# unstable" and in none other).
append="console=ttyS0 panic=-1 printk.time=1 cd.mode=$mode tsc=reliable"
# KUnit runs once, in test mode; other jobs boot without it.
[ "$mode" = test ] || append="$append kunit.enable=0"
append="$append ${APPEND:-}"
serial0=(-serial "file:$outdir/console.log")
[ "$mode" = shell ] && serial0=(-serial mon:stdio)

qemu=(qemu-system-x86_64 "${accel[@]}" -M q35 -cpu "${CPU:-max,vendor=GenuineIntel}" -m "$mem"
      -smp "$ncpu,sockets=$sockets,cores=$cores,threads=$threads" "${numa[@]}"
      -kernel "$obj/arch/x86/boot/bzImage" -initrd "$initrd"
      -append "$append" -display none -monitor none -no-reboot
      "${serial0[@]}" -serial "file:$outdir/results.log")
# QEMU_ARGS: more QEMU options, for debugging (e.g. '-d cpu_reset -D FILE').
# shellcheck disable=SC2206
qemu+=(${QEMU_ARGS:-})

msg "booting $(cat "$obj/include/config/kernel.release") on ${sockets}x${cores}x${threads} (${ncpu} vCPUs, $mem), limit ${timeout}s"
[ ${#pin[@]} = 0 ] || msg "contended: QEMU and its ${ncpu} vCPU threads on host CPU $hcpu${hogpid:+, beside a busy loop (pid $hogpid)}"
if [ "${STREAM:-0}" = 1 ] && [ "$mode" != shell ]; then
	tail -n +1 -f "$outdir/results.log" | grep --line-buffered -v '^@@CD-' &
	tailpid=$!
fi
start=$(date +%s)
set +e
if [ "$mode" = shell ]; then
	"${pin[@]}" "${qemu[@]}"
else
	timeout -k 10 "$timeout" "${pin[@]}" "${qemu[@]}" </dev/null
fi
qrc=$?
set -e
elapsed=$(($(date +%s) - start))
sleep 0.3
[ -n "$tailpid" ] && { kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null || true; }
tailpid=""
if [ -n "$hogpid" ]; then
	kill "$hogpid" 2>/dev/null
	wait "$hogpid" 2>/dev/null || true
	hogpid=""
fi

if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "FAIL: guest exceeded its time limit of ${timeout}s (killed); last console lines:" >&2
	tail -n 15 "$outdir/console.log" >&2 || true
	exit 124
fi
rc=$(sed -n 's/^@@CD-EXIT \([0-9]*\).*/\1/p' "$outdir/results.log" | tail -n 1)
splats=$(python3 "$TOP/harness/report.py" console "$outdir/console.log" || true)
if [ -z "$rc" ]; then
	echo "FAIL: guest stopped after ${elapsed}s without reporting (qemu exit $qrc)" >&2
	[ -n "$splats" ] && printf '%s\n' "$splats" >&2
	tail -n 15 "$outdir/console.log" >&2 || true
	exit 125
fi
msg "guest finished in ${elapsed}s with status $rc"
if [ -n "$splats" ]; then
	printf 'FAIL: the kernel reported:\n%s\n' "$splats" >&2
	[ "$rc" = 0 ] && exit 126
fi
exit "$rc"
