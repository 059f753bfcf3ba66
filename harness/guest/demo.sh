#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 'make run': what this guest is, and the core-domain demonstration.
echo "kernel:   $(uname -r) ($(uname -v))"
echo "cpus:     $(grep -c ^processor /proc/cpuinfo) online, SMT active: $(cat /sys/devices/system/cpu/smt/active 2>/dev/null || echo n/a)"
echo "cores (thread siblings):"
for c in /sys/devices/system/cpu/cpu[0-9]*; do
	echo "    $(cat "$c"/topology/thread_siblings_list) package $(cat "$c"/topology/physical_package_id)"
done | sort -u
if [ -d /sys/kernel/core_domain ]; then
	echo "core_domain: mode=$(cat /sys/kernel/core_domain/mode) active=$(cat /sys/kernel/core_domain/active) ($(cat /sys/kernel/core_domain/reason))"
else
	echo "core_domain: not in this kernel"
fi
[ -x /coredomain/bin/coredomain-demo ] && exec /coredomain/bin/coredomain-demo
exit 0
