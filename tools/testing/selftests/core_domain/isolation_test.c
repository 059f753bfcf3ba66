// SPDX-License-Identifier: GPL-2.0
/*
 * The isolation proof: run tenants of mixed work (CPU-bound, sleep/wake,
 * pipe ping-pong, fork/exit storms, an RT task) while sched_switch and
 * sched_process_fork are recorded through tracefs, then rebuild every
 * CPU's timeline from the trace and look for an instant where two SMT
 * siblings ran tasks of two different domains.
 *
 * "enforced": each tenant is in its own domain; there must be no overlap.
 * "control": the same tenants stay in the host domain, and the checker,
 * judging by the domains they would have had, must find overlaps - the
 * proof that the checker can see a violation at all.
 *
 * The checker is cd_timeline.h.  A trace that lost events (the ring
 * buffer overran, or events were dropped) has holes in its timelines, in
 * which an overlap could hide: such a run fails as inconclusive.  Every
 * tenant dies with the test, on every path out of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"
#include "cd_timeline.h"
#include "cd_util.h"

#define TRACEFS		"/sys/kernel/tracing/"
#define NTENANTS	3
#define MIN_SWITCHES	100000L
#define STR_(x)		#x
#define STR(x)		STR_(x)

struct shared {
	volatile int go, stop;
	volatile long progress[NTENANTS][4];	/* spin, sleep, pipe, fork */
	volatile int root[NTENANTS];		/* tenant root pid */
	volatile long domain[NTENANTS];		/* its domain (intended) */
};

static struct shared *sh;

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * The switches a run must trace: MIN_SWITCHES, or CD_ISOLATION_MIN_SWITCHES
 * (the contended boot of harness/guests.conf, whose vCPUs share one host
 * CPU with a busy loop, cannot trace as many within the 120 s).
 */
static long min_switches(void)
{
	const char *v = getenv("CD_ISOLATION_MIN_SWITCHES");

	return v && atol(v) > 0 ? atol(v) : MIN_SWITCHES;
}

/* Sum of the forced-idle episodes over all CPUs (debugfs), or -1. */
static long forced_idle_episodes(void)
{
	char line[256];
	long sum = -1, fi;
	FILE *f = fopen("/sys/kernel/debug/core_domain/cores", "r");

	if (!f)
		return -1;
	sum = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " fi ");

		if (p && sscanf(p, " fi %ld", &fi) == 1)
			sum += fi;
	}
	fclose(f);
	return sum;
}

/* --- the tenants --- */

struct worker {
	int tenant, kind;
};

static void *spin(void *arg)
{
	struct worker *w = arg;

	while (!sh->stop)
		sh->progress[w->tenant][0]++;
	return NULL;
}

static void *sleeper(void *arg)
{
	struct worker *w = arg;
	struct timespec ts = { 0, 300000 };
	volatile int i;

	while (!sh->stop) {
		nanosleep(&ts, NULL);
		for (i = 0; i < 20000; i++)
			;
		sh->progress[w->tenant][1]++;
	}
	return NULL;
}

