#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the base tree's checkpatch.pl --strict over out/patchset/.  Errors
# fail; warnings and checks are listed for review.
. "$(dirname "$0")/lib.sh"

errors=0
for p in "$OUT"/patchset/0*.patch; do
	case $p in *cover-letter*) continue ;; esac
	# Debian's python3 has python3-ply/-git for spdxcheck.py.
	out=$(cd "$SRC" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --quiet \
		--ignore FILE_PATH_CHANGES "$p" 2>&1 || true)
	e=$(printf '%s\n' "$out" | grep -c '^ERROR:' || true)
	w=$(printf '%s\n' "$out" | grep -cE '^(WARNING|CHECK):' || true)
	printf '%-70s %d errors, %d warnings/checks\n' "$(basename "$p")" "$e" "$w"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /'
	errors=$((errors + e))
done
[ $errors = 0 ] || die "checkpatch --strict: $errors errors"
msg "checkpatch --strict: no errors"
