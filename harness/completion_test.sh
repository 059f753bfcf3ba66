#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# completion_test.sh: the coredomain command's bash completion
# (tools/sched/coredomain/coredomain.bash-completion), in bash on the host:
# each case completes a command line and must offer exactly what it lists.
. "$(dirname "$0")/lib.sh"

rec() { python3 "$TOP/harness/report.py" record "$1" "cli/completion:$2" "$3"; }
# shellcheck source=/dev/null
. "$SRC/tools/sched/coredomain/coredomain.bash-completion"

# case NAME WANT WORD...: complete WORD... (the last one is being typed)
case_() {
	local name=$1 want=$2 got
	shift 2
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	# bash runs completions without errexit; compgen fails when nothing matches
	set +e
	_coredomain
	set -e
	got="${COMPREPLY[*]}"
	if [ "$got" = "$want" ]; then
		rec PASS "$name" "'$*' -> '$got'"
	else
		rec FAIL "$name" "'$*' -> '$got', want '$want'"
	fi
}

case_ commands "new get set copy cgroup status --help --version" coredomain ""
case_ command-prefix "copy cgroup" coredomain c
case_ types "pid tgid pgid" coredomain new -t ""
case_ type-prefix "pid pgid" coredomain set 5 --type p
case_ copy-options "-s --source -p --pid -t --type -v --verbose --" coredomain copy -
case_ cgroup-values "new ensure none" coredomain cgroup some.slice ""
case_ after-command "" coredomain new -- true -Z_no_such_file_
