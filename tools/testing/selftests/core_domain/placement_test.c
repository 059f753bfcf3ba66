// SPDX-License-Identifier: GPL-2.0
/*
 * Domain-aware placement: where the fair class puts tasks of several
 * domains.  Samples which CPU every CPU-bound thread is queued on
 * (/proc/PID/task/TID/stat) and judges each sample by the cores:
 *
 *  - packing: two domains x four threads on four cores should end up one
 *    domain per core pair; a sample "splits" a core when threads of two
 *    domains are queued on its CPUs (one of them must wait);
 *  - spreading: with fewer threads than cores, every thread should get a
 *    core of its own (Xen's core scheduling stopped spreading and lost
 *    15-42% on under-loaded guests).
 *
 *  - real-time wakeups: a SCHED_FIFO task of one domain should wake on an
 *    idle core rather than beside another domain's running thread.
 *
 * Each case also runs with placement turned off (debugfs
 * core_domain/placement = 0) and prints both, so the log shows what the
 * placement buys; only the placement-on figure is asserted, with a wide
 * margin: it is behaviour, not timing.
 *
 * Needs the 4 cores x 2 threads guest, core_domain=on.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"
#include "cd_util.h"
#include "cd_timeline.h"

#define PLACEMENT	"/sys/kernel/debug/core_domain/placement"
#define MAXT		16

/*
 * Every process this suite forks is a tenant or a waker that must not
 * outlive the test: an ASSERT between starting the tenants and killing
 * them used to leave them paused, in their domains, into the next suite.
 */
#define fork()	cd_fork_tied()

struct thr {
	pid_t tid;
	int dom;		/* index of its domain */
};

static int set_placement(int on)
{
	int fd = open(PLACEMENT, O_WRONLY | O_TRUNC);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -EIO;
}

static void *spin(void *arg)
{
	int *tid = arg;

	*tid = gettid();
	for (;;)
		;
	return NULL;
}

/* 2 ms of work, 1 ms of sleep: every cycle is a wakeup to place. */
static void *burst(void *arg)
{
	struct timespec ts = { 0, 1000000 }, t0, t1;
	int *tid = arg;

	*tid = gettid();
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t1);
		while ((t1.tv_sec - t0.tv_sec) * 1000000000L +
		       t1.tv_nsec - t0.tv_nsec < 2000000);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * A process in a fresh domain running @n threads of @fn; their tids in
 * @tids.
 */
static pid_t tenant(int n, int *tids, void *(*fn)(void *))
{
	ssize_t len = sizeof(int) * n;
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();

	if (pid == 0) {
		pthread_t t;
		int i, v[MAXT] = { 0 };

		if (prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
			  PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0) < 0)
			exit(1);
		for (i = 0; i < n; i++)
			pthread_create(&t, NULL, fn, &v[i]);
		for (i = 0; i < n; i++)
			while (!__atomic_load_n(&v[i], __ATOMIC_SEQ_CST))
				usleep(1000);
		if (write(fds[1], v, len) != len)
			exit(1);
		pause();
		exit(0);
	}
	if (read(fds[0], tids, len) != len)
		pid = -1;
	close(fds[0]);
	close(fds[1]);
	return pid;
}

/* The CPU a task is queued or running on, and whether it is runnable. */
static int task_cpu(pid_t pid, pid_t tid, int *runnable)
{
	char path[64], buf[512], *p;
	int i, cpu = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	*runnable = p[2] == 'R';
	/*
	 * Field 3, the state, follows the space after the comm; field 39,
	 * the processor, the 37th space from there.
	 */
	for (i = 3; p && i <= 39; i++)
		p = strchr(p + 1, ' ');
	if (p)
		cpu = atoi(p + 1);
	return cpu;
}

struct result {
	double packed;		/* samples where no core was split */
	double spread;		/* samples where no two threads shared a core */
	double one_split;	/* samples where at most one core was split */
};

