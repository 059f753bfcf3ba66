// SPDX-License-Identifier: GPL-2.0
/*
 * The interface fuzzer: PR_SET_CORE_DOMAIN, PR_GET_CORE_DOMAIN and writes
 * to cpu.core_domain with random (and deliberately bad) arguments, random
 * targets and random credentials (uid 0, 1000 and 1001, as puppets: each
 * a process of two threads that runs the calls the fuzzer hands it), mixed
 * with migrations, forks, kills and changes of the id limit.  Every result
 * is checked against a reference model of the documented semantics
 * (Documentation/userspace-api/core-domain.rst and the cpu.core_domain
 * table of Documentation/admin-guide/hw-vuln/core-domain.rst): the return
 * value or errno, every thread's domain, every group's file, and - at
 * sync points - the live domains with their reference counts and parents
 * in debugfs (a leaked or lost reference shows there).  The kernel log
 * must stay free of splats.
 *
 * The model allows any of the errors that apply when several do (the
 * documents give no precedence).  It follows the documents to the letter,
 * including the details they state because the kernel's generic code
 * decides them: a leading '+' on an id, a write of zero bytes (returns 0),
 * a write over a page (E2BIG), a NUL byte in a write (EINVAL), and
 * (unsigned long)-1 taken as PR_CORE_DOMAIN_NEW.
 *
 * Seeded and reproducible: CD_FUZZ_SEED=N (printed), CD_FUZZ_OPS caps the
 * number of operations, CD_FUZZ_SECONDS the time (default 20).  A failure
 * prints the operations that led to it.
 *
 * Also here, deterministically: every invalid prctl argument and every
 * kind of bad write to cpu.core_domain, each failing with the documented
 * error and leaving every domain, task and group as it was.
 *
 * Needs a kernel booted with core domains enforced (core_domain=on).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
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
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/sched.h>

#include "../kselftest_harness.h"
#include "cd_util.h"

#define CG		"/sys/fs/cgroup"
#define CDDBG		"/sys/kernel/debug/core_domain/"
#define ID_MAX		((1UL << 20) - 1)
#define NEW_ID		PR_CORE_DOMAIN_NEW
#define UID_USER	1000
#define UID_OTHER	1001
#define NOPID		4000000		/* above any pid_max */

/* ------------------------------------------------------------------ */
/* helpers                                                              */
/* ------------------------------------------------------------------ */

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : def;
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static long status_domain(pid_t tid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CoreDomain: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static long sys_prctl(unsigned long op, unsigned long a2, unsigned long a3,
		      unsigned long a4, unsigned long a5)
{
	return syscall(SYS_prctl, op, a2, a3, a4, a5);
}

static void become(uid_t uid)
{
	if (!uid)
		return;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		_exit(99);
}

static long futex(volatile int *uaddr, int op, int val, long timeout_ns)
{
	struct timespec ts = { timeout_ns / 1000000000L, timeout_ns % 1000000000L };

	return syscall(SYS_futex, uaddr, op, val, timeout_ns ? &ts : NULL, NULL, 0);
}

static int cgroup_setup(void)
{
	int i;

	if (access(CG "/cgroup.subtree_control", F_OK))
		mount("cgroup2", CG, "cgroup2", 0, NULL);
	for (i = 0; i < 300; i++) {
		if (!put(CG "/cgroup.subtree_control", "+cpu"))
			return 0;
		usleep(10000);
	}
	return -1;
}

static void rmcg(const char *rel)
{
	char p[512], sub[512], line[64];
	struct dirent *e;
	DIR *d;
	FILE *f;
	int i;

	snprintf(p, sizeof(p), CG "/%s", rel);
	d = opendir(p);
	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		rmcg(sub);
	}
	if (d)
		closedir(d);
	snprintf(p, sizeof(p), CG "/%s/cgroup.procs", rel);
	f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char v[32];

		snprintf(v, sizeof(v), "%d", atoi(line));
		put(CG "/cgroup.procs", v);
	}
	if (f)
		fclose(f);
	snprintf(p, sizeof(p), CG "/%s", rel);
	for (i = 0; i < 100; i++) {
		if (!rmdir(p) || errno == ENOENT)
			break;
		usleep(20000);
	}
}

/* debugfs core_domain/domains: struct cd_domains (cd_util.h) */

static int dlist_equal(struct cd_domains *a, struct cd_domains *b)
{
	int i, j;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		j = cd_domains_find(b, a->id[i]);
		if (j < 0 || b->refs[j] != a->refs[i] || b->parent[j] != a->parent[i])
			return 0;
	}
	return 1;
}

/* Wait up to @secs for the domains to be @want again (deaths are lazy). */
static int dlist_settle(struct cd_domains *want, double secs)
{
	double end = cd_now_s() + secs;
	struct cd_domains cur;

	do {
		cd_read_domains(&cur);
		if (dlist_equal(want, &cur))
			return 0;
		usleep(20000);
	} while (cd_now_s() < end);
	return -1;
}

/* ------------------------------------------------------------------ */
/* puppets: processes of two threads that run calls for the fuzzer      */
/* ------------------------------------------------------------------ */

#define MAXP		12		/* puppet processes */
#define NSLOT		(2 * MAXP)	/* one slot per thread */
#define MAXW		5000		/* longest write */

enum { OP_NOP, OP_PRCTL, OP_WRITE, OP_FORK };

struct slot {
	volatile int seq_cmd, seq_done;
	volatile int tid;
	volatile int spin;
	int op;
	unsigned long a[5];		/* OP_PRCTL: option, arg2..arg5 */
	char path[256];
	int len, split;			/* OP_WRITE: bytes, first write's size */
	char buf[MAXW];
	int newslot;			/* OP_FORK: the child's main slot */
	long ret, ret2;
	int err, err2;
	char after[2][64];		/* OP_WRITE: the file after each write */
};

struct shm {
	struct slot s[NSLOT];
};

static struct shm *shm;
static int shm_fd = -1;

static void *puppet_loop(void *arg);

/* What a cpu.core_domain file says right after a write. */
static void read_after(const char *path, char *out)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, out, 63) : -1;

	out[n > 0 ? n : 0] = 0;
	out[strcspn(out, "\n")] = 0;
	if (fd >= 0)
		close(fd);
}

static void puppet_exec(struct slot *s)
{
	int fd;

	switch (s->op) {
	case OP_PRCTL:
		s->ret = sys_prctl(s->a[0], s->a[1], s->a[2], s->a[3], s->a[4]);
		s->err = s->ret < 0 ? errno : 0;
		break;
	case OP_WRITE:
		s->ret2 = s->err2 = 0;
		fd = open(s->path, O_WRONLY);
		if (fd < 0) {
			s->ret = -1;
			s->err = errno;
			break;
		}
		s->ret = write(fd, s->buf, s->split);
		s->err = s->ret < 0 ? errno : 0;
		read_after(s->path, s->after[0]);
		if (s->split < s->len) {
			s->ret2 = write(fd, s->buf + s->split, s->len - s->split);
			s->err2 = s->ret2 < 0 ? errno : 0;
			read_after(s->path, s->after[1]);
		}
		close(fd);
		break;
	case OP_FORK: {
		int ns = s->newslot;
		pid_t pid = fork();

		if (pid == 0) {
			pthread_t t;

			/* The forking thread is the child's main thread. */
			shm->s[ns].tid = syscall(SYS_gettid);
			pthread_create(&t, NULL, puppet_loop, (void *)(long)(ns + 1));
			puppet_loop((void *)(long)ns);
			_exit(0);
		}
		s->ret = pid;
		s->err = pid < 0 ? errno : 0;
		break;
	}
	default:
		s->ret = 0;
		s->err = 0;
	}
}

static void *puppet_loop(void *arg)
{
	int si = (long)arg;
	struct slot *s = &shm->s[si];
	int seen = s->seq_cmd;

	s->tid = syscall(SYS_gettid);
	for (;;) {
		while (s->seq_cmd == seen) {
			if (s->spin) {
				volatile int i;

				for (i = 0; i < 2000; i++)
					;
			} else {
				futex(&s->seq_cmd, FUTEX_WAIT, seen, 200000000L);
			}
		}
		seen = s->seq_cmd;
		puppet_exec(s);
		__sync_synchronize();
		s->seq_done = seen;
		futex(&s->seq_done, FUTEX_WAKE, INT_MAX, 0);
	}
	return NULL;
}

/* A puppet process: main thread on slot @si, second thread on @si + 1. */
/*
 * A puppet that owns a user namespace: root in it, with every capability
 * there, and to the model still just the user @uid outside it.
 */
static void enter_userns(uid_t uid)
{
	char map[32];

	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (unshare(CLONE_NEWUSER) || put("/proc/self/setgroups", "deny") ||
	    put("/proc/self/uid_map", map) || put("/proc/self/gid_map", map))
		_exit(95);
}

static void puppet_main(int si, uid_t uid, int userns)
{
	pthread_t t;

	signal(SIGCHLD, SIG_IGN);	/* its forks are reaped by the kernel */
	become(uid);
	if (userns)
		enter_userns(uid);
	pthread_create(&t, NULL, puppet_loop, (void *)(long)(si + 1));
	puppet_loop((void *)(long)si);
	_exit(0);
}

static double slot_time;	/* spent waiting for puppets */

static void dump_file(const char *title, const char *path, int maxlines)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	cd_say("# --- %s (%s)\n", title, path);
	while (f && fgets(line, sizeof(line), f) && n++ < maxlines)
		cd_say("#   %s", line);
	if (f)
		fclose(f);
}

/* A thread that does not answer: what the kernel says about it. */
static void dump_stuck(pid_t tid)
{
	char p[96];

	snprintf(p, sizeof(p), "/proc/%d/stat", tid);
	dump_file("stat", p, 2);
	snprintf(p, sizeof(p), "/proc/%d/wchan", tid);
	dump_file("wchan", p, 2);
	snprintf(p, sizeof(p), "/proc/%d/stack", tid);
	dump_file("stack", p, 30);
	snprintf(p, sizeof(p), "/proc/%d/sched", tid);
	dump_file("sched", p, 40);
	snprintf(p, sizeof(p), "/proc/%d/status", tid);
	dump_file("status", p, 80);
	dump_file("cores", CDDBG "cores", 40);
}

