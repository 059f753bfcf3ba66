#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The coredomain command (tools/sched/coredomain): new, get, set, cgroup and
# status, their errors and exit statuses, and the permission model as the
# unprivileged users "user" (1000) and "other" (1001).  Needs root, a
# kernel enforcing core domains (core_domain=on on SMT), debugfs and the
# coredomain command in $PATH (or $COREDOMAIN).  The cgroup tests run when
# the kernel has cpu.core_domain.

DIR=$(dirname "$0")
. "$DIR/../kselftest/ktap_helpers.sh"

CD=${COREDOMAIN:-$(command -v coredomain)}
CG=/sys/fs/cgroup
NOPID=4194303		# above any pid_max of the test guests
PLAN=60

n=0
failed=0
pids=""
tmp=$(mktemp -d)
chmod 755 "$tmp"

result() {	# result STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		ktap_test_pass "$2"
	else
		ktap_test_fail "$2"
		failed=$((failed + 1))
		echo "#   exit $rc, stdout: $(head -c 300 "$tmp/out" 2>/dev/null)"
		echo "#   stderr: $(head -c 300 "$tmp/err" 2>/dev/null)"
	fi
}

check() {	# check DESCRIPTION COMMAND...: ok if COMMAND succeeds
	desc=$1
	shift
	if "$@"; then result 0 "$desc"; else result 1 "$desc"; fi
}

skip() {	# skip DESCRIPTION REASON
	n=$((n + 1))
	ktap_test_skip "$1 ($2)"
}

run() {		# run COMMAND...: $rc, $out, $err and $tmp/{out,err}
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

as() {		# as USER SHELL-COMMAND: run it as USER
	run su -s /bin/sh "$1" -c "$2"
}

has() {		# has TEXT PATTERN: TEXT contains PATTERN (a shell pattern)
	case $1 in *$2*) true ;; *) false ;; esac
}

fails() {	# fails STATUS TEXT: the last command exited STATUS naming TEXT
	[ "$rc" = "$1" ] && has "$err" "$2"
}

usage_error() {	# usage_error ARG...: exit 2, a message and the --help hint
	run "$CD" "$@"
	[ "$rc" = 2 ] && [ -z "$out" ] && fails 2 "Try 'coredomain --help'"
}

domain() {	# domain PID: its domain as "coredomain get" shows it
	"$CD" get "$1" 2>/dev/null | awk '{ print $2 }'
}

is_id() {	# is_id VALUE: a decimal domain id other than 0
	case $1 in '' | 0 | *[!0-9]*) false ;; *) true ;; esac
}

sleeper() {	# sleeper: a background sleep; its pid in $spid
	sleep 1000 &
	spid=$!
	pids="$pids $spid"
}

