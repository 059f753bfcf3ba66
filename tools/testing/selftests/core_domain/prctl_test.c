// SPDX-License-Identifier: GPL-2.0
/*
 * PR_SET_CORE_DOMAIN / PR_GET_CORE_DOMAIN: every command, scope and error,
 * inheritance across fork, threads and exec, and the permission model
 * tried by unprivileged users (Documentation/userspace-api/core-domain.rst).
 *
 * Needs a kernel booted with core domains enforced (core_domain=on).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"

#define UID_USER	1000
#define UID_OTHER	1001

static long cd_set(unsigned long id, pid_t pid, unsigned long scope)
{
	return prctl(PR_SET_CORE_DOMAIN, id, pid, scope, 0);
}

static long cd_get(pid_t pid)
{
	return prctl(PR_GET_CORE_DOMAIN, pid, 0, 0, 0);
}

static long cd_new_self(void)
{
	return cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);
}

/*
 * Drop to an unprivileged user.  Changing credentials clears the dumpable
 * flag; a login session's processes have it, so set it back: ptrace
 * access among the user's own tasks must be what is being tested.
 */
static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		exit(99);
}

/* Domain in /proc/PID/status, -1 if absent. */
static long status_domain(pid_t pid)
{
	char path[64], line[256];
	long id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CoreDomain: %ld", &id) == 1)
			break;
	fclose(f);
	return id;
}

/* A child that waits to be killed, optionally as another user. */
static pid_t sleeper(uid_t uid)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (uid)
			become(uid);
		for (;;)
			pause();
	}
	usleep(20000);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Run fn in a child; return its exit status (0 = all checks passed). */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		exit(fn(arg));
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(starts_in_host_domain)
{
	EXPECT_EQ(0, cd_get(0));
	EXPECT_EQ(0, status_domain(getpid()));
	EXPECT_EQ(0, cd_get(1));
}

static int new_and_get(void *arg)
{
	long id = cd_new_self();

	if (id <= 0)
		return 1;
	if (cd_get(0) != id || status_domain(getpid()) != id)
		return 2;
	/* A second NEW gives a different id. */
	if (cd_new_self() == id)
		return 3;
	return 0;
}

TEST(new_returns_id_and_get_reads_it)
{
	ASSERT_EQ(0, in_child(new_and_get, NULL));
}

static int do_fork_inherits(void *arg)
{
	long id = cd_new_self();
	int status;
	pid_t pid;

	if (id <= 0)
		return 1;
	pid = fork();
	if (pid == 0)
		exit(cd_get(0) == id ? 0 : 1);
	waitpid(pid, &status, 0);
	return WEXITSTATUS(status) ? 2 : 0;
}

TEST(fork_inherits)
{
	ASSERT_EQ(0, in_child(do_fork_inherits, NULL));
}

static void *thread_get(void *arg)
{
	return (void *)cd_get(0);
}

static int do_thread_inherits(void *arg)
{
	long id = cd_new_self();
	pthread_t t;
	void *ret;

	if (id <= 0)
		return 1;
	pthread_create(&t, NULL, thread_get, NULL);
	pthread_join(t, &ret);
	return (long)ret == id ? 0 : 2;
}

TEST(thread_inherits)
{
	ASSERT_EQ(0, in_child(do_thread_inherits, NULL));
}

static void *thread_new(void *arg)
{
	return (void *)cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD);
}

static int thread_scope(void *arg)
{
	pthread_t t;
	void *ret;

	if (cd_get(0) != 0)
		return 1;
	pthread_create(&t, NULL, thread_new, NULL);
	pthread_join(t, &ret);
	if ((long)ret <= 0)
		return 2;
	/* Only the thread moved. */
	return cd_get(0) == 0 ? 0 : 3;
}

TEST(thread_scope_moves_one_thread)
{
	ASSERT_EQ(0, in_child(thread_scope, NULL));
}