/* Hand slot @si its command (already filled in) and wait for the result. */
static int run_slot(int si)
{
	struct slot *s = &shm->s[si];
	int seq = s->seq_cmd + 1;
	double t0 = cd_now_s(), end = t0 + 20;
	int ret = 0;

	__sync_synchronize();
	s->seq_cmd = seq;
	futex(&s->seq_cmd, FUTEX_WAKE, INT_MAX, 0);
	while (s->seq_done != seq) {
		int d = s->seq_done;

		if (d == seq)
			break;
		futex(&s->seq_done, FUTEX_WAIT, d, 50000000L);
		if (cd_now_s() > end) {
			cd_say("# puppet thread %d has not answered for 20 s\n", s->tid);
			dump_stuck(s->tid);
			sleep(5);
			cd_say("# 5 s later: done %d, want %d\n", s->seq_done, seq);
			dump_stuck(s->tid);
			ret = -1;
			break;
		}
	}
	__sync_synchronize();
	slot_time += cd_now_s() - t0;
	return ret;
}

/* ------------------------------------------------------------------ */
/* the reference model                                                  */
/* ------------------------------------------------------------------ */

#define NNODE	9
enum { N_ROOT, N_Z, N_A, N_A1, N_A2, N_B, N_C, N_U, N_U1 };

struct mnode {
	const char *path;	/* below CG; "" the root */
	int parent;
	int leaf;		/* may hold processes */
	int deleg;		/* cpu.core_domain owned by UID_USER */
	long own;		/* the domain it imposes itself, 0 none */
};

static struct mnode node[NNODE] = {
	[N_ROOT] = { "", -1, 1, 0 },
	[N_Z]	 = { "cdz", N_ROOT, 0, 0 },
	[N_A]	 = { "cdz/a", N_Z, 0, 0 },
	[N_A1]	 = { "cdz/a/x", N_A, 1, 0 },
	[N_A2]	 = { "cdz/a/y", N_A, 1, 0 },
	[N_B]	 = { "cdz/b", N_Z, 1, 0 },
	[N_C]	 = { "cdz/c", N_Z, 1, 0 },
	[N_U]	 = { "cdz/u", N_Z, 0, 1 },
	[N_U1]	 = { "cdz/u/s", N_U, 1, 1 },
};

struct mproc {
	int alive;
	pid_t pid, pgid;
	uid_t uid;
	int node;
	pid_t tid[2];
	long dom[2];
	int spin;
	int userns;		/* the user namespace it is in, 0: the initial one */
};

struct mdom {
	long id, parent;
	long refs;
	long ext;		/* references from outside the fuzz (earlier tests) */
	int charged;		/* created by an unprivileged user */
	int level;		/* PR_CORE_DOMAIN_LEVEL_*; 0: not made here */
};

static struct mproc proc[MAXP];
static struct mdom mdom[512];
static int nmdom;
static struct cd_domains baseline;		/* domains that are not ours */
static long max_id = ID_MAX;
static pid_t dead_tids[64];
static long dead_ids[64];
static int ndead_tids, ndead_ids;

static struct mdom *md(long id)
{
	int i;

	for (i = 0; i < nmdom; i++)
		if (mdom[i].id == id)
			return &mdom[i];
	return NULL;
}

static int baseline_has(long id)
{
	return cd_domains_find(&baseline, id) >= 0;
}

static int live(long id)
{
	return id > 0 && (md(id) || baseline_has(id));
}

static long dparent(long id)
{
	struct mdom *d = md(id);
	int i;

	if (d)
		return d->parent;
	i = cd_domains_find(&baseline, id);
	return i >= 0 ? baseline.parent[i] : 0;
}

/* The domain @n imposes: its own or its nearest ancestor's. */
static long imposed(int n)
{
	for (; n >= 0; n = node[n].parent)
		if (node[n].own)
			return node[n].own;
	return 0;
}

/* core_domain_within(): may a task confined to @c be in @d? */
static int within(long d, long c)
{
	return !c || d == c || (d && dparent(d) == c);
}

/*
 * Ids up to max_id all in use, or, for a creator of uid @uid other than
 * root, the domains of unprivileged creators at three quarters of them?
 */
static int exhausted(uid_t uid)
{
	long used = 0, charged = 0;
	int i;

	for (i = 0; i < nmdom; i++) {
		used += mdom[i].id <= max_id;
		charged += mdom[i].charged;
	}
	for (i = 0; i < baseline.n; i++)
		used += baseline.id[i] <= max_id && !md(baseline.id[i]);
	return used >= max_id || (uid && charged >= max_id - max_id / 4);
}

static void add_domain(long id, long parent, uid_t creator, int level)
{
	if (nmdom < 512) {
		mdom[nmdom].id = id;
		mdom[nmdom].level = level;
		mdom[nmdom].parent = parent;
		mdom[nmdom].ext = 0;
		mdom[nmdom].charged = creator != 0;
		mdom[nmdom++].refs = 0;
	}
}

/* Recount references; domains without any die, releasing their parent. */
static void model_gc(void)
{
	int i, k, t, changed;

	do {
		changed = 0;
		for (i = 0; i < nmdom; i++)
			mdom[i].refs = mdom[i].ext;
		for (k = 0; k < MAXP; k++)
			for (t = 0; t < 2 && proc[k].alive; t++)
				if (proc[k].dom[t] && md(proc[k].dom[t]))
					md(proc[k].dom[t])->refs++;
		for (i = 0; i < NNODE; i++)
			if (node[i].own && md(node[i].own))
				md(node[i].own)->refs++;
		for (i = 0; i < nmdom; i++)
			if (mdom[i].parent && md(mdom[i].parent))
				md(mdom[i].parent)->refs++;
		for (i = 0; i < nmdom; i++)
			if (!mdom[i].refs) {
				if (ndead_ids < 64)
					dead_ids[ndead_ids++] = mdom[i].id;
				else
					dead_ids[rnd_below(64)] = mdom[i].id;
				mdom[i] = mdom[--nmdom];
				changed = 1;
				break;
			}
	} while (changed);
}

/* The debugfs list the model expects: baseline plus ours. */
static void model_dlist(struct cd_domains *l)
{
	int i;

	*l = baseline;
	for (i = 0; i < nmdom && l->n < 2048; i++) {
		int j = cd_domains_find(l, mdom[i].id);

		if (j < 0)
			j = l->n++;
		l->id[j] = mdom[i].id;
		l->refs[j] = mdom[i].refs;
		l->parent[j] = mdom[i].parent;
	}
}

/* Is group @n governed by @g (in @g's subtree, no own domain in between)? */
static int governed_by(int n, int g)
{
	for (; n >= 0 && n != g; n = node[n].parent)
		if (node[n].own)
			return 0;
	return n == g;
}

/* A write gave @g domain @d (0: none of its own, imposing @d = parent's). */
static void model_retag(int g, long d)
{
	int k, t;

	for (k = 0; k < MAXP; k++) {
		if (!proc[k].alive || !governed_by(proc[k].node, g))
			continue;
		for (t = 0; t < 2; t++)
			if (!d || !within(proc[k].dom[t], d))
				proc[k].dom[t] = d;
	}
}

/* ------------------------------------------------------------------ */
/* the fuzzer's state and its checks                                    */
/* ------------------------------------------------------------------ */

struct fuzz {
	double t_check, t_sync;
	long ops, nset, nget, nwrite, nmig, nfork, nkill, nspawn, nmax, nraw;
	long ok, bad;			/* calls that succeeded / failed as expected */
	long mismatches;
	char log[48][440];
	int nlog;
	char cur[400];
};

static struct fuzz *fz;

static void oplog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fz->cur, sizeof(fz->cur), fmt, ap);
	va_end(ap);
	snprintf(fz->log[fz->nlog++ % 48], sizeof(fz->log[0]), "op %ld: %s", fz->ops, fz->cur);
}

static void dump_log(void)
{
	int i, from = fz->nlog > 48 ? fz->nlog - 48 : 0;

	cd_say("# the operations that led here (seed %llu):\n", (unsigned long long)env_long("CD_FUZZ_SEED_USED", 0));
	for (i = from; i < fz->nlog; i++)
		cd_say("#   %s\n", fz->log[i % 48]);
}

static void mismatch(const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cd_say("# MISMATCH in op %ld (%s): %s\n", fz->ops, fz->cur, buf);
	if (fz->mismatches++ < 3)
		dump_log();
}

static const char *ename(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case ENOSPC: return "ENOSPC";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	case E2BIG: return "E2BIG";
	case ENODEV: return "ENODEV";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

#define BIT(e)	(1ULL << (e))

static const char *eset(uint64_t set)
{
	static char buf[128];
	int e;

	buf[0] = 0;
	for (e = 1; e < 64; e++)
		if (set & BIT(e))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 buf[0] ? "|" : "", ename(e));
	return buf[0] ? buf : "success";
}

/* Every live thread's domain and every group's file match the model. */
static void check_state(void)
{
	int k, t, n;
	char p[256], buf[64], want[64];
	double t0 = cd_now_s();

	for (k = 0; k < MAXP; k++)
		for (t = 0; t < 2 && proc[k].alive; t++) {
			long d = status_domain(proc[k].tid[t]);

			if (d != proc[k].dom[t])
				mismatch("puppet %d thread %d (tid %d): domain %ld, model %ld",
					 k, t, proc[k].tid[t], d, proc[k].dom[t]);
		}
	for (n = N_Z; n < NNODE; n++) {
		long d = imposed(n);

		snprintf(p, sizeof(p), CG "/%s/cpu.core_domain", node[n].path);
		cd_read_line(p, buf, sizeof(buf));
		if (!d)
			snprintf(want, sizeof(want), "0 none");
		else
			snprintf(want, sizeof(want), "%ld %s", d, node[n].own ? "own" : "inherited");
		if (strcmp(buf, want))
			mismatch("%s reads '%s', model '%s'", node[n].path, buf, want);
	}
	fz->t_check += cd_now_s() - t0;
}