cleanup() {
	for p in $pids; do
		[ -d "$CG/cdtest" ] && echo "$p" >"$CG/cgroup.procs" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rmdir "$CG/cdtest/child" "$CG/cdtest" "$CG/cdtest2" "$CG/cdtest3" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ktap_print_header
if [ "$(id -u)" != 0 ] || [ ! -x "$CD" ]; then
	ktap_skip_all "needs root and the coredomain command (tools/sched/coredomain)"
	exit "$KSFT_SKIP"
fi
if [ "$(cat /sys/kernel/core_domain/active 2>/dev/null)" != 1 ]; then
	# A boot that does not enforce (core_domain=off): say so, clearly.
	ktap_set_plan 2
	cd "$tmp" || exit 1
	run "$CD" new -- true
	check "not enforced: new fails, exit 1, and says why" \
		eval '[ $rc = 1 ] && has "$err" "not enforced on this boot: $(cat /sys/kernel/core_domain/reason)"'
	run "$CD" copy -s $$ -- true
	check "not enforced: copy fails the same way" \
		eval '[ $rc = 1 ] && has "$err" "not enforced on this boot"'
	ktap_finished
fi
ktap_set_plan "$PLAN"
cd "$tmp" || exit 1

# --- help, version ---------------------------------------------------------
run "$CD" --help
check "--help prints the usage, exit 0" \
	eval '[ $rc = 0 ] && has "$out" "Usage:*coredomain status"'
run "$CD" -V
check "-V prints the version, exit 0" eval '[ $rc = 0 ] && [ "${out%% *}" = coredomain ]'

# --- new -- COMMAND ----------------------------------------------------------
self=$(domain $$)
run "$CD" new -v -- sh -c "$CD get; awk '/^CoreDomain:/ { print \$2 }' /proc/self/status"
id=$(echo "$out" | sed -n '1s/^[0-9]* //p')
check "new -- CMD: the command sees a new domain ($id; this shell: $self)" \
	eval '[ $rc = 0 ] && is_id "$id" && [ "$id" != "$self" ]'
check "new -- CMD: /proc/self/status agrees" eval '[ "$(echo "$out" | sed -n 2p)" = "$id" ]'
check "new -v reports the domain on stderr" \
	eval 'has "$err" "coredomain: tgid [0-9]* in domain " && [ "${err##* in domain }" = "$id" ]'
run "$CD" new -- sh -c 'exit 7'
check "new -- CMD exits with the command's status" eval '[ $rc = 7 ]'
run "$CD" new -- /nonexistent/program
check "new -- missing program: exit 127, 'No such file or directory'" \
	fails 127 "No such file or directory"
run "$CD" new -- "$CD" new -- "$CD" get
check "new inside a domain gives yet another domain" \
	eval 'is_id "${out#* }" && [ "${out#* }" != "$id" ]'

# --- new -p, get, set --------------------------------------------------------
sleeper
p1=$spid
sleeper
p2=$spid
run "$CD" new -p "$p1"
id1=$out
check "new -p PID prints the new domain ($id1)" eval '[ $rc = 0 ] && is_id "$id1"'
check "new -p PID: the task is in it" eval '[ "$(domain $p1)" = "$id1" ]'
run "$CD" get "$p1" "$p2" $$
check "get PID PID PID: one 'PID ID' line each" \
	eval '[ $rc = 0 ] && [ "$out" = "$(printf "%s\n" "$p1 $id1" "$p2 0" "$$ $self")" ]'
run "$CD" get
check "get without a PID shows its own domain" eval '[ $rc = 0 ] && [ "${out#* }" = "$self" ]'
run "$CD" set "$id1" -p "$p2"
check "set ID -p PID: silent, exit 0" eval '[ $rc = 0 ] && [ -z "$out$err" ]'
check "set ID -p PID: the task is in ID" eval '[ "$(domain $p2)" = "$id1" ]'
run "$CD" set "$id1" -- "$CD" get
check "set ID -- CMD runs CMD in ID" eval '[ $rc = 0 ] && [ "${out#* }" = "$id1" ]'
run "$CD" set 0 -p "$p1"
check "set 0 -p PID as root: back to the host domain" eval '[ $rc = 0 ] && [ "$(domain $p1)" = 0 ]'
run "$CD" set 2000000 -p "$p1"
check "set to a domain that cannot exist: exit 1, 'Invalid argument'" fails 1 "Invalid argument"
setsid sh -c "sleep 1000 & echo \$! >$tmp/pg; exec sleep 1000" &
g1=$!
pids="$pids $g1"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/pg" ] && break; sleep 0.2; done
g2=$(cat "$tmp/pg")
pids="$pids $g2"
run "$CD" new -t pgid -p "$g1"
check "new -t pgid -p PID moves its whole process group" \
	eval '[ $rc = 0 ] && is_id "$out" && [ "$(domain $g1)" = "$out" ] &&
	      [ "$(domain $g2)" = "$out" ] && [ "$(domain $$)" = "$self" ]'
run "$CD" set 0 -t pid -p "$g2"
check "set -t pid -p PID moves that thread only" \
	eval '[ $rc = 0 ] && [ "$(domain $g2)" = 0 ] && [ "$(domain $g1)" != 0 ]'
run "$CD" get "$NOPID"
check "get of a missing pid: exit 1, 'No such process'" fails 1 "No such process"
run "$CD" set 0 -p "$NOPID"
check "set of a missing pid: exit 1, 'No such process'" fails 1 "No such process"
run "$CD" get "$p1" "$NOPID" "$p2"
check "get shows the others when one pid is missing, exit 1" \
	eval '[ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 2 ]'

# --- copy (coresched's) ---------------------------------------------------------
run "$CD" copy -s "$p2" -- "$CD" get
check "copy -s SRC -- CMD runs CMD in SRC's domain" \
	eval '[ $rc = 0 ] && [ "${out#* }" = "$id1" ]'
sleeper
p3=$spid
run "$CD" copy -s "$p2" -p "$p3"
check "copy -s SRC -p PID moves PID into SRC's domain" \
	eval '[ $rc = 0 ] && [ "$(domain $p3)" = "$id1" ]'
usage_error copy -- true
check "copy without -s: usage error, exit 2" eval '[ $rc = 2 ] && has "$err" "no source task"'
run "$CD" copy -s "$NOPID" -- true
check "copy -s <missing pid>: exit 1, 'No such process'" fails 1 "No such process"

# --- unprivileged users ------------------------------------------------------
as user "$CD new -- $CD get"
check "user: new -- CMD" eval '[ $rc = 0 ] && is_id "${out#* }"'
as user "$CD new -- sh -c '$CD set 0 -p \$\$'"
check "user: set 0 -p own task: exit 1, 'Operation not permitted'" \
	fails 1 "Operation not permitted"
su -s /bin/sh other -c "exec $CD new -- sleep 1000" &
po=$!
pids="$pids $po"
for i in 1 2 3 4 5 6 7 8 9 10; do is_id "$(domain $po)" && break; sleep 0.2; done
ido=$(domain $po)
as user "$CD new -p $po"
check "user: new -p <other's task>: exit 1, 'Operation not permitted'" \
	fails 1 "Operation not permitted"
as user "$CD new -- sh -c '$CD set \$($CD get | cut -d\" \" -f2) -p $po'"
check "user: set <own domain> -p <other's task>: EPERM" fails 1 "Operation not permitted"
as user "$CD set $ido -- true"
check "user: set <other's domain ($ido)> -- CMD: EPERM" fails 1 "Operation not permitted"
as user "$CD copy -s $po -- true"
check "user: copy -s <other's task>: exit 1, 'Operation not permitted'" \
	fails 1 "Operation not permitted"
check "user: the other's task stayed in its domain" \
	eval 'is_id "$ido" && [ "$(domain $po)" = "$ido" ]'
as user "$CD status"
check "user: status shows the state, says the map needs root, exit 0" \
	eval '[ $rc = 0 ] && has "$out" "active  1" && has "$err" "per-core map*Permission denied"'

# --- usage errors ------------------------------------------------------------
check "usage: no command: exit 2" usage_error
check "usage: unknown command: exit 2" usage_error frobnicate
check "usage: set abc: exit 2" usage_error set abc -p 1
check "usage: set -5: exit 2" usage_error set -5 -p 1
check "usage: set 99999999999999999999: exit 2" usage_error set 99999999999999999999 -p 1
check "usage: set without an ID: exit 2" usage_error set
check "usage: new without a command or -p: exit 2" usage_error new
check "usage: new -p without a pid, -p 0, -p x: exit 2" \
	eval 'usage_error new -p && usage_error new -p 0 && usage_error new -p 1x'
check "usage: -t bogus, status -w 0, -n 0, get -1: exit 2" \
	eval 'usage_error new -t bogus -- true && usage_error status -w 0 &&
	      usage_error status -n 0 && usage_error get -1'

# --- status ------------------------------------------------------------------
ncores=$(cat /sys/devices/system/cpu/cpu[0-9]*/topology/thread_siblings_list | sort -u | wc -l)
ncpus=$(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)
run "$CD" status -n 1
check "status -n 1: mode, active, reason" \
	eval '[ $rc = 0 ] && [ -z "$err" ] && echo "$out" | grep -q "^mode " &&
	      echo "$out" | grep -q "^active  1$" && echo "$out" | grep -q "^reason "'
check "status -n 1: one line per core ($ncores), every CPU once ($ncpus)" \
	eval '[ "$(echo "$out" | grep -cE "^ *[0-9]+ ")" = $ncores ] &&
	      [ "$(echo "$out" | grep -E "^ *[0-9]+ " | tr "|" "\n" | grep -c .)" = \
		$((ncores + ncpus)) ] && echo "$out" | grep -q "since boot"'
run "$CD" status -w 1 -n 2
check "status -w 1 -n 2: two samples, the second over about 1 s" \
	eval '[ $rc = 0 ] && [ "$(echo "$out" | grep -cE "^ *[0-9]+ ")" = $((2 * ncores)) ] &&
	      echo "$out" | grep "^interval" | sed -n 2p | awk "{ exit !(\$2 >= 0.9 && \$2 < 5) }"'
"$CD" new -v -- sh -c 'while :; do :; done' 2>"$tmp/spin" &
spin=$!
pids="$pids $spin"
sleep 0.5
ids=$(sed -n 's/.* in domain //p' "$tmp/spin")
run "$CD" status -w 0.2 -n 10
check "status shows a spinning domain ($ids) on a CPU" \
	eval 'is_id "$ids" && echo "$out" | grep -E "^ *[0-9]+ " |
	      grep -qE "[0-9] +$ids +[0-9.]+ +[0-9]+( |$)"'
kill "$spin"

# --- cgroup ------------------------------------------------------------------
NCG=13
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none "$CG"
echo +cpu >"$CG/cgroup.subtree_control" 2>/dev/null
mkdir -p "$CG/cdtest"
if [ ! -e "$CG/cdtest/cpu.core_domain" ]; then
	for i in $(seq $NCG); do skip "cgroup $i" "cpu.core_domain not in this kernel"; done
else
	echo +cpu >"$CG/cdtest/cgroup.subtree_control"
	mkdir -p "$CG/cdtest/child"
	run "$CD" cgroup cdtest new
	idc=${out% own}
	check "cgroup P new (relative to $CG): 'N own' ($out)" eval '[ $rc = 0 ] && is_id "$idc"'
	run "$CD" cgroup "$CG/cdtest"
	check "cgroup /abs/path reads it back" eval '[ $rc = 0 ] && [ "$out" = "$idc own" ]'
	run "$CD" cgroup cdtest/child
	check "a child cgroup: 'N inherited'" eval '[ $rc = 0 ] && [ "$out" = "$idc inherited" ]'
	sleeper
	echo "$spid" >"$CG/cdtest/cgroup.procs"
	check "a task moved into the cgroup is in its domain" eval '[ "$(domain $spid)" = "$idc" ]'
	sleeper
	idn=$("$CD" new -p "$spid")
	mkdir -p "$CG/cdtest2"
	run "$CD" cgroup cdtest2 "$idn"
	check "cgroup P ID adopts an existing domain: 'ID own'" \
		eval '[ $rc = 0 ] && [ "$out" = "$idn own" ]'
	run "$CD" cgroup cdtest/child "$idn"
	check "cgroup P ID outside the parent's domain: exit 1, EPERM" \
		fails 1 "Operation not permitted"
	check "cpu.stat has core_sched.force_idle_usec" \
		grep -qE "^core_sched.force_idle_usec [0-9]+$" "$CG/cdtest/cpu.stat"
	mkdir -p "$CG/cdtest3"
	run "$CD" cgroup cdtest3 ensure
	ide=${out%% *}
	check "cgroup P ensure on an untagged group: a domain of its own" \
		eval '[ $rc = 0 ] && is_id "$ide" && [ "$out" = "$ide own" ]'
	run "$CD" cgroup cdtest3 ensure
	check "cgroup P ensure again: the same domain" eval '[ $rc = 0 ] && [ "$out" = "$ide own" ]'
	rmdir "$CG/cdtest3"
	mkdir "$CG/cdtest3"
	run "$CD" cgroup cdtest3 ensure
	check "cgroup P ensure on the group made again: tagged again" \
		eval '[ $rc = 0 ] && is_id "${out%% *}" && has "$out" " own"'
	rmdir "$CG/cdtest3"
	run "$CD" cgroup cdtest none
	check "cgroup P none: '0 none'" eval '[ $rc = 0 ] && [ "$out" = "0 none" ]'
	run "$CD" cgroup cdtest garbage
	check "cgroup P garbage: exit 1, 'Invalid argument'" fails 1 "Invalid argument"
	run "$CD" cgroup no-such-cgroup new
	check "cgroup of a missing cgroup: exit 1, 'No such file or directory'" \
		fails 1 "No such file or directory"
fi

[ $n = $PLAN ] || ktap_print_msg "planned $PLAN tests, ran $n"
ktap_finished
