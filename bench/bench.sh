#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/bench.sh ('make bench'): build vanilla 6.12, upstream CONFIG_SCHED_CORE
# and coredomain from the same base and config fragments, boot each (and
# vanilla with 'nosmt') on the same QEMU topologies, run the same workload
# program (bench/guest/cdbench.c) in every guest, kernels interleaved per
# repetition, and write out/bench/{raw.csv,results.md,*.png}.
#
# Environment:
#   QUICK=1        the subset that finishes in about 15 minutes (kernels built)
#   REPS=N         repetitions of the multi-threaded TCG boots (5; QUICK 3)
#   ICOUNT_REPS=N  repetitions of the icount boots (3; QUICK 1)
#   SECS=S         measuring time per workload step (4; QUICK 2)
#   ICOUNT_SHIFT=N -icount shift (3)
#   BENCH_BUILD=0  use the kernels already in build/obj-{vanilla,upstream,default}
#   PACK42, PACK22 packing scenarios DxT on 4x2 and 2x2 (default: all)
#   BENCH_PLANS    subset of "mt42 mt22 ic42 vm42"; BENCH_KERNELS: subset of
#                  "vanilla nosmt upstream coredomain coredomain-kernel
#                  coredomain-nofast" (coredomain-kernel: coredomain booted
#                  with core_domain_level=kernel, so that every domain the
#                  workloads make protects kernel entry; coredomain-nofast:
#                  the same with debugfs core_domain/kernel_fastpath 0, so
#                  that fast-path VM exits send siblings out too, the
#                  stand-in for protecting every exit; vm42 only)
#   vm42           KVM guests inside the guest (an AMD CPU with SVM, one
#                  TCG thread: QEMU 7.2's nested SVM is not reliable with
#                  a thread per vCPU, see harness/guests.conf)
#   BENCH_ONLY=RE  only the plan steps matching the extended regex RE
#                  (e.g. ' tool ': the standard tools)
#   BENCH_REPORT_ONLY=1  only redo results.md and the plots from raw.csv
. "$(dirname "$0")/../harness/lib.sh"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	REPS=${REPS:-3} ICOUNT_REPS=${ICOUNT_REPS:-1} SECS=${SECS:-2}
else
	REPS=${REPS:-5} ICOUNT_REPS=${ICOUNT_REPS:-3} SECS=${SECS:-4}
fi
ICOUNT_SHIFT=${ICOUNT_SHIFT:-3}
PLANS=${BENCH_PLANS:-mt42 mt22 ic42 vm42}
KERNELS=${BENCH_KERNELS:-vanilla nosmt upstream coredomain coredomain-kernel coredomain-nofast}
BOUT=$OUT/bench
BENCH=$TOP/bench
start=$(date +%s)
mkdir -p "$BOUT"

report() {
	python3 "$BENCH/report.py" "$BOUT" || die "report failed"
	msg "results: $BOUT/results.md"
}
if [ "${BENCH_REPORT_ONLY:-0}" = 1 ]; then
	report
	exit 0
fi

# ---- what the bench needs beyond the harness: Debian's archive only ----
need=""
command -v cyclictest >/dev/null || need="$need rt-tests"
command -v hackbench >/dev/null || need="$need rt-tests"
command -v perf >/dev/null || need="$need linux-perf"
command -v gnuplot >/dev/null || need="$need gnuplot-nox"
if [ -n "$need" ]; then
	[ "$(id -u)" = 0 ] || die "need root to apt-get install:$need"
	msg "installing from apt:$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
"$TOP/harness/deps.sh"

# ---- kernels: one variant name per label ----
variant_of() { case $1 in vanilla|nosmt) echo vanilla ;; upstream) echo upstream ;; coredomain*) echo default ;; esac; }
append_of()  {
	case $1 in
	nosmt) echo nosmt ;;
	coredomain) echo core_domain=on ;;
	coredomain-kernel) echo core_domain=on core_domain_level=kernel ;;
	coredomain-nofast) echo core_domain=on core_domain_level=kernel cdb.nofast=1 ;;
	*) echo "" ;;
	esac
}
mode_of()    { case $1 in upstream) echo upstream ;; coredomain*) echo coredomain ;; *) echo none ;; esac; }
feat_of()    { case $1 in upstream|coredomain) echo 1 ;; *) echo 0 ;; esac; }

if [ "${BENCH_BUILD:-1}" = 1 ]; then
	# A fresh clone: assemble the series.  An existing build/src is
	# benchmarked as it is (committed or not), like the kernel under work.
	[ -d "$SRC/.git" ] || "$TOP/harness/assemble.sh"
	for v in vanilla upstream default; do
		"$TOP/harness/kbuild.sh" "$v"
	done