/* debugfs domains, references and parents match the model. */
static void sync_domains(void)
{
	struct cd_domains want, cur;
	double t0 = cd_now_s();
	int i, j;

	model_gc();
	model_dlist(&want);
	i = dlist_settle(&want, 10.0);
	fz->t_sync += cd_now_s() - t0;
	if (!i)
		return;
	cd_read_domains(&cur);
	for (i = 0; i < want.n; i++) {
		j = cd_domains_find(&cur, want.id[i]);
		if (j < 0)
			mismatch("domain %ld missing (model: refs %ld parent %ld)",
				 want.id[i], want.refs[i], want.parent[i]);
		else if (cur.refs[j] != want.refs[i] || cur.parent[j] != want.parent[i])
			mismatch("domain %ld: refs %ld parent %ld, model refs %ld parent %ld",
				 want.id[i], cur.refs[j], cur.parent[j], want.refs[i],
				 want.parent[i]);
	}
	for (j = 0; j < cur.n; j++)
		if (cd_domains_find(&want, cur.id[j]) < 0)
			mismatch("domain %ld (refs %ld parent %ld) is not in the model: leaked",
				 cur.id[j], cur.refs[j], cur.parent[j]);
}

/* ------------------------------------------------------------------ */
/* puppets' life cycle                                                  */
/* ------------------------------------------------------------------ */

static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

static int wait_ready(int k)
{
	double end = cd_now_s() + 20;

	while (!shm->s[2 * k].tid || !shm->s[2 * k + 1].tid) {
		if (cd_now_s() > end)
			return -1;
		usleep(200);
	}
	proc[k].tid[0] = shm->s[2 * k].tid;
	proc[k].tid[1] = shm->s[2 * k + 1].tid;
	return 0;
}

static void reset_slots(int k, int spin)
{
	int t;

	for (t = 0; t < 2; t++) {
		struct slot *s = &shm->s[2 * k + t];

		s->seq_cmd = s->seq_done = 0;
		s->tid = 0;
		s->spin = t == 1 && spin;
	}
}

static int free_proc(void)
{
	int k;

	for (k = 0; k < MAXP; k++)
		if (!proc[k].alive)
			return k;
	return -1;
}

static pid_t pick_pgid(pid_t self)
{
	int k = rnd_below(MAXP), i;

	if (rnd_below(2))
		return self;
	for (i = 0; i < MAXP; i++, k = (k + 1) % MAXP)
		if (proc[k].alive)
			return proc[k].pgid;
	return self;
}

/*
 * A new puppet from the fuzzer (host domain, root group): forked and
 * moved into @n by writing its pid, or born in @n by clone3
 * CLONE_INTO_CGROUP and re-executed.
 */
static int nr_userns;	/* user namespaces the puppets made */

static int spawn_puppet(int k, uid_t uid, int n, int into)
{
	char p[256];
	pid_t pid, pg;
	int spin = rnd_below(6) == 0;
	int userns = uid && rnd_below(2);

	if (userns)
		oplog("puppet %d owns a user namespace", k);
	reset_slots(k, spin);
	pg = pick_pgid(0);
	if (into) {
		struct clone_args args = { 0 };
		int fd;

		snprintf(p, sizeof(p), CG "/%s", node[n].path);
		fd = open(p, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return -1;
		args.flags = CLONE_INTO_CGROUP;
		args.exit_signal = SIGCHLD;
		args.cgroup = fd;
		pid = syscall(__NR_clone3, &args, sizeof(args));
		if (pid == 0) {
			char a[4][16];

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (!pg || setpgid(0, pg))
				setpgid(0, 0);
			snprintf(a[0], 16, "%d", shm_fd);
			snprintf(a[1], 16, "%d", 2 * k);
			snprintf(a[2], 16, "%d", uid);
			snprintf(a[3], 16, "%d", userns);
			execl("/proc/self/exe", "fuzz_test", "--puppet", a[0], a[1], a[2], a[3],
			      NULL);
			_exit(98);
		}
		close(fd);
	} else {
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (!pg || setpgid(0, pg))
				setpgid(0, 0);
			{
				char v[32];

				snprintf(p, sizeof(p), CG "/%s%scgroup.procs", node[n].path,
					 *node[n].path ? "/" : "");
				snprintf(v, sizeof(v), "%d", getpid());
				if (put(p, v))
					_exit(97);
			}
			puppet_main(2 * k, uid, userns);
		}
	}
	if (pid < 0)
		return -1;
	memset(&proc[k], 0, sizeof(proc[k]));
	proc[k].pid = pid;
	proc[k].uid = uid;
	proc[k].userns = userns ? ++nr_userns : 0;
	proc[k].node = n;
	proc[k].spin = spin;
	if (wait_ready(k))
		return -1;
	proc[k].pgid = getpgid(pid);
	proc[k].alive = 1;
	/* The fuzzer is in the host domain: the child joins what @n imposes. */
	proc[k].dom[0] = proc[k].dom[1] = imposed(n);
	return 0;
}

static int gone(pid_t pid)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d", pid);
	return access(p, F_OK) != 0;
}

static void kill_puppet(int k)
{
	double end = cd_now_s() + 10;

	kill(proc[k].pid, SIGKILL);
	while (!gone(proc[k].pid) && cd_now_s() < end) {
		reap_orphans();
		usleep(1000);
	}
	if (!gone(proc[k].pid))
		mismatch("puppet %d (pid %d) does not go away after SIGKILL", k, proc[k].pid);
	dead_tids[ndead_tids++ % 64] = proc[k].tid[0];
	dead_tids[ndead_tids++ % 64] = proc[k].tid[1];
	proc[k].alive = 0;
}

/* ------------------------------------------------------------------ */
/* argument generators                                                  */
/* ------------------------------------------------------------------ */

static int rnd_alive(void)
{
	int k = rnd_below(MAXP), i;

	for (i = 0; i < MAXP; i++, k = (k + 1) % MAXP)
		if (proc[k].alive)
			return k;
	return -1;
}

static long rnd_live_id(void)
{
	unsigned int n = nmdom + baseline.n;
	unsigned int i;

	if (!n)
		return 0;
	i = rnd_below(n);
	return i < (unsigned int)nmdom ? mdom[i].id : baseline.id[i - nmdom];
}

static long rnd_dead_id(void)
{
	long id;

	if (ndead_ids && rnd_below(4)) {
		id = dead_ids[rnd_below(ndead_ids)];
		if (!live(id))
			return id;
	}
	for (id = 1 + rnd_below(max_id < ID_MAX ? max_id + 8 : 200); live(id); id++)
		;
	return id;
}

static unsigned long gen_id(void)
{
	unsigned int r = rnd_below(100);

	if (r < 25)
		return NEW_ID;
	if (r < 35)
		return 0;
	if (r < 65)
		return rnd_live_id() ?: NEW_ID;
	if (r < 72)
		return rnd_dead_id();
	if (r < 78)
		return 1 + rnd_below(max_id < 4096 ? max_id : 4096);
	if (r < 82)
		return ID_MAX;
	if (r < 85)
		return ID_MAX + 1;
	if (r < 88)
		return (1UL << 32) | (rnd_live_id() ?: 1);
	if (r < 90)
		return ULONG_MAX;
	if (r < 93)
		return 0xfffffffeUL;
	if (r < 96)
		return rnd();
	return 1UL << 32;
}

/* A pid argument; @tk and @tt: the puppet thread it names, or -1. */
static unsigned long gen_pid(int caller, int *tk, int *tt)
{
	unsigned int r = rnd_below(100);
	int k;

	*tk = *tt = -1;
	if (r < 20)
		return 0;
	if (r < 62) {
		k = rnd_alive();
		if (k < 0)
			return 0;
		*tk = k;
		*tt = r < 50 ? 0 : 1;
		if (r >= 56) {
			*tk = caller;
			*tt = r & 1;
		}
		return proc[*tk].tid[*tt];
	}
	if (r < 68) {
		if (ndead_tids) {
			pid_t t = dead_tids[rnd_below(ndead_tids < 64 ? ndead_tids : 64)];

			if (gone(t))
				return t;
		}
		return NOPID;
	}
	if (r < 72)
		return NOPID;
	if (r < 76)
		return 1;
	if (r < 80)
		return r & 1 ? ULONG_MAX : (unsigned long)-5L;
	if (r < 83)
		return INT_MAX;
	if (r < 86)
		return (unsigned long)INT_MAX + 1;
	if (r < 89) {
		k = rnd_alive();
		return (1UL << 32) | (k >= 0 ? (unsigned long)proc[k].tid[0] : 1);
	}
	k = rnd_alive();
	if (k < 0)
		return 0;
	*tk = k;
	*tt = 0;
	return proc[k].pid;
}

static unsigned long gen_scope(void)
{
	static const unsigned long odd[] = {
		3, 4, 255, 1UL << 32, (1UL << 32) | 1, ULONG_MAX, 0x80000000UL,
	};
	unsigned int r = rnd_below(100);

	if (r < 40)
		return PR_CORE_DOMAIN_SCOPE_THREAD;
	if (r < 70)
		return PR_CORE_DOMAIN_SCOPE_THREAD_GROUP;
	if (r < 90)
		return PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP;
	return odd[rnd_below(ARRAY_SIZE(odd))];
}

static unsigned long gen_zero(int pct_nonzero)
{
	if ((int)rnd_below(100) >= pct_nonzero)
		return 0;
	return rnd_below(2) ? 1 : (rnd() | (1UL << 63));
}

/* ------------------------------------------------------------------ */
/* the operations                                                       */
/* ------------------------------------------------------------------ */

/*
 * ptrace access of the caller (puppet @ck, -1: the fuzzer, root) to
 * puppet @tk: root; or the same user, from the initial user namespace
 * (which owns the user's namespaces) or from the target's own namespace
 * (commoncap: a task in a user namespace may not trace one outside it).
 */
static int may_ptrace(int ck, int tk)
{
	if (ck < 0 || ck == tk || proc[ck].uid == 0)
		return 1;
	if (proc[ck].uid != proc[tk].uid)
		return 0;
	return !proc[ck].userns || proc[ck].userns == proc[tk].userns;
}

