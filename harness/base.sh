#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Extract the base kernel into $BUILD/base-tree as a git repository whose
# single commit is tagged "base".  Re-extracts when apt served a new tarball.
. "$(dirname "$0")/lib.sh"

[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL missing: apt-get install linux-source-6.12"
stamp=$(stat -c '%s-%Y' "$BASE_TARBALL")
if [ -f "$SRC/.git/coredomain-base" ] && [ "$(cat "$SRC/.git/coredomain-base")" = "$stamp" ]; then
	exit 0
fi

msg "extracting $(basename "$BASE_TARBALL") (about 10 s)"
rm -rf "$SRC" "$BUILD/vanilla" "$BUILD"/obj-*
mkdir -p "$BUILD"
tmp=$(mktemp -d "$BUILD/extract.XXXX")
tar -C "$tmp" -xJf "$BASE_TARBALL"
mv "$tmp"/linux-source-6.12 "$SRC"
rmdir "$tmp"

ver=$(make -s -C "$SRC" kernelversion)
# Debian's packaging appends "/*" to .gitignore (its repository holds only
# debian/); drop that stanza so git sees the kernel tree.
sed -i '/^# Debian packaging: ignore everything/,$d' "$SRC/.gitignore"
sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$SRC/.gitignore"

msg "committing base $ver to git (about 1 min)"
git -C "$SRC" init -q -b coredomain
gitb add -A
gitb commit -q -m "Linux $ver (Debian $(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown))"
gitb tag -f base >/dev/null
gitb gc -q --auto
echo "$ver" >"$SRC/.git/coredomain-version"
echo "$stamp" >"$SRC/.git/coredomain-base"
if [ "$ver" != "$BASE_PIN" ]; then
	msg "NOTE: apt serves Linux $ver; the series is pinned to $BASE_PIN (base.version)."
	msg "      Trying to apply it anyway; a patch that does not apply stops the build."
fi
