// SPDX-License-Identifier: GPL-2.0
/*
 * cpu.core_domain: the semantics table of
 * Documentation/admin-guide/hw-vuln/core-domain.rst, row by row - what
 * descendants get, tasks present when the file is written (running ones
 * too), migration in and out, fork, threads and CLONE_INTO_CGROUP, what a
 * prctl inside a tagged group may do, delegation to an unprivileged user,
 * removal and reference counts, forced idle in cpu.stat, bad input, the
 * cgroup v1 cpu controller - and the deployments operators run: a domain
 * per VM scope, per tenant slice, per container, and a process tree moved
 * live between two tenants while the isolation checker reads the trace.
 *
 * Needs a kernel booted with core domains enforced (core_domain=on).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/prctl.h>
#include <linux/sched.h>

#include "../kselftest_harness.h"
#include "cd_util.h"
#include "cd_timeline.h"

#define CG		"/sys/fs/cgroup"
#define TRACEFS		"/sys/kernel/tracing/"
#define UID_USER	1000
#define UID_OTHER	1001

/*
 * Every process this suite forks is a helper (a sleeper, a spinner, a
 * fake VM, a user's puppet) that must not outlive the one that forked it,
 * whatever way the test ends (an ASSERT, the harness's timeout).
 */
#define fork()	cd_fork_tied()

/* --- small helpers --- */

static char *path(const char *fmt, ...)
{
	static char buf[4][512];
	static int i;
	va_list ap;

	i = (i + 1) % 4;
	va_start(ap, fmt);
	vsnprintf(buf[i], sizeof(buf[i]), fmt, ap);
	va_end(ap);
	return buf[i];
}

/* First line of @file, newline stripped, "" on error. */
static const char *get(const char *file)
{
	static char buf[4][256];
	static int i;
	FILE *f = fopen(file, "r");
	char *b;

	i = (i + 1) % 4;
	b = buf[i];
	b[0] = 0;
	if (f) {
		if (!fgets(b, sizeof(buf[i]), f))
			b[0] = 0;
		fclose(f);
	}
	b[strcspn(b, "\n")] = 0;
	return b;
}

/* The id in a cpu.core_domain read ("N own|inherited", "0 none"). */
static long cg_domain(const char *cg)
{
	return atol(get(path(CG "/%s/cpu.core_domain", cg)));
}

static int cg_tag(const char *cg, const char *val)
{
	return put(path(CG "/%s/cpu.core_domain", cg), val);
}

static int cg_move(const char *cg, pid_t pid)
{
	return putf(path(CG "/%s%scgroup.procs", cg, *cg ? "/" : ""), "%d", pid);
}