/* Is a thread of domain @d one that caller @ck (as may_ptrace()) may read? */
static int member_readable(long d, int ck)
{
	int k, t;

	for (k = 0; k < MAXP; k++)
		for (t = 0; t < 2 && proc[k].alive; t++)
			if (proc[k].dom[t] == d && may_ptrace(ck, k))
				return 1;
	return 0;
}

/*
 * core_domain_may_join() for the calling thread: root, a member, or who
 * may read a member.
 */
static int may_join(int ck, int ct, long d)
{
	if (proc[ck].uid == 0)
		return 1;
	return d && (proc[ck].dom[ct] == d || member_readable(d, ck));
}

static void verify(uint64_t allowed, long ret, int err, const char *what)
{
	if (ret >= 0 && err == 0) {
		if (allowed & 1) {
			fz->ok++;
			return;
		}
		mismatch("%s succeeded (%ld), model: %s", what, ret, eset(allowed));
		return;
	}
	if (err < 64 && (allowed & BIT(err))) {
		fz->bad++;
		return;
	}
	mismatch("%s: %s, model: %s%s", what, ename(err), allowed & 1 ? "success|" : "",
		 eset(allowed & ~1ULL));
}

static void op_set(void)
{
	int ck = rnd_alive(), ct = rnd_below(2), tk, tt, k, t;
	unsigned long id = gen_id(), a5 = gen_zero(4), scope = gen_scope(), pid;
	uint64_t errs = 0;
	int fresh = 0, targets[MAXP][2], ntarget = 0, any = 0;
	struct slot *s;
	long c = 0;

	if (ck < 0)
		return;
	pid = gen_pid(ck, &tk, &tt);
	/* root may move init and take the whole session with it: not here */
	if (pid == 1 && proc[ck].uid == 0)
		pid = NOPID;
	if (pid == 0) {
		tk = ck;
		tt = ct;
	}
	fz->nset++;
	oplog("puppet %d/%d (uid %d, domain %ld, %s) SET id %#lx pid %lu scope %#lx arg5 %#lx",
	      ck, ct, proc[ck].uid, proc[ck].dom[ct], node[proc[ck].node].path, id, pid,
	      scope, a5);

	/*
	 * The model: every error that applies.  arg5 is the level of a new
	 * domain (0: the boot's, user level here), 0 for every other SET.
	 */
	if ((a5 && ((id != NEW_ID && id != ULONG_MAX) || a5 > PR_CORE_DOMAIN_LEVEL_KERNEL)) ||
	    pid > INT_MAX)
		errs |= BIT(EINVAL);
	if (scope > PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP)
		errs |= BIT(EINVAL);
	if (id == NEW_ID || id == ULONG_MAX) {
		fresh = 1;
		if (exhausted(proc[ck].uid))
			errs |= BIT(ENOSPC);
	} else if (id > ID_MAX || (id && !live(id))) {
		errs |= BIT(EINVAL);
	}
	if (pid <= INT_MAX && tk < 0)
		errs |= BIT(ESRCH);	/* nothing named (init: below) */
	if (pid == 1) {
		errs &= ~BIT(ESRCH);
		errs |= BIT(EPERM);	/* an unprivileged caller and root's init */
	}
	if (tk >= 0 && scope <= PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP) {
		c = imposed(proc[tk].node);
		for (k = 0; k < MAXP; k++) {
			if (!proc[k].alive)
				continue;
			if (scope == PR_CORE_DOMAIN_SCOPE_THREAD && k != tk)
				continue;
			if (scope == PR_CORE_DOMAIN_SCOPE_THREAD_GROUP && k != tk)
				continue;
			if (scope == PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP &&
			    proc[k].pgid != proc[tk].pgid)
				continue;
			for (t = 0; t < 2; t++) {
				if (scope == PR_CORE_DOMAIN_SCOPE_THREAD && t != tt)
					continue;
				targets[ntarget][0] = k;
				targets[ntarget++][1] = t;
				if (!may_ptrace(ck, k) || imposed(proc[k].node) != c)
					any = 1;
				else if (!fresh && !(errs & BIT(EINVAL)) &&
					 !(within(id, c) && may_join(ck, ct, id)))
					any = 1;
			}
		}
		if (any)
			errs |= BIT(EPERM);
	}

	s = &shm->s[2 * ck + ct];
	s->op = OP_PRCTL;
	s->a[0] = PR_SET_CORE_DOMAIN;
	s->a[1] = id;
	s->a[2] = pid;
	s->a[3] = scope;
	s->a[4] = a5;
	if (run_slot(2 * ck + ct)) {
		mismatch("puppet %d/%d hangs in PR_SET_CORE_DOMAIN", ck, ct);
		return;
	}
	verify(errs ? errs : 1, s->ret, s->err, "SET");
	if (s->ret < 0)
		return;
	if (errs) {
		/* the kernel did something the model forbids: resync */
		sync_domains();
		return;
	}
	if (fresh) {
		long x = s->ret;

		if (x < 1 || x > max_id || live(x)) {
			mismatch("NEW returned id %ld (max_id %ld, %s)", x, max_id,
				 live(x) ? "in use" : "free");
			return;
		}
		add_domain(x, c, proc[ck].uid, a5 ?: PR_CORE_DOMAIN_LEVEL_USER);
		id = x;
	} else if (s->ret != 0) {
		mismatch("SET returned %ld, not 0", s->ret);
	}
	for (k = 0; k < ntarget; k++)
		proc[targets[k][0]].dom[targets[k][1]] = id;
	model_gc();
}

static void op_get(void)
{
	int ck = rnd_alive(), ct = rnd_below(2), tk, tt;
	unsigned long pid, a3 = gen_zero(5), a4 = gen_zero(5), a5 = gen_zero(5);
	uint64_t errs = 0;
	long want = -1;
	struct slot *s;

	if (ck < 0)
		return;
	pid = gen_pid(ck, &tk, &tt);
	if (pid == 0) {
		tk = ck;
		tt = ct;
	}
	fz->nget++;
	oplog("puppet %d/%d (uid %d) GET pid %lu %#lx %#lx %#lx", ck, ct, proc[ck].uid,
	      pid, a3, a4, a5);
	/* arg3: 0 the domain id, PR_CORE_DOMAIN_GET_LEVEL its level */
	if (a3 > PR_CORE_DOMAIN_GET_LEVEL || a4 || a5 || pid > INT_MAX)
		errs |= BIT(EINVAL);
	if (pid == 1) {
		if (proc[ck].uid)
			errs |= BIT(EPERM);
		else
			want = 0;
	} else if (pid <= INT_MAX && tk < 0) {
		errs |= BIT(ESRCH);
	} else if (tk >= 0) {
		if (!may_ptrace(ck, tk))
			errs |= BIT(EPERM);
		want = proc[tk].dom[tt];
	}
	s = &shm->s[2 * ck + ct];
	s->op = OP_PRCTL;
	s->a[0] = PR_GET_CORE_DOMAIN;
	s->a[1] = pid;
	s->a[2] = a3;
	s->a[3] = a4;
	s->a[4] = a5;
	if (run_slot(2 * ck + ct)) {
		mismatch("puppet %d/%d hangs in PR_GET_CORE_DOMAIN", ck, ct);
		return;
	}
	verify(errs ? errs : 1, s->ret, s->err, "GET");
	if (!errs && s->ret >= 0 && a3 == PR_CORE_DOMAIN_GET_LEVEL) {
		struct mdom *d = want > 0 ? md(want) : NULL;

		/* The host domain has no level; one not made here has some. */
		if (want == 0 ? s->ret != 0 :
		    d && d->level ? s->ret != d->level :
		    s->ret != PR_CORE_DOMAIN_LEVEL_USER &&
		    s->ret != PR_CORE_DOMAIN_LEVEL_KERNEL)
			mismatch("GET level returned %ld for domain %ld, model %d", s->ret,
				 want, d ? d->level : -1);
	} else if (!errs && s->ret >= 0 && s->ret != want) {
		mismatch("GET returned %ld, model %ld", s->ret, want);
	}
}

/* Unknown options next to ours. */
static void op_raw(void)
{
	static const unsigned long opts[] = { 0x43440000, 0x43440003, 0x43440004, 0x4344ffff };
	int ck = rnd_alive();
	struct slot *s;

	if (ck < 0)
		return;
	s = &shm->s[2 * ck];
	s->op = OP_PRCTL;
	s->a[0] = opts[rnd_below(ARRAY_SIZE(opts))];
	s->a[1] = gen_id();
	s->a[2] = 0;
	s->a[3] = 0;
	s->a[4] = 0;
	fz->nraw++;
	oplog("puppet %d prctl option %#lx", ck, s->a[0]);
	if (run_slot(2 * ck)) {
		mismatch("puppet %d hangs in an unknown prctl", ck);
		return;
	}
	verify(BIT(EINVAL), s->ret, s->err, "unknown prctl option");
}

/* --- cpu.core_domain values --- */

enum { V_BAD, V_NEW, V_NONE, V_ID };

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * Parse a value as "new", "none", or a decimal id up to ID_MAX (0 is
 * "none"), after trimming white space; @plus: accept a leading '+' as
 * kstrtou32() does.  V_BAD for anything else.
 */
static int parse_value(const char *buf, int len, int plus, long *id)
{
	static char tmp[MAXW + 1];
	char *s = tmp, *e, *p;
	unsigned long v = 0;

	memcpy(tmp, buf, len);
	tmp[len] = 0;
	e = s + len;
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	*e = 0;
	if (!strcmp(s, "new"))
		return V_NEW;
	if (!strcmp(s, "none"))
		return V_NONE;
	p = s;
	if (plus && *p == '+')
		p++;
	if (!*p || strspn(p, "0123456789") != strlen(p))
		return V_BAD;
	for (; *p; p++) {
		v = v * 10 + (*p - '0');
		if (v > 0xffffffffUL)
			return V_BAD;		/* ERANGE */
	}
	if (v > ID_MAX)
		return V_BAD;
	if (!v)
		return V_NONE;
	*id = v;
	return V_ID;
}

/* What the documents make of @len bytes written (*@id for V_ID). */
static int classify(const char *buf, int len, long *id)
{
	*id = 0;
	if (memchr(buf, 0, len))
		return V_BAD;
	return parse_value(buf, len, 1, id);
}