static void *thread_park(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

static int group_scope(void *arg)
{
	pthread_t t;
	long id, tid;

	pthread_create(&t, NULL, thread_park, NULL);
	usleep(10000);
	id = cd_new_self();
	if (id <= 0)
		return 1;
	/* Find the other thread's tid in /proc/self/task. */
	for (tid = getpid() + 1; tid < getpid() + 64; tid++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%ld", tid);
		if (!access(path, F_OK))
			break;
	}
	return cd_get(tid) == id ? 0 : 2;
}

TEST(thread_group_scope_moves_all_threads)
{
	ASSERT_EQ(0, in_child(group_scope, NULL));
}

static int pgrp_scope(void *arg)
{
	pid_t a, b;
	long id;

	setpgid(0, 0);
	a = sleeper(0);
	b = sleeper(0);
	id = cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP);
	if (id <= 0)
		return 1;
	if (cd_get(a) != id || cd_get(b) != id || cd_get(0) != id)
		return 2;
	reap(a);
	reap(b);
	return 0;
}

TEST(process_group_scope_moves_the_group)
{
	ASSERT_EQ(0, in_child(pgrp_scope, NULL));
}

static int join_and_leave(void *arg)
{
	pid_t child = sleeper(0);
	long id = cd_set(PR_CORE_DOMAIN_NEW, child, 0);

	if (id <= 0)
		return 1;
	/* Root joins the child's domain, then goes back to the host. */
	if (cd_set(id, 0, 0) || cd_get(0) != id)
		return 2;
	if (cd_set(0, 0, 0) || cd_get(0) != 0)
		return 3;
	reap(child);
	return 0;
}

TEST(root_joins_existing_and_returns_to_host)
{
	ASSERT_EQ(0, in_child(join_and_leave, NULL));
}

static int exec_keeps(void *arg)
{
	long id = cd_new_self();
	char idstr[32];
	int status;
	pid_t pid;

	if (id <= 0)
		return 1;
	snprintf(idstr, sizeof(idstr), "%ld", id);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "prctl_test", "--expect-domain", idstr, NULL);
		exit(97);
	}
	waitpid(pid, &status, 0);
	return WEXITSTATUS(status);
}

TEST(exec_keeps_domain)
{
	ASSERT_EQ(0, in_child(exec_keeps, NULL));
}

/*
 * A setuid-root program run by an unprivileged user in a domain stays in
 * that domain (the domain separates tenants; see the threat model).
 */
static int setuid_exec_keeps(void *arg)
{
	const char *copy = "/tmp/prctl_test_setuid";
	char idstr[32], buf[4096];
	int status, in, out;
	ssize_t n;
	long id;
	pid_t pid;

	in = open("/proc/self/exe", 0);
	out = creat(copy, 0755);
	if (in < 0 || out < 0)
		return 1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return 2;
	close(in);
	close(out);
	if (chmod(copy, 04755))
		return 3;
	pid = fork();
	if (pid == 0) {
		become(UID_USER);
		id = cd_new_self();
		if (id <= 0)
			exit(4);
		snprintf(idstr, sizeof(idstr), "%ld", id);
		execl(copy, "prctl_test", "--expect-domain", idstr, "--expect-euid0", NULL);
		fprintf(stderr, "# exec %s: %s\n", copy, strerror(errno));
		exit(97);
	}
	waitpid(pid, &status, 0);
	unlink(copy);
	return WEXITSTATUS(status);
}

TEST(setuid_exec_keeps_domain)
{
	ASSERT_EQ(0, in_child(setuid_exec_keeps, NULL));
}

/* Ids are not reused while a task still holds them. */
static int ids_not_reused(void *arg)
{
	pid_t holder = sleeper(0);
	long held = cd_set(PR_CORE_DOMAIN_NEW, holder, 0);
	int i;

	if (held <= 0)
		return 1;
	for (i = 0; i < 200; i++) {
		long id = cd_set(PR_CORE_DOMAIN_NEW, 0, 0);

		if (id <= 0)
			return 2;
		if (id == held)
			return 3;
	}
	if (cd_get(holder) != held)
		return 4;
	reap(holder);
	return 0;
}

