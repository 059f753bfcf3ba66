#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kbuild.sh VARIANT: configure (tinyconfig + fragments) and build one kernel
# variant out of tree in build/obj-VARIANT, then check that the image is what
# was asked for.  Variants: default, debug, kasan, kcsan, upstream, vanilla.
. "$(dirname "$0")/lib.sh"

variant=${1:-default}
case $variant in
default)  frags="base test coredomain";       marker=core_domain_mode ;;
debug)    frags="base test coredomain debug"; marker=core_domain_mode ;;
kasan)    frags="base test coredomain debug kasan"; marker=core_domain_mode ;;
kcsan)    frags="base test coredomain debug kcsan"; marker=core_domain_mode ;;
upstream) frags="base test upstream";         marker=sched_core_get ;;
vanilla)  frags="base test vanilla";          marker="" ;;
*) die "unknown KCONFIG variant '$variant' (default, debug, kasan, kcsan, upstream, vanilla)" ;;
esac

src=$(src_for "$variant")
obj=$(obj_dir "$variant")
if [ "$src" = "$BUILD/vanilla" ] && [ ! -d "$src" ]; then
	msg "checking out the pristine base for the $variant kernel"
	gitb worktree add -q -f --detach "$src" base >/dev/null
fi
mkdir -p "$obj"

# Reconfigure only when a fragment changed, so rebuilds stay incremental.
cfgs=()
for f in $frags; do cfgs+=("$TOP/config/$f.config"); done
sum=$(cat "${cfgs[@]}" | sha1sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.fragments" 2>/dev/null)" != "$sum" ]; then
	msg "configuring $variant: tinyconfig + $frags"
	make -s -C "$src" O="$obj" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${cfgs[@]}" >/dev/null
	make -s -C "$src" O="$obj" olddefconfig >/dev/null
	bad=""
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n) want="# ${line%=n} is not set"
			    grep -qx "$want" "$obj/.config" || ! grep -q "^${line%=n}=" "$obj/.config" || bad="$bad ${line}" ;;
		CONFIG_*)   grep -qxF "$line" "$obj/.config" || bad="$bad $line" ;;
		esac
	done < <(cat "${cfgs[@]}" | grep '^CONFIG_' | sed 's/[[:space:]]*$//' |
		 awk -F= '{ v[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; o[n++] = $1 } }
			  END { for (i = 0; i < n; i++) print v[o[i]] }')
	[ -z "$bad" ] || die "Kconfig did not take:$bad (a missing dependency?)"
	echo "$sum" >"$obj/.fragments"
fi

msg "building $variant kernel (cold: ~3-5 min on 2 cores)"
start=$(date +%s)
if ! make -s -C "$src" O="$obj" LOCALVERSION= -j"$JOBS" bzImage >"$obj/build.log" 2>&1; then
	grep -E 'error|Error' "$obj/build.log" | head -40 >&2
	die "kernel build failed: see $obj/build.log"
fi
grep -E 'warning:' "$obj/build.log" >&2 || true
make -s -C "$src" O="$obj" headers_install >/dev/null
msg "built $variant in $(($(date +%s) - start)) s: $(cat "$obj/include/config/kernel.release")"

# Never hand out an image that lacks what the variant claims.
nm "$obj/vmlinux" >"$obj/vmlinux.syms"
if [ -n "$marker" ]; then
	grep -qw "$marker" "$obj/vmlinux.syms" ||
		die "$variant image has no '$marker' symbol: the patch series is not in it"
fi
if [ "$variant" = vanilla ] || [ "$variant" = upstream ]; then
	! grep -qw core_domain_mode "$obj/vmlinux.syms" ||
		die "$variant image contains coredomain code"
fi