/*
 * Would giving group @n the domain @d (-1: a new one; 0: none of its own)
 * move a task writer @ck (-1: the fuzzer) may not read?  Tasks already
 * within the domain the group then imposes stay; a group that keeps its
 * domain moves nothing.
 */
static int moves_foreign(int n, long d, int ck)
{
	long to = d ? d : imposed(node[n].parent);
	int k, t;

	if (d == node[n].own)
		return 0;
	for (k = 0; k < MAXP; k++) {
		if (!proc[k].alive || !governed_by(proc[k].node, n) ||
		    may_ptrace(ck, k))
			continue;
		for (t = 0; t < 2; t++)
			if (d < 0 || !to || !within(proc[k].dom[t], to))
				return 1;
	}
	return 0;
}

/* Errors the documents give a write of class @cls to group @n by a caller. */
static uint64_t write_errs(int n, int cls, long id, int ck, int wuid, long wdom)
{
	long p = imposed(node[n].parent);
	uint64_t errs = 0;

	switch (cls) {
	case V_BAD:
		return BIT(EINVAL);
	case V_NEW:
		if (exhausted(wuid))
			errs |= BIT(ENOSPC);
		if (moves_foreign(n, -1, ck))
			errs |= BIT(EPERM);
		break;
	case V_ID:
		if (!live(id))
			return BIT(EINVAL);
		if (!within(id, p) ||
		    !(wuid == 0 || wdom == id || member_readable(id, ck)) ||
		    moves_foreign(n, id, ck))
			errs |= BIT(EPERM);
		break;
	case V_NONE:
		if ((!p && node[n].own && wuid) || moves_foreign(n, 0, ck))
			errs |= BIT(EPERM);
		break;
	}
	return errs;
}

/* Apply a successful write of class @cls (@buf: the file after it). */
static int write_apply(int n, int cls, long id, const char *buf, int wuid)
{
	long p = imposed(node[n].parent);

	switch (cls) {
	case V_NEW: {
		long x;

		x = atol(buf);
		if (x < 1 || x > max_id || live(x) || !strstr(buf, "own")) {
			mismatch("'new' gave %s '%s' (max_id %ld, %s)", node[n].path, buf,
				 max_id, live(x) ? "an id in use" : "free");
			return -1;
		}
		add_domain(x, p, wuid, PR_CORE_DOMAIN_LEVEL_USER);
		node[n].own = x;
		model_retag(n, x);
		break;
	}
	case V_ID:
		if (node[n].own == id)
			break;
		node[n].own = id;
		model_retag(n, id);
		break;
	case V_NONE:
		if (!node[n].own)
			break;
		node[n].own = 0;
		model_retag(n, p);
		break;
	}
	model_gc();
	return 0;
}

static int gen_value(char *buf)
{
	static const char * const bad[] = {
		"", " ", "\n", "abc", "-1", "-5", "-0", "0x5", "5abc", "NEW", "None", "nonee",
		"ne", "w", "1 2", "new\nnew", "new new", "1e3", "5.0", "4294967295",
		"4294967296", "99999999999999999999", "1048576", "\xff\xfe", "n\xc3\xa9w",
		"none\n0", "newnew", "+", "++5", "-new",
	};
	static const char ws[] = " \t\n\v\f\r";
	char core[64];
	int len = 0, i, n;
	unsigned int r = rnd_below(100);

	if (r < 22)
		strcpy(core, "new");
	else if (r < 30)
		strcpy(core, "none");
	else if (r < 34)
		strcpy(core, "0");
	else if (r < 52)
		snprintf(core, sizeof(core), "%ld", rnd_live_id());
	else if (r < 57)
		snprintf(core, sizeof(core), "%ld", rnd_dead_id());
	else if (r < 60)
		snprintf(core, sizeof(core), "%ld", ID_MAX);
	else if (r < 63)
		snprintf(core, sizeof(core), "000%ld", rnd_live_id());
	else if (r < 65)
		snprintf(core, sizeof(core), "+%ld", rnd_live_id());
	else if (r < 92)
		snprintf(core, sizeof(core), "%s", bad[rnd_below(ARRAY_SIZE(bad))]);
	else if (r < 95) {
		/* a NUL inside */
		n = snprintf(core, sizeof(core), "%s", rnd_below(2) ? "new" : "none");
		core[n] = 0;
		memcpy(buf, core, n + 1);
		len = n + 1;
		n = snprintf(buf + len, 16, "%s", rnd_below(2) ? "junk" : "");
		return len + n;
	} else if (r < 97) {
		/* long: white space around a value, or digits */
		int total = rnd_below(2) ? 4096 : 4000 + rnd_below(MAXW - 4000);

		if (rnd_below(2)) {
			memset(buf, ' ', total);
			memcpy(buf + total - 3, "new", 3);
		} else {
			memset(buf, '0', total);
			buf[total - 1] = '7';
		}
		return total;
	} else {
		core[0] = 0;
	}
	for (i = rnd_below(3); i > 0; i--)
		buf[len++] = ws[rnd_below(6)];
	n = strlen(core);
	memcpy(buf + len, core, n);
	len += n;
	for (i = rnd_below(3); i > 0; i--)
		buf[len++] = ws[rnd_below(6)];
	return len;
}

/* One write() of @len bytes as the model sees it; updates the model. */
static void model_one_write(int n, const char *buf, int len, long ret, int err,
			    int ck, int wuid, long wdom, const char *after)
{
	uint64_t errs;
	long id = 0;
	int cls;

	if (len == 0) {
		/* kernfs: nothing is parsed, the write returns 0 */
		if (ret != 0 || err)
			mismatch("empty write returned %ld (%s), want 0", ret, ename(err));
		return;
	}
	if (len > 4096) {
		if (ret >= 0 || err != E2BIG)
			mismatch("write of %d bytes returned %ld (%s), want E2BIG", len, ret,
				 ename(err));
		fz->bad++;
		return;
	}
	cls = classify(buf, len, &id);
	errs = write_errs(n, cls, id, ck, wuid, wdom);
	if (ret >= 0 && !err) {
		if (ret != len)
			mismatch("write returned %ld of %d bytes", ret, len);
		verify(errs ? errs : 1, ret, err, "write");
		if (!errs)
			write_apply(n, cls, id, after, wuid);
		return;
	}
	verify(errs ? errs : 1, ret, err, "write");
}

static void op_write(void)
{
	int n = N_Z + rnd_below(NNODE - N_Z), ck = -1, ct = 0, len, split;
	int wuid = 0;
	long wdom = 0;
	char path[256], desc[64];
	struct slot *s;
	static char buf[MAXW];

	len = gen_value(buf);
	split = len;
	if (len > 1 && len < 64 && rnd_below(8) == 0)
		split = 1 + rnd_below(len - 1);
	if (rnd_below(20) == 0)
		n = N_ROOT;	/* no such file there */
	if (rnd_below(4)) {
		ck = rnd_alive();
		if (ck < 0)
			return;
		ct = rnd_below(2);
		wuid = proc[ck].uid;
		wdom = proc[ck].dom[ct];
	}
	/* the fuzzer itself writes through puppet 0's slot machinery: no, directly */
	snprintf(path, sizeof(path), CG "/%s%scpu.core_domain", node[n].path,
		 *node[n].path ? "/" : "");
	fz->nwrite++;
	snprintf(desc, sizeof(desc), "%.*s", len > 24 ? 24 : len, buf);
	for (char *c = desc; *c; c++)
		if ((unsigned char)*c < 32 || (unsigned char)*c > 126)
			*c = '.';
	oplog("%s%d/%d (uid %d, domain %ld) writes '%s' (%d bytes%s) to %s", ck < 0 ? "fuzzer" : "puppet ",
	      ck, ct, wuid, wdom, desc, len, split < len ? ", split" : "", node[n].path);
	if (ck < 0) {
		static struct slot me;

		s = &me;
		memcpy(s->buf, buf, len);
		s->len = len;
		s->split = split;
		snprintf(s->path, sizeof(s->path), "%s", path);
		s->op = OP_WRITE;
		puppet_exec(s);
	} else {
		s = &shm->s[2 * ck + ct];
		memcpy(s->buf, buf, len);
		s->len = len;
		s->split = split;
		snprintf(s->path, sizeof(s->path), "%s", path);
		s->op = OP_WRITE;
		if (run_slot(2 * ck + ct)) {
			mismatch("puppet %d/%d hangs writing cpu.core_domain", ck, ct);
			return;
		}
	}
	if (n == N_ROOT) {
		verify(BIT(ENOENT), s->ret, s->err, "open of the root's cpu.core_domain");
		return;
	}
	if (wuid && !(wuid == UID_USER && node[n].deleg)) {
		verify(BIT(EACCES), s->ret, s->err, "open without write permission");
		return;
	}
	if (s->ret < 0 && s->err == EACCES) {
		mismatch("open of %s by uid %d: EACCES", node[n].path, wuid);
		return;
	}
	model_one_write(n, s->buf, split, s->ret, s->err, ck, wuid, wdom, s->after[0]);
	if (split < len) {
		if (ck >= 0)
			wdom = proc[ck].dom[ct];	/* the first write may have moved it */
		model_one_write(n, s->buf + split, len - split, s->ret2, s->err2, ck, wuid, wdom,
				s->after[1]);
	}
}

/* Root moves a puppet's process into a group (cgroup.procs). */
static void op_migrate(void)
{
	static const int leaves[] = { N_ROOT, N_A1, N_A2, N_B, N_C, N_U1 };
	int k = rnd_alive(), n = leaves[rnd_below(ARRAY_SIZE(leaves))], t, r;
	char path[256], v[32];
	long c;

	if (k < 0)
		return;
	fz->nmig++;
	oplog("move puppet %d (pid %d, %s) to %s", k, proc[k].pid, node[proc[k].node].path,
	      node[n].path);
	snprintf(path, sizeof(path), CG "/%s%scgroup.procs", node[n].path,
		 *node[n].path ? "/" : "");
	snprintf(v, sizeof(v), "%d", proc[k].pid);
	r = put(path, v);
	verify(1, r ? -1 : 0, -r, "migration");
	if (r)
		return;
	proc[k].node = n;
	c = imposed(n);
	for (t = 0; t < 2; t++)
		if (!within(proc[k].dom[t], c))
			proc[k].dom[t] = c;
	model_gc();
}