TEST(ids_are_not_reused_while_referenced)
{
	ASSERT_EQ(0, in_child(ids_not_reused, NULL));
}

/* Exhausting the ids gives ENOSPC; freeing one makes NEW work again. */
static int exhaust(void *arg)
{
	const char *knob = "/sys/kernel/debug/core_domain/max_id";
	pid_t holder[40];
	int i, n, ok = 1;
	long id = 0;
	FILE *f;

	f = fopen(knob, "w");
	if (!f || fprintf(f, "32\n") < 0 || fclose(f))
		return 1;
	for (n = 0; n < 40; n++) {
		holder[n] = sleeper(0);
		id = cd_set(PR_CORE_DOMAIN_NEW, holder[n], 0);
		if (id < 0)
			break;
	}
	if (n == 40) {
		n--;
		ok = 0;
	} else if (errno != ENOSPC || n == 0 || cd_get(holder[n]) != 0) {
		/* Refused with ENOSPC, the holder stays where it was. */
		ok = 0;
	}
	/* A domain freed (after an RCU grace period) gives an id back. */
	reap(holder[0]);
	for (id = -1, i = 0; id < 0 && i < 100; i++) {
		usleep(20000);
		id = cd_set(PR_CORE_DOMAIN_NEW, holder[n], 0);
	}
	if (id <= 0)
		ok = 0;
	for (; n >= 1; n--)
		reap(holder[n]);
	f = fopen(knob, "w");
	if (!f || fprintf(f, "%u\n", (1U << 20) - 1) < 0 || fclose(f))
		return 2;
	return ok ? 0 : 3;
}

TEST(ids_exhausted_gives_enospc)
{
	ASSERT_EQ(0, in_child(exhaust, NULL));
}

