// SPDX-License-Identifier: GPL-2.0
/*
 * Cores whose threads come up for the first time one at a time.
 *
 * A core's membership must come from the topology of all its possible
 * threads, not from the siblings online when each thread first came up.
 * On a guest booted with maxcpus= some cores have no thread online; for
 * each of them this test brings the threads up in the order that split
 * such a core in two, each state never checked against the other:
 *
 *   A up, A down, B up for the first time (A still down), A up again
 *
 * (every thread of the core is probed that way, one at a time, to learn
 * which cores they belong to: core_id and the package only exist while a
 * CPU is online).  Then two CPU-bound single-threaded tasks in two
 * different domains, pinned to A and B, spin for RUN_SECS while
 * sched_switch is traced (global clock), and the trace must show them
 * never running at the same time.  On a kernel that splits the core they
 * run side by side the whole time.  debugfs core_domain/cores must also
 * list A and B in one core.
 *
 * Runs for each core of 2 and of 4 threads found entirely offline at
 * start (boot with maxcpus=1 or 2; with parallel bringup x86 starts
 * primary threads first, so maxcpus=N may online one thread of N cores).
 * Needs core domains enforced (core_domain=on), tracefs, and debugfs for
 * the extra check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"
#include "cd_util.h"

#ifndef PR_SET_CORE_DOMAIN
#define PR_SET_CORE_DOMAIN		0x43440001
#define PR_CORE_DOMAIN_NEW		0xffffffffUL
#define PR_CORE_DOMAIN_SCOPE_THREAD	0
#endif

#define TRACEFS		"/sys/kernel/tracing/"
#define CDDBG		"/sys/kernel/debug/core_domain/"
#define SYSCPU		"/sys/devices/system/cpu/"
#define MAXCPU		256
#define MAXSMT		8
#define RUN_SECS	2.0
/* Each task must get at least this share of the run: or it proves nothing. */
#define MIN_SHARE	0.10

struct topo {
	int online_at_start[MAXCPU];
	int present[MAXCPU];
	long pkg[MAXCPU], die[MAXCPU], core[MAXCPU];
	int known[MAXCPU];
};

static struct topo *tp;

static int is_online(int cpu)
{
	char path[96], buf[8];

	if (cpu == 0)
		return 1;
	snprintf(path, sizeof(path), SYSCPU "cpu%d/online", cpu);
	return !strcmp(cd_read_line(path, buf, sizeof(buf)), "1");
}

static int set_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), SYSCPU "cpu%d/online", cpu);
	return put(path, on ? "1" : "0");
}

static long topo_long(int cpu, const char *file)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), SYSCPU "cpu%d/topology/%s", cpu, file);
	cd_read_line(path, buf, sizeof(buf));
	return buf[0] ? atol(buf) : -1;
}

/* Record where online @cpu sits; 0 or -1. */
static int learn(int cpu)
{
	tp->pkg[cpu] = topo_long(cpu, "physical_package_id");
	tp->die[cpu] = topo_long(cpu, "die_id");
	tp->core[cpu] = topo_long(cpu, "core_id");
	tp->known[cpu] = tp->core[cpu] >= 0 && tp->pkg[cpu] >= 0;
	return tp->known[cpu] ? 0 : -1;
}

static int same_core(int a, int b)
{
	return tp->known[a] && tp->known[b] && tp->pkg[a] == tp->pkg[b] &&
	       tp->die[a] == tp->die[b] && tp->core[a] == tp->core[b];
}

/* Is @b in online @a's thread_siblings_list? */
static int listed_sibling(int a, int b)
{
	char path[128], buf[256], *tok, *save;

	snprintf(path, sizeof(path), SYSCPU "cpu%d/topology/thread_siblings_list", a);
	cd_read_line(path, buf, sizeof(buf));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int lo, hi;

		if (sscanf(tok, "%d-%d", &lo, &hi) != 2)
			hi = lo = atoi(tok);
		if (b >= lo && b <= hi)
			return 1;
	}
	return 0;
}

/*
 * Do A and B share a core in debugfs core_domain/cores?  1, 0, or -1 when
 * the file cannot be read.
 */