/* A puppet thread forks: the child inherits that thread's domain. */
static void op_fork(void)
{
	int ck = rnd_alive(), ct = rnd_below(2), k = free_proc();
	struct slot *s;
	long c;

	if (ck < 0 || k < 0)
		return;
	fz->nfork++;
	oplog("puppet %d/%d (domain %ld) forks puppet %d", ck, ct, proc[ck].dom[ct], k);
	reset_slots(k, rnd_below(6) == 0);
	s = &shm->s[2 * ck + ct];
	s->op = OP_FORK;
	s->newslot = 2 * k;
	if (run_slot(2 * ck + ct) || s->ret <= 0) {
		mismatch("puppet %d/%d could not fork: %s", ck, ct, ename(s->err));
		return;
	}
	memset(&proc[k], 0, sizeof(proc[k]));
	proc[k].pid = s->ret;
	proc[k].uid = proc[ck].uid;
	proc[k].userns = proc[ck].userns;
	proc[k].node = proc[ck].node;
	proc[k].pgid = proc[ck].pgid;
	proc[k].spin = shm->s[2 * k + 1].spin;
	if (wait_ready(k)) {
		mismatch("forked puppet %d never came up", k);
		kill(s->ret, SIGKILL);
		return;
	}
	proc[k].alive = 1;
	c = imposed(proc[k].node);
	proc[k].dom[0] = within(proc[ck].dom[ct], c) ? proc[ck].dom[ct] : c;
	proc[k].dom[1] = proc[k].dom[0];
	model_gc();
}

static void op_kill(void)
{
	int k = rnd_alive();

	if (k < 0)
		return;
	fz->nkill++;
	oplog("kill puppet %d (pid %d)", k, proc[k].pid);
	kill_puppet(k);
	sync_domains();
}

static void op_spawn(void)
{
	static const uid_t uids[] = { 0, UID_USER, UID_OTHER };
	static const int leaves[] = { N_ROOT, N_A1, N_A2, N_B, N_C, N_U1 };
	int k = free_proc(), n = leaves[rnd_below(ARRAY_SIZE(leaves))];
	int into = n != N_ROOT && rnd_below(2);
	uid_t uid = uids[rnd_below(3)];

	if (k < 0)
		return;
	fz->nspawn++;
	oplog("spawn puppet %d as uid %d in %s%s", k, uid, node[n].path,
	      into ? " (CLONE_INTO_CGROUP)" : "");
	if (spawn_puppet(k, uid, n, into))
		mismatch("spawning puppet %d failed", k);
	model_gc();
}

static void op_max_id(void)
{
	static const long vals[] = { 8, 12, 16, 24, 32, 48, 64, ID_MAX };
	long v = vals[rnd_below(ARRAY_SIZE(vals))];
	char buf[32];

	fz->nmax++;
	oplog("max_id %ld", v);
	snprintf(buf, sizeof(buf), "%ld", v);
	if (put(CDDBG "max_id", buf))
		mismatch("cannot write max_id");
	else
		max_id = v;
}

/* ------------------------------------------------------------------ */
/* setup of the groups                                                  */
/* ------------------------------------------------------------------ */

static int groups_setup(void)
{
	char p[256];
	int n;

	if (cgroup_setup())
		return -1;
	rmcg("cdz");
	for (n = N_Z; n < NNODE; n++) {
		snprintf(p, sizeof(p), CG "/%s", node[n].path);
		if (mkdir(p, 0755))
			return -1;
		node[n].own = 0;
	}
	for (n = N_Z; n < NNODE; n++) {
		if (node[n].leaf)
			continue;
		snprintf(p, sizeof(p), CG "/%s/cgroup.subtree_control", node[n].path);
		if (put(p, "+cpu"))
			return -1;
	}
	/* delegate cdz/u and cdz/u/s to UID_USER (cgroup-v2.rst) */
	for (n = N_U; n <= N_U1; n++) {
		static const char * const files[] = {
			"", "/cgroup.procs", "/cgroup.subtree_control", "/cpu.core_domain",
		};
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(files); i++) {
			snprintf(p, sizeof(p), CG "/%s%s", node[n].path, files[i]);
			if (!access(p, F_OK) && chown(p, UID_USER, UID_USER))
				return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the fuzzer                                                           */
/* ------------------------------------------------------------------ */

static void wait_quiet_domains(void)
{
	struct cd_domains a, b;
	int i;

	/* earlier tests' domains die lazily: wait until the list is stable */
	cd_read_domains(&a);
	for (i = 0; i < 50; i++) {
		usleep(100000);
		cd_read_domains(&b);
		if (dlist_equal(&a, &b))
			break;
		a = b;
	}
	baseline = a;
	/* Domains alive before us are modelled with the references they have. */
	nmdom = 0;
	for (i = 0; i < baseline.n; i++) {
		int j, kids = 0;

		for (j = 0; j < baseline.n; j++)
			kids += baseline.parent[j] == baseline.id[i];
		add_domain(baseline.id[i], baseline.parent[i], 0, 0);
		mdom[nmdom - 1].ext = baseline.refs[i] - kids;
	}
	baseline.n = 0;
}

static int active(void)
{
	char buf[16];

	return !strcmp(cd_read_line("/sys/kernel/core_domain/active", buf, sizeof(buf)), "1");
}

static void open_shm(void)
{
	shm_fd = syscall(SYS_memfd_create, "cd-fuzz", 0);
	if (shm_fd < 0 || ftruncate(shm_fd, sizeof(struct shm)))
		_exit(95);
	shm = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (shm == MAP_FAILED)
		_exit(96);
	memset(shm, 0, sizeof(*shm));
}

static void kill_all_puppets(void)
{
	int k;

	for (k = 0; k < MAXP; k++)
		if (proc[k].alive)
			kill_puppet(k);
	reap_orphans();
}

static unsigned int fuzz_timeout(void)
{
	return 300 + 2 * env_long("CD_FUZZ_SECONDS", 20);
}

FIXTURE(fuzzer) {
	int unused;
};

FIXTURE_SETUP(fuzzer)
{
}

FIXTURE_TEARDOWN(fuzzer)
{
	put(CDDBG "max_id", "1048575");
}

TEST_F_TIMEOUT(fuzzer, random_calls, fuzz_timeout())
{
	long seconds = env_long("CD_FUZZ_SECONDS", 20), max_ops = env_long("CD_FUZZ_OPS", 0);
	uint64_t seed = env_long("CD_FUZZ_SEED", 0);
	static const uid_t first[] = { 0, 0, 0, UID_USER, UID_USER, UID_USER, UID_OTHER, UID_OTHER };
	static const int where[] = { N_ROOT, N_A1, N_B, N_U1, N_C, N_ROOT, N_A2, N_B };
	struct fuzz f = { 0 };
	int kfd, i, verbose = env_long("CD_FUZZ_VERBOSE", 0);
	long taint0, warnings;
	double end, last_progress;
	char buf[32];

	if (!active())
		SKIP(return, "core domains are not enforced on this boot");
	if (!seed)
		seed = (uint64_t)(cd_now_s() * 1e6) ^ getpid();
	rng = seed;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)seed);
	setenv("CD_FUZZ_SEED_USED", buf, 1);
	cd_say("# fuzz seed %llu (CD_FUZZ_SEED=%llu to repeat), %ld s%s\n",
	    (unsigned long long)seed, (unsigned long long)seed, seconds,
	    max_ops ? " or the op cap" : "");
	fz = &f;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	{
		/* the driver takes a core at once instead of waiting out a bound */
		struct sched_param sp = { .sched_priority = 5 };

		/* the puppets it forks are fair tasks again */
		sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	}
	ASSERT_EQ(0, groups_setup());
	open_shm();
	wait_quiet_domains();
	kfd = cd_kmsg_open(1);
	taint0 = cd_tainted();

	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, spawn_puppet(i, first[i], where[i], where[i] != N_ROOT && (i & 1)));
	check_state();
	sync_domains();

	end = cd_now_s() + seconds;
	last_progress = cd_now_s();
	while (cd_now_s() < end && (!max_ops || f.ops < max_ops) && f.mismatches < 5) {
		unsigned int r = rnd_below(1000);

		f.ops++;
		if (r < 400)
			op_set();
		else if (r < 500)
			op_get();
		else if (r < 700)
			op_write();
		else if (r < 800)
			op_migrate();
		else if (r < 850)
			op_fork();
		else if (r < 890)
			op_kill();
		else if (r < 950)
			op_spawn();
		else if (r < 965)
			op_max_id();
		else if (r < 975)
			op_raw();
		else
			op_spawn();
		if (verbose)
			cd_say("# %s\n", f.cur);
		check_state();
		if (f.ops % 16 == 0)
			sync_domains();
		if (cd_now_s() - last_progress >= env_long("CD_PROGRESS_SECONDS", 30)) {
			last_progress = cd_now_s();
			cd_say("# progress fuzz: %ld ops, %ld mismatches, %ld live domains of ours\n",
			    f.ops, f.mismatches, (long)nmdom);
		}
	}
	sync_domains();
	kill_all_puppets();
	put(CDDBG "max_id", "1048575");
	max_id = ID_MAX;
	sync_domains();
	rmcg("cdz");
	usleep(200000);
	warnings = cd_kmsg_scan(kfd);
	if ((cd_tainted() & ~taint0) & ((1 << 9) | (1 << 7) | (1 << 5)) && !warnings)
		warnings = 1;
	close(kfd);
	cd_say("# fuzz time: %.1f s in puppets' calls, %.1f s checking threads and files, %.1f s comparing debugfs\n",
	    slot_time, f.t_check, f.t_sync);
	cd_say("# REPORT area=fuzz seed=%llu ops=%ld set=%ld get=%ld write=%ld migrate=%ld fork=%ld kill=%ld spawn=%ld max_id=%ld unknown=%ld succeeded=%ld refused=%ld mismatches=%ld warnings=%ld\n",
	    (unsigned long long)seed, f.ops, f.nset, f.nget, f.nwrite, f.nmig, f.nfork,
	    f.nkill, f.nspawn, f.nmax, f.nraw, f.ok, f.bad, f.mismatches, warnings);
	EXPECT_EQ(0, f.mismatches) TH_LOG("the kernel disagreed with the model: seed %llu",
					  (unsigned long long)seed);
	EXPECT_EQ(0, warnings) TH_LOG("the kernel warned: seed %llu", (unsigned long long)seed);
	EXPECT_LT(100, f.ops);
}