fi
# Snapshot the images: every boot of this run uses the same bytes even if
# build/obj-* is rebuilt meanwhile.  boot.sh finds them through BUILD.
KSNAP=$BOUT/kernels
rm -rf "$KSNAP"
for v in $(for k in $KERNELS; do variant_of "$k"; done | sort -u); do
	o=$(obj_dir "$v")
	[ -f "$o/arch/x86/boot/bzImage" ] || die "no $v kernel in $o"
	mkdir -p "$KSNAP/obj-$v/arch/x86/boot" "$KSNAP/obj-$v/include/config"
	cp "$o/arch/x86/boot/bzImage" "$KSNAP/obj-$v/arch/x86/boot/"
	cp "$o/include/config/kernel.release" "$KSNAP/obj-$v/include/config/"
done

# ---- the workload plans (identical for every kernel) ----
S=$SECS
C=$((SECS + 1))		# cyclictest seconds
plan_mt42() {
	if [ "$QUICK" != 1 ]; then	# QUICK: the unused cost is judged under icount
		echo "unused pipe $S"
		echo "unused msg 4 4 $S"
	fi
	local dt list=${PACK42:-}
	[ -n "$list" ] || list="1x8 2x4 4x2 8x1 3x3 2x6 4x3 3x5 8x2 16x1"
	[ "$QUICK" = 1 ] && [ -z "${PACK42:-}" ] && list="3x3 16x1"
	for dt in $list; do echo "main pack ${dt%x*} ${dt#*x} $S trace"; done
	echo "main pipe $S"
	echo "main pipe $S 2x3"
	echo "main msg 4 4 $S"
	echo "main fork 8 $S"
	echo "main cyclic rt $C 2x4"
	[ "$QUICK" = 1 ] || echo "main cyclic fair $C 2x4"
	echo "main tool perf-pipe $S"
	echo "main tool perf-pipe $S 2x3"
	echo "main tool perf-msg $S"
	[ "$QUICK" = 1 ] || echo "main tool perf-msg $S 2x3"
	echo "main tool hackbench $S"
	[ "$QUICK" = 1 ] || echo "main tool hackbench $S 2x3"
	echo "main kwork $S 3x2"
}
plan_mt22() {
	local dt list=${PACK22:-}
	[ -n "$list" ] || list="1x4 2x2 4x1 2x3 3x2 2x4 8x1"
	[ "$QUICK" = 1 ] && [ -z "${PACK22:-}" ] && list="2x3"
	for dt in $list; do echo "main pack ${dt%x*} ${dt#*x} $S trace"; done
}
# Exit-heavy (to the VMM, or KVM's fast path) and compute-heavy VMs,
# alone, mixed, and beside a busy domain; 3 VMs of 3 vCPUs on 8 CPUs.
plan_vm42() {
	echo "main vm io 3 3 $S"
	echo "main vm fast 3 3 $S"
	echo "main vm compute 3 3 $S"
	echo "main vm mixed 3 3 $S"
	[ "$QUICK" = 1 ] || echo "main vm mixed 3 3 $S 1x4"
	echo "main pipe $S 2x3"
	[ "$QUICK" = 1 ] || echo "main msg 4 4 $S"
}
plan_ic42() {
	echo "none pipe $S"
	echo "none msg 4 4 $S"
	echo "onedom pipe $S"
	echo "onedom msg 4 4 $S"
	[ "$QUICK" = 1 ] || echo "main msg 4 4 $S"
}
timing_of() { case $1 in ic*) echo icount ;; vm*) echo single ;; *) echo mttcg ;; esac; }
topo_of()   { case $1 in *42) echo "4 2" ;; *22) echo "2 2" ;; esac; }
kernels_of() {	# nosmt is the SMT-off throughput reference: not under icount
	local k
	for k in $KERNELS; do
		[ "$1" = ic42 ] && [ "$k" = nosmt ] && continue
		# The kernel level's cost is a 4x2 question (feat 0: its
		# unused case is coredomain's)
		[ "$1" != mt42 ] && [ "$1" != vm42 ] && [ "$k" = coredomain-kernel ] && continue
		# The fast path's cost is a VM question
		[ "$1" != vm42 ] && [ "$k" = coredomain-nofast ] && continue
		echo "$k"
	done
}

# ---- one initramfs for every boot ----
gcc -O2 -Wall -static -pthread -o "$BOUT/cdbench" "$BENCH/guest/cdbench.c" 2>"$BOUT/cdbench.log" ||
	{ cat "$BOUT/cdbench.log" >&2; die "building cdbench failed"; }