static int cores_together(int a, int b)
{
	FILE *f = fopen(CDDBG "cores", "r");
	char line[512];
	int core = -1, ca = -2, cb = -3, c;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "core %d", &c) == 1)
			core = c;
		else if (sscanf(line, " cpu %d", &c) == 1) {
			if (c == a)
				ca = core;
			if (c == b)
				cb = core;
		}
	}
	fclose(f);
	return ca == cb;
}

/* --- the two tasks --- */

static void spinner(int cpu, int go_fd, int ready_fd)
{
	cpu_set_t set;
	double end;
	char c;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(2);
	if (prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
		  PR_CORE_DOMAIN_SCOPE_THREAD, 0) < 0)
		_exit(3);
	if (write(ready_fd, "r", 1) != 1)
		_exit(4);
	/* Asleep until the trace is on: the first event is its switch-in. */
	if (read(go_fd, &c, 1) != 1)
		_exit(5);
	end = cd_now_s() + RUN_SECS;
	while (cd_now_s() < end)
		;
	_exit(0);
}

/* --- the trace --- */

#define MAXIV	(1 << 18)

struct runs {
	int pid, n, open;
	double since, total;
	double s[MAXIV], e[MAXIV];
	long wrong_cpu;
};

static void run_event(struct runs *r, int cpu, int want_cpu, double ts, int in)
{
	if (in) {
		if (cpu != want_cpu)
			r->wrong_cpu++;
		r->open = 1;
		r->since = ts;
		return;
	}
	if (!r->open || r->n >= MAXIV)
		return;
	r->s[r->n] = r->since;
	r->e[r->n++] = ts;
	r->total += ts - r->since;
	r->open = 0;
}

/* Parse sched_switch lines into the run intervals of the two tasks. */
static long read_trace(struct runs *ra, int cpua, struct runs *rb, int cpub,
		       double *first, double *last)
{
	FILE *f = fopen(TRACEFS "trace", "r");
	char line[1024];
	long n = 0;

	*first = *last = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *ev = strstr(line, ": sched_switch:"), *p, *q;
		int cpu, prev, next;
		double ts;

		if (!ev || line[0] == '#')
			continue;
		p = strchr(line, '[');
		if (!p || sscanf(p, "[%d]", &cpu) != 1)
			continue;
		for (q = ev; q > line && q[-1] != ' '; q--)
			;
		ts = strtod(q, NULL);
		p = strstr(ev, "prev_pid=");
		q = strstr(ev, "next_pid=");
		if (!p || !q)
			continue;
		prev = atoi(p + 9);
		next = atoi(q + 9);
		if (*first < 0)
			*first = ts;
		*last = ts;
		n++;
		if (prev == ra->pid)
			run_event(ra, cpu, cpua, ts, 0);
		if (prev == rb->pid)
			run_event(rb, cpu, cpub, ts, 0);
		if (next == ra->pid)
			run_event(ra, cpu, cpua, ts, 1);
		if (next == rb->pid)
			run_event(rb, cpu, cpub, ts, 1);
	}
	fclose(f);
	/* Still running at the end of the trace (should not be: they exit). */
	if (ra->open)
		run_event(ra, cpua, cpua, *last, 0);
	if (rb->open)
		run_event(rb, cpub, cpub, *last, 0);
	return n;
}

/* Total time both ran at once, and the longest stretch of it. */
static double overlap(const struct runs *a, const struct runs *b, double *worst)
{
	double sum = 0;
	int i = 0, j = 0;

	*worst = 0;
	while (i < a->n && j < b->n) {
		double lo = a->s[i] > b->s[j] ? a->s[i] : b->s[j];
		double hi = a->e[i] < b->e[j] ? a->e[i] : b->e[j];

		if (hi > lo) {
			sum += hi - lo;
			if (hi - lo > *worst)
				*worst = hi - lo;
		}
		if (a->e[i] < b->e[j])
			i++;
		else
			j++;
	}
	return sum;
}

FIXTURE(hotplug) {
	int touched[MAXCPU];
	int ncpu;
};