/* ------------------------------------------------------------------ */
/* deterministic tables: every invalid prctl argument, every bad write  */
/* ------------------------------------------------------------------ */

struct bad_call {
	unsigned long op, a2, a3, a4, a5;
	int err;
	const char *what;
};

#define TARGET	0x7fff0001UL	/* replaced by the target's pid */
#define OWNID	0x7fff0002UL	/* replaced by the target's domain */

static const struct bad_call bad_calls[] = {
	{ PR_SET_CORE_DOMAIN, NEW_ID, 0, 0, 3, EINVAL, "SET NEW level 3" },
	{ PR_SET_CORE_DOMAIN, OWNID, 0, 0, 1, EINVAL, "SET join with a level" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, 0, 0, 1UL << 32, EINVAL, "SET arg5 2^32" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, 0, 3, 0, EINVAL, "SET scope 3" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, 0, 255, 0, EINVAL, "SET scope 255" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, 0, 1UL << 32, 0, EINVAL, "SET scope 2^32 (0 truncated)" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, 0, (1UL << 32) | 1, 0, EINVAL, "SET scope 2^32+1" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, 0, ULONG_MAX, 0, EINVAL, "SET scope -1" },
	{ PR_SET_CORE_DOMAIN, ID_MAX + 1, 0, 0, 0, EINVAL, "SET id 2^20" },
	{ PR_SET_CORE_DOMAIN, 1UL << 32, 0, 0, 0, EINVAL, "SET id 2^32 (0 truncated)" },
	{ PR_SET_CORE_DOMAIN, (1UL << 32) | OWNID, 0, 0, 0, EINVAL, "SET id 2^32+own" },
	{ PR_SET_CORE_DOMAIN, 0xfffffffeUL, 0, 0, 0, EINVAL, "SET id 2^32-2" },
	{ PR_SET_CORE_DOMAIN, 1UL << 40, 0, 0, 0, EINVAL, "SET id 2^40" },
	{ PR_SET_CORE_DOMAIN, ID_MAX, 0, 0, 0, EINVAL, "SET id naming no domain" },
	{ PR_SET_CORE_DOMAIN, OWNID, ULONG_MAX, 0, 0, EINVAL, "SET pid -1" },
	{ PR_SET_CORE_DOMAIN, OWNID, (unsigned long)-5L, 0, 0, EINVAL, "SET pid -5" },
	{ PR_SET_CORE_DOMAIN, OWNID, (unsigned long)INT_MAX + 1, 0, 0, EINVAL, "SET pid 2^31" },
	{ PR_SET_CORE_DOMAIN, OWNID, (1UL << 32) | TARGET, 0, 0, EINVAL, "SET pid 2^32+target" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, (1UL << 32) | TARGET, 1, 0, EINVAL, "SET NEW pid 2^32+target" },
	{ PR_SET_CORE_DOMAIN, OWNID, NOPID, 0, 0, ESRCH, "SET pid without task" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, NOPID, 1, 0, ESRCH, "SET NEW pid without task" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, INT_MAX, 2, 0, ESRCH, "SET NEW pid INT_MAX" },
	{ PR_GET_CORE_DOMAIN, 0, 2, 0, 0, EINVAL, "GET arg3 2" },
	{ PR_GET_CORE_DOMAIN, 0, 0, 1, 0, EINVAL, "GET arg4 1" },
	{ PR_GET_CORE_DOMAIN, 0, 0, 0, 1, EINVAL, "GET arg5 1" },
	{ PR_GET_CORE_DOMAIN, 0, 1UL << 32, 0, 0, EINVAL, "GET arg3 2^32" },
	{ PR_GET_CORE_DOMAIN, ULONG_MAX, 0, 0, 0, EINVAL, "GET pid -1" },
	{ PR_GET_CORE_DOMAIN, (unsigned long)INT_MAX + 1, 0, 0, 0, EINVAL, "GET pid 2^31" },
	{ PR_GET_CORE_DOMAIN, (1UL << 32) | TARGET, 0, 0, 0, EINVAL, "GET pid 2^32+target" },
	{ PR_GET_CORE_DOMAIN, NOPID, 0, 0, 0, ESRCH, "GET pid without task" },
	{ 0x43440000, 0, 0, 0, 0, EINVAL, "option below ours" },
	{ 0x43440003, 0, 0, 0, 0, EINVAL, "option above ours" },
};

/* The same calls that an unprivileged caller may not make. */
static const struct bad_call bad_calls_user[] = {
	{ PR_SET_CORE_DOMAIN, 0, 0, 0, 0, EPERM, "SET self to host" },
	{ PR_SET_CORE_DOMAIN, 0, 0, 1, 0, EPERM, "SET process to host" },
	{ PR_SET_CORE_DOMAIN, OWNID, 0, 0, 0, EPERM, "SET self into root's domain" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, TARGET, 0, 0, EPERM, "SET root's task NEW" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, TARGET, 2, 0, EPERM, "SET root's group NEW" },
	{ PR_SET_CORE_DOMAIN, NEW_ID, 1, 1, 0, EPERM, "SET init NEW" },
	{ PR_GET_CORE_DOMAIN, TARGET, 0, 0, 0, EPERM, "GET root's task" },
	{ PR_GET_CORE_DOMAIN, 1, 0, 0, 0, EPERM, "GET init" },
};

struct snapshot {
	struct cd_domains d;
	long self, target;
};

static void snap(struct snapshot *s, pid_t target)
{
	cd_read_domains(&s->d);
	s->self = prctl(PR_GET_CORE_DOMAIN, 0, 0, 0, 0);
	s->target = status_domain(target);
}

/* Run the table as the current credentials; the number of failures. */
static int run_table(const struct bad_call *tab, int n, pid_t target, long own, int quiet)
{
	struct snapshot before, after;
	int i, fails = 0;

	for (i = 0; i < n; i++) {
		unsigned long a[4] = { tab[i].a2, tab[i].a3, tab[i].a4, tab[i].a5 };
		long r;
		int k, e;

		for (k = 0; k < 4; k++) {
			if ((a[k] & 0xffffffffUL) == TARGET)
				a[k] = (a[k] & ~0xffffffffUL) | (unsigned long)target;
			if ((a[k] & 0xffffffffUL) == OWNID)
				a[k] = (a[k] & ~0xffffffffUL) | (unsigned long)own;
		}
		snap(&before, target);
		r = sys_prctl(tab[i].op, a[0], a[1], a[2], a[3]);
		e = errno;
		/* a refused NEW frees its id at once: nothing may linger */
		dlist_settle(&before.d, 1.0);
		snap(&after, target);
		if (r != -1 || e != tab[i].err) {
			fails++;
			cd_say("# %s: got %ld (%s), want %s\n", tab[i].what, r,
			    r < 0 ? ename(e) : "ok", ename(tab[i].err));
		} else if (!dlist_equal(&before.d, &after.d) || before.self != after.self ||
			   before.target != after.target) {
			fails++;
			cd_say("# %s: refused, but the state changed (domains %d -> %d, self %ld -> %ld, target %ld -> %ld)\n",
			    tab[i].what, before.d.n, after.d.n, before.self, after.self,
			    before.target, after.target);
		} else if (!quiet) {
			cd_say("# %-32s %s, nothing changed\n", tab[i].what, ename(e));
		}
	}
	return fails;
}

static pid_t hold_child(uid_t uid)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		become(uid);
		for (;;)
			pause();
	}
	usleep(20000);
	return pid;
}

TEST(invalid_arguments_table)
{
	struct cd_domains all_before;
	pid_t target, child;
	long own, r;
	int st;

	if (!active())
		SKIP(return, "core domains are not enforced on this boot");
	target = hold_child(0);
	own = prctl(PR_SET_CORE_DOMAIN, NEW_ID, target, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0);
	ASSERT_LT(0, own);
	usleep(100000);

	EXPECT_EQ(0, run_table(bad_calls, ARRAY_SIZE(bad_calls), target, own, 0))
		TH_LOG("invalid arguments as root");

	/* ENOSPC: every id up to a lowered max_id in use; nothing changes. */
	{
		struct cd_domains before, after;
		pid_t holder[40];
		int nh = 0, full = 0, i;

		ASSERT_EQ(0, put(CDDBG "max_id", "16"));
		while (nh < 40) {
			holder[nh] = hold_child(0);
			r = prctl(PR_SET_CORE_DOMAIN, NEW_ID, holder[nh++], 0, 0);
			if (r < 0) {
				full = errno == ENOSPC;
				break;
			}
		}
		EXPECT_TRUE(full) TH_LOG("no ENOSPC under max_id 16");
		if (full) {
			const struct bad_call enospc[] = {
				{ PR_SET_CORE_DOMAIN, NEW_ID, 0, 0, 0, ENOSPC, "SET NEW self, ids exhausted" },
				{ PR_SET_CORE_DOMAIN, NEW_ID, TARGET, 1, 0, ENOSPC, "SET NEW other, ids exhausted" },
			};
			char v[64];

			EXPECT_EQ(0, run_table(enospc, ARRAY_SIZE(enospc), target, own, 0));
			cd_read_domains(&before);
			cd_read_line(CG "/cgroup.procs", v, sizeof(v));
			if (!cgroup_setup() && !mkdir(CG "/cdq3", 0755)) {
				EXPECT_EQ(-ENOSPC, put(CG "/cdq3/cpu.core_domain", "new"));
				EXPECT_STREQ("0 none", cd_read_line(CG "/cdq3/cpu.core_domain", v, sizeof(v)));
				rmdir(CG "/cdq3");
				cd_say("# cpu.core_domain 'new', ids exhausted ENOSPC, nothing changed\n");
			}
			cd_read_domains(&after);
			EXPECT_TRUE(dlist_equal(&before, &after));
		}
		put(CDDBG "max_id", "1048575");
		for (i = 0; i < nh; i++) {
			kill(holder[i], SIGKILL);
			waitpid(holder[i], NULL, 0);
		}
	}

	/* (unsigned long)-1: PR_CORE_DOMAIN_NEW, as documented */
	{
		pid_t other = hold_child(0);

		r = sys_prctl(PR_SET_CORE_DOMAIN, ULONG_MAX, other, 0, 0);
		EXPECT_LT(0, r) TH_LOG("(unsigned long)-1 is PR_CORE_DOMAIN_NEW: %s",
				       strerror(errno));
		kill(other, SIGKILL);
		waitpid(other, NULL, 0);
	}

	/* As an unprivileged user: the same table, and what it may not do. */
	usleep(200000);
	cd_read_domains(&all_before);
	child = fork();
	if (child == 0) {
		long mine;
		int fails;

		become(UID_USER);
		mine = prctl(PR_SET_CORE_DOMAIN, NEW_ID, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0);
		if (mine <= 0)
			_exit(100);
		fails = run_table(bad_calls, ARRAY_SIZE(bad_calls), getpid(), mine, 1);
		fails += run_table(bad_calls_user, ARRAY_SIZE(bad_calls_user), target, own, 0);
		_exit(fails > 99 ? 99 : fails);
	}
	waitpid(child, &st, 0);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("unprivileged table: %d failures", WEXITSTATUS(st));
	/*
	 * Its own domain went with it (when the reaped task is freed, after
	 * an RCU grace period: 3 s was not always enough on the debug kernel
	 * in CI); nothing else changed.
	 */
	EXPECT_EQ(0, dlist_settle(&all_before, 10.0)) {
		struct cd_domains now;
		int k;

		cd_read_domains(&now);
		for (k = 0; k < now.n; k++)
			TH_LOG("domain %ld refs %ld parent %ld%s", now.id[k], now.refs[k],
			       now.parent[k],
			       cd_domains_find(&all_before, now.id[k]) < 0 ? " (new)" : "");
		for (k = 0; k < all_before.n; k++)
			if (cd_domains_find(&now, all_before.id[k]) < 0)
				TH_LOG("domain %ld gone", all_before.id[k]);
	}
	EXPECT_EQ(own, status_domain(target));
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
}

