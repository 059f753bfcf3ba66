// SPDX-License-Identifier: GPL-2.0
/*
 * The wait bound: a CPU-bound domain holds both threads of a core while a
 * task of another domain wakes every millisecond on one of them.  The
 * waking task must get the core within the bound
 * (/sys/kernel/debug/core_domain/wait_bound_us) plus scheduling slack,
 * and the CPU-bound domain must keep making progress: neither starves.
 * Reports the measured wake-up delays.  Under QEMU TCG, timers and IPIs
 * are slow, so the slack allowed is generous (10 ms + 2x the bound).
 */
#define _GNU_SOURCE
#include <errno.h>
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

#define WAKEUPS		400

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The two threads of the first core with two online threads, or -1. */
static int first_core(int *a, int *b)
{
	char path[96];
	int cpu;

	for (cpu = 0; cpu < 64; cpu++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
		FILE *f = fopen(path, "r");

		if (!f)
			continue;
		if (fscanf(f, "%d%*[,-]%d", a, b) == 2) {
			fclose(f);
			return 0;
		}
		fclose(f);
	}
	return -1;
}

static int cmp_long(const void *x, const void *y)
{
	long a = *(const long *)x, b = *(const long *)y;

	return (a > b) - (a < b);
}

TEST(waker_gets_core_within_bound)
{
	volatile long *spins = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long bound_us, delay[WAKEUPS], before, domain;
	int c0, c1, i;
	pid_t hog[2];

	ASSERT_NE(MAP_FAILED, spins);
	ASSERT_EQ(0, first_core(&c0, &c1)) TH_LOG("needs a core with two threads");
	bound_us = read_long("/sys/kernel/debug/core_domain/wait_bound_us");
	ASSERT_LT(0, bound_us);

	/* Domain A: one CPU-bound task on each thread of the core. */
	for (i = 0; i < 2; i++) {
		hog[i] = fork();
		if (hog[i] == 0) {
			pin(i ? c1 : c0);
			for (;;)
				spins[i]++;
		}
	}
	domain = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, hog[0], 0, 0);
	ASSERT_LT(0, domain);
	ASSERT_EQ(0, prctl(PR_SET_CORE_DOMAIN, domain, hog[1], 0, 0));

	/* Domain B: this task, waking every millisecond on the core. */
	ASSERT_LT(0, prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0, 0, 0));
	ASSERT_EQ(0, pin(c1));
	usleep(100000);
	before = spins[0] + spins[1];
	for (i = 0; i < WAKEUPS; i++) {
		struct timespec ts = { 0, 1000000 };
		long t0 = now_ns();

		nanosleep(&ts, NULL);
		delay[i] = now_ns() - t0 - 1000000;
	}
	ASSERT_LT(before, spins[0] + spins[1]) TH_LOG("the CPU-bound domain starved");
	kill(hog[0], SIGKILL);
	kill(hog[1], SIGKILL);
	waitpid(hog[0], NULL, 0);
	waitpid(hog[1], NULL, 0);

	qsort(delay, WAKEUPS, sizeof(long), cmp_long);
	TH_LOG("core cpu%d+cpu%d, bound %ld us: wake-up delay p50 %ld us, p99 %ld us, max %ld us",
	       c0, c1, bound_us, delay[WAKEUPS / 2] / 1000,
	       delay[WAKEUPS * 99 / 100] / 1000, delay[WAKEUPS - 1] / 1000);
	EXPECT_GE(10000 + 2 * bound_us, delay[WAKEUPS - 1] / 1000);
}

TEST_HARNESS_MAIN