FIXTURE_SETUP(hotplug)
{
	char buf[16];
	int c;

	if (strcmp(cd_read_line("/sys/kernel/core_domain/active", buf, sizeof(buf)), "1"))
		SKIP(return, "core domains are not enforced on this boot");
	if (access(TRACEFS "trace", W_OK))
		SKIP(return, "no tracefs at " TRACEFS);
	tp = calloc(1, sizeof(*tp));
	ASSERT_NE(NULL, tp);
	for (c = 0; c < MAXCPU; c++) {
		char path[96];

		snprintf(path, sizeof(path), SYSCPU "cpu%d", c);
		if (access(path, F_OK))
			continue;
		self->ncpu = c + 1;
		tp->present[c] = 1;
		tp->online_at_start[c] = is_online(c);
		if (tp->online_at_start[c])
			learn(c);
	}
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "0"));
	ASSERT_EQ(0, put(TRACEFS "trace_clock", "global"));
	ASSERT_EQ(0, put(TRACEFS "buffer_size_kb", "8192"));
	ASSERT_EQ(0, put(TRACEFS "events/enable", "0"));
	ASSERT_EQ(0, put(TRACEFS "events/sched/sched_switch/enable", "1"));
}

FIXTURE_TEARDOWN(hotplug)
{
	int c;

	put(TRACEFS "tracing_on", "0");
	put(TRACEFS "events/enable", "0");
	put(TRACEFS "buffer_size_kb", "64");
	if (!tp)
		return;
	/* Leave the CPUs as the boot left them. */
	for (c = 1; c < self->ncpu; c++)
		if (self->touched[c] && !tp->online_at_start[c])
			set_online(c, 0);
	free(tp);
	tp = NULL;
}

/*
 * Run the two spinners on A and B; the time they overlapped in the trace,
 * or a negative number on a setup failure.
 */
static double run_pair(struct __test_metadata *_metadata, int a, int b,
		       double *worst, double *share_a, double *share_b)
{
	int go[2], ready[2], status, i, ok = 1;
	struct runs *ra, *rb;
	double first, last, sum = -1;
	pid_t pa, pb;
	long events;
	char c;

	ra = calloc(1, sizeof(*ra));
	rb = calloc(1, sizeof(*rb));
	if (!ra || !rb || pipe(go) || pipe(ready))
		goto out;
	put(TRACEFS "trace", "");
	pa = fork();
	if (pa == 0)
		spinner(a, go[0], ready[1]);
	pb = fork();
	if (pb == 0)
		spinner(b, go[0], ready[1]);
	for (i = 0; i < 2; i++)
		if (read(ready[0], &c, 1) != 1)
			ok = 0;
	if (ok && put(TRACEFS "tracing_on", "1"))
		ok = 0;
	if (write(go[1], "gg", 2) != 2)
		ok = 0;
	waitpid(pa, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		TH_LOG("task on cpu%d failed: status %#x", a, status);
		ok = 0;
	}
	waitpid(pb, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		TH_LOG("task on cpu%d failed: status %#x", b, status);
		ok = 0;
	}
	put(TRACEFS "tracing_on", "0");
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	if (!ok)
		goto out;

	ra->pid = pa;
	rb->pid = pb;
	events = read_trace(ra, a, rb, b, &first, &last);
	if (events <= 0 || last <= first) {
		TH_LOG("no sched_switch events traced");
		goto out;
	}
	if (ra->wrong_cpu || rb->wrong_cpu)
		TH_LOG("tasks ran off their CPUs: %ld, %ld times", ra->wrong_cpu,
		       rb->wrong_cpu);
	sum = overlap(ra, rb, worst);
	*share_a = ra->total / RUN_SECS;
	*share_b = rb->total / RUN_SECS;
	cd_say("# cpu%d ran %.3f s in %d stretches, cpu%d ran %.3f s in %d, together %.6f s (longest %.6f s), %ld events\n",
	       a, ra->total, ra->n, b, rb->total, rb->n, sum, *worst, events);
out:
	free(ra);
	free(rb);
	return sum;
}