root=$(mktemp -d "$BUILD/bench-initramfs.XXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,coredomain/files,bench/plans}
cp "$(command -v busybox || echo /bin/busybox)" "$root/bin/busybox"
cp "$TOP/harness/guest/init" "$root/init"
echo 'exec sh /bench/guest.sh' >"$root/coredomain/cmd.sh"
cp "$BOUT/cdbench" "$BENCH/guest/guest.sh" "$root/bench/"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
# The standard tools, with the libraries they link (perf: Debian's linux-perf,
# whose perf bench sched does not depend on the running kernel's version).
for t in cyclictest hackbench perf; do
	tp=$(command -v "$t")
	for f in "$tp" $(ldd "$tp" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
	[ "$tp" = "/usr/bin/$t" ] || { mkdir -p "$root/usr/bin"; cp -L "$tp" "$root/usr/bin/$t"; }
done
"$BOUT/cdbench" tools >"$BOUT/tools.txt"
for p in $PLANS; do
	"plan_$p" | { [ -n "${BENCH_ONLY:-}" ] && grep -E -- "$BENCH_ONLY" || cat; } >"$root/bench/plans/$p"
	[ -s "$root/bench/plans/$p" ] || die "plan $p has no step matching BENCH_ONLY='$BENCH_ONLY'"
	cp "$root/bench/plans/$p" "$BOUT/plan-$p.txt"
done
(cd "$root" && find . | sort | cpio -o -H newc --quiet) >"$BOUT/initramfs.cpio"

# ---- the boot list: repetitions outermost, kernels rotated per repetition ----
boots=()
maxrep=$REPS
[ "$ICOUNT_REPS" -gt "$maxrep" ] && maxrep=$ICOUNT_REPS
for rep in $(seq 1 "$maxrep"); do
	for p in $PLANS; do
		if [ "$(timing_of "$p")" = icount ]; then [ "$rep" -le "$ICOUNT_REPS" ] || continue
		else [ "$rep" -le "$REPS" ] || continue; fi
		mapfile -t ks < <(kernels_of "$p")
		n=${#ks[@]}
		for i in $(seq 0 $((n - 1))); do
			boots+=("$p $rep ${ks[$(((i + rep - 1) % n))]}")
		done
	done
done
total=${#boots[@]}

# Rough seconds per boot of a plan (boot + steps); replaced by measurement.
declare -A est=() took=() nboot=()
for p in $PLANS; do
	steps=$(grep -c . "$root/bench/plans/$p")
	est[$p]=$((15 + steps * (SECS + 4)))
	[ "$(timing_of "$p")" = icount ] && est[$p]=$((est[$p] * 3))
	took[$p]=0 nboot[$p]=0
done
eta() {
	local left=0 b p
	for b in "${boots[@]:$1}"; do
		p=${b%% *}
		if [ "${nboot[$p]}" -gt 0 ]; then left=$((left + took[$p] / nboot[$p]))
		else left=$((left + est[$p])); fi
	done
	echo "$left"
}
hms() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
tty=0
[ -t 2 ] && tty=1
lastline=""
progress() {
	local line="[bench $1/$total] $2 | $(hms $(($(date +%s) - start))) elapsed, ~$(hms "$3") left"
	if [ $tty = 1 ]; then
		printf '\r\033[K%s' "${line:0:$(($(tput cols 2>/dev/null || echo 160) - 1))}" >&2
	elif [ "$line" != "$lastline" ] && [ "${line%%|*}" != "${lastline%%|*}" ]; then
		printf '%s\n' "$line" >&2
	fi
	lastline=$line
}

# ---- run ----
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1), $(nproc) CPUs, $(free -g | awk '/^Mem:/ { print $2 }') GiB"
	echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
	echo "icount_shift=$ICOUNT_SHIFT"
	q=""
	[ "$QUICK" = 1 ] && q=" QUICK=1"
	echo "command=make bench$q (REPS=$REPS ICOUNT_REPS=$ICOUNT_REPS SECS=$SECS ICOUNT_SHIFT=$ICOUNT_SHIFT${PACK42:+ PACK42='$PACK42'}${PACK22:+ PACK22='$PACK22'}${BENCH_PLANS:+ BENCH_PLANS='$BENCH_PLANS'}${BENCH_KERNELS:+ BENCH_KERNELS='$BENCH_KERNELS'}${BENCH_ONLY:+ BENCH_ONLY='$BENCH_ONLY'})"
	for v in vanilla upstream default; do
		r=$KSNAP/obj-$v/include/config/kernel.release
		[ -f "$r" ] || continue
		echo "kernel_$v=$(cat "$r"), bzImage $(sha1sum <"$KSNAP/obj-$v/arch/x86/boot/bzImage" | cut -c1-12) built $(date -u -r "$(obj_dir "$v")/arch/x86/boot/bzImage" '+%Y-%m-%d %H:%M')"
	done
	[ "${BENCH_BUILD:-1}" = 1 ] || echo 'series_note=images prebuilt (BENCH_BUILD=0); build/src now: '
	echo "series=build/src at $(git -C "$SRC" log -1 --format='%h %s' 2>/dev/null || echo '?')$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' + uncommitted edits')"
} >"$BOUT/meta.txt"
raw=$BOUT/raw.csv
echo "timing,topo,kernel,rep,tag,scenario,param,metric,value" >"$raw"
: >"$BOUT/failures.txt"
: >"$BOUT/guests.txt"
: >"$BOUT/hostload.txt"
rm -rf "$BOUT/boots"
msg "bench: $total guest boots (QUICK=$QUICK, REPS=$REPS, ICOUNT_REPS=$ICOUNT_REPS, SECS=$SECS)"
idx=0
for b in "${boots[@]}"; do
	read -r p rep k <<<"$b"
	idx=$((idx + 1))
	timing=$(timing_of "$p")
	read -r cores threads <<<"$(topo_of "$p")"
	topo=${cores}x${threads}
	dir=$BOUT/boots/$p-$k-r$rep
	mkdir -p "$dir"
	ic=""
	[ "$timing" = icount ] && ic=$ICOUNT_SHIFT
	what="$timing $topo $k rep $rep"
	bstart=$(date +%s)
	progress "$idx" "$what: booting" "$(eta $((idx - 1)))"
	set +e
	cpu=max,vendor=GenuineIntel tcg=""
	[ "$timing" = single ] && cpu=max,vendor=AuthenticAMD,+svm tcg=single
	CPU=$cpu TCG_THREAD=$tcg \
	CORES=$cores THREADS=$threads SOCKETS=1 MEM=1G ICOUNT=$ic STREAM=0 \
		TIMEOUT=$((est[$p] * 4 + 300)) \
		APPEND="$(append_of "$k") cdb.plan=$p cdb.mode=$(mode_of "$k") cdb.feat=$(feat_of "$k")" \
		BUILD=$KSNAP "$TOP/harness/boot.sh" "$(variant_of "$k")" "$BOUT/initramfs.cpio" vm "$dir" \
		>"$dir/boot.log" 2>&1 &
	bpid=$!
	while kill -0 "$bpid" 2>/dev/null; do
		step=$(grep -a '^@@P ' "$dir/results.log" 2>/dev/null | tail -n 1 | cut -c5-)
		left=$(($(eta "$idx") + est[$p] - ($(date +%s) - bstart)))
		[ "${nboot[$p]}" -gt 0 ] && left=$(($(eta "$idx") + took[$p] / nboot[$p] - ($(date +%s) - bstart)))
		[ $left -lt 0 ] && left=0
		progress "$idx" "$what: ${step:-booting}" "$left"
		sleep 2
	done
	wait "$bpid"
	rc=$?
	set -e
	# other work on the host skews multi-threaded TCG: record it
	echo "$p $k $rep $(cut -d' ' -f1 /proc/loadavg)" >>"$BOUT/hostload.txt"
	took[$p]=$((took[$p] + $(date +%s) - bstart))
	nboot[$p]=$((nboot[$p] + 1))
	grep -a '^@@I ' "$dir/results.log" | sed "s|^@@I |$p $k r$rep: |" >>"$BOUT/guests.txt" || true
	grep -a '^@@B,' "$dir/results.log" | tr -d '\r' |
		sed "s|^@@B,|$timing,$topo,$k,$rep,|" >>"$raw" || true
	if [ "$rc" != 0 ]; then
		{
			echo "$p $k rep $rep: boot.sh exit $rc"
			grep -a '^@@F ' "$dir/results.log" | sed 's/^/    /' || true
			grep -a 'cdbench:' "$dir/results.log" | sed 's/^/    /' || true
			grep -a -m 3 -E 'Oops|BUG|WARNING|panic' "$dir/console.log" | sed 's/^/    console: /' || true
			tail -n 5 "$dir/boot.log" | sed 's/^/    /' || true
		} >>"$BOUT/failures.txt"
		[ $tty = 1 ] && printf '\n' >&2
		msg "$what failed (exit $rc): see $dir"
	fi
done
[ $tty = 1 ] && printf '\n' >&2
elapsed=$(($(date +%s) - start))
echo "wall=$(hms $elapsed)" >>"$BOUT/meta.txt"
report
msg "bench took $(hms $elapsed); $(grep -c "^[^ ]" "$BOUT/failures.txt" || true) failed boot(s)"