struct bad_write {
	const char *val;
	int len;		/* 0: strlen */
	int err;		/* 0: must succeed and leave the state as it was */
};

TEST(cgroup_bad_writes_table)
{
	static char big[MAXW], bigws[4097];
	char own[32], ws_own[48], zeros[48], plus[32];
	const struct bad_write tab[] = {
		{ "", 0, 0 }, { " ", 0, EINVAL },
		{ "\n", 0, EINVAL }, { "\t\v\f\r", 0, EINVAL },
		{ "garbage", 0, EINVAL }, { "NEW", 0, EINVAL },
		{ "None", 0, EINVAL }, { "nonee", 0, EINVAL },
		{ "-1", 0, EINVAL }, { "-5", 0, EINVAL }, { "-0", 0, EINVAL },
		{ "0x5", 0, EINVAL }, { "5abc", 0, EINVAL }, { "1e3", 0, EINVAL },
		{ "5.0", 0, EINVAL }, { "1 2", 0, EINVAL },
		{ "new new", 0, EINVAL }, { "new\nnone", 0, EINVAL },
		{ "1048576", 0, EINVAL }, { "4294967295", 0, EINVAL },
		{ "4294967296", 0, EINVAL }, { "18446744073709551615", 0, EINVAL },
		{ "99999999999999999999999", 0, EINVAL },
		{ "1048575", 0, EINVAL },	/* an id no domain has */
		{ "\xff\xfe", 0, EINVAL }, { "n\xc3\xa9w", 0, EINVAL },
		{ "ne", 0, EINVAL }, { "w", 0, EINVAL }, { "+", 0, EINVAL },
		{ big, MAXW, E2BIG },
		{ "new\0junk", 8, EINVAL }, { "none\0", 5, EINVAL },
		{ plus, 0, 0 },
		/* white space is trimmed: the group's own id again changes nothing */
		{ ws_own, 0, 0 }, { zeros, 0, 0 }, { own, 0, 0 },
		{ bigws, 4096, 0 },
	};
	char before[64], after[64], path[128];
	struct cd_domains d0, d1;
	pid_t kid, kid2;
	long id;
	unsigned int i;
	int fails = 0;

	if (!active())
		SKIP(return, "core domains are not enforced on this boot");
	ASSERT_EQ(0, cgroup_setup());
	rmcg("cdq");
	ASSERT_EQ(0, mkdir(CG "/cdq", 0755));
	ASSERT_EQ(0, put(CG "/cdq/cpu.core_domain", "new"));
	id = atol(cd_read_line(CG "/cdq/cpu.core_domain", before, sizeof(before)));
	ASSERT_LT(0, id);
	kid = hold_child(0);
	snprintf(path, sizeof(path), "%d", kid);
	ASSERT_EQ(0, put(CG "/cdq/cgroup.procs", path));
	/* keeps the id alive when a value the kernel accepts un-imposes it */
	kid2 = hold_child(0);
	ASSERT_EQ(0, prctl(PR_SET_CORE_DOMAIN, id, kid2, 0, 0));
	snprintf(own, sizeof(own), "%ld", id);
	snprintf(ws_own, sizeof(ws_own), " \t%ld\r\n\v\f", id);
	snprintf(zeros, sizeof(zeros), "0000%ld", id);
	snprintf(plus, sizeof(plus), "+%ld", id);
	memset(big, '1', sizeof(big));
	memset(bigws, ' ', sizeof(bigws));
	memcpy(bigws + 4096 - strlen(own), own, strlen(own));

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		int len = tab[i].len ? tab[i].len : (int)strlen(tab[i].val), fd, e = 0;
		ssize_t r;
		char show[24];
		int k;

		snprintf(show, sizeof(show), "%.*s", len > 20 ? 20 : len, tab[i].val);
		for (k = 0; show[k]; k++)
			if ((unsigned char)show[k] < 32 || (unsigned char)show[k] > 126)
				show[k] = '.';
		cd_read_line(CG "/cdq/cpu.core_domain", before, sizeof(before));
		cd_read_domains(&d0);
		fd = open(CG "/cdq/cpu.core_domain", O_WRONLY);
		ASSERT_LE(0, fd);
		r = write(fd, tab[i].val, len);
		e = r < 0 ? errno : 0;
		close(fd);
		cd_read_line(CG "/cdq/cpu.core_domain", after, sizeof(after));
		dlist_settle(&d0, 1.0);
		cd_read_domains(&d1);
		if (strcmp(before, after) || !dlist_equal(&d0, &d1) || status_domain(kid) != id) {
			fails++;
			cd_say("# '%s' (%d bytes): state changed: '%s' -> '%s', task in %ld\n",
			    show, len, before, after, status_domain(kid));
			put(CG "/cdq/cpu.core_domain", own);
			continue;
		}
		if (tab[i].err == 0 ? r == len : (r < 0 && e == tab[i].err)) {
			cd_say("# %-22s (%4d bytes) %s, nothing changed\n", show, len,
			    r < 0 ? ename(e) : "accepted");
			continue;
		}
		fails++;
		cd_say("# '%s' (%d bytes): got %s, want %s\n", show, len,
		    r < 0 ? ename(e) : "success", tab[i].err ? ename(tab[i].err) : "success");
	}

	/* Partial writes are separate values: "ne" then "w" is not "new". */
	{
		int fd = open(CG "/cdq/cpu.core_domain", O_WRONLY);

		cd_read_line(CG "/cdq/cpu.core_domain", before, sizeof(before));
		EXPECT_EQ(-1, write(fd, "ne", 2));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, write(fd, "w", 1));
		EXPECT_EQ(EINVAL, errno);
		close(fd);
		EXPECT_STREQ(before, cd_read_line(CG "/cdq/cpu.core_domain", after, sizeof(after)));
	}

	/* Without the right: EACCES (mode), EPERM (delegated, but host/foreign). */
	{
		pid_t c = fork();
		int st;

		if (c == 0) {
			int bad = 0;

			become(UID_OTHER);
			if (put(CG "/cdq/cpu.core_domain", "new") != -EACCES)
				bad |= 1;
			_exit(bad);
		}
		waitpid(c, &st, 0);
		EXPECT_EQ(0, WEXITSTATUS(st));
		ASSERT_EQ(0, mkdir(CG "/cdq2", 0755));
		ASSERT_EQ(0, put(CG "/cdq2/cpu.core_domain", "new"));
		ASSERT_EQ(0, chown(CG "/cdq2/cpu.core_domain", UID_USER, UID_USER));
		c = fork();
		if (c == 0) {
			char v[32];
			int bad = 0;

			become(UID_USER);
			snprintf(v, sizeof(v), "%ld", id);
			if (put(CG "/cdq2/cpu.core_domain", "none") != -EPERM)
				bad |= 1;
			if (put(CG "/cdq2/cpu.core_domain", "0") != -EPERM)
				bad |= 2;
			if (put(CG "/cdq2/cpu.core_domain", v) != -EPERM)
				bad |= 4;
			_exit(bad);
		}
		cd_read_line(CG "/cdq2/cpu.core_domain", before, sizeof(before));
		waitpid(c, &st, 0);
		EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("delegated writes: mask %d", WEXITSTATUS(st));
		EXPECT_STREQ(before, cd_read_line(CG "/cdq2/cpu.core_domain", after, sizeof(after)));
		rmdir(CG "/cdq2");
	}

	EXPECT_EQ(0, fails);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	kill(kid2, SIGKILL);
	waitpid(kid2, NULL, 0);
	rmcg("cdq");
}

int main(int argc, char **argv)
{
	/* A puppet re-executed after clone3(CLONE_INTO_CGROUP). */
	if (argc == 6 && !strcmp(argv[1], "--puppet")) {
		shm_fd = atoi(argv[2]);
		shm = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED,
			   shm_fd, 0);
		if (shm == MAP_FAILED)
			return 96;
		puppet_main(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
		return 0;
	}
	return test_harness_run(argc, argv);
}