/* Sample where the threads of @ndom tenants of @per threads are queued. */
static struct result sample(struct timeline *tl, int ndom, int per,
			    pid_t *pids, int tids[][MAXT])
{
	int i, j, k, samples = 0, packed = 0, spread = 0, one_split = 0;
	struct result r;

	for (k = 0; k < 40; k++) {
		int core_dom[CD_MAXCPU], core_n[CD_MAXCPU], split = 0, shared = 0;
		int core_split[CD_MAXCPU] = { 0 }, nsplit = 0;

		for (i = 0; i < tl->ncpu; i++) {
			core_dom[i] = -1;
			core_n[i] = 0;
		}
		for (i = 0; i < ndom; i++) {
			for (j = 0; j < per; j++) {
				int run, cpu = task_cpu(pids[i], tids[i][j], &run);
				int core;

				if (cpu < 0 || cpu >= tl->ncpu || !run)
					continue;
				core = tl->sibling_of[cpu][0];
				if (core_dom[core] >= 0 && core_dom[core] != i) {
					split = 1;
					nsplit += !core_split[core];
					core_split[core] = 1;
				}
				core_dom[core] = i;
				if (++core_n[core] > 1)
					shared = 1;
			}
		}
		samples++;
		packed += !split;
		spread += !shared;
		one_split += nsplit <= 1;
		usleep(50000);
	}
	r.packed = (double)packed / samples;
	r.spread = (double)spread / samples;
	r.one_split = (double)one_split / samples;
	return r;
}

