#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the series as 'git format-patch' mails with a cover letter into
# out/patchset/, then prove that 'git am' applies it to a pristine tree of
# the base version and reproduces the assembled tree.
. "$(dirname "$0")/lib.sh"

dest=$OUT/patchset
ver=$(cat "$SRC/.git/coredomain-version")
rm -rf "$dest"
mkdir -p "$dest"
n=$(gitb rev-list --count base..HEAD)
gitb format-patch -q --cover-letter --no-signature --zero-commit -o "$dest" base..HEAD
cover=$(ls "$dest"/0000-cover-letter.patch)
subject=$(head -n 1 "$TOP/patches/cover-letter")
blurb=$(mktemp)
{
	tail -n +3 "$TOP/patches/cover-letter"
	echo
	echo "Base: Linux $ver (Debian linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo '?'))."
	echo "Apply with 'git am' on a tree of that version."
} >"$blurb"
python3 - "$cover" "$subject" "$blurb" <<'PY'
import sys
path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb)
open(path, "w").write(s)
PY
rm -f "$blurb"

# Apply to a pristine checkout of the base with git am.
check=$BUILD/am-check
rm -rf "$check"
gitb worktree prune
gitb worktree add -q -f --detach "$check" base
# shellcheck disable=SC2046
git -C "$check" -c user.name=check -c user.email=check@localhost am -q \
	$(ls "$dest"/*.patch | grep -v cover-letter)
same=$([ "$(git -C "$check" rev-parse HEAD^{tree})" = "$(gitb rev-parse HEAD^{tree})" ] && echo yes || echo no)
gitb worktree remove --force "$check"
[ "$same" = yes ] || die "git am of out/patchset does not reproduce build/src"
msg "out/patchset: cover letter + $n patches against Linux $ver; git am onto the base reproduces build/src"
