# SPDX-License-Identifier: GPL-2.0
# Reading patches/series: one patch per line, followed by the new files
# (paths in this repository) that the patch introduces.  Indented lines
# continue the file list of the patch above.  '#' starts a comment.
# Sourced.

# series_entries: print "PATCH FILE..." lines, one per patch.
series_entries() {
	awk '
		{ sub(/#.*/, "") }
		/^[ \t]+[^ \t]/ { if (cur != "") cur = cur " " $0; next }
		NF { if (cur != "") print cur; cur = $0 }
		END { if (cur != "") print cur }
	' "$TOP/patches/series" | tr -s ' \t' '  '
}

# our_kernel_files: every file we keep at a kernel path.
our_kernel_files() {
	local d
	for d in $KERNEL_DIRS; do
		[ -d "$TOP/$d" ] && (cd "$TOP" && git ls-files --cached --others --exclude-standard -- "$d")
	done
	return 0
}