static void kill_tenants(int ndom, pid_t *pids)
{
	int i;

	for (i = 0; i < ndom; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/*
 * Run @ndom tenants of @per threads, settle, sample for two seconds.
 * The last tenant runs @last instead of spinners.
 */
static struct result run_case(struct timeline *tl, int ndom, int per,
			      void *(*last)(void *))
{
	int tids[4][MAXT], i;
	struct result r;
	pid_t pids[4];

	for (i = 0; i < ndom; i++)
		pids[i] = tenant(per, tids[i], i == ndom - 1 ? last : spin);
	usleep(1000000);
	r = sample(tl, ndom, per, pids, tids);
	kill_tenants(ndom, pids);
	return r;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The cores of two threads: their CPUs in @core; returns how many. */
static int list_cores(struct timeline *tl, int core[][2])
{
	int cpu, j, ncore = 0;

	for (cpu = 0; cpu < tl->ncpu; cpu++) {
		for (j = 0; j < tl->nsib[cpu]; j++)
			if (tl->sibling_of[cpu][j] < cpu)
				break;
		if (j < tl->nsib[cpu] || tl->nsib[cpu] != 2)
			continue;
		core[ncore][0] = cpu;
		core[ncore][1] = tl->sibling_of[cpu][0] == cpu ?
				 tl->sibling_of[cpu][1] : tl->sibling_of[cpu][0];
		ncore++;
	}
	return ncore;
}

/* Let thread @tid run only on @cpu, or anywhere when @cpu < 0. */
static int place_on(pid_t tid, int cpu, int ncpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < ncpu; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

/*
 * Three tenants of three spinners, A, B and C, started in a layout that
 * nine tasks on eight CPUs may well settle in, and that the load
 * balancer has no reason to leave: A | B, A | A, B | B + C, C | C - two
 * cores split where one would do.  Then the threads may run anywhere.
 * Samples from half a second after that.
 */
static struct result repack(struct timeline *tl, int core[][2])
{
	/* [domain][thread]: core, thread of the core */
	static const int at[3][3][2] = {
		{ { 0, 0 }, { 1, 0 }, { 1, 1 } },
		{ { 0, 1 }, { 2, 0 }, { 2, 1 } },
		{ { 2, 1 }, { 3, 0 }, { 3, 1 } },
	};
	struct result r = { -1, -1, -1 };
	int tids[3][MAXT], i, j, bad = 0;
	pid_t pids[3];

	for (i = 0; i < 3; i++)
		pids[i] = tenant(3, tids[i], spin);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			bad |= place_on(tids[i][j], core[at[i][j][0]][at[i][j][1]],
					tl->ncpu);
	usleep(300000);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			bad |= place_on(tids[i][j], -1, tl->ncpu);
	usleep(500000);
	if (!bad)
		r = sample(tl, 3, 3, pids, tids);
	kill_tenants(3, pids);
	return r;
}

FIXTURE(place) {
	struct timeline *tl;
};

FIXTURE_SETUP(place)
{
	self->tl = tl_new();
	ASSERT_NE(NULL, self->tl);
	if (self->tl->ncpu < 8 || self->tl->nsib[0] != 2)
		SKIP(return, "needs 4 cores x 2 threads");
	ASSERT_EQ(0, set_placement(1)) TH_LOG("debugfs %s", PLACEMENT);
}

FIXTURE_TEARDOWN(place)
{
	cd_kill_group();
	set_placement(1);
	tl_free(self->tl);
}

/* Two domains x four threads: one domain per core pair. */
TEST_F(place, two_domains_pack_per_core)
{
	struct result off, on;

	ASSERT_EQ(0, set_placement(0));
	off = run_case(self->tl, 2, 4, spin);
	ASSERT_EQ(0, set_placement(1));
	on = run_case(self->tl, 2, 4, spin);
	TH_LOG("samples with no split core: %.0f%% placement off, %.0f%% on",
	       off.packed * 100, on.packed * 100);
	EXPECT_GE(on.packed, 0.6);
}

/*
 * Three domains x three threads on four cores: three cores run a domain
 * each and only the fourth is shared.  On the 4x2 guest it held in no
 * sample with placement off, in about half of them without strangers
 * (see stranger_joins_split_core) and in over 90% with them.
 */
TEST_F(place, three_domains_split_one_core)
{
	struct result off, on;

	ASSERT_EQ(0, set_placement(0));
	off = run_case(self->tl, 3, 3, spin);
	ASSERT_EQ(0, set_placement(1));
	on = run_case(self->tl, 3, 3, spin);
	TH_LOG("samples with at most one split core: %.0f%% placement off, %.0f%% on",
	       off.one_split * 100, on.one_split * 100);
	EXPECT_GE(on.one_split, 0.6);
}

/*
 * Three domains x three threads left in two split cores: a forced-idle
 * CPU of a split core takes in the task that splits the other one
 * (forced-idle balancing, cd_take_stranger()), and one core stays split.
 */
TEST_F(place, stranger_joins_split_core)
{
	struct result off, on;
	int core[CD_MAXCPU][2];

	ASSERT_LE(4, list_cores(self->tl, core));
	ASSERT_EQ(0, set_placement(0));
	off = repack(self->tl, core);
	ASSERT_EQ(0, set_placement(1));
	on = repack(self->tl, core);
	ASSERT_LE(0, off.one_split) TH_LOG("sched_setaffinity() failed");
	ASSERT_LE(0, on.one_split) TH_LOG("sched_setaffinity() failed");
	TH_LOG("samples with at most one split core: %.0f%% placement off, %.0f%% on",
	       off.one_split * 100, on.one_split * 100);
	EXPECT_GE(on.one_split, 0.6);
}

/* Two domains x two threads on four cores: a core each, nobody waits. */
TEST_F(place, underloaded_spreads_over_cores)
{
	struct result off, on;

	ASSERT_EQ(0, set_placement(0));
	off = run_case(self->tl, 2, 2, spin);
	ASSERT_EQ(0, set_placement(1));
	on = run_case(self->tl, 2, 2, spin);
	TH_LOG("samples with a core per thread: %.0f%% placement off, %.0f%% on",
	       off.spread * 100, on.spread * 100);
	EXPECT_GE(on.spread, 0.6);
}

/*
 * Four spinners of one domain and four bursty threads of another: every
 * wakeup of the second must find a core away from the first.
 */
TEST_F(place, wakeups_avoid_other_domain)
{
	struct result off, on;

	ASSERT_EQ(0, set_placement(0));
	off = run_case(self->tl, 2, 4, burst);
	ASSERT_EQ(0, set_placement(1));
	on = run_case(self->tl, 2, 4, burst);
	TH_LOG("samples with no split core: %.0f%% placement off, %.0f%% on",
	       off.packed * 100, on.packed * 100);
	EXPECT_GE(on.packed, 0.6);
}

/* What the woken thread saw: its wakeups, and those beside domain A. */
struct rt_seen {
	long wakeups, beside;
};

/*
 * Domain A spins on the first thread of every core but the last; a
 * thread of domain B, SCHED_FIFO or SCHED_DEADLINE (@policy), wakes every
 * 2 ms for 1 ms of work, first placed beside A.  It outranks A: wherever
 * it wakes beside A, it takes the core and forces A's thread idle.
 * Returns the share of its wakeups that found it beside A (on a CPU whose
 * sibling runs A).  A deadline task must be allowed every CPU, so it
 * becomes one only once it is there.
 */
static double rt_beside_share(struct timeline *tl, struct rt_seen *seen,
			      int policy)
{
	int core[CD_MAXCPU][2], ncore, beside[CD_MAXCPU] = { 0 };
	int cpu, k;
	pid_t a, b;

	ncore = list_cores(tl, core);
	if (ncore < 2)
		return -1;
	for (k = 0; k < ncore - 1; k++)
		beside[core[k][1]] = 1;
	memset(seen, 0, sizeof(*seen));

	a = fork();
	if (a == 0) {
		pthread_t t;
		static int tids[CD_MAXCPU];

		if (prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
			  PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0) < 0)
			exit(1);
		for (k = 0; k < ncore - 1; k++) {
			pin_to(core[k][0]);
			pthread_create(&t, NULL, spin, &tids[k]);
		}
		pause();
		exit(0);
	}
	usleep(300000);
	b = fork();
	if (b == 0) {
		struct sched_param sp = { .sched_priority = 10 };
		struct timespec ts = { 0, 2000000 }, t0, t1, end;
		cpu_set_t all;

		if (prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0, 0, 0) < 0 ||
		    (policy == SCHED_FIFO &&
		     sched_setscheduler(0, SCHED_FIFO, &sp)))
			exit(1);
		/* Start beside A, then let the scheduler choose. */
		pin_to(core[0][1]);
		CPU_ZERO(&all);
		for (cpu = 0; cpu < tl->ncpu; cpu++)
			CPU_SET(cpu, &all);
		sched_setaffinity(0, sizeof(all), &all);
		if (policy == SCHED_DEADLINE &&
		    cd_setattr_dl(0, 2000000, 4000000, 4000000))
			exit(1);
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += 2;
		for (;;) {
			nanosleep(&ts, NULL);
			cpu = sched_getcpu();
			seen->wakeups++;
			seen->beside += cpu >= 0 && cpu < CD_MAXCPU && beside[cpu];
			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (t0.tv_sec > end.tv_sec ||
			    (t0.tv_sec == end.tv_sec && t0.tv_nsec > end.tv_nsec))
				exit(0);
			do
				clock_gettime(CLOCK_MONOTONIC, &t1);
			while ((t1.tv_sec - t0.tv_sec) * 1000000000L +
			       t1.tv_nsec - t0.tv_nsec < 1000000);
		}
	}
	waitpid(b, NULL, 0);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	return seen->wakeups ? (double)seen->beside / seen->wakeups : -1;
}

/* Both ways for @policy; at most 20% of the wakeups beside A with placement. */
static void wakeups_beside(struct __test_metadata *_metadata,
			   struct timeline *tl, int policy, const char *name)
{
	struct rt_seen *seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double off, on;

	ASSERT_NE(MAP_FAILED, seen);
	ASSERT_EQ(0, set_placement(0));
	off = rt_beside_share(tl, seen, policy);
	ASSERT_EQ(0, set_placement(1));
	on = rt_beside_share(tl, seen, policy);
	ASSERT_LE(0, off) TH_LOG("no wakeups: %s refused?", name);
	ASSERT_LE(0, on) TH_LOG("no wakeups: %s refused?", name);
	TH_LOG("%s wakeups beside another domain: %.0f%% placement off, %.0f%% on (%ld wakeups)",
	       name, off * 100, on * 100, seen->wakeups);
	EXPECT_GE(0.2, on);
	munmap(seen, sizeof(*seen));
}

/*
 * Real-time wakeups: a SCHED_FIFO task woken beside another domain takes
 * the core and forces the sibling idle, where an idle core was free.
 * select_task_rq_rt() keeps a woken task on its CPU unless a real-time
 * task runs there; with placement it also looks further when a sibling
 * runs another domain, and find_lowest_rq() prefers CPUs where the task
 * would not wait (core_domain_cpu_narrow()).
 */
TEST_F(place, rt_wakeups_avoid_other_domain)
{
	wakeups_beside(_metadata, self->tl, SCHED_FIFO, "SCHED_FIFO");
}

/*
 * Deadline wakeups likewise: select_task_rq_dl() keeps a woken task on
 * its CPU unless a deadline task that it cannot preempt runs there; with
 * placement it also looks further when a sibling runs another domain,
 * and find_later_rq() prefers CPUs where the task would not wait.
 */
TEST_F(place, dl_wakeups_avoid_other_domain)
{
	wakeups_beside(_metadata, self->tl, SCHED_DEADLINE, "SCHED_DEADLINE");
}

TEST_HARNESS_MAIN
