#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# 'make test': for each kernel variant in KCONFIG (default: "default"), build
# it, boot the SMT guest, run KUnit and every kselftest, then run the
# harness's own fault tests; print one line per test and the closing
# 'N passed, N failed' line (our tests; the upstream KUnit suites on a line
# of their own before it).  Exit 1 if anything failed.
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
"$TOP/harness/deps.sh"
"$TOP/harness/assemble.sh"
export CD_RESULTS=$OUT/test/results.tsv CD_TIMES=$OUT/test/times.tsv
mkdir -p "$OUT/test"
: >"$CD_RESULTS"
: >"$CD_TIMES"
step() { python3 "$TOP/harness/report.py" time "$1" "$(($(date +%s) - $2))"; }

variants=${KCONFIG//,/ }
for v in $variants; do
	t0=$(date +%s)
	"$TOP/harness/kbuild.sh" "$v"
	step "$v/kernel-build" "$t0"
	# stress-ng for stress_test's stress_ng area
	"$TOP/harness/initramfs.sh" "$v" "$OUT/test/$v/initramfs.cpio" "$(command -v stress-ng)"
	while read -r name topo cpu append tests opts; do
		[ -n "$name" ] || continue
		[ -z "${GUESTS:-}" ] || [[ " $GUESTS " == *" $name "* ]] || continue
		IFS=x read -r s c t <<<"$topo"
		[ "$append" = - ] && append=""
		append=${append//+/ }
		# OPTIONS: CONTEND=, TCG_THREAD= and TIMEOUT= for boot.sh; CD_*= become the
		# guest tests' environment (the kernel hands VAR=value to init);
		# VARIANTS= limits the line to those kernels.
		env=()
		skip=0
		for o in $opts; do
			case $o in
			CONTEND=*|TCG_THREAD=*|TIMEOUT=*) env+=("$o") ;;
			VARIANTS=*) [[ ",${o#VARIANTS=}," == *",$v,"* ]] || skip=1 ;;
			CD_*=*) append="$append $o" ;;
			*) die "guests.conf: $name: unknown option $o" ;;
			esac
		done
		[ $skip = 0 ] || continue
		case $cpu in
		intel) cpu=max,vendor=GenuineIntel ;;
		# Not a guest: the vulnerability files report the SMT state.
		intel-bare) cpu=max,vendor=GenuineIntel,hypervisor=off ;;
		amd)   cpu=max ;;
		# AMD with SVM: KVM runs VMs inside the guest (TCG emulates
		# SVM with nested paging; QEMU 7.2 TCG has no topoext, the
		# guest finds its SMT siblings in CPUID leaf 0xb).
		amd-svm) cpu=max,vendor=AuthenticAMD,+svm ;;
		esac
		# KUnit runs only in the boots that run every suite.
		[ "$tests" = all ] || append="$append cd.only=$tests kunit.enable=0"
		t0=$(date +%s)
		set +e
		env CPU="$cpu" SOCKETS="$s" CORES="$c" THREADS="$t" APPEND="$append" STREAM=0 \
			"${env[@]}" "$TOP/harness/boot.sh" \
			"$v" "$OUT/test/$v/initramfs.cpio" test "$OUT/test/$v/$name"
		rc=$?
		set -e
		step "$v/$name/boot" "$t0"
		python3 "$TOP/harness/report.py" collect "$v/$name" "$OUT/test/$v/$name/results.log" \
			"$OUT/test/$v/$name/console.log" "$rc"
	done < <(grep -v '^#' "$TOP/harness/guests.conf")
done

# The series itself: git am onto the pristine base, checkpatch --strict.
rec() { python3 "$TOP/harness/report.py" record "$@"; }
if "$TOP/harness/patchset.sh" >"$OUT/test/patchset.log" 2>&1; then
	rec PASS series/git-am "$(tail -n 1 "$OUT/test/patchset.log" | sed 's/^==> //')"
	if "$TOP/harness/checkpatch.sh" >"$OUT/test/checkpatch.log" 2>&1; then
		rec PASS series/checkpatch-strict "no errors ($(grep -c 'warnings/checks' "$OUT/test/checkpatch.log") patches)"
	else
		rec FAIL series/checkpatch-strict "$(grep -E '^ +ERROR' "$OUT/test/checkpatch.log" | head -n 3 | tr '\n' ' ')"
	fi
else
	rec FAIL series/git-am "$(tail -n 1 "$OUT/test/patchset.log")"
fi

# The coredomain command's bash completion, in bash on the host.
"$TOP/harness/completion_test.sh"

# The Promela model of the per-core arbitration (spin): about 3 min.
t0=$(date +%s)
"$TOP/harness/model.sh"
step model "$t0"

# CI (FRESH_ROOT=1, .ci/run): deps.sh and 'make run' in a fresh Debian 12
# root, so that a command no package of deps.sh brings fails CI.
if [ "${FRESH_ROOT:-0}" = 1 ]; then
	t0=$(date +%s)
	if "$TOP/harness/freshroot.sh" >"$OUT/test/fresh-root.log" 2>&1; then
		rec PASS host/fresh-root "$(tail -n 1 "$OUT/test/fresh-root.log" | sed 's/^==> //')"
	else
		cp "$BUILD/fresh-root.log" "$OUT/test/fresh-root-inside.log" 2>/dev/null || true
		rec FAIL host/fresh-root "$(tail -n 1 "$OUT/test/fresh-root.log" | sed 's/^==> //'); see out/test/fresh-root*.log"
	fi
	step fresh-root "$t0"
fi

if [ "${HARNESS_TESTS:-1}" = 1 ]; then
	t0=$(date +%s)
	"$TOP/harness/selftest.sh" "${variants%% *}"
	step harness-selftest "$t0"
fi

msg "make test took $(($(date +%s) - start)) s; logs in out/test/"
python3 "$TOP/harness/report.py" slowest "$CD_TIMES"
python3 "$TOP/harness/report.py" total "$CD_RESULTS"
