// SPDX-License-Identifier: GPL-2.0
/*
 * The isolation checker (cd_timeline.h) on traces written by hand.
 *
 * Every other suite trusts the checker's verdict on real traces; this one
 * shows that the verdict can be "overlap": each case feeds a short trace
 * in the kernel's text format and expects an exact count of overlaps,
 * for what the checker must catch (two domains, host beside a domain, a
 * move of a running task, a reused id, a task that only looks like a
 * stopper) and for what it must let pass (one domain, idle, a stopper,
 * a child that forked into the parent's new domain).  No kernel feature
 * is needed; the topology is set by the test, not read from sysfs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "../kselftest_harness.h"
#include "cd_timeline.h"

/* Two cores of two threads: cpu0+cpu1, cpu2+cpu3. */
static struct timeline *pairs(void)
{
	struct timeline *tl = tl_new();
	int cpu;

	if (!tl)
		return NULL;
	memset(tl->nsib, 0, sizeof(tl->nsib));
	memset(tl->stopper, 0, CD_MAXPID);
	memset(tl->pid_dom, 0xff, sizeof(long) * CD_MAXPID);
	for (cpu = 0; cpu < 4; cpu++) {
		tl->sibling_of[cpu][0] = cpu & ~1;
		tl->sibling_of[cpu][1] = cpu | 1;
		tl->nsib[cpu] = 2;
	}
	tl->ncpu = 4;
	return tl;
}

/* Run the checker over @text; return the overlaps it counted. */
static long check(struct timeline *tl, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	if (!f)
		return -1;
	check_trace(tl, f);
	fclose(f);
	return tl->violations;
}

#define SW(cpu, ts, prev, next) \
	"  t-" #prev " [00" #cpu "] d..2. " #ts ": sched_switch: prev_comm=t " \
	"prev_pid=" #prev " prev_prio=120 prev_state=S ==> next_comm=t " \
	"next_pid=" #next " next_prio=120\n"
#define MOVE(cpu, ts, pid, from, to) \
	"  t-" #pid " [00" #cpu "] d..2. " #ts ": core_domain_move: comm=t " \
	"pid=" #pid " from=" #from " to=" #to "\n"
#define NEW(cpu, ts, id) \
	"  t-1 [00" #cpu "] ..... " #ts ": core_domain_new: id=" #id " parent=0\n"
#define FORK(cpu, ts, parent, child) \
	"  t-" #parent " [00" #cpu "] ..... " #ts ": sched_process_fork: comm=t " \
	"pid=" #parent " child_comm=t child_pid=" #child "\n"

TEST(two_domains_on_one_core)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 1);
	tl_seed(tl, 200, 2);
	EXPECT_EQ(1, check(tl, SW(0, 1.000000, 0, 100) SW(1, 1.000100, 0, 200)));
	tl_free(tl);
}

TEST(one_domain_and_other_cores_pass)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 1);
	tl_seed(tl, 101, 1);
	tl_seed(tl, 200, 2);
	EXPECT_EQ(0, check(tl, SW(0, 1.000000, 0, 100) SW(1, 1.000100, 0, 101)
			       SW(2, 1.000200, 0, 200) SW(1, 1.000300, 101, 0)
			       SW(0, 1.000400, 100, 0) SW(1, 1.000500, 0, 200)));
	tl_free(tl);
}

TEST(host_beside_a_domain)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 1);
	/* pid 300 is unknown: the host domain 0 */
	EXPECT_EQ(1, check(tl, SW(0, 1.000000, 0, 100) SW(1, 1.000100, 0, 300)));
	tl_free(tl);
}

TEST(what_ran_before_the_first_switch)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 1);
	tl_seed(tl, 200, 2);
	/* cpu1 ran 200 since before tracing: it shows in prev_pid */
	EXPECT_EQ(1, check(tl, SW(0, 1.000000, 0, 100) SW(1, 1.000100, 200, 0)));
	tl_free(tl);
}

TEST(a_cpu_that_never_switches_is_uncovered)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 1);
	EXPECT_EQ(0, check(tl, SW(0, 1.000000, 0, 100) SW(2, 1.000000, 0, 101)));
	EXPECT_EQ(2, tl_uncovered(tl));
	tl_free(tl);
}

TEST(stoppers_by_pid_not_by_name)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl->stopper[20] = 1;
	tl_seed(tl, 100, 1);
	/* the stopper (pid 20) runs no domain; pid 21 only shares a name */
	EXPECT_EQ(0, check(tl, SW(0, 1.000000, 0, 100) SW(1, 1.000100, 0, 20)));
	EXPECT_EQ(1, check(tl, "  migration/1-21 [001] d..2. 1.000200: sched_switch: "
			       "prev_comm=migration/1 prev_pid=20 prev_prio=0 prev_state=S "
			       "==> next_comm=migration/1 next_pid=21 next_prio=0\n"));
	tl_free(tl);
}

TEST(move_of_a_running_task)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 1);
	tl_seed(tl, 101, 1);
	/* 101 moves to 2 while it runs beside 100: judged by 2 at once */
	EXPECT_EQ(1, check(tl, SW(0, 1.000000, 0, 100) SW(1, 1.000100, 0, 101)
			       MOVE(1, 1.000200, 101, 1, 2)));
	EXPECT_EQ(1, tl->moves);
	tl_free(tl);
}

TEST(reused_id_is_another_domain)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	/* 100 still holds the old domain 3 when id 3 is handed out again */
	tl_seed(tl, 100, 3);
	EXPECT_EQ(1, check(tl, SW(0, 1.000000, 0, 100) NEW(2, 1.000100, 3)
			       MOVE(2, 1.000200, 200, 0, 3) SW(1, 1.000300, 0, 200)));
	EXPECT_EQ(1, tl->news);
	EXPECT_EQ(1, tl->reused);
	tl_free(tl);
}

TEST(reused_id_after_its_tasks_left)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 3);
	/*
	 * 100 ran and is gone; id 3 names a new domain that 200 enters, and
	 * 201, forked from 200 and born in it, runs beside it.
	 */
	EXPECT_EQ(0, check(tl, SW(0, 1.000000, 0, 100) SW(0, 1.000100, 100, 0)
			       NEW(2, 1.000200, 3) MOVE(2, 1.000300, 200, 0, 3)
			       MOVE(2, 1.000400, 201, -1, 3) FORK(2, 1.000400, 200, 201)
			       SW(0, 1.000500, 0, 200) SW(1, 1.000600, 0, 201)));
	EXPECT_EQ(1, tl->reused);
	tl_free(tl);
}

TEST(fork_inherits_the_parents_domain)
{
	struct timeline *tl = pairs();

	ASSERT_NE(NULL, tl);
	tl_seed(tl, 100, 1);
	tl_seed(tl, 200, 2);
	EXPECT_EQ(1, check(tl, FORK(0, 1.000000, 100, 101) SW(0, 1.000100, 0, 101)
			       SW(1, 1.000200, 0, 200)));
	EXPECT_EQ(1, tl->forks);
	tl_free(tl);
}

TEST_HARNESS_MAIN