static void *forker(void *arg)
{
	struct worker *w = arg;
	struct timespec ts = { 0, 2000000 };

	while (!sh->stop) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		sh->progress[w->tenant][3]++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Bursts of SCHED_FIFO work among the fair tasks. */
static void *rt_burst(void *arg)
{
	struct sched_param sp = { .sched_priority = 10 };
	struct timespec ts = { 0, 3000000 };
	volatile int i;

	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	while (!sh->stop) {
		for (i = 0; i < 200000; i++)
			;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void pingpong(int tenant)
{
	int a[2], b[2];
	char c = 0;

	if (pipe(a) || pipe(b))
		_exit(1);
	if (cd_fork_tied() == 0) {
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1 && write(b[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	while (!sh->stop) {
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			break;
		sh->progress[tenant][2]++;
	}
	close(a[1]);
	wait(NULL);
}

static void tenant(int t, int tagged)
{
	struct worker w[5];
	pthread_t th[5];
	int i;

	if (tagged) {
		long id = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
				PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0);
		if (id <= 0)
			_exit(2);
		sh->domain[t] = id;
	} else {
		sh->domain[t] = 1000 + t;	/* what it would have been */
	}
	sh->root[t] = getpid();
	while (!sh->go)
		usleep(1000);
	for (i = 0; i < 5; i++) {
		w[i].tenant = t;
		w[i].kind = i;
	}
	pthread_create(&th[0], NULL, spin, &w[0]);
	pthread_create(&th[1], NULL, spin, &w[1]);
	pthread_create(&th[2], NULL, sleeper, &w[2]);
	pthread_create(&th[3], NULL, forker, &w[3]);
	if (t == 0)
		pthread_create(&th[4], NULL, rt_burst, &w[4]);
	pingpong(t);
	for (i = 0; i < (t == 0 ? 5 : 4); i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/*
 * Per CPU, the trace buffer holds 8 MB, about 120,000 sched_switch
 * events of 68 bytes; the run stops at about 1.2 * MIN_SWITCHES context
 * switches in all, so even a CPU that saw half of them all stays well
 * inside it.  The fullest CPU's share is logged.
 */
#define TRACE_KB	8192

/* The most bytes any CPU's trace buffer holds, in KB. */
static long trace_fullest_kb(void)
{
	char path[128], line[128];
	long b, most = 0;
	int cpu;

	for (cpu = 0; cpu < CD_MAXCPU; cpu++) {
		FILE *f;

		snprintf(path, sizeof(path), TRACEFS "per_cpu/cpu%d/stats", cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "bytes: %ld", &b) == 1 && b > most)
				most = b;
		fclose(f);
	}
	return most / 1024;
}

FIXTURE(isolation) {
	pid_t tenants[NTENANTS];
};

FIXTURE_VARIANT(isolation) {
	int tagged;
};

FIXTURE_VARIANT_ADD(isolation, enforced) { .tagged = 1 };
FIXTURE_VARIANT_ADD(isolation, control) { .tagged = 0 };

FIXTURE_SETUP(isolation)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset((void *)sh, 0, sizeof(*sh));
	ASSERT_EQ(0, write_file(TRACEFS "tracing_on", "0"));
	ASSERT_EQ(0, write_file(TRACEFS "trace_clock", "global"));
	ASSERT_EQ(0, write_file(TRACEFS "buffer_size_kb", STR(TRACE_KB)));
	ASSERT_EQ(0, write_file(TRACEFS "events/enable", "0"));
	ASSERT_EQ(0, write_file(TRACEFS "events/sched/sched_switch/enable", "1"));
	ASSERT_EQ(0, write_file(TRACEFS "events/sched/sched_process_fork/enable", "1"));
	ASSERT_EQ(0, write_file(TRACEFS "trace", ""));
}

FIXTURE_TEARDOWN(isolation)
{
	int t;

	/* An ASSERT may have left the tenants waiting or running. */
	sh->go = 1;
	sh->stop = 1;
	for (t = 0; t < NTENANTS; t++)
		if (self->tenants[t] > 0)
			kill(self->tenants[t], SIGKILL);
	cd_kill_group();
	write_file(TRACEFS "tracing_on", "0");
	write_file(TRACEFS "events/enable", "0");
	write_file(TRACEFS "buffer_size_kb", "64");
	munmap((void *)sh, sizeof(*sh));
}

TEST_F_TIMEOUT(isolation, mixed_workload, 600)
{
	struct timeline *tl = tl_new();
	long ctxt0, fi0, fi1, min_progress, lost, fullest;
	int t, k, status, waited;
	FILE *f;

	ASSERT_NE(NULL, tl);
	ASSERT_LT(0, tl->ncpu);

	for (t = 0; t < NTENANTS; t++) {
		self->tenants[t] = cd_fork_tied();
		if (self->tenants[t] == 0)
			tenant(t, variant->tagged);
	}
	for (waited = 0; waited < 500; waited++) {
		for (t = 0; t < NTENANTS && sh->root[t]; t++)
			;
		if (t == NTENANTS)
			break;
		usleep(10000);
	}
	ASSERT_EQ(NTENANTS, t) TH_LOG("tenants did not start (prctl failed?)");

	fi0 = forced_idle_episodes();
	ASSERT_EQ(0, write_file(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	ctxt0 = ctxt_total();
	sh->go = 1;
	/* Run until the trace holds enough switches (or 120 s). */
	for (waited = 0; waited < 120; waited++) {
		sleep(1);
		if (ctxt_total() - ctxt0 > min_switches() * 12 / 10)
			break;
	}
	ASSERT_EQ(0, write_file(TRACEFS "tracing_on", "0"));
	sh->stop = 1;
	TH_LOG("tracing stopped, waiting for tenants");
	for (t = 0; t < NTENANTS; t++) {
		waitpid(self->tenants[t], &status, 0);
		self->tenants[t] = 0;
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	fi1 = forced_idle_episodes();
	TH_LOG("workload done after %d s, reading the trace", waited);

	fullest = trace_fullest_kb();
	f = cd_trace_open(TRACEFS "trace", &lost);
	ASSERT_NE(NULL, f);
	for (t = 0; t < NTENANTS; t++)
		tl_seed(tl, sh->root[t], sh->domain[t]);
	check_trace(tl, f);
	fclose(f);

	min_progress = -1;
	for (t = 0; t < NTENANTS; t++)
		for (k = 0; k < 4; k++)
			if (min_progress < 0 || sh->progress[t][k] < min_progress)
				min_progress = sh->progress[t][k];
	TH_LOG("%s: %d CPUs, %ld switches, %ld forks traced, %ld cross-domain sibling overlaps (longest %.0f us), %ld forced-idle episodes, least progress %ld, %d s",
	       variant->tagged ? "enforced" : "control", tl->ncpu, tl->switches,
	       tl->forks, tl->violations, tl->worst_len * 1e6,
	       fi1 >= 0 ? fi1 - fi0 : -1, min_progress, waited);
	TH_LOG("trace: %ld events lost, fullest CPU buffer %ld of %d KB",
	       lost, fullest, TRACE_KB);

	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	EXPECT_LE(min_switches(), tl->switches);
	EXPECT_EQ(0, tl_uncovered(tl)) TH_LOG("CPUs never seen in the trace");
	/* Every tenant made progress in every kind of work. */
	EXPECT_LT(0, min_progress);
	if (variant->tagged) {
		EXPECT_EQ(0, tl->violations);
		EXPECT_LT(0, fi1 - fi0) TH_LOG("no forced idle: the workload did not contend");
	} else {
		EXPECT_LT(0, tl->violations) TH_LOG("checker found no overlap without domains: it proves nothing");
	}
	tl_free(tl);
}

/*
 * Moves of running tasks: two CPU-bound threads are moved between two
 * busy domains every 2 ms by another task (PR_SET_CORE_DOMAIN on their
 * tid) while every CPU is loaded.  The checker judges a task by its new
 * domain from the move event on, running or not; a move call that
 * returned while the task still ran beside its old tenant in its new
 * domain shows as an overlap.
 */
#define MOVE_SPINNERS	3
#define MOVE_ROUNDS	600

static void spin_in(long id)
{
	if (prctl(PR_SET_CORE_DOMAIN, id, 0, PR_CORE_DOMAIN_SCOPE_THREAD, 0))
		_exit(2);
	while (!sh->stop)
		;
	_exit(0);
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

TEST_F_TIMEOUT(isolation, running_moves, 300)
{
	pid_t kids[2 * MOVE_SPINNERS + 2];
	long dom[2], worst = 0, total = 0, lost;
	struct timeline *tl;
	int i, n = 0, status, failed = 0;
	FILE *f;

	if (!variant->tagged)
		SKIP(return, "the moves need domains; the control is mixed_workload's");
	tl = tl_new();
	ASSERT_NE(NULL, tl);
	ASSERT_EQ(0, write_file(TRACEFS "events/core_domain/core_domain_move/enable", "1"));
	ASSERT_EQ(0, write_file(TRACEFS "events/core_domain/core_domain_new/enable", "1"));
	/* Two domains, each held by a sleeping child for the whole test. */
	for (i = 0; i < 2; i++) {
		int fd[2];

		ASSERT_EQ(0, pipe(fd));
		kids[n] = fork();
		if (kids[n] == 0) {
			long id = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
					PR_CORE_DOMAIN_SCOPE_THREAD, 0);

			if (write(fd[1], &id, sizeof(id)) != sizeof(id))
				_exit(2);
			while (!sh->stop)
				usleep(10000);
			_exit(0);
		}
		ASSERT_EQ(sizeof(dom[i]), read(fd[0], &dom[i], sizeof(dom[i])));
		close(fd[0]);
		close(fd[1]);
		n++;
		ASSERT_LT(0, dom[i]) TH_LOG("PR_CORE_DOMAIN_NEW failed");
	}
	ASSERT_EQ(0, write_file(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	for (i = 0; i < 2 * MOVE_SPINNERS; i++) {
		kids[n] = fork();
		if (kids[n] == 0)
			spin_in(dom[i % 2]);
		n++;
	}
	/* The two that move start in the first domain. */
	for (i = 0; i < 2; i++) {
		kids[n] = fork();
		if (kids[n] == 0)
			spin_in(dom[0]);
		n++;
	}
	usleep(200000);
	for (i = 0; i < MOVE_ROUNDS; i++) {
		pid_t who = kids[n - 1 - (i % 2)];
		long t0 = now_us(), d;

		if (prctl(PR_SET_CORE_DOMAIN, dom[(i / 2 + 1) % 2], who,
			  PR_CORE_DOMAIN_SCOPE_THREAD, 0))
			failed++;
		d = now_us() - t0;
		total += d;
		if (d > worst)
			worst = d;
		usleep(2000);
	}
	ASSERT_EQ(0, write_file(TRACEFS "tracing_on", "0"));
	sh->stop = 1;
	for (i = 0; i < n; i++) {
		waitpid(kids[i], &status, 0);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	f = cd_trace_open(TRACEFS "trace", &lost);
	ASSERT_NE(NULL, f);
	check_trace(tl, f);
	fclose(f);
	TH_LOG("%d moves of running tasks (%d failed), move call mean %ld us, max %ld us",
	       MOVE_ROUNDS, failed, total / MOVE_ROUNDS, worst);
	TH_LOG("%ld switches, %ld moves traced, %ld overlaps (longest %.0f us), %d CPUs never seen",
	       tl->switches, tl->moves, tl->violations, tl->worst_len * 1e6,
	       tl_uncovered(tl));
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	EXPECT_LE(MOVE_ROUNDS, tl->moves) TH_LOG("the moves are not in the trace");
	EXPECT_EQ(0, tl->violations);
	EXPECT_EQ(0, tl_uncovered(tl));
	tl_free(tl);
}

TEST_HARNESS_MAIN