static long status_field(pid_t pid, const char *key)
{
	char line[256];
	long v = -1;
	size_t k = strlen(key);
	FILE *f = fopen(path("/proc/%d/status", pid), "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ':') {
			v = atol(line + k + 1);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static long dom(pid_t pid)
{
	return status_field(pid, "CoreDomain");
}

/* refs of domain @id in debugfs core_domain/domains, 0 if it is gone. */
static long domain_refs(long id, long *parent)
{
	char line[128];
	long i, r, p, refs = 0;
	FILE *f = fopen("/sys/kernel/debug/core_domain/domains", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld %ld %ld", &i, &r, &p) == 3 && i == id) {
			refs = r;
			if (parent)
				*parent = p;
		}
	if (f)
		fclose(f);
	return refs;
}

/* Domains are freed after a grace period: poll for up to 2 s. */
static long domain_refs_settled(long id, long want)
{
	long r = -1;
	int i;

	for (i = 0; i < 200; i++) {
		r = domain_refs(id, NULL);
		if (r == want)
			break;
		usleep(10000);
	}
	return r;
}

static void mkcg(const char *cg)
{
	mkdir(path(CG "/%s", cg), 0755);
}

/* Remove a cgroup tree, moving stragglers to the root first. */
static void rmcg(const char *cg)
{
	char line[64];
	FILE *f;

	f = fopen(path(CG "/%s/cgroup.procs", cg), "r");
	while (f && fgets(line, sizeof(line), f))
		cg_move("", atoi(line));
	if (f)
		fclose(f);
	rmdir(path(CG "/%s", cg));
}

static void cgroup_setup(void)
{
	cd_cgroup2_setup();
}

/* A child that sleeps (or spins, @busy) until killed. */
static pid_t child(int busy)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			if (!busy)
				pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		exit(99);
}

/* Run @fn in a child as @uid; its exit status (0: it passed). */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		become(uid);
		exit(fn(arg));
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static long cd_set(unsigned long id, pid_t pid, unsigned long scope)
{
	return prctl(PR_SET_CORE_DOMAIN, id, pid, scope, 0);
}

/* --- cgroup v1: runs first, while the cpu controller is free --- */

/* num_cgroups of the cpu controller's hierarchy (/proc/cgroups). */
static int v1_cpu_cgroups(void)
{
	char line[128], name[32];
	int hier, num = -1, en;
	FILE *f = fopen("/proc/cgroups", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %d %d %d", name, &hier, &num, &en) == 4 &&
		    !strcmp(name, "cpu"))
			break;
	if (f)
		fclose(f);
	return num;
}

TEST(v1_cpu_controller)
{
	const char *mnt = "/tmp/cgv1";
	pid_t pid;
	long id;
	int i;

	/* The cpu controller binds to v1 only if v2 does not use it. */
	put(CG "/cgroup.subtree_control", "-cpu");
	mkdir(mnt, 0755);
	ASSERT_EQ(0, mount("cpu", mnt, "cgroup", 0, "cpu"))
		TH_LOG("mount v1 cpu: %s", strerror(errno));
	ASSERT_EQ(0, mkdir("/tmp/cgv1/vm", 0755));
	ASSERT_EQ(0, put("/tmp/cgv1/vm/cpu.core_domain", "new"));
	id = atol(get("/tmp/cgv1/vm/cpu.core_domain"));
	ASSERT_GT(id, 0);
	ASSERT_NE(NULL, strstr(get("/tmp/cgv1/vm/cpu.core_domain"), "own"));
	pid = child(0);
	ASSERT_EQ(0, putf("/tmp/cgv1/vm/cgroup.procs", "%d", pid));
	EXPECT_EQ(id, dom(pid));
	ASSERT_EQ(0, putf("/tmp/cgv1/cgroup.procs", "%d", pid));
	EXPECT_EQ(id, dom(pid)) TH_LOG("leaving keeps the domain");
	reap(pid);
	EXPECT_EQ(0, rmdir("/tmp/cgv1/vm"));
	/*
	 * The hierarchy goes, and cpu returns to v2, only if it has no
	 * children left at umount: wait for the removed one to be freed.
	 */
	for (i = 0; i < 300 && v1_cpu_cgroups() > 1; i++)
		usleep(10000);
	EXPECT_EQ(1, v1_cpu_cgroups());
	EXPECT_EQ(0, umount(mnt));
}

/* --- the file --- */

TEST(file_reads_and_inheritance)
{
	long a, c;
	long parent = -1;

	cgroup_setup();
	mkcg("cdA");
	mkcg("cdA/c");
	ASSERT_EQ(0, put(CG "/cdA/cgroup.subtree_control", "+cpu"));
	EXPECT_STREQ("0 none", get(CG "/cdA/cpu.core_domain"));
	EXPECT_STREQ("0 none", get(CG "/cdA/c/cpu.core_domain"));
	EXPECT_NE(0, access(CG "/cpu.core_domain", F_OK)) TH_LOG("not on root");

	ASSERT_EQ(0, cg_tag("cdA", "new"));
	a = cg_domain("cdA");
	ASSERT_GT(a, 0);
	EXPECT_STREQ(path("%ld own", a), get(CG "/cdA/cpu.core_domain"));
	EXPECT_STREQ(path("%ld inherited", a), get(CG "/cdA/c/cpu.core_domain"));

	/* A child's own domain nests in its parent's. */
	ASSERT_EQ(0, cg_tag("cdA/c", "new"));
	c = cg_domain("cdA/c");
	EXPECT_NE(a, c);
	EXPECT_STREQ(path("%ld own", c), get(CG "/cdA/c/cpu.core_domain"));
	EXPECT_EQ(1, domain_refs(c, &parent));
	EXPECT_EQ(a, parent);
	/* Adopting the parent's domain explicitly is allowed. */
	EXPECT_EQ(0, cg_tag("cdA/c", path("%ld", a)));
	EXPECT_STREQ(path("%ld own", a), get(CG "/cdA/c/cpu.core_domain"));
	EXPECT_EQ(0, domain_refs_settled(c, 0)) TH_LOG("nested domain freed");

	EXPECT_EQ(0, cg_tag("cdA/c", "none"));
	EXPECT_STREQ(path("%ld inherited", a), get(CG "/cdA/c/cpu.core_domain"));
	EXPECT_EQ(0, cg_tag("cdA", "0"));
	EXPECT_STREQ("0 none", get(CG "/cdA/cpu.core_domain"));
	EXPECT_STREQ("0 none", get(CG "/cdA/c/cpu.core_domain"));
	EXPECT_EQ(0, domain_refs_settled(a, 0)) TH_LOG("unused domain freed");
	rmdir(CG "/cdA/c");
	rmdir(CG "/cdA");
}

TEST(bad_input_leaves_state)
{
	static const char * const bad[] = {
		"\n", "abc", "-1", "-0x1", "1048576", "4294967295",
		"99999999999999999999", "0x5", "new\nnew", "1 2", "nonee",
		"NEW", "\t", "5abc",
	};
	const char *before;
	unsigned int i;
	long a;
	int fd;

	cgroup_setup();
	mkcg("cdB");
	ASSERT_EQ(0, cg_tag("cdB", " new\n")) TH_LOG("white space is trimmed");
	a = cg_domain("cdB");
	ASSERT_GT(a, 0);
	EXPECT_EQ(0, cg_tag("cdB", path(" %ld\n", a)));
	before = strdup(get(CG "/cdB/cpu.core_domain"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, cg_tag("cdB", bad[i])) TH_LOG("'%s'", bad[i]);
		EXPECT_STREQ(before, get(CG "/cdB/cpu.core_domain"));
	}
	/* An id no domain has. */
	EXPECT_EQ(-EINVAL, cg_tag("cdB", "1048575"));
	/* A partial write: "ne" then "w" are two bad values, not "new". */
	fd = open(CG "/cdB/cpu.core_domain", O_WRONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, write(fd, "ne", 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(fd, "w", 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	EXPECT_STREQ(before, get(CG "/cdB/cpu.core_domain"));
	rmdir(CG "/cdB");
}

/* --- tasks --- */

TEST(tasks_follow_writes)
{
	pid_t idle, busy, sub, own;
	long a, a2, s;

	cgroup_setup();
	mkcg("cdC");
	ASSERT_EQ(0, put(CG "/cdC/cgroup.subtree_control", "+cpu"));
	mkcg("cdC/a");
	mkcg("cdC/sub");
	mkcg("cdC/own");
	idle = child(0);
	busy = child(1);
	sub = child(0);
	own = child(1);
	/* v2: processes live in leaves only. */
	ASSERT_EQ(0, cg_move("cdC/a", idle));
	ASSERT_EQ(0, cg_move("cdC/a", busy));
	ASSERT_EQ(0, cg_move("cdC/sub", sub));
	ASSERT_EQ(0, cg_move("cdC/own", own));
	ASSERT_EQ(0, cg_tag("cdC/own", "new"));
	s = cg_domain("cdC/own");
	EXPECT_EQ(s, dom(own));
	EXPECT_EQ(0, dom(idle));

	/* Tagging moves sleeping and running tasks, and descendants'. */
	ASSERT_EQ(0, cg_tag("cdC", "new"));
	a = cg_domain("cdC");
	EXPECT_EQ(a, dom(idle));
	EXPECT_EQ(a, dom(busy));
	EXPECT_EQ(a, dom(sub));
	EXPECT_EQ(s, dom(own)) TH_LOG("a group with its own domain keeps it");

	/* Retagging moves them again. */
	ASSERT_EQ(0, cg_tag("cdC", "new"));
	a2 = cg_domain("cdC");
	EXPECT_NE(a, a2);
	EXPECT_EQ(a2, dom(idle));
	EXPECT_EQ(a2, dom(busy));
	EXPECT_EQ(a2, dom(sub));
	EXPECT_EQ(0, domain_refs_settled(a, 0)) TH_LOG("old domain freed");

	/* "none" with nothing above: back to the host domain. */
	ASSERT_EQ(0, cg_tag("cdC", "none"));
	EXPECT_EQ(0, dom(idle));
	EXPECT_EQ(0, dom(busy));
	EXPECT_EQ(0, dom(sub));
	EXPECT_EQ(s, dom(own));

	reap(idle);
	reap(busy);
	reap(sub);
	reap(own);
	rmdir(CG "/cdC/a");
	rmdir(CG "/cdC/sub");
	rmdir(CG "/cdC/own");
	rmdir(CG "/cdC");
}

static void *thread_fn(void *arg)
{
	*(long *)arg = prctl(PR_GET_CORE_DOMAIN, 0, 0, 0, 0);
	return NULL;
}

/* clone3(CLONE_INTO_CGROUP) into @cg; 0 if the child was in domain @want. */
static int clone_into(const char *cg, long want)
{
	struct clone_args args = { 0 };
	int fd = open(path(CG "/%s", cg), O_RDONLY | O_DIRECTORY), st = -1;
	pid_t p;

	if (fd < 0)
		return -1;
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = fd;
	p = syscall(__NR_clone3, &args, sizeof(args));
	if (p == 0)
		_exit(prctl(PR_GET_CORE_DOMAIN, 0, 0, 0, 0) == want ? 0 : 5);
	if (p > 0)
		waitpid(p, &st, 0);
	close(fd);
	return p > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(migration_fork_threads)
{
	long a, b, tdom = -1;
	pid_t p, c;
	int st;

	cgroup_setup();
	mkcg("cdD");
	mkcg("cdE");
	ASSERT_EQ(0, cg_tag("cdD", "new"));
	ASSERT_EQ(0, cg_tag("cdE", "new"));
	a = cg_domain("cdD");
	b = cg_domain("cdE");

	/* In, across, out: joins on entry, keeps it on leaving. */
	p = child(1);
	EXPECT_EQ(0, dom(p));
	ASSERT_EQ(0, cg_move("cdD", p));
	EXPECT_EQ(a, dom(p));
	ASSERT_EQ(0, cg_move("cdE", p));
	EXPECT_EQ(b, dom(p));
	ASSERT_EQ(0, cg_move("", p));
	EXPECT_EQ(b, dom(p)) TH_LOG("leaving for an untagged group keeps it");
	reap(p);

	/* Fork and threads inside a tagged group. */
	p = fork();
	if (p == 0) {
		pthread_t t;

		if (cg_move("cdD", getpid()))
			exit(1);
		c = fork();
		if (c == 0)
			exit(prctl(PR_GET_CORE_DOMAIN, 0, 0, 0, 0) == a ? 0 : 2);
		waitpid(c, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			exit(3);
		pthread_create(&t, NULL, thread_fn, &tdom);
		pthread_join(t, NULL);
		exit(tdom == a ? 0 : 4);
	}
	waitpid(p, &st, 0);
	EXPECT_EQ(0, WEXITSTATUS(st));

	/* CLONE_INTO_CGROUP: born into the group, born into its domain. */
	EXPECT_EQ(0, clone_into("cdE", b));
	rmdir(CG "/cdD");
	rmdir(CG "/cdE");
}

/* --- prctl inside a tagged group --- */

TEST(prctl_confined)
{
	long a, b, x, parent = -1;
	pid_t p, q;

	cgroup_setup();
	mkcg("cdF");
	mkcg("cdG");
	ASSERT_EQ(0, cg_tag("cdF", "new"));
	ASSERT_EQ(0, cg_tag("cdG", "new"));
	a = cg_domain("cdF");
	b = cg_domain("cdG");
	p = child(0);
	q = child(0);
	ASSERT_EQ(0, cg_move("cdF", p));
	ASSERT_EQ(0, cg_move("cdG", q));

	/* Even root cannot take a confined task out of its tenant... */
	EXPECT_EQ(-1, cd_set(0, p, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, cd_set(b, p, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(a, dom(p));
	/* ...but may narrow it, and widen it back to the tenant. */
	x = cd_set(PR_CORE_DOMAIN_NEW, p, 0);
	ASSERT_GT(x, 0);
	EXPECT_EQ(x, dom(p));
	domain_refs(x, &parent);
	EXPECT_EQ(a, parent);
	/* A migration within the tenant keeps the narrower domain. */
	ASSERT_EQ(0, cg_move("cdF", p));
	EXPECT_EQ(x, dom(p));
	/* Leaving for another tenant ends it. */
	ASSERT_EQ(0, cg_move("cdG", p));
	EXPECT_EQ(b, dom(p));
	ASSERT_EQ(0, cg_move("cdF", p));
	EXPECT_EQ(a, dom(p));
	/* Its last member left: the narrower domain is gone. */
	EXPECT_EQ(-1, cd_set(x, p, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, cd_set(a, p, 0));
	EXPECT_EQ(a, dom(p));
	/* A group change spanning two tenants is refused as a whole. */
	ASSERT_EQ(0, setpgid(p, p));
	ASSERT_EQ(0, setpgid(q, p));
	EXPECT_EQ(-1, cd_set(PR_CORE_DOMAIN_NEW, p, PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(a, dom(p));
	EXPECT_EQ(b, dom(q));
	reap(p);
	reap(q);
	rmdir(CG "/cdF");
	rmdir(CG "/cdG");
}

/* --- delegation: an unprivileged user owns a subtree --- */

static long other_tenant;

static int delegated(void *arg)
{
	long own, sub;

	/* Not the user's files. */
	if (cg_tag("cdH", "new") != -EACCES)
		return 10;
	if (cg_tag("cdU", "new"))
		return 11;
	own = cg_domain("cdU");
	if (own <= 0)
		return 12;
	/* Back to the host domain needs CAP_SYS_ADMIN. */
	if (cg_tag("cdU", "none") != -EPERM || cg_domain("cdU") != own)
		return 13;
	/* Another tenant's domain: not a member, no capability. */
	if (cg_tag("cdU", path("%ld", other_tenant)) != -EPERM)
		return 14;
	/* Sub-groups: nest, inherit, never leave the tenant. */
	if (mkdir(CG "/cdU/svc", 0755))
		return 15;
	if (cg_domain("cdU/svc") != own)
		return 16;
	if (cg_tag("cdU/svc", "new"))
		return 17;
	sub = cg_domain("cdU/svc");
	if (sub == own || sub <= 0)
		return 18;
	if (cg_tag("cdU/svc", path("%ld", other_tenant)) != -EPERM)
		return 19;
	if (cg_tag("cdU/svc", "none") || cg_domain("cdU/svc") != own)
		return 20;
	/* Its own processes follow; prctl cannot take them out. */
	if (cg_move("cdU/svc", getpid()))
		return 21;
	if (prctl(PR_GET_CORE_DOMAIN, 0, 0, 0, 0) != own)
		return 22;
	if (cd_set(0, 0, 0) != -1 || errno != EPERM)
		return 23;
	if (cd_set(other_tenant, 0, 0) != -1 || errno != EPERM)
		return 24;
	if (cd_set(PR_CORE_DOMAIN_NEW, 0, 0) <= 0)
		return 25;
	return 0;
}

TEST(delegation_unprivileged)
{
	cgroup_setup();
	mkcg("cdH");
	mkcg("cdU");
	ASSERT_EQ(0, cg_tag("cdH", "new"));
	other_tenant = cg_domain("cdH");
	ASSERT_EQ(0, put(CG "/cdU/cgroup.subtree_control", "+cpu"));
	/* Delegate cdU as cgroup-v2.rst says: the dir and its files. */
	ASSERT_EQ(0, chown(CG "/cdU", UID_USER, UID_USER));
	ASSERT_EQ(0, chown(CG "/cdU/cgroup.procs", UID_USER, UID_USER));
	ASSERT_EQ(0, chown(CG "/cdU/cgroup.subtree_control", UID_USER, UID_USER));
	ASSERT_EQ(0, chown(CG "/cdU/cpu.core_domain", UID_USER, UID_USER));
	/* So that the user may move itself out of the root group. */
	ASSERT_EQ(0, chown(CG "/cgroup.procs", UID_USER, UID_USER));
	EXPECT_EQ(0, as_user(UID_USER, delegated, NULL));
	chown(CG "/cgroup.procs", 0, 0);
	rmdir(CG "/cdU/svc");
	rmdir(CG "/cdU");
	rmdir(CG "/cdH");
}

/* --- removal and reference counts --- */

TEST(removal_and_refcounts)
{
	pid_t p, q;
	long a;

	cgroup_setup();
	mkcg("cdI");
	ASSERT_EQ(0, cg_tag("cdI", "new"));
	a = cg_domain("cdI");
	EXPECT_EQ(1, domain_refs(a, NULL)) TH_LOG("the group's reference");
	p = child(0);
	q = child(0);
	ASSERT_EQ(0, cg_move("cdI", p));
	ASSERT_EQ(0, cg_move("cdI", q));
	EXPECT_EQ(3, domain_refs(a, NULL));
	reap(p);
	EXPECT_EQ(2, domain_refs_settled(a, 2));
	/* q leaves and keeps the domain; the group goes; the id lives on. */
	ASSERT_EQ(0, cg_move("", q));
	ASSERT_EQ(0, rmdir(CG "/cdI"));
	EXPECT_EQ(1, domain_refs_settled(a, 1));
	EXPECT_EQ(a, dom(q));
	reap(q);
	EXPECT_EQ(0, domain_refs_settled(a, 0)) TH_LOG("last user gone, id free");
}

/* --- forced idle in cpu.stat --- */

static long cpu_stat_fi(const char *cg)
{
	char line[128];
	long v = -1;
	FILE *f = fopen(path(CG "/%s/cpu.stat", cg), "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "core_sched.force_idle_usec %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* core_forceidle_sum of /proc/@pid/sched, in ms; 0 if absent. */
static double proc_sched_fi(pid_t pid)
{
	char line[256];
	double v = 0;
	FILE *f = fopen(path("/proc/%d/sched", pid), "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "core_forceidle_sum : %lf", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

TEST(cpu_stat_forced_idle)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), i;
	pid_t kids[2][16];
	double tfi = 0;
	char stats[8] = "0";
	long fa, fb;

	cgroup_setup();
	/* /proc/PID/sched shows core_forceidle_sum while schedstats count */
	cd_read_line("/proc/sys/kernel/sched_schedstats", stats, sizeof(stats));
	put("/proc/sys/kernel/sched_schedstats", "1");
	mkcg("cdJ");
	mkcg("cdK");
	ASSERT_EQ(0, cg_tag("cdJ", "new"));
	ASSERT_EQ(0, cg_tag("cdK", "new"));
	EXPECT_EQ(0, cpu_stat_fi("cdJ"));
	/* Two tenants that each want most of the machine. */
	for (i = 0; i < ncpu && i < 16; i++) {
		kids[0][i] = child(1);
		kids[1][i] = child(1);
		cg_move("cdJ", kids[0][i]);
		cg_move("cdK", kids[1][i]);
	}
	sleep(2);
	/* Core scheduling's per-task name: core_forceidle_sum in /proc/PID/sched. */
	for (i = 0; i < ncpu && i < 16; i++) {
		tfi += proc_sched_fi(kids[0][i]);
		tfi += proc_sched_fi(kids[1][i]);
	}
	for (i = 0; i < ncpu && i < 16; i++) {
		reap(kids[0][i]);
		reap(kids[1][i]);
	}
	fa = cpu_stat_fi("cdJ");
	fb = cpu_stat_fi("cdK");
	TH_LOG("forced idle: %ld us and %ld us, all: %ld us; tasks' core_forceidle_sum %.3f ms",
	       fa, fb, cpu_stat_fi(""), tfi);
	EXPECT_GT(fa + fb, 0);
	EXPECT_GT(tfi, 0) TH_LOG("no core_forceidle_sum in /proc/PID/sched");
	put("/proc/sys/kernel/sched_schedstats", stats);
	EXPECT_GE(cpu_stat_fi(""), fa + fb) TH_LOG("the root sums every CPU");
	rmdir(CG "/cdJ");
	rmdir(CG "/cdK");
}

/* --- deployments --- */

/*
 * A libvirt-style machine scope: machine.slice/machine-qemu-N.scope with
 * the QEMU process and its vCPU threads; the emulator thread group and
 * vCPUs share the VM's domain, two VMs never share a core.
 */
static void *vcpu(void *arg)
{
	volatile long *stop = arg;

	while (!*stop)
		;
	return NULL;
}

static pid_t fake_vm(int nvcpu)
{
	pid_t pid = fork();

	if (pid == 0) {
		static long stop;
		pthread_t t;
		int i;

		for (i = 0; i < nvcpu; i++)
			pthread_create(&t, NULL, vcpu, &stop);
		pause();
		exit(0);
	}
	usleep(100000);
	return pid;
}

/* How many threads @pid has, -1 if one of them is not in domain @want. */
static int threads_in(pid_t pid, long want)
{
	DIR *d = opendir(path("/proc/%d/task", pid));
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (status_field(atoi(e->d_name), "CoreDomain") != want)
			n = -1000;
		n++;
	}
	if (d)
		closedir(d);
	return n < 0 ? -1 : n;
}

TEST(recipe_vm_scopes)
{
	pid_t vm1, vm2;
	long d1, d2;

	cgroup_setup();
	mkcg("machine.slice");
	ASSERT_EQ(0, put(CG "/machine.slice/cgroup.subtree_control", "+cpu"));
	mkcg("machine.slice/machine-qemu-1.scope");
	mkcg("machine.slice/machine-qemu-2.scope");
	ASSERT_EQ(0, cg_tag("machine.slice/machine-qemu-1.scope", "new"));
	ASSERT_EQ(0, cg_tag("machine.slice/machine-qemu-2.scope", "new"));
	d1 = cg_domain("machine.slice/machine-qemu-1.scope");
	d2 = cg_domain("machine.slice/machine-qemu-2.scope");
	vm1 = fake_vm(3);
	vm2 = fake_vm(3);
	ASSERT_EQ(0, cg_move("machine.slice/machine-qemu-1.scope", vm1));
	ASSERT_EQ(0, cg_move("machine.slice/machine-qemu-2.scope", vm2));
	EXPECT_EQ(4, threads_in(vm1, d1));
	EXPECT_EQ(4, threads_in(vm2, d2));
	reap(vm1);
	reap(vm2);
	rmdir(CG "/machine.slice/machine-qemu-1.scope");
	rmdir(CG "/machine.slice/machine-qemu-2.scope");
	rmdir(CG "/machine.slice");
}

/*
 * The layout libvirt makes on cgroup v2, with systemd's escaped names:
 * machine.slice/machine-qemu\x2dN\x2dNAME.scope, and below it the
 * threaded subtree libvirt/ with the emulator and one group per vCPU, to
 * which libvirt moves QEMU's threads through cgroup.threads.  Tagging the
 * scope puts every thread of the VM, in whichever threaded group, into
 * the VM's domain; a thread moved between the VM's threaded groups stays
 * in it.
 */
static int cg_thread(const char *cg, pid_t tid)
{
	return putf(path(CG "/%s/cgroup.threads", cg), "%d", tid);
}

/* The scope, its libvirt/ subtree and threaded groups; 0 or -errno. */
static int libvirt_scope(const char *scope, int nvcpu)
{
	int i, err = 0;

	mkcg(scope);
	err |= put(path(CG "/%s/cgroup.subtree_control", scope), "+cpu");
	mkcg(path("%s/libvirt", scope));
	err |= put(path(CG "/%s/libvirt/cgroup.subtree_control", scope), "+cpu");
	mkcg(path("%s/libvirt/emulator", scope));
	err |= put(path(CG "/%s/libvirt/emulator/cgroup.type", scope), "threaded");
	for (i = 0; i < nvcpu; i++) {
		mkcg(path("%s/libvirt/vcpu%d", scope, i));
		err |= put(path(CG "/%s/libvirt/vcpu%d/cgroup.type", scope, i), "threaded");
	}
	return err;
}

/* A thread of @pid other than its main one, 0 if none. */
static pid_t other_thread(pid_t pid)
{
	DIR *d = opendir(path("/proc/%d/task", pid));
	struct dirent *e;
	pid_t tid = 0;

	while (d && (e = readdir(d)))
		if (atoi(e->d_name) > 0 && atoi(e->d_name) != pid) {
			tid = atoi(e->d_name);
			break;
		}
	if (d)
		closedir(d);
	return tid;
}

/* Place @vm as libvirt does: the process, then its threads one by one. */
static int libvirt_place(const char *scope, pid_t vm)
{
	DIR *d = opendir(path("/proc/%d/task", vm));
	struct dirent *e;
	int n = 0, err = 0;

	err |= cg_move(path("%s/libvirt", scope), vm);
	while (d && (e = readdir(d))) {
		pid_t tid = atoi(e->d_name);

		if (tid <= 0)
			continue;
		if (tid == vm)
			err |= cg_thread(path("%s/libvirt/emulator", scope), tid);
		else
			err |= cg_thread(path("%s/libvirt/vcpu%d", scope, n++), tid);
	}
	if (d)
		closedir(d);
	return err;
}

static void libvirt_remove(const char *scope, int nvcpu)
{
	int i;

	for (i = 0; i < nvcpu; i++)
		rmdir(path(CG "/%s/libvirt/vcpu%d", scope, i));
	rmdir(path(CG "/%s/libvirt/emulator", scope));
	rmdir(path(CG "/%s/libvirt", scope));
	rmdir(path(CG "/%s", scope));
}

TEST(recipe_libvirt_threaded_layout)
{
	static const char * const scope[] = {
		"machine.slice/machine-qemu\\x2d1\\x2dguest1.scope",
		"machine.slice/machine-qemu\\x2d2\\x2dguest2.scope",
	};
	pid_t vm[2];
	long d[2];
	int i;

	cgroup_setup();
	mkcg("machine.slice");
	ASSERT_EQ(0, put(CG "/machine.slice/cgroup.subtree_control", "+cpu"));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, libvirt_scope(scope[i], 3));
		ASSERT_EQ(0, cg_tag(scope[i], "new"));
		d[i] = cg_domain(scope[i]);
		ASSERT_LT(0, d[i]);
		EXPECT_EQ(d[i], cg_domain(path("%s/libvirt/vcpu2", scope[i])));
		vm[i] = fake_vm(3);
		EXPECT_EQ(0, libvirt_place(scope[i], vm[i]));
	}
	EXPECT_NE(d[0], d[1]);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(4, threads_in(vm[i], d[i]));
	/* A vCPU thread moved to the emulator group stays in the VM's domain. */
	EXPECT_EQ(0, cg_thread(path("%s/libvirt/emulator", scope[0]), other_thread(vm[0])));
	EXPECT_EQ(4, threads_in(vm[0], d[0]));
	for (i = 0; i < 2; i++) {
		reap(vm[i]);
		libvirt_remove(scope[i], 3);
	}
	rmdir(CG "/machine.slice");
}

/* A systemd-style tenant slice: tenant-a.slice holds several services. */
TEST(recipe_tenant_slice)
{
	pid_t s1, s2, other;
	long t;

	cgroup_setup();
	mkcg("tenant-a.slice");
	ASSERT_EQ(0, put(CG "/tenant-a.slice/cgroup.subtree_control", "+cpu"));
	mkcg("tenant-a.slice/web.service");
	mkcg("tenant-a.slice/db.service");
	mkcg("tenant-b.slice");
	ASSERT_EQ(0, cg_tag("tenant-a.slice", "new"));
	ASSERT_EQ(0, cg_tag("tenant-b.slice", "new"));
	t = cg_domain("tenant-a.slice");
	s1 = child(1);
	s2 = child(0);
	other = child(1);
	ASSERT_EQ(0, cg_move("tenant-a.slice/web.service", s1));
	ASSERT_EQ(0, cg_move("tenant-a.slice/db.service", s2));
	ASSERT_EQ(0, cg_move("tenant-b.slice", other));
	EXPECT_EQ(t, dom(s1));
	EXPECT_EQ(t, dom(s2));
	EXPECT_NE(t, dom(other));
	EXPECT_EQ(cg_domain("tenant-b.slice"), dom(other));
	reap(s1);
	reap(s2);
	reap(other);
	rmdir(CG "/tenant-a.slice/web.service");
	rmdir(CG "/tenant-a.slice/db.service");
	rmdir(CG "/tenant-a.slice");
	rmdir(CG "/tenant-b.slice");
}

/*
 * A pod, with the names the kubelet's systemd cgroup driver and containerd
 * give (kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod
 * <uid, '-' as '_'>.slice/cri-containerd-<id>.scope): the pod is the
 * domain, its containers inherit, and a process the runtime execs into
 * the pod later (kubectl exec) joins it.
 */
#define KUBE_QOS	"kubepods.slice/kubepods-burstable.slice"
#define KUBE_POD	KUBE_QOS "/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice"
#define KUBE_CTR(n)	KUBE_POD "/cri-containerd-" n "c0ffee0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0ddba11c0ffee0.scope"

TEST(recipe_pod)
{
	static const char * const groups[] = {
		"kubepods.slice", KUBE_QOS, KUBE_POD, KUBE_CTR("1"), KUBE_CTR("2"),
	};
	pid_t c1, c2, exec;
	long pod;
	int i;

	cgroup_setup();
	for (i = 0; i < 5; i++) {
		mkcg(groups[i]);
		if (i < 3)
			ASSERT_EQ(0, put(path(CG "/%s/cgroup.subtree_control", groups[i]),
					 "+cpu"));
	}
	ASSERT_EQ(0, cg_tag(KUBE_POD, "new"));
	pod = cg_domain(KUBE_POD);
	ASSERT_LT(0, pod);
	c1 = child(1);
	c2 = child(1);
	ASSERT_EQ(0, cg_move(KUBE_CTR("1"), c1));
	ASSERT_EQ(0, cg_move(KUBE_CTR("2"), c2));
	EXPECT_EQ(pod, dom(c1));
	EXPECT_EQ(pod, dom(c2));
	exec = child(0);
	ASSERT_EQ(0, cg_move(KUBE_CTR("2"), exec));
	EXPECT_EQ(pod, dom(exec));
	reap(c1);
	reap(c2);
	reap(exec);
	for (i = 4; i >= 0; i--)
		rmdir(path(CG "/%s", groups[i]));
}

/*
 * Live move: a running process tree (spinners, a forking loop, a pipe
 * pair) is moved back and forth between two tenants' groups, each with its
 * own busy tenants, while sched_switch, sched_process_fork and
 * core_domain_move are traced.  The checker must find no instant where
 * siblings ran two domains.
 */
static pid_t tree(void)
{
	int ready[2];
	char c = 0;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		int p1[2], p2[2];

		setpgid(0, 0);
		if (fork() == 0)
			for (;;)
				;
		if (pipe(p1) || pipe(p2))
			exit(1);
		if (fork() == 0) {
			for (;;)
				if (read(p1[0], &c, 1) != 1 || write(p2[1], &c, 1) != 1)
					exit(0);
		}
		if (fork() == 0) {
			for (;;)
				if (write(p1[1], &c, 1) != 1 || read(p2[0], &c, 1) != 1)
					exit(0);
		}
		if (write(ready[1], &c, 1) != 1)
			exit(1);
		for (;;) {
			pid_t k = fork();

			if (k == 0)
				_exit(0);
			waitpid(k, NULL, 0);
			usleep(2000);
		}
	}
	setpgid(pid, pid);
	if (read(ready[0], &c, 1) != 1)
		return -1;
	close(ready[0]);
	close(ready[1]);
	return pid;
}

/* Move every process of the tree (its process group) into @cg. */
static int move_tree(const char *cg, pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		const char *st, *rp;
		int pid = atoi(e->d_name), ppid, pg;
		char state;

		if (pid <= 0)
			continue;
		st = get(path("/proc/%d/stat", pid));
		rp = strrchr(st, ')');
		if (!rp || sscanf(rp, ") %c %d %d", &state, &ppid, &pg) != 3 ||
		    pg != pgid)
			continue;
		if (!cg_move(cg, pid))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * A fixture only for its time limit: tracing and checking take longer than
 * the harness's default 30 s on the debug kernel.
 */
FIXTURE(live) {};
FIXTURE_SETUP(live) {}
FIXTURE_TEARDOWN(live) {}

TEST_F_TIMEOUT(live, move_between_tenants, 300)
{
	struct timeline *tl;
	pid_t t, bg[2][3];
	int i, j, moved = 0;
	long c0, lost;
	time_t t0;
	FILE *f;

	cgroup_setup();
	mkcg("cdTa");
	mkcg("cdTb");
	ASSERT_EQ(0, cg_tag("cdTa", "new"));
	ASSERT_EQ(0, cg_tag("cdTb", "new"));
	put(TRACEFS "tracing_on", "0");
	put(TRACEFS "trace", "");
	ASSERT_EQ(0, put(TRACEFS "buffer_size_kb", "16384"));
	ASSERT_EQ(0, put(TRACEFS "trace_clock", "global"));
	ASSERT_EQ(0, put(TRACEFS "events/sched/sched_switch/enable", "1"));
	ASSERT_EQ(0, put(TRACEFS "events/sched/sched_process_fork/enable", "1"));
	ASSERT_EQ(0, put(TRACEFS "events/core_domain/core_domain_move/enable", "1"));
	ASSERT_EQ(0, put(TRACEFS "events/core_domain/core_domain_new/enable", "1"));

	/* Traced from the start: every domain comes from the trace. */
	tl = tl_new();
	ASSERT_NE(NULL, tl);
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	for (i = 0; i < 3; i++) {
		bg[0][i] = child(1);
		bg[1][i] = child(1);
		ASSERT_EQ(0, cg_move("cdTa", bg[0][i]));
		ASSERT_EQ(0, cg_move("cdTb", bg[1][i]));
	}
	t = tree();
	ASSERT_GT(t, 0);
	ASSERT_GE(move_tree("cdTa", t), 4);
	/* At least 20 moves, and on until enough switches are traced (60 s). */
	c0 = ctxt_total();
	t0 = time(NULL);
	for (j = 0; j < 20 || (time(NULL) - t0 < 60 && ctxt_total() - c0 < 15000); j++) {
		moved += move_tree(j % 2 ? "cdTa" : "cdTb", t);
		usleep(100000);
	}
	put(TRACEFS "tracing_on", "0");
	kill(-t, SIGKILL);
	waitpid(t, NULL, 0);
	for (i = 0; i < 3; i++) {
		reap(bg[0][i]);
		reap(bg[1][i]);
	}
	put(TRACEFS "events/sched/sched_switch/enable", "0");
	put(TRACEFS "events/sched/sched_process_fork/enable", "0");
	put(TRACEFS "events/core_domain/core_domain_move/enable", "0");
	put(TRACEFS "events/core_domain/core_domain_new/enable", "0");

	f = cd_trace_open(TRACEFS "trace", &lost);
	ASSERT_NE(NULL, f);
	check_trace(tl, f);
	fclose(f);
	TH_LOG("%d process moves, %ld domain moves traced, %ld switches, %ld overlaps, %ld lost",
	       moved, tl->moves, tl->switches, tl->violations, lost);
	/* A trace with holes cannot show there was no overlap. */
	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	EXPECT_GE(tl->moves, 20 * 4);
	EXPECT_GT(tl->switches, 5000);
	EXPECT_EQ(0, tl->violations);
	/* Keep the trace of a failure for the log. */
	if (!tl->violations)
		put(TRACEFS "trace", "");
	tl_free(tl);
	rmcg("cdTa");
	rmcg("cdTb");
}

TEST_HARNESS_MAIN
