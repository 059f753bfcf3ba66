# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the coredomain harness scripts.
# Sourced, never executed.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
OUT=${OUT:-$TOP/out}
BASE_TARBALL=${BASE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
BASE_PIN=$(sed -n 's/^version[[:space:]]*=[[:space:]]*//p' "$TOP/base.version")
SRC=$BUILD/src			# assembled tree: base + our files + patches (git)
KCONFIG=${KCONFIG:-default}	# default | debug | upstream | vanilla
JOBS=${JOBS:-$(($(nproc) + 1))}

# Paths in our repository that are new kernel files, copied into the tree.
KERNEL_DIRS="kernel include Documentation tools samples"

msg()  { printf '==> %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# obj_dir VARIANT: where a kernel variant is built (out of tree, O=).
obj_dir() { echo "$BUILD/obj-$1"; }

# src_for VARIANT: vanilla and upstream (CONFIG_SCHED_CORE) build from the
# pristine base, a worktree of $SRC at its 'base' tag; the others from $SRC.
src_for() {
	case $1 in
	vanilla|upstream) echo "$BUILD/vanilla" ;;
	*) echo "$SRC" ;;
	esac
}

gitb() { git -C "$SRC" -c user.name=coredomain -c user.email=coredomain@localhost "$@"; }
