#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# initramfs.sh VARIANT OUTPUT [HOST_FILE...]: build the guest's initramfs:
# static busybox, the guest scripts, the kselftests and tools built against
# the variant's uapi headers, and host files (with their shared libraries)
# under /coredomain/files.  CMD (environment) becomes /coredomain/cmd.sh.
. "$(dirname "$0")/lib.sh"

variant=$1 out=$2
shift 2
src=$(src_for "$variant")
obj=$(obj_dir "$variant")
[ -f "$obj/arch/x86/boot/bzImage" ] || die "no $variant kernel: build it first"

root=$(mktemp -d "$BUILD/initramfs.XXXX")
chmod 755 "$root"	# the guest's /: users other than root must traverse it
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,home/user,coredomain/{bin,tests,files}}
bb=$(command -v busybox || echo /bin/busybox)
file -L "$bb" | grep -q 'statically linked' || die "$bb is not static: apt-get install busybox-static"
cp "$bb" "$root/bin/busybox"
cp "$TOP/harness/guest/init" "$root/init"
cp "$TOP"/harness/guest/*.sh "$root/coredomain/"
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nother:x:1001:1001:other:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nother:x:1001:\nnogroup:x:65534:\n' >"$root/etc/group"
chown 1000:1000 "$root/home/user"

# kselftests: every directory we ship under tools/testing/selftests.
ktest=$obj/kselftest
for dir in "$TOP"/tools/testing/selftests/*/; do
	[ -d "$dir" ] || continue
	name=$(basename "$dir")
	# vanilla and upstream build from the pristine base, which lacks them
	[ -d "$src/tools/testing/selftests/$name" ] || continue
	mkdir -p "$ktest/$name" "$root/coredomain/tests/$name"
	make -s -C "$src/tools/testing/selftests/$name" OUTPUT="$ktest/$name" \
		KHDR_INCLUDES="-isystem $obj/usr/include" USERCFLAGS=-static \
		>"$ktest/$name.log" 2>&1 || { cat "$ktest/$name.log" >&2; die "building selftests/$name failed"; }
	find "$ktest/$name" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/coredomain/tests/$name/" \;
	find "$src/tools/testing/selftests/$name" -maxdepth 1 -name '*.sh' -perm -u+x \
		-exec cp {} "$root/coredomain/tests/$name/" \;
done

# The same tests as the kselftest runner sees them: 'make install' of the
# core_domain target (run_kselftest.sh, kselftest-list.txt, each test's
# settings and config) into /coredomain/kselftest, reusing the objects
# built above, and ktap_helpers.sh where our shell tests look for it (not
# executable: run-tests.sh runs executables only).
if [ -d "$src/tools/testing/selftests/core_domain" ]; then
	make -s -C "$src/tools/testing/selftests" O="$obj" TARGETS=core_domain \
		USERCFLAGS=-static install INSTALL_PATH="$root/coredomain/kselftest" \
		>"$ktest/install.log" 2>&1 || { cat "$ktest/install.log" >&2; die "installing selftests failed"; }
	mkdir -p "$root/coredomain/tests/kselftest" "$root/coredomain/tests/kselftest-runner"
	install -m 644 "$src/tools/testing/selftests/kselftest/ktap_helpers.sh" \
		"$root/coredomain/tests/kselftest/"
	cp "$TOP/harness/guest/kselftest-runner/core_domain.sh" "$root/coredomain/tests/kselftest-runner/"
fi

# Upstream's core scheduling selftest, unmodified from the base tree, for
# the series' PR_SCHED_CORE: it prints PASSED/FAILED lines, not TAP, so it
# runs through harness/guest/upstream/cs_prctl_test.sh (suite "sched").
if [ -f "$src/tools/testing/selftests/sched/cs_prctl_test.c" ] &&
   [ -d "$src/tools/testing/selftests/core_domain" ]; then
	mkdir -p "$ktest/sched" "$root/coredomain/upstream" "$root/coredomain/tests/sched"
	make -s -C "$src/tools/testing/selftests/sched" OUTPUT="$ktest/sched" \
		KHDR_INCLUDES="-isystem $obj/usr/include" USERCFLAGS=-static \
		>"$ktest/sched.log" 2>&1 || { cat "$ktest/sched.log" >&2; die "building selftests/sched failed"; }
	cp "$ktest/sched/cs_prctl_test" "$root/coredomain/upstream/"
	cp "$TOP/harness/guest/upstream/cs_prctl_test.sh" "$root/coredomain/tests/sched/"
fi

# User-space tools we ship (tools/sched/...): built static for the guest.
for mk in "$TOP"/tools/sched/*/Makefile; do
	[ -f "$mk" ] || continue
	name=$(basename "$(dirname "$mk")")
	[ -d "$src/tools/sched/$name" ] || continue
	mkdir -p "$obj/tools/$name"
	make -s -C "$src/tools/sched/$name" OUTPUT="$obj/tools/$name/" \
		KHDR_INCLUDES="-isystem $obj/usr/include" EXTRA_CFLAGS=-static \
		>"$obj/tools/$name.log" 2>&1 || { cat "$obj/tools/$name.log" >&2; die "building tools/sched/$name failed"; }
	find "$obj/tools/$name" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/coredomain/bin/" \;
done

# Host files, each with the shared libraries it needs.
add_with_libs() {
	local f=$1 lib
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
	if file -L "$f" | grep -q 'dynamically linked'; then
		for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	fi
}
for f in "$@"; do
	[ -e "$f" ] || die "FILES: $f does not exist"
	if [ -d "$f" ]; then
		cp -a "$f" "$root/coredomain/files/"
	else
		cp -L "$f" "$root/coredomain/files/"
		[ -x "$f" ] && add_with_libs "$(readlink -f "$f")"
	fi
done
if [ -n "${CMD:-}" ]; then
	printf '%s\n' "$CMD" >"$root/coredomain/cmd.sh"
fi

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | sort | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