TEST(bad_arguments)
{
	EXPECT_EQ(-1, prctl(PR_GET_CORE_DOMAIN, 0, PR_CORE_DOMAIN_GET_LEVEL + 1, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0, 3, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0, 0,
			    PR_CORE_DOMAIN_LEVEL_KERNEL + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, prctl(PR_SET_CORE_DOMAIN, 1UL << 40, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, prctl(PR_SET_CORE_DOMAIN, 0xfffff, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);	/* no such domain */
	EXPECT_EQ(-1, prctl(PR_SET_CORE_DOMAIN, 0, -5, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, cd_get(4000000));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, cd_set(0, 4000000, 0));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(0, cd_get(0));
}

/*
 * The permission table, as an unprivileged user.  Each case sets up a
 * target and a domain as root, drops to the user, tries one move and
 * must get the documented result.
 */
enum target { SELF, OWN_CHILD, OTHER_USER, ROOT_TASK };
enum dest { DEST_NEW, DEST_HOST, DEST_OWN, DEST_FOREIGN };

FIXTURE(perm) {
};

FIXTURE_VARIANT(perm) {
	enum target target;
	enum dest dest;
	int errno_want;		/* 0: allowed */
};

FIXTURE_SETUP(perm)
{
}

FIXTURE_TEARDOWN(perm)
{
}

/* (d) a task may always move itself into a new domain. */
FIXTURE_VARIANT_ADD(perm, self_new)		{ SELF, DEST_NEW, 0 };
/* (b) only CAP_SYS_ADMIN returns a task to the host domain. */
FIXTURE_VARIANT_ADD(perm, self_host)		{ SELF, DEST_HOST, EPERM };
/* (b) nor joins a domain it is not part of. */
FIXTURE_VARIANT_ADD(perm, self_foreign)		{ SELF, DEST_FOREIGN, EPERM };
/* its own children (ptrace-able) may join its domain or a new one */
FIXTURE_VARIANT_ADD(perm, child_new)		{ OWN_CHILD, DEST_NEW, 0 };
FIXTURE_VARIANT_ADD(perm, child_own)		{ OWN_CHILD, DEST_OWN, 0 };
FIXTURE_VARIANT_ADD(perm, child_host)		{ OWN_CHILD, DEST_HOST, EPERM };
FIXTURE_VARIANT_ADD(perm, child_foreign)	{ OWN_CHILD, DEST_FOREIGN, EPERM };
/* (c) changing another task needs ptrace access: (a) no escape */
FIXTURE_VARIANT_ADD(perm, other_user_new)	{ OTHER_USER, DEST_NEW, EPERM };
FIXTURE_VARIANT_ADD(perm, other_user_own)	{ OTHER_USER, DEST_OWN, EPERM };
FIXTURE_VARIANT_ADD(perm, root_task_own)	{ ROOT_TASK, DEST_OWN, EPERM };
FIXTURE_VARIANT_ADD(perm, root_task_new)	{ ROOT_TASK, DEST_NEW, EPERM };

TEST_F(perm, unprivileged)
{
	pid_t other = 0, child;
	long foreign;
	int status;

	/* A domain the user is not part of, held by a root task. */
	other = sleeper(0);
	foreign = cd_set(PR_CORE_DOMAIN_NEW, other, 0);
	ASSERT_LT(0, foreign);
	if (variant->target == OTHER_USER) {
		reap(other);
		other = sleeper(UID_OTHER);
	}

	child = fork();
	if (child == 0) {
		pid_t target = 0, kid = 0;
		unsigned long id;
		long own, before, ret;

		become(UID_USER);
		own = cd_new_self();
		if (own <= 0)
			exit(10);
		if (variant->target == OWN_CHILD)
			kid = target = sleeper(0);
		else if (variant->target != SELF)
			target = other;
		before = cd_get(target);
		switch (variant->dest) {
		case DEST_NEW:
			id = PR_CORE_DOMAIN_NEW;
			break;
		case DEST_HOST:
			id = 0;
			break;
		case DEST_OWN:
			id = own;
			break;
		default:
			id = foreign;
		}
		ret = cd_set(id, target, 0);
		if (variant->errno_want) {
			if (ret != -1 || errno != variant->errno_want)
				exit(11);
			/* Refused: nothing changed. */
			if (before >= 0 && cd_get(target) != before)
				exit(12);
			if (cd_get(0) != own)
				exit(13);
		} else {
			if (ret < 0)
				exit(14);
			if (variant->dest == DEST_OWN && cd_get(target) != own)
				exit(15);
		}
		if (kid)
			reap(kid);
		exit(0);
	}
	waitpid(child, &status, 0);
	reap(other);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* An unprivileged user cannot read another user's domain either. */
static int get_other(void *arg)
{
	pid_t pid = *(pid_t *)arg;

	become(UID_USER);
	if (cd_get(pid) != -1 || errno != EPERM)
		return 1;
	return 0;
}

TEST(unprivileged_get_of_other_user_fails)
{
	pid_t pid = sleeper(UID_OTHER);

	EXPECT_EQ(0, in_child(get_other, &pid));
	reap(pid);
}

/* A whole-group move is all or nothing. */
static int group_all_or_nothing(void *arg)
{
	pid_t mine, foreign;
	int ok;

	setpgid(0, 0);
	foreign = sleeper(UID_OTHER);	/* same process group, other user */
	mine = fork();
	if (mine == 0) {
		become(UID_USER);
		for (;;)
			pause();
	}
	usleep(20000);
	ok = 1;
	if (fork() == 0) {
		become(UID_USER);
		if (cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP) != -1 ||
		    errno != EPERM)
			exit(1);
		exit(cd_get(0) == 0 && cd_get(mine) == 0 ? 0 : 2);
	}
	wait(&ok);
	reap(foreign);
	reap(mine);
	return WEXITSTATUS(ok);
}

TEST(group_move_is_all_or_nothing)
{
	ASSERT_EQ(0, in_child(group_all_or_nothing, NULL));
}

int main(int argc, char **argv)
{
	/* Re-executed by exec_keeps_domain and setuid_exec_keeps_domain. */
	if (argc >= 3 && !strcmp(argv[1], "--expect-domain")) {
		if (cd_get(0) != atol(argv[2]))
			return 5;
		if (argc == 4 && geteuid() != 0)
			return 6;
		return 0;
	}
	return test_harness_run(argc, argv);
}
