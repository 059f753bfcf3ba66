#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Assemble $SRC: the base commit, then one commit per entry of
# patches/series (its new files copied in, its diff applied), built with a
# scratch index so that the work tree only changes where content changed
# (keeps incremental kernel builds incremental).
. "$(dirname "$0")/lib.sh"
. "$TOP/harness/series.sh"

force=0
[ "${1:-}" = --force ] && force=1

"$TOP/harness/base.sh"
ver=$(cat "$SRC/.git/coredomain-version")

idx=$(mktemp "$BUILD/index.XXXX")
work=$(mktemp -d "$BUILD/assemble.XXXX")
trap 'rm -rf "$idx" "$work"' EXIT
export GIT_INDEX_FILE=$idx

# A new file is kept here as it is after the last patch; a later patch
# may change it.  What its owner adds is that content with the later
# patches' changes to it taken back, last first.
entries=()
while read -r e; do entries+=("$e"); done < <(series_entries)
total=${#entries[@]}
for ((i = 1; i <= total; i++)); do
	pf=$TOP/patches/${entries[i - 1]%% *}
	[ -f "$pf" ] || die "patches/series names ${entries[i - 1]%% *}, which does not exist"
	git mailinfo "$work/msg" "$work/diff.$i" <"$pf" >/dev/null
done
blob_at() {	# FILE PATCHNO: the blob of FILE as patch PATCHNO leaves it
	local f=$1 at=$2 j ix=$work/index.rev blob
	blob=$(gitb hash-object -w -- "$TOP/$f")
	for ((j = total; j > at; j--)); do
		grep -q "^diff --git a/$f b/$f\$" "$work/diff.$j" || continue
		GIT_INDEX_FILE=$ix gitb read-tree --empty
		GIT_INDEX_FILE=$ix gitb update-index --add --cacheinfo "100644,$blob,$f"
		GIT_INDEX_FILE=$ix gitb apply --cached -R --include="$f" "$work/diff.$j" ||
			die "cannot take patch $j's change back out of $f"
		blob=$(GIT_INDEX_FILE=$ix gitb ls-files -s -- "$f" | cut -d' ' -f2)
	done
	echo "$blob"
}

declare -A owner
parent=$(gitb rev-parse base)
n=0
while read -r patch files; do
	n=$((n + 1))
	pf=$TOP/patches/$patch
	git mailinfo "$work/msg" "$work/diff" <"$pf" >"$work/info"
	author=$(sed -n 's/^Author: //p' "$work/info")
	email=$(sed -n 's/^Email: //p' "$work/info")
	date=$(sed -n 's/^Date: //p' "$work/info")
	subject=$(sed -n 's/^Subject: //p' "$work/info")
	[ -n "$subject" ] || die "$patch has no Subject: line"
	gitb read-tree "$parent"
	for f in $files; do
		[ -f "$TOP/$f" ] || die "$patch introduces $f, which does not exist"
		[ -z "${owner[$f]:-}" ] || die "$f is listed under both ${owner[$f]} and $patch"
		owner[$f]=$patch
		mode=100644
		[ -x "$TOP/$f" ] && mode=100755
		blob=$(blob_at "$f" "$n")
		gitb update-index --add --cacheinfo "$mode,$blob,$f"
	done
	if [ -s "$work/diff" ]; then
		if ! gitb apply --cached --whitespace=nowarn "$work/diff" 2>"$work/err"; then
			cat "$work/err" >&2
			die "$patch does not apply to Linux $ver (the series is pinned to $BASE_PIN, see base.version): refusing to build an unpatched kernel"
		fi
	fi
	tree=$(gitb write-tree)
	{ echo "$subject"; echo; cat "$work/msg"; } >"$work/commitmsg"
	parent=$(GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$date \
		GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$date \
		git -C "$SRC" commit-tree "$tree" -p "$parent" -F "$work/commitmsg")
done < <(series_entries)

unset GIT_INDEX_FILE
for f in $(our_kernel_files); do
	[ -n "${owner[$f]:-}" ] || die "$f is not introduced by any patch: add it to patches/series"
done
head=$(gitb rev-parse HEAD)
last=$(cat "$SRC/.git/coredomain-assembled" 2>/dev/null || gitb rev-parse base)
if [ "$head" != "$parent" ] && [ $force = 1 ]; then
	msg "dropping build/src work not in patches/ (HEAD was $head)"
	gitb reset -q --hard "$parent"
elif [ "$head" != "$parent" ]; then
	if [ "$head" != "$last" ]; then
		die "build/src has commits that are not in patches/ (HEAD $head): run 'make refresh' to export them, or 'make reassemble' to drop them"
	fi
	if [ -n "$(gitb status --porcelain --untracked-files=no)" ]; then
		die "build/src has uncommitted changes: commit them there and run 'make refresh', or 'make reassemble' to drop them"
	fi
	gitb reset -q --hard "$parent"
fi
echo "$parent" >"$SRC/.git/coredomain-assembled"
msg "assembled Linux $ver + $n patches ($(git -C "$SRC" rev-parse --short HEAD))"