TEST_F_TIMEOUT(hotplug, first_online_apart, 300)
{
	int group[MAXCPU][MAXSMT], ngroup[MAXCPU], g, n = 0, c;
	int tested2 = 0, tested4 = 0, failed = 0;
	int kfd = cd_kmsg_open(1);

	/*
	 * Probe every CPU offline at start alone: up (it comes up for the
	 * first time unless an earlier run did it), read where it is, down.
	 * Its siblings are down meanwhile unless online from boot, so this is
	 * "A up, A down, B up for the first time" for every pair of a core
	 * that boot left entirely offline.
	 */
	for (c = 1; c < self->ncpu; c++) {
		int r;

		if (!tp->present[c] || tp->online_at_start[c])
			continue;
		self->touched[c] = 1;
		r = set_online(c, 1);
		if (r) {
			TH_LOG("cpu%d online: %s", c, strerror(-r));
			continue;
		}
		if (learn(c))
			TH_LOG("cpu%d: no topology", c);
		ASSERT_EQ(0, set_online(c, 0));
	}
	/* Cores that no CPU online at start belongs to. */
	for (c = 1; c < self->ncpu; c++) {
		int online_sib = 0, dup = 0, s;

		if (!tp->known[c] || tp->online_at_start[c])
			continue;
		for (s = 0; s < self->ncpu; s++)
			if (s != c && tp->online_at_start[s] && same_core(s, c))
				online_sib = 1;
		for (g = 0; g < n; g++)
			if (same_core(group[g][0], c)) {
				dup = 1;
				if (ngroup[g] < MAXSMT)
					group[g][ngroup[g]++] = c;
			}
		if (online_sib || dup)
			continue;
		if (n == MAXCPU)
			break;
		group[n][0] = c;
		ngroup[n++] = 1;
	}

	for (g = 0; g < n; g++) {
		int a = group[g][0], b = group[g][ngroup[g] - 1], r, t;
		double sum, worst = 0, sa = 0, sb = 0;

		if (ngroup[g] < 2)
			continue;
		if ((ngroup[g] == 2 && tested2) || (ngroup[g] >= 4 && tested4))
			continue;
		cd_say("# core of cpu%d: %d threads offline at start; A=cpu%d B=cpu%d\n",
		       a, ngroup[g], a, b);
		/* B up (its first time was in the probe, with A down), A up again. */
		r = set_online(b, 1);
		ASSERT_EQ(0, r) TH_LOG("cpu%d online: %s", b, strerror(-r));
		r = set_online(a, 1);
		ASSERT_EQ(0, r) TH_LOG("cpu%d online: %s", a, strerror(-r));
		EXPECT_TRUE(listed_sibling(a, b))
			TH_LOG("cpu%d and cpu%d are not SMT siblings in sysfs", a, b);
		t = cores_together(a, b);
		if (t >= 0) {
			EXPECT_EQ(1, t)
				TH_LOG("debugfs cores puts cpu%d and cpu%d in two cores", a, b);
			if (t != 1)
				failed++;
		}

		sum = run_pair(_metadata, a, b, &worst, &sa, &sb);
		ASSERT_LE(0, sum) TH_LOG("could not run the tasks on cpu%d, cpu%d", a, b);
		EXPECT_EQ(0, sum > 0)
			TH_LOG("domains ran side by side on cpu%d and cpu%d for %.6f s (longest %.6f s): the core is split",
			       a, b, sum, worst);
		EXPECT_LE(MIN_SHARE, sa) TH_LOG("cpu%d's task got %.0f%%", a, sa * 100);
		EXPECT_LE(MIN_SHARE, sb) TH_LOG("cpu%d's task got %.0f%%", b, sb * 100);
		if (sum > 0 || sa < MIN_SHARE || sb < MIN_SHARE)
			failed++;
		if (ngroup[g] == 2)
			tested2 = 1;
		else
			tested4 = 1;
		/* Back down, so that a later core is probed as the boot left it. */
		set_online(a, 0);
		set_online(b, 0);
	}
	EXPECT_EQ(0, cd_kmsg_scan(kfd));
	if (kfd >= 0)
		close(kfd);
	cd_say("# REPORT hotplug 2-thread=%s 4-thread=%s failed=%d\n",
	       tested2 ? "tested" : "none", tested4 ? "tested" : "none", failed);
	if (!tested2 && !tested4) {
		char cmdline[4096];

		/* Booted for this test: finding nothing to test is a failure. */
		ASSERT_EQ(NULL, strstr(cd_read_line("/proc/cmdline", cmdline, sizeof(cmdline)),
				       "maxcpus="))
			TH_LOG("booted with maxcpus= but no core was offline at start");
		SKIP(return, "no core with every thread offline at start: boot with maxcpus=1 or 2");
	}
}

TEST_HARNESS_MAIN
