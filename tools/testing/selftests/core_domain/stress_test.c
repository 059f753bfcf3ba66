// SPDX-License-Identifier: GPL-2.0
/*
 * Stress and fault suite for core domains.  Each area runs a mixed load
 * across several domains while the isolation checker (cd_timeline.h)
 * follows sched_switch, sched_process_fork and core_domain_move as they
 * are produced (trace_pipe, re-sorted within a
 * window of trace time so that late commits from another CPU cannot fake
 * or hide an overlap), and while /dev/kmsg is watched for any kernel
 * splat.  The debug kernel adds lockdep, atomic-sleep and preemption
 * debugging and the in-kernel invariant checker.
 *
 *   hotplug    SMT siblings (one, both, several cores) go offline and
 *              online again and again under mixed domains; offline CPUs
 *              must hold no claim; every tenant makes progress afterwards
 *   churn      threads change domains by prctl (their own and others'),
 *              groups are retagged, tenants migrate between tagged groups,
 *              all at once under load; afterwards every task is within
 *              its group's domain and no domain leaks
 *   lifecycle  fork/exec/exit and thread storms, tasks exiting while being
 *              moved, migrated or killed, signal ping-pong across domains,
 *              stopped and ptrace-stopped tasks moved, SCHED_FIFO and
 *              SCHED_DEADLINE tasks in domains moved while running, CFS
 *              bandwidth throttling inside a domain, then domain-id
 *              exhaustion (ENOSPC exactly when every id is in use) and reuse
 *   stress_ng  stress-ng (cpu, switch, fork, pipe, futex) in several domains,
 *              by prctl and by cgroup, beside a host-domain instance
 *   rt_equal_rank  a SCHED_FIFO task of the host domain and a SCHED_FIFO
 *              spinner of another domain share a core: the waker gets the
 *              core within the wait bound; a fair task beside the spinner
 *              still runs now and then (kernel threads are fair tasks)
 *
 * CD_STRESS_CONTROL=1 runs the same load with nothing in a domain, as a
 * baseline (hotplug latency, wake-up delays).
 *
 * Every area prints one line:
 *   # REPORT area=NAME secs=S switches=N ctxt=N kicks=N fi_pct=P
 *            fi_episodes=N violations=N warnings=N lost=N late=N extra="..."
 * and fails on any violation, kernel warning, lost trace event or
 * unexpected error (a trace that lost events, "trace lost N events:
 * inconclusive", cannot prove isolation).  CD_STRESS_SECONDS sets the
 * load time per area (default 10: 'make test'; the soak sets it large),
 * CD_STRESS_SEED the random seed, CD_PROGRESS_SECONDS the progress line
 * interval (30); with
 * CD_TRACE_KEEP=1 the trace events stay enabled between areas (the soak);
 * CD_STRESS_LATENCY=0 reports wake-up delays without judging them (the
 * contended boots).
 *
 * Needs a kernel booted with core domains enforced (core_domain=on), an
 * SMT topology, tracefs and debugfs; stress_ng needs stress-ng in the
 * image (harness/initramfs.sh ... /usr/bin/stress-ng) or CD_STRESS_NG.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/sched/types.h>

#include "../kselftest_harness.h"
#include "cd_util.h"
#include "cd_timeline.h"

#define TRACEFS		"/sys/kernel/tracing/"
#define CDDBG		"/sys/kernel/debug/core_domain/"
#define CG		"/sys/fs/cgroup"
#define CD_ID_MAX	((1UL << 20) - 1)
#define MAXT		16		/* tenants per area */
#define TRACE_LAG	3.0		/* seconds of trace time held back to re-sort */
/*
 * Trace buffer per CPU, in KB: about 120,000 events, more than a CPU
 * records in a 10 s area even if the reader never ran (the busiest area,
 * churn, traced 3,500 switches a second over all 8 CPUs in the soak).
 * That holds only while every producer is paced: two threads handing a
 * pipe or futex back and forth on one CPU, unpaced, switch every few
 * microseconds, as fast as the CPU goes, and outran the reader of a
 * loaded guest by hundreds of thousands of events.  PACE_US is the least
 * time between two hand-overs of one pair: at most 2 * 10^6 / PACE_US
 * switches a second each.
 */
#define TRACE_KB	8192
#define PACE_US		500

/* ------------------------------------------------------------------ */
/* small helpers                                                        */
/* ------------------------------------------------------------------ */

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : def;
}

static int stress_seconds(void)
{
	long s = env_long("CD_STRESS_SECONDS", 10);

	return s < 2 ? 2 : s;
}

/* The harness's alarm per area: the load plus generous slack for TCG. */
static unsigned int area_timeout(void)
{
	return 300 + 4 * stress_seconds();
}

static __thread uint64_t rng;
/*
 * The area's seed (CD_STRESS_SEED, printed): a thread's first rnd() seeds
 * it from this and the thread's rank, a tenant reseeds from its parent's
 * sequence and its index, so that a seed repeats every choice (not the
 * timing, which no seed can repeat).
 */
static uint64_t rnd_base;
static unsigned int rnd_threads;

static void rnd_seed(uint64_t s)
{
	rng = s ? s : 0x9e3779b97f4a7c15ULL;
}

static uint64_t rnd(void)
{
	if (!rng)
		rnd_seed(rnd_base ^ ((uint64_t)__sync_add_and_fetch(&rnd_threads, 1) *
				     0x9e3779b97f4a7c15ULL));
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static void busy_us(long us)
{
	double end = cd_now_s() + us * 1e-6;
	volatile int i;

	while (cd_now_s() < end)
		for (i = 0; i < 200; i++)
			;
}

static long cd_set(unsigned long id, pid_t pid, unsigned long scope)
{
	return prctl(PR_SET_CORE_DOMAIN, id, pid, scope, 0);
}

static long cd_get(pid_t pid)
{
	return prctl(PR_GET_CORE_DOMAIN, pid, 0, 0, 0);
}

/* CoreDomain of a thread in /proc, -1 if it is gone. */
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

/* Thread ids of process @pid, up to @max; their number. */
static int threads_of(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d)) && n < max)
		if (e->d_name[0] != '.')
			tids[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	return n;
}

/* ------------------------------------------------------------------ */
/* shared state, errors, workers and their cleanup                      */
/* ------------------------------------------------------------------ */

enum {
	C_HOTPLUG, C_HOTPLUG_EBUSY, C_RETAG, C_MIGRATE, C_PRCTL, C_PRCTL_EPERM,
	C_SELFMOVE, C_EXEC, C_EXITMOVE, C_SIGNAL, C_STOPMOVE, C_PTRACE,
	C_RTMOVE, C_DL_FAIL, C_ENOSPC, C_REUSE, C_NR
};

struct shared {
	volatile int stop;		/* tenants and helpers stop */
	volatile int stop_churn;	/* churners stop, tenants go on */
	volatile int pause_new;		/* no new domains (exhaustion phase) */
	volatile long selfmoving;	/* self-movers between "new" and "back" */
	volatile int ready[MAXT];
	volatile long dom[MAXT];	/* tenant's domain after its setup */
	volatile long prog[MAXT];	/* tenant's progress */
	volatile long counters[C_NR];
	volatile long nerr;
	volatile int nmsg;
	char msg[8][240];
	volatile pid_t pid_s, pid_h;	/* signal ping-pong pair */
	volatile int dl_errno;
	volatile int nlat;		/* rt_equal_rank: wake-up delays (us) */
	long lat[20000];
};

static struct shared *sh;

/* An unexpected result in any process or thread: counted, first 8 kept. */
static void fail_msg(const char *fmt, ...)
{
	char buf[240];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	__sync_fetch_and_add(&sh->nerr, 1);
	i = __sync_fetch_and_add(&sh->nmsg, 1);
	if (i < 8)
		memcpy(sh->msg[i], buf, sizeof(buf));
	cd_say("# ERROR: %s\n", buf);
}

static void count(int c)
{
	__sync_fetch_and_add(&sh->counters[c], 1);
}

/* Fork a worker that dies with the test. */
static pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t ppid = getpid(), pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != ppid)
			_exit(0);
		fn(arg);
		_exit(0);
	}
	return pid;
}

/* All processes below @root (we are a subreaper: orphans stay below). */
static int descendants(pid_t root, pid_t *out, int max)
{
	static pid_t pid[16384], ppid[16384];
	static char in[16384];
	int n = 0, i, k = 0, changed;
	struct dirent *e;
	DIR *d = opendir("/proc");

	while (d && (e = readdir(d)) && n < 16384) {
		char path[64], buf[512], *rp;
		int p = atoi(e->d_name), pp;
		char st;

		if (p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", p);
		cd_read_line(path, buf, sizeof(buf));
		rp = strrchr(buf, ')');
		if (!rp || sscanf(rp, ") %c %d", &st, &pp) != 2)
			continue;
		pid[n] = p;
		ppid[n] = pp;
		in[n] = p == root;
		n++;
	}
	if (d)
		closedir(d);
	do {
		changed = 0;
		for (i = 0; i < n; i++) {
			int j;

			if (in[i])
				continue;
			for (j = 0; j < n; j++)
				if (in[j] && pid[j] == ppid[i]) {
					in[i] = 1;
					changed = 1;
					break;
				}
		}
	} while (changed);
	for (i = 0; i < n; i++)
		if (in[i] && pid[i] != root && k < max)
			out[k++] = pid[i];
	return k;
}

static void kill_descendants(void)
{
	static pid_t list[4096];
	int round, n, i;

	for (round = 0; round < 200; round++) {
		n = descendants(getpid(), list, 4096);
		for (i = 0; i < n; i++)
			kill(list[i], SIGKILL);
		while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
			;
		if (!n)
			break;
		usleep(20000);
	}
}

/* ------------------------------------------------------------------ */
/* cgroups                                                              */
/* ------------------------------------------------------------------ */

static char *cgpath(char *buf, size_t len, const char *cg, const char *file)
{
	snprintf(buf, len, CG "/%s%s%s", cg, *cg ? "/" : "", file);
	return buf;
}

static int cg_tag(const char *cg, const char *val)
{
	char p[256];

	return put(cgpath(p, sizeof(p), cg, "cpu.core_domain"), val);
}

/* The id in "N own|inherited" / "0 none"; -1 if unreadable. */
static long cg_domain(const char *cg)
{
	char p[256], buf[64];

	cd_read_line(cgpath(p, sizeof(p), cg, "cpu.core_domain"), buf, sizeof(buf));
	return buf[0] ? atol(buf) : -1;
}

static int cg_move(const char *cg, pid_t pid)
{
	char p[256];

	return putf(cgpath(p, sizeof(p), cg, "cgroup.procs"), "%d", pid);
}

static int cgroup_setup(void)
{
	int i;

	if (access(CG "/cgroup.subtree_control", F_OK))
		mount("cgroup2", CG, "cgroup2", 0, NULL);
	/* After a v1 hierarchy is unmounted, cpu returns to v2 lazily. */
	for (i = 0; i < 300; i++) {
		if (!put(CG "/cgroup.subtree_control", "+cpu"))
			return 0;
		usleep(10000);
	}
	return -1;
}

static void mkcg(const char *cg, int subtree_cpu)
{
	char p[256];

	mkdir(cgpath(p, sizeof(p), cg, ""), 0755);
	if (subtree_cpu)
		put(cgpath(p, sizeof(p), cg, "cgroup.subtree_control"), "+cpu");
}

/* Remove a cgroup tree, moving stragglers to the root first. */
static void rmcg(const char *cg)
{
	char p[512], sub[512], line[64];
	struct dirent *e;
	DIR *d;
	FILE *f;
	int i;

	d = opendir(cgpath(p, sizeof(p), cg, ""));
	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", cg, e->d_name);
		rmcg(sub);
	}
	if (d)
		closedir(d);
	f = fopen(cgpath(p, sizeof(p), cg, "cgroup.procs"), "r");
	while (f && fgets(line, sizeof(line), f))
		cg_move("", atoi(line));
	if (f)
		fclose(f);
	for (i = 0; i < 100; i++) {
		if (!rmdir(cgpath(p, sizeof(p), cg, "")) || errno == ENOENT)
			break;
		usleep(20000);
	}
}

/* ------------------------------------------------------------------ */
/* debugfs: domains and per-CPU arbitration counters                    */
/* ------------------------------------------------------------------ */

static long domains_parent(struct cd_domains *ds, long id)
{
	int i;

	for (i = 0; i < ds->n; i++)
		if (ds->id[i] == id)
			return ds->parent[i];
	return -1;
}

static int domains_same_ids(struct cd_domains *a, struct cd_domains *b)
{
	int i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (cd_domains_find(b, a->id[i]) < 0)
			return 0;
	return 1;
}

/* Ids in @now that @base lacks. */
static int domains_new(struct cd_domains *base, struct cd_domains *now, long *first)
{
	int i, n = 0;

	for (i = 0; i < now->n; i++)
		if (cd_domains_find(base, now->id[i]) < 0 && !n++)
			*first = now->id[i];
	return n;
}

/*
 * Wait (up to @secs) until no domain is alive that was not before the
 * area: everything the area created is gone again (no leaked reference).
 */
static int domains_settle_to(struct cd_domains *base, double secs, struct cd_domains *now)
{
	double end = cd_now_s() + secs;
	long first = 0;
	int i, n;

	do {
		cd_read_domains(now);
		if (!domains_new(base, now, &first))
			return 0;
		usleep(50000);
	} while (cd_now_s() < end);
	n = domains_new(base, now, &first);
	for (i = 0; i < now->n; i++)
		if (cd_domains_find(base, now->id[i]) < 0)
			cd_say("# leaked: domain %ld refs %ld parent %ld\n", now->id[i],
			    now->refs[i], now->parent[i]);
	return n;
}

/* Wait until the live domains stop changing (the last area's die lazily). */
static void domains_quiet(struct cd_domains *out)
{
	struct cd_domains *prev = malloc(sizeof(*prev));
	int i;

	cd_read_domains(out);
	for (i = 0; prev && i < 30; i++) {
		*prev = *out;
		usleep(100000);
		cd_read_domains(out);
		if (domains_same_ids(prev, out))
			break;
	}
	free(prev);
}

/* cur/old/want of @cpu in debugfs cores; -2 if not found. */
static int cpu_claims(int cpu, int *cur, int *old, int *want)
{
	char line[256];
	int c, found = -2;
	FILE *f = fopen(CDDBG "cores", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " cpu %d cur %d old %d want %d", &c, cur, old, want) == 4 &&
		    c == cpu) {
			found = 0;
			break;
		}
	if (f)
		fclose(f);
	return found;
}

struct snap {
	double t;
	long ctxt, fi_us, fi, kicks, alt;
	int online;
};

static void take_snap(struct snap *s)
{
	char line[256];
	long a, b, c, d;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->t = cd_now_s();
	s->online = sysconf(_SC_NPROCESSORS_ONLN);
	f = fopen("/proc/stat", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "ctxt %ld", &s->ctxt) == 1)
			break;
	if (f)
		fclose(f);
	f = fopen(CDDBG "cores", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " fi_us ");

		if (p && sscanf(p, " fi_us %ld fi %ld alt %ld kicks %ld", &a, &b, &c, &d) == 4) {
			s->fi_us += a;
			s->fi += b;
			s->alt += c;
			s->kicks += d;
		}
	}
	if (f)
		fclose(f);
}

/* ------------------------------------------------------------------ */
/* kernel log: splats as report.py sees them, and the taint flags       */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* the trace reader: trace_pipe -> re-sort -> cd_timeline checker       */
/* ------------------------------------------------------------------ */

struct tent {
	double ts;
	char *s;
};

#define CTX	600	/* trace lines kept to show what led to an overlap */

struct tracer {
	struct timeline *tl;
	char *ctx[CTX];
	long nctx;
	int shown;
	pthread_t th;
	int fd, running;
	volatile int stop;
	struct tent *e;
	size_t head, n, cap;
	double maxts, flushed;
	long late, lostlines, lines, lost0, lost;
	char carry[4096];
	size_t clen;
	char *batch;
	size_t bcap;
};

static void tr_add(struct tracer *tr, const char *line)
{
	double ts;
	size_t pos;

	if (strstr(line, "[LOST ")) {
		tr->lostlines += cd_trace_lost_line(line);
		return;
	}
	ts = field_ts(line);
	if (ts < 0 || !strchr(line, '['))
		return;
	tr->lines++;
	if (ts < tr->flushed)
		tr->late++;
	if (ts > tr->maxts)
		tr->maxts = ts;
	if (tr->n == tr->cap) {
		if (tr->head) {
			memmove(tr->e, tr->e + tr->head, (tr->n - tr->head) * sizeof(*tr->e));
			tr->n -= tr->head;
			tr->head = 0;
		} else {
			tr->cap = tr->cap ? tr->cap * 2 : 65536;
			tr->e = realloc(tr->e, tr->cap * sizeof(*tr->e));
		}
	}
	pos = tr->n;
	while (pos > tr->head && tr->e[pos - 1].ts > ts)
		pos--;
	memmove(tr->e + pos + 1, tr->e + pos, (tr->n - pos) * sizeof(*tr->e));
	tr->e[pos].ts = ts;
	tr->e[pos].s = strdup(line);
	tr->n++;
}

/* The first overlaps: the events on that core and every move before it. */
static void tr_show(struct tracer *tr, const char *line)
{
	int cpu = -1, i, k, keep;
	long j;

	if (tr->shown++ >= 2 || sscanf(strchr(line, '[') + 1, "%d", &cpu) != 1 ||
	    cpu < 0 || cpu >= tr->tl->ncpu)
		return;
	cd_say("# overlap %d, at: %s\n# what led to it (this core's switches, all moves and forks):\n",
	    tr->shown, line);
	for (j = tr->nctx > CTX ? tr->nctx - CTX : 0; j < tr->nctx; j++) {
		const char *l = tr->ctx[j % CTX];
		int c = -1;

		if (!l || sscanf(strchr(l, '[') + 1, "%d", &c) != 1)
			continue;
		keep = !strstr(l, ": sched_switch: ");
		for (i = 0; i < tr->tl->nsib[cpu] && !keep; i++)
			keep = tr->tl->sibling_of[cpu][i] == c;
		if (keep) {
			for (k = 0; l[k] == ' '; k++)
				;
			cd_say("#   %s\n", l + k);
		}
	}
}

/*
 * Feed every held line up to trace time @upto to the checker, in order,
 * one at a time so that an overlap can be shown with what led to it.
 */
static void tr_flush(struct tracer *tr, double upto)
{
	size_t i = tr->head;

	while (i < tr->n && tr->e[i].ts <= upto) {
		char *line = tr->e[i].s;
		long before = tr->tl->violations;
		size_t l = strlen(line);
		FILE *f;

		if (l + 2 > tr->bcap) {
			tr->bcap = (l + 2) * 2;
			tr->batch = realloc(tr->batch, tr->bcap);
		}
		memcpy(tr->batch, line, l);
		tr->batch[l] = '\n';
		f = fmemopen(tr->batch, l + 1, "r");
		if (f) {
			check_trace(tr->tl, f);
			fclose(f);
		}
		if (tr->tl->violations != before)
			tr_show(tr, line);
		if (tr->e[i].ts > tr->flushed)
			tr->flushed = tr->e[i].ts;
		free(tr->ctx[tr->nctx % CTX]);
		tr->ctx[tr->nctx++ % CTX] = line;
		i++;
	}
	tr->head = i;
	if (tr->head == tr->n)
		tr->head = tr->n = 0;
}

static void *tr_main(void *arg)
{
	struct tracer *tr = arg;
	struct sched_param sp = { .sched_priority = 20 };
	static char buf[1 << 17];
	int idle = 0;

	/* Keep up with the producers: the reader is host domain, real-time. */
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	for (;;) {
		ssize_t r = read(tr->fd, buf, sizeof(buf));
		ssize_t i;

		if (r > 0) {
			idle = 0;
			for (i = 0; i < r; i++) {
				if (buf[i] == '\n') {
					tr->carry[tr->clen] = 0;
					tr_add(tr, tr->carry);
					tr->clen = 0;
				} else if (tr->clen < sizeof(tr->carry) - 1) {
					tr->carry[tr->clen++] = buf[i];
				}
			}
			tr_flush(tr, tr->maxts - TRACE_LAG);
			continue;
		}
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (tr->stop && ++idle >= 5)
			break;
		usleep(20000);
	}
	tr_flush(tr, 1e18);
	return NULL;
}

static const char * const trace_events[] = {
	"sched/sched_switch", "sched/sched_process_fork",
	"core_domain/core_domain_move", "core_domain/core_domain_new",
};

/*
 * CD_TRACE_KEEP=1 (the soak): enable the events once and leave them on.
 * Turning an event on or off patches kernel text (int3 breakpoints), and
 * under multi-threaded TCG that killed soak guests with "Oops: int3"
 * (docs/soak-results.md); tracing_on only gates the ring buffer.
 */
static int trace_keep(void)
{
	return env_long("CD_TRACE_KEEP", 0) != 0;
}

static void events_off(void)
{
	if (!trace_keep())
		put(TRACEFS "events/enable", "0");
}

static int tr_start(struct tracer *tr)
{
	char path[128];
	unsigned int i;

	memset(tr, 0, sizeof(*tr));
	tr->tl = tl_new();
	if (!tr->tl)
		return -ENOMEM;
	put(TRACEFS "tracing_on", "0");
	events_off();
	if (put(TRACEFS "trace_clock", "global") ||
	    putf(TRACEFS "buffer_size_kb", "%d", TRACE_KB))
		return -EIO;
	for (i = 0; i < ARRAY_SIZE(trace_events); i++) {
		snprintf(path, sizeof(path), TRACEFS "events/%s/enable", trace_events[i]);
		if (put(path, "1"))
			return -ENOENT;
	}
	put(TRACEFS "trace", "");		/* O_TRUNC: clear */
	tr->lost0 = cd_trace_lost();
	tr->fd = open(TRACEFS "trace_pipe", O_RDONLY | O_NONBLOCK);
	if (tr->fd < 0)
		return -errno;
	if (put(TRACEFS "tracing_on", "1"))
		return -EIO;
	/* Tasks that exist already, as they are now: moves from here are traced. */
	tl_snapshot(tr->tl);
	if (pthread_create(&tr->th, NULL, tr_main, tr))
		return -EAGAIN;
	tr->running = 1;
	return 0;
}

static void tr_stop(struct tracer *tr)
{
	if (!tr->running)
		return;
	put(TRACEFS "tracing_on", "0");
	tr->stop = 1;
	pthread_join(tr->th, NULL);
	tr->running = 0;
	tr->lost = cd_trace_lost() - tr->lost0 + tr->lostlines;
	close(tr->fd);
	events_off();
	put(TRACEFS "trace", "");
	put(TRACEFS "buffer_size_kb", "1024");
	free(tr->e);
	free(tr->batch);
	tr->e = NULL;
	tr->batch = NULL;
	for (int i = 0; i < CTX; i++) {
		free(tr->ctx[i]);
		tr->ctx[i] = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* an area: trace, counters, warnings, progress and the report          */
/* ------------------------------------------------------------------ */

struct area {
	const char *name;
	struct tracer tr;
	struct snap s0, s1;
	int kmsg;
	long taint0, warnings;
	double start, end, last_tick;
	struct cd_domains base;
	char extra[400];
};

static struct area *cur_area;

static void area_tick(struct area *a)
{
	double t = cd_now_s();

	if (t - a->last_tick < env_long("CD_PROGRESS_SECONDS", 30))
		return;
	a->last_tick = t;
	a->warnings += cd_kmsg_scan(a->kmsg);
	cd_say("# progress %s: %.0f/%.0f s, %ld switches traced, %ld violations, %ld kernel warnings, %ld errors\n",
	    a->name, t - a->start, a->end - a->start, a->tr.tl ? a->tr.tl->switches : 0,
	    a->tr.tl ? a->tr.tl->violations : 0, a->warnings, sh->nerr);
}

/* Sleep @secs, ticking. */
static void area_sleep(struct area *a, double secs)
{
	double end = cd_now_s() + secs;

	while (cd_now_s() < end) {
		usleep(100000);
		area_tick(a);
	}
}

static int area_begin(struct area *a, const char *name)
{
	int err;

	memset(a, 0, sizeof(*a));
	cur_area = a;
	a->name = name;
	domains_quiet(&a->base);
	a->kmsg = cd_kmsg_open(1);
	a->taint0 = cd_tainted();
	err = tr_start(&a->tr);
	take_snap(&a->s0);
	a->start = a->last_tick = cd_now_s();
	a->end = a->start + stress_seconds();
	cd_say("# %s: %d s of load, tracing %s\n", name, stress_seconds(),
	    err ? "FAILED" : "on");
	return err;
}

static void area_end(struct __test_metadata *_metadata, struct area *a,
		     long min_switches)
{
	struct timeline *tl = a->tr.tl;
	double secs, cpu_us, fi_pct;
	long taint, newtaint;
	int i;

	tr_stop(&a->tr);
	take_snap(&a->s1);
	usleep(200000);
	a->warnings += cd_kmsg_scan(a->kmsg);
	taint = cd_tainted();
	newtaint = taint & ~a->taint0;
	/* TAINT_WARN (9), TAINT_DIE (7), TAINT_BAD_PAGE (5), TAINT_SOFTLOCKUP (14) */
	if ((newtaint & ((1 << 9) | (1 << 7) | (1 << 5) | (1 << 14))) && !a->warnings)
		a->warnings = 1;
	secs = a->s1.t - a->s0.t;
	cpu_us = secs * 1e6 * (a->s0.online + a->s1.online) / 2.0;
	fi_pct = cpu_us > 0 ? 100.0 * (a->s1.fi_us - a->s0.fi_us) / cpu_us : 0;
	cd_say("# REPORT area=%s secs=%.0f switches=%ld ctxt=%ld kicks=%ld fi_pct=%.1f fi_episodes=%ld violations=%ld warnings=%ld lost=%ld late=%ld errors=%ld ids_new=%ld ids_reused=%ld extra=\"%s\"\n",
	    a->name, secs, tl ? tl->switches : 0, a->s1.ctxt - a->s0.ctxt,
	    a->s1.kicks - a->s0.kicks, fi_pct, a->s1.fi - a->s0.fi,
	    tl ? tl->violations : -1, a->warnings, a->tr.lost, a->tr.late,
	    sh->nerr, tl ? tl->news : 0, tl ? tl->reused : 0, a->extra);
	if (newtaint)
		cd_say("# taint went from %ld to %ld\n", a->taint0, taint);
	for (i = 0; i < sh->nmsg && i < 8; i++)
		cd_say("# error %d: %s\n", i + 1, sh->msg[i]);
	close(a->kmsg);
	ASSERT_NE(NULL, tl) TH_LOG("tracing could not be set up");
	EXPECT_EQ(0, tl->violations) TH_LOG("siblings ran two domains at once");
	EXPECT_EQ(0, a->warnings) TH_LOG("the kernel warned");
	EXPECT_EQ(0, a->tr.lost) TH_LOG("trace lost %ld events: inconclusive", a->tr.lost);
	EXPECT_EQ(0, sh->nerr) TH_LOG("unexpected results (see # ERROR lines)");
	EXPECT_LE(min_switches, tl->switches) TH_LOG("too little traced to prove anything");
	tl_free(tl);
	a->tr.tl = NULL;
	cur_area = NULL;
}

/* ------------------------------------------------------------------ */
/* tenants: processes of mixed work, each in a domain (or the host's)   */
/* ------------------------------------------------------------------ */

enum {
	K_SPIN = 1 << 0, K_SLEEP = 1 << 1, K_PIPE = 1 << 2, K_FORK = 1 << 3,
	K_FUTEX = 1 << 4, K_YIELD = 1 << 5, K_FIFO = 1 << 6, K_DL = 1 << 7,
	K_SELFMOVE = 1 << 8, K_EXEC = 1 << 9, K_THREADS = 1 << 10,
	K_PINNED = 1 << 11, K_SYSCALL = 1 << 12,
};

struct tenant {
	int idx;
	unsigned int kinds;
	int new_domain;		/* PR_CORE_DOMAIN_NEW for its thread group */
	const char *cgroup;	/* join before anything else */
	int nspin;		/* spinning threads (K_SPIN) */
	pid_t pid;
};

struct targ {
	int idx, n;
};

#define PROG(t)	__sync_fetch_and_add(&sh->prog[(t)], 1)

static void *th_spin(void *arg)
{
	struct targ *a = arg;
	volatile int i;

	while (!sh->stop) {
		for (i = 0; i < 20000; i++)
			;
		PROG(a->idx);
	}
	return NULL;
}

static void *th_pinned(void *arg)
{
	struct targ *a = arg;
	int ncpu = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(a->n % ncpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	return th_spin(arg);
}

static void *th_sleep(void *arg)
{
	struct targ *a = arg;
	struct timespec ts = { 0, 300000 };
	volatile int i;

	while (!sh->stop) {
		nanosleep(&ts, NULL);
		for (i = 0; i < 20000; i++)
			;
		PROG(a->idx);
	}
	return NULL;
}

static void *th_yield(void *arg)
{
	struct targ *a = arg;
	volatile int i;

	while (!sh->stop) {
		for (i = 0; i < 2000; i++)
			;
		sched_yield();
		PROG(a->idx);
	}
	return NULL;
}

static void *th_syscall(void *arg)
{
	struct targ *a = arg;
	volatile int i;

	while (!sh->stop) {
		syscall(SYS_getppid);
		for (i = 0; i < 2000; i++)
			;
		PROG(a->idx);
	}
	return NULL;
}

static void *th_echo(void *arg)
{
	int *fds = arg;
	char c;

	while (read(fds[0], &c, 1) == 1 && write(fds[3], &c, 1) == 1)
		;
	return NULL;
}

/* Spin until PACE_US after the previous hand-over (*@last), the CPU busy. */
static void pace(double *last)
{
	double now;

	while ((now = cd_now_s()) < *last + PACE_US / 1e6 && !sh->stop)
		;
	*last = now;
}

static void *th_pipe(void *arg)
{
	struct targ *a = arg;
	int fds[4];		/* a[0] a[1] b[0] b[1] */
	double last = 0;
	pthread_t t;
	char c = 0;

	if (pipe(fds) || pipe(fds + 2))
		return NULL;
	pthread_create(&t, NULL, th_echo, fds);
	while (!sh->stop) {
		pace(&last);
		if (write(fds[1], &c, 1) != 1 || read(fds[2], &c, 1) != 1)
			break;
		PROG(a->idx);
	}
	return NULL;
}

static long futex(volatile int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

struct fpair {
	volatile int word;
	int idx;
};

static void *th_futex_partner(void *arg)
{
	struct fpair *p = arg;

	while (!sh->stop) {
		while (p->word != 1 && !sh->stop)
			futex(&p->word, FUTEX_WAIT_PRIVATE, 0);
		p->word = 0;
		futex(&p->word, FUTEX_WAKE_PRIVATE, 1);
	}
	return NULL;
}

static void *th_futex(void *arg)
{
	struct targ *a = arg;
	struct fpair *p = calloc(1, sizeof(*p));
	struct timespec ts = { 0, 2000000 };
	double last = 0;
	pthread_t t;

	pthread_create(&t, NULL, th_futex_partner, p);
	while (!sh->stop) {
		pace(&last);
		p->word = 1;
		futex(&p->word, FUTEX_WAKE_PRIVATE, 1);
		while (p->word == 1 && !sh->stop)
			syscall(SYS_futex, &p->word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0);
		PROG(a->idx);
	}
	return NULL;
}

static void *th_fork(void *arg)
{
	struct targ *a = arg;
	struct timespec ts = { 0, 1000000 };

	while (!sh->stop) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			volatile int i;

			for (i = 0; i < 10000; i++)
				;
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, &st, 0);
		PROG(a->idx);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *th_exec(void *arg)
{
	struct targ *a = arg;

	while (!sh->stop) {
		long dom = cd_get(0);
		char d[32];
		pid_t pid;
		int st;

		snprintf(d, sizeof(d), "%ld", dom);
		pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", "stress_test", "--exec-child", d, NULL);
			_exit(97);
		}
		if (pid < 0)
			continue;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fail_msg("exec child of domain %ld: status 0x%x", dom, st);
		count(C_EXEC);
		PROG(a->idx);
	}
	return NULL;
}

static void *th_nothing(void *arg)
{
	PROG(((struct targ *)arg)->idx);
	return NULL;
}

static void *th_threads(void *arg)
{
	while (!sh->stop) {
		pthread_t t;

		if (!pthread_create(&t, NULL, th_nothing, arg))
			pthread_join(t, NULL);
	}
	return NULL;
}

static void *th_fifo(void *arg)
{
	struct targ *a = arg;
	struct sched_param sp = { .sched_priority = 10 };

	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	while (!sh->stop) {
		busy_us(1000 + rnd_below(1000));
		usleep(3000);
		PROG(a->idx);
	}
	return NULL;
}

static void *th_dl(void *arg)
{
	struct targ *a = arg;
	volatile int i;

	/* 1 ms every 10 ms: throttled by its own reservation. */
	if (cd_setattr_dl(0, 1000000, 8000000, 10000000)) {
		sh->dl_errno = errno;
		count(C_DL_FAIL);
	}
	while (!sh->stop) {
		for (i = 0; i < 20000; i++)
			;
		PROG(a->idx);
	}
	return NULL;
}

/* A thread that keeps moving itself into new domains and back. */
static void *th_selfmove(void *arg)
{
	struct targ *a = arg;

	while (!sh->stop) {
		long home, r;

		/* Announce the move before looking at pause_new: selfmove_settle(). */
		__sync_fetch_and_add(&sh->selfmoving, 1);
		if (sh->pause_new) {
			__sync_fetch_and_sub(&sh->selfmoving, 1);
			PROG(a->idx);
			usleep(5000);
			continue;
		}
		home = cd_get(getpid());
		r = cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD);
		if (r < 0 && errno != EPERM && errno != ENOSPC)
			fail_msg("self NEW: %s", strerror(errno));
		usleep(2000 + rnd_below(8000));
		if (home >= 0) {
			r = cd_set(home, 0, PR_CORE_DOMAIN_SCOPE_THREAD);
			/* Retagged or moved meanwhile: refused, or the id went. */
			if (r < 0 && errno != EPERM && errno != EINVAL)
				fail_msg("self back to %ld: %s", home, strerror(errno));
		}
		__sync_fetch_and_sub(&sh->selfmoving, 1);
		count(C_SELFMOVE);
		PROG(a->idx);
		usleep(2000 + rnd_below(8000));
	}
	return NULL;
}

/*
 * Stop the self-movers and wait until none is between "new" and "back":
 * a fixed delay was not enough on a loaded debug guest, and a domain made
 * after the caller's snapshot of the domain list looked like an escape.
 */
static int selfmove_settle(double timeout_s)
{
	double end = cd_now_s() + timeout_s;

	sh->pause_new = 1;
	__sync_synchronize();
	while (sh->selfmoving) {
		if (cd_now_s() > end)
			return -1;
		usleep(10000);
	}
	return 0;
}

static void start_thread(void *(*fn)(void *), int idx, int n)
{
	struct targ *a = malloc(sizeof(*a));
	pthread_t t;

	a->idx = idx;
	a->n = n;
	if (pthread_create(&t, NULL, fn, a))
		fail_msg("tenant %d: pthread_create: %s", idx, strerror(errno));
}

/* CD_STRESS_CONTROL=1: nothing joins a domain (a baseline to compare). */
static int control(void)
{
	return env_long("CD_STRESS_CONTROL", 0) != 0;
}

/*
 * CD_STRESS_LATENCY=0 (the contended boots): wake-up delays and sample
 * counts are reported but not judged.  With every vCPU on one starved host
 * CPU they measure the host, not the wait bound; isolation, stalls (a wait
 * of a second or more) and progress are judged as always.
 */
static int latency_judged(void)
{
	const char *e = getenv("CD_STRESS_LATENCY");

	return !e || strcmp(e, "0");
}

static void tenant_main(void *arg)
{
	struct tenant *t = arg;
	int i, ncpu = sysconf(_SC_NPROCESSORS_CONF);

	setpgid(0, 0);
	rnd_seed(rnd() ^ ((uint64_t)(t->idx + 1) << 32));
	if (t->cgroup && cg_move(t->cgroup, getpid()))
		fail_msg("tenant %d: join %s failed", t->idx, t->cgroup);
	if (t->new_domain && !control() &&
	    cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP) <= 0) {
		fail_msg("tenant %d: PR_CORE_DOMAIN_NEW: %s", t->idx, strerror(errno));
		_exit(2);
	}
	sh->dom[t->idx] = cd_get(0);
	for (i = 0; i < (t->nspin ? t->nspin : 1) && (t->kinds & K_SPIN); i++)
		start_thread(th_spin, t->idx, i);
	if (t->kinds & K_PINNED)
		for (i = 0; i < ncpu; i++)
			start_thread(th_pinned, t->idx, i);
	if (t->kinds & K_SLEEP)
		start_thread(th_sleep, t->idx, 0);
	if (t->kinds & K_PIPE)
		start_thread(th_pipe, t->idx, 0);
	if (t->kinds & K_FORK)
		start_thread(th_fork, t->idx, 0);
	if (t->kinds & K_FUTEX)
		start_thread(th_futex, t->idx, 0);
	if (t->kinds & K_YIELD)
		start_thread(th_yield, t->idx, 0);
	if (t->kinds & K_SYSCALL)
		start_thread(th_syscall, t->idx, 0);
	if (t->kinds & K_FIFO) {
		start_thread(th_fifo, t->idx, 0);
		start_thread(th_fifo, t->idx, 1);
	}
	if (t->kinds & K_DL)
		start_thread(th_dl, t->idx, 0);
	if (t->kinds & K_SELFMOVE)
		start_thread(th_selfmove, t->idx, 0);
	if (t->kinds & K_EXEC)
		start_thread(th_exec, t->idx, 0);
	if (t->kinds & K_THREADS)
		start_thread(th_threads, t->idx, 0);
	sh->ready[t->idx] = 1;
	while (!sh->stop)
		usleep(20000);
	_exit(0);
}

/* Start @n tenants and wait until each has set itself up. */
static int start_tenants(struct tenant *t, int n)
{
	int i, waited;

	for (i = 0; i < n; i++) {
		t[i].idx = i;
		sh->ready[i] = 0;
		sh->prog[i] = 0;
		t[i].pid = spawn(tenant_main, &t[i]);
	}
	for (waited = 0; waited < 1000; waited++) {
		for (i = 0; i < n && sh->ready[i]; i++)
			;
		if (i == n)
			return 0;
		usleep(10000);
	}
	return -1;
}

static void stop_all(void)
{
	sh->stop_churn = 1;
	sh->stop = 1;
	kill_descendants();
}

/* Every tenant progresses within @secs. */
static int all_progress(struct tenant *t, int n, double secs, int *stuck)
{
	double end = cd_now_s() + secs;
	long before[MAXT];
	int i, left;

	for (i = 0; i < n; i++)
		before[i] = sh->prog[i];
	do {
		usleep(100000);
		left = 0;
		for (i = 0; i < n; i++)
			if (sh->prog[i] == before[i]) {
				*stuck = i;
				left++;
			}
	} while (left && cd_now_s() < end);
	return left ? -1 : 0;
}

/*
 * A tenant made no progress: say where its threads are, what they waited
 * (schedstat run_delay, over half a second) and what the cores run.
 */
static void stuck_report(struct tenant *t)
{
	pid_t tids[64];
	int n = threads_of(t->pid, tids, 64), i, k;
	long long w0[64];
	char path[96], buf[1024], *p;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++) {
			long long run = -1, delay = -1;
			int cpu = -1, f;
			char st = '?';

			snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", t->pid, tids[i]);
			cd_read_line(path, buf, sizeof(buf));
			sscanf(buf, "%lld %lld", &run, &delay);
			snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", t->pid, tids[i]);
			cd_read_line(path, buf, sizeof(buf));
			p = strrchr(buf, ')');
			if (p) {
				st = p[2];
				/* field 39, the CPU: 37 fields after the state */
				for (f = 0; p && f < 37; f++)
					p = strchr(p + 1, ' ');
				if (p)
					cpu = atoi(p + 1);
			}
			if (k == 0) {
				w0[i] = delay;
				continue;
			}
			cd_say("# stuck tenant %d: tid %d state %c cpu %d domain %ld run %lld ms, waited %lld ms of the last 500\n",
			       t->idx, tids[i], st, cpu, status_domain(tids[i]), run / 1000000,
			       (delay - w0[i]) / 1000000);
		}
		if (k == 0)
			usleep(500000);
	}
	{
		FILE *f = fopen(CDDBG "cores", "r");

		while (f && fgets(buf, sizeof(buf), f))
			cd_say("# %s", buf);
		if (f)
			fclose(f);
	}
}

/* ------------------------------------------------------------------ */
/* the fixture                                                          */
/* ------------------------------------------------------------------ */

static void online_all(void)
{
	char path[96], buf[8];
	int c;

	for (c = 1; c < CD_MAXCPU; c++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", c);
		if (access(path, F_OK))
			continue;
		if (strcmp(cd_read_line(path, buf, sizeof(buf)), "1"))
			put(path, "1");
	}
}

FIXTURE(stress) {
	uint64_t seed;
};

FIXTURE_SETUP(stress)
{
	char buf[16];

	if (strcmp(cd_read_line("/sys/kernel/core_domain/active", buf, sizeof(buf)), "1"))
		SKIP(return, "core domains are not enforced on this boot");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset((void *)sh, 0, sizeof(*sh));
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	self->seed = env_long("CD_STRESS_SEED", 0);
	if (!self->seed)
		self->seed = (uint64_t)(cd_now_s() * 1e6) ^ getpid();
	rnd_base = self->seed;
	rnd_seed(self->seed);
	cd_say("# seed %llu (CD_STRESS_SEED to repeat the choices)\n",
	    (unsigned long long)self->seed);
}

FIXTURE_TEARDOWN(stress)
{
	if (!sh)
		return;
	stop_all();
	online_all();
	putf(CDDBG "max_id", "%lu", CD_ID_MAX);
	put(TRACEFS "tracing_on", "0");
	events_off();
	rmcg("cdS");
	rmcg("cdL");
	rmcg("cdN");
}

/* ------------------------------------------------------------------ */
/* hotplug                                                              */
/* ------------------------------------------------------------------ */

static int set_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return put(path, on ? "1" : "0");
}

static int siblings_of(int cpu, int *out)
{
	char path[128], buf[128], *tok, *save;
	int n = 0;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
	cd_read_line(path, buf, sizeof(buf));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int lo, hi, s;

		if (sscanf(tok, "%d-%d", &lo, &hi) != 2)
			hi = lo = atoi(tok);
		for (s = lo; s <= hi && n < 8; s++)
			out[n++] = s;
	}
	return n;
}

TEST_F_TIMEOUT(stress, hotplug, area_timeout())
{
	int plug[CD_MAXCPU], nplug = 0, sib[CD_MAXCPU][8], nsib[CD_MAXCPU];
	struct tenant t[4] = {
		{ .kinds = K_SPIN | K_SLEEP | K_PIPE | K_FORK | K_FIFO | K_PINNED,
		  .new_domain = 1, .nspin = 2 },
		{ .kinds = K_SPIN | K_SLEEP | K_FUTEX | K_YIELD | K_PINNED,
		  .new_domain = 1, .nspin = 2 },
		{ .kinds = K_SPIN | K_PIPE | K_SLEEP | K_SYSCALL, .new_domain = 1 },
		{ .kinds = K_SPIN | K_SLEEP },
	};
	long cycles = 0, offlined = 0, stale = 0;
	double off_sum = 0, off_max = 0, on_sum = 0, on_max = 0;
	long onlined = 0;
	int c, i, stuck = -1;
	struct area a;

	for (c = 1; c < CD_MAXCPU; c++) {
		char path[96];

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", c);
		if (!access(path, W_OK))
			plug[nplug++] = c;
	}
	if (!nplug)
		SKIP(return, "no CPU can be taken offline");
	for (c = 0; c < CD_MAXCPU; c++)
		nsib[c] = siblings_of(c, sib[c]);

	ASSERT_EQ(0, area_begin(&a, "hotplug"));
	ASSERT_EQ(0, start_tenants(t, 4));
	while (cd_now_s() < a.end) {
		int down[CD_MAXCPU], ndown = 0, mode = rnd_below(10);

		c = plug[rnd_below(nplug)];
		if (mode < 6) {
			/* one thread of a core */
			down[ndown++] = c;
		} else if (mode < 9) {
			/* a whole core, unless it holds CPU 0 */
			for (i = 0; i < nsib[c]; i++)
				if (sib[c][i] != 0)
					down[ndown++] = sib[c][i];
		} else {
			/* several CPUs at once, one of each core at least left */
			for (i = 0; i < nplug; i++)
				if (rnd_below(3) == 0 && ndown < nplug - 1)
					down[ndown++] = plug[i];
			if (!ndown)
				down[ndown++] = c;
		}
		for (i = 0; i < ndown; i++) {
			double t0 = cd_now_s();
			int r = set_online(down[i], 0), cur, old, want;

			if (!r) {
				t0 = cd_now_s() - t0;
				off_sum += t0;
				if (t0 > off_max)
					off_max = t0;
			}

			if (r == -EBUSY) {
				count(C_HOTPLUG_EBUSY);
				continue;
			}
			if (r) {
				fail_msg("cpu%d offline: %s", down[i], strerror(-r));
				continue;
			}
			offlined++;
			/* An offline CPU claims nothing and waits for nothing. */
			if (!cpu_claims(down[i], &cur, &old, &want) &&
			    (cur != -1 || old != -1 || want != -1)) {
				if (stale++ < 5)
					fail_msg("offline cpu%d still has cur %d old %d want %d",
						 down[i], cur, old, want);
			}
		}
		usleep(rnd_below(150000));
		for (i = 0; i < ndown; i++) {
			double t0 = cd_now_s();
			int r = set_online(down[i], 1);

			t0 = cd_now_s() - t0;
			if (!r) {
				onlined++;
				on_sum += t0;
				if (t0 > on_max)
					on_max = t0;
			}
			if (r && r != -EINVAL)	/* EINVAL: already online (EBUSY above) */
				fail_msg("cpu%d online: %s", down[i], strerror(-r));
		}
		cycles++;
		count(C_HOTPLUG);
		usleep(rnd_below(100000));
		area_tick(&a);
	}
	online_all();
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_CONF), sysconf(_SC_NPROCESSORS_ONLN));
	EXPECT_EQ(0, all_progress(t, 4, 2.0, &stuck))
		TH_LOG("tenant %d made no progress after hotplug", stuck);
	snprintf(a.extra, sizeof(a.extra),
		 "%s%ld hotplug cycles, %ld CPUs taken offline (avg %.0f ms, max %.0f ms), online avg %.0f ms max %.0f ms, %ld EBUSY, %ld stale offline states",
		 control() ? "CONTROL (no domains): " : "", cycles, offlined,
		 offlined ? off_sum * 1e3 / offlined : 0, off_max * 1e3,
		 onlined ? on_sum * 1e3 / onlined : 0, on_max * 1e3,
		 sh->counters[C_HOTPLUG_EBUSY], stale);
	stop_all();
	area_end(_metadata, &a, 1000);
	EXPECT_LT(0, cycles);
}

/* ------------------------------------------------------------------ */
/* churn                                                                */
/* ------------------------------------------------------------------ */

static const char * const churn_groups[] = { "cdS/t0", "cdS/t1", "cdS/t2" };
static const char * const churn_dests[] = { "cdS/t0", "cdS/t1", "cdS/t2", "cdS/free", "" };
static struct tenant *churn_t;
static int churn_n;

static void *churn_retag(void *arg)
{
	while (!sh->stop_churn) {
		const char *g = churn_groups[rnd_below(3)];
		unsigned int k = rnd_below(20);
		char val[32];
		int r;

		if (k < 10) {
			strcpy(val, "new");
		} else if (k < 15) {
			long o = cg_domain(churn_groups[rnd_below(3)]);

			snprintf(val, sizeof(val), "%ld", o > 0 ? o : 0);
		} else if (k < 18) {
			strcpy(val, k == 15 ? "none" : "0");
		} else {
			struct cd_domains ds;

			cd_read_domains(&ds);
			snprintf(val, sizeof(val), "%ld", ds.n ? ds.id[rnd_below(ds.n)] : 0);
		}
		r = cg_tag(g, val);
		/* EINVAL: the adopted domain went away meanwhile. */
		if (r && r != -EINVAL)
			fail_msg("retag %s with %s: %s", g, val, strerror(-r));
		count(C_RETAG);
		usleep(5000 + rnd_below(25000));
	}
	return NULL;
}

static void *churn_migrate(void *arg)
{
	while (!sh->stop_churn) {
		struct tenant *t = &churn_t[rnd_below(churn_n - 1)];	/* not the host one */
		const char *dst = churn_dests[rnd_below(ARRAY_SIZE(churn_dests))];
		int r = cg_move(dst, t->pid);

		if (r)
			fail_msg("migrate %d to '%s': %s", t->pid, dst, strerror(-r));
		count(C_MIGRATE);
		usleep(3000 + rnd_below(17000));
	}
	return NULL;
}

static void *churn_prctl(void *arg)
{
	while (!sh->stop_churn) {
		struct tenant *t = &churn_t[rnd_below(churn_n - 1)];
		struct tenant *o = &churn_t[rnd_below(churn_n)];
		pid_t tids[64];
		int n = threads_of(t->pid, tids, 64);
		unsigned long id, scope = rnd_below(3);
		pid_t target;
		long r;

		if (n <= 0)
			continue;
		target = scope == PR_CORE_DOMAIN_SCOPE_THREAD ? tids[rnd_below(n)] : t->pid;
		switch (rnd_below(4)) {
		case 0:
			id = PR_CORE_DOMAIN_NEW;
			break;
		case 1:
			id = 0;
			break;
		case 2:
			id = status_domain(o->pid);
			break;
		default:
			id = status_domain(t->pid);
		}
		if ((long)id < 0)
			continue;
		r = cd_set(id, target, scope);
		if (r < 0 && errno == EPERM)
			count(C_PRCTL_EPERM);
		/* EPERM: confined by its group; EINVAL: that domain went away;
		 * ESRCH: a thread of the tenant ended. */
		else if (r < 0 && errno != EINVAL && errno != ESRCH)
			fail_msg("prctl(%lu, %d, scope %lu): %s", id, target, scope,
				 strerror(errno));
		count(C_PRCTL);
		usleep(2000 + rnd_below(13000));
	}
	return NULL;
}

/* The group a process is in, as a path below CG ("" for the root). */
static void cgroup_of(pid_t pid, char *out, size_t len)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	cd_read_line(path, buf, sizeof(buf));
	snprintf(out, len, "%s", strncmp(buf, "0::/", 4) ? "" : buf + 4);
}

/* Is every thread of every tenant within the domain its group imposes? */
static int check_confinement(struct tenant *t, int n)
{
	struct cd_domains ds;
	int i, j, bad = 0;

	cd_read_domains(&ds);
	for (i = 0; i < n; i++) {
		char cg[512];
		pid_t tids[64];
		int nt = threads_of(t[i].pid, tids, 64);
		long c;

		cgroup_of(t[i].pid, cg, sizeof(cg));
		c = *cg ? cg_domain(cg) : 0;
		for (j = 0; j < nt; j++) {
			long d = status_domain(tids[j]);

			if (d < 0 || c <= 0 || d == c || domains_parent(&ds, d) == c)
				continue;
			if (bad++ < 5)
				fail_msg("tid %d in '%s' (domain %ld) is in domain %ld (parent %ld)",
					 tids[j], cg, c, d, domains_parent(&ds, d));
		}
	}
	return bad;
}

TEST_F_TIMEOUT(stress, churn, area_timeout())
{
	struct tenant t[8] = {
		{ .kinds = K_SPIN | K_SLEEP | K_PIPE | K_SELFMOVE | K_FORK, .cgroup = "cdS/t0" },
		{ .kinds = K_SPIN | K_SLEEP | K_SELFMOVE, .cgroup = "cdS/t0" },
		{ .kinds = K_SPIN | K_FUTEX | K_SLEEP | K_SELFMOVE, .cgroup = "cdS/t1" },
		{ .kinds = K_SPIN | K_PIPE | K_SLEEP, .cgroup = "cdS/t1" },
		{ .kinds = K_SPIN | K_SLEEP | K_YIELD, .cgroup = "cdS/t2" },
		{ .kinds = K_SPIN | K_SLEEP | K_SELFMOVE | K_FORK, .cgroup = "cdS/free",
		  .new_domain = 1 },
		{ .kinds = K_SPIN | K_PIPE | K_SLEEP | K_SELFMOVE, .new_domain = 1 },
		{ .kinds = K_SPIN | K_SLEEP },			/* host */
	};
	pthread_t th[3];
	struct cd_domains now;
	struct area a;
	int i, stuck = -1;

	ASSERT_EQ(0, cgroup_setup());
	mkcg("cdS", 1);
	mkcg("cdS/t0", 0);
	mkcg("cdS/t1", 0);
	mkcg("cdS/t2", 0);
	mkcg("cdS/free", 0);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, cg_tag(churn_groups[i], "new"));

	ASSERT_EQ(0, area_begin(&a, "churn"));
	ASSERT_EQ(0, start_tenants(t, 8));
	churn_t = t;
	churn_n = 8;
	pthread_create(&th[0], NULL, churn_retag, NULL);
	pthread_create(&th[1], NULL, churn_migrate, NULL);
	pthread_create(&th[2], NULL, churn_prctl, NULL);
	area_sleep(&a, a.end - cd_now_s());
	sh->stop_churn = 1;
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, selfmove_settle(30.0)) {
		TH_LOG("self-movers still moving after 30 s");
		for (i = 0; i < 7; i++)
			if (t[i].kinds & K_SELFMOVE)
				stuck_report(&t[i]);
	}
	EXPECT_EQ(0, check_confinement(t, 7));
	/*
	 * Liveness, not latency: the trace reader is SCHED_FIFO, and a
	 * tenant sharing a core with it gets the fair server's 5 %, which
	 * on the debug kernel under a loaded TCG host left one without
	 * progress for over 2 s (CI).
	 */
	EXPECT_EQ(0, all_progress(t, 8, 10.0, &stuck)) {
		TH_LOG("tenant %d made no progress", stuck);
		stuck_report(&t[stuck]);
	}
	snprintf(a.extra, sizeof(a.extra),
		 "%ld retags, %ld migrations, %ld prctl moves (%ld refused by confinement), %ld self-moves",
		 sh->counters[C_RETAG], sh->counters[C_MIGRATE], sh->counters[C_PRCTL],
		 sh->counters[C_PRCTL_EPERM], sh->counters[C_SELFMOVE]);
	stop_all();
	rmcg("cdS");
	area_end(_metadata, &a, 1000);
	EXPECT_EQ(0, domains_settle_to(&a.base, 5.0, &now))
		TH_LOG("domains leaked (alive after the area, not before it)");
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                            */
/* ------------------------------------------------------------------ */

enum { L_EXEC0, L_EXEC1, L_X, L_STOP, L_TRACEE, L_RT1, L_RT2, L_BW, L_SIG, L_NR };

static struct tenant *life_t;

/* A short-lived child moved, migrated or killed while it exits. */
static void *life_exitmove(void *arg)
{
	while (!sh->stop_churn) {
		unsigned int mode = rnd_below(4), what = rnd_below(5);
		long r = 0;
		pid_t c;
		int st;

		if (sh->pause_new) {
			what = 3 + rnd_below(2);
			mode &= ~1U;
		}
		c = fork();
		if (c == 0) {
			pthread_t t;
			struct targ a = { .idx = L_NR };

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (mode & 1)
				cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);
			if (mode & 2)
				pthread_create(&t, NULL, th_spin, &a);
			busy_us(rnd_below(3000));
			_exit(0);
		}
		if (c < 0)
			continue;
		usleep(rnd_below(1500));
		switch (what) {
		case 0:
			r = cd_set(PR_CORE_DOMAIN_NEW, c, rnd_below(2));
			break;
		case 1:	/* the exec storm's domain: its main thread never moves */
			r = cd_set(sh->dom[L_EXEC0], c, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);
			break;
		case 2:
			r = cd_set(0, c, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);
			break;
		case 3:
			r = cg_move("cdL/x", c);
			if (r == -ESRCH)
				r = 0;
			else if (r)
				fail_msg("migrating exiting %d: %s", c, strerror(-r));
			r = 0;
			break;
		default:
			kill(c, SIGKILL);
		}
		if (r < 0 && errno != ESRCH)
			fail_msg("moving exiting %d (%u): %s", c, what, strerror(errno));
		if (rnd_below(3) == 0)
			kill(c, SIGKILL);
		waitpid(c, &st, 0);
		count(C_EXITMOVE);
	}
	return NULL;
}

/* Groups retagged while their tasks fork, exit and get throttled. */
static void *life_retag(void *arg)
{
	while (!sh->stop_churn) {
		const char *g = rnd_below(2) ? "cdL/x" : "cdL/bw";
		int r;

		if (!sh->pause_new) {
			r = cg_tag(g, "new");
			if (r)
				fail_msg("retag %s: %s", g, strerror(-r));
			count(C_RETAG);
		}
		usleep(5000 + rnd_below(20000));
	}
	return NULL;
}

static int wait_state(pid_t pid, char want, double secs)
{
	char path[64], buf[512], *rp, st;
	double end = cd_now_s() + secs;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	do {
		cd_read_line(path, buf, sizeof(buf));
		rp = strrchr(buf, ')');
		if (rp && sscanf(rp, ") %c", &st) == 1 && st == want)
			return 0;
		usleep(1000);
	} while (cd_now_s() < end);
	return -1;
}

/* A stopped process is moved, checked, continued. */
static void *life_stopmove(void *arg)
{
	pid_t pid = life_t[L_STOP].pid;

	while (!sh->stop_churn) {
		pid_t tids[64];
		long id;
		int n, i;

		int paused = sh->pause_new;

		kill(pid, SIGSTOP);
		/*
		 * Liveness, not latency: its threads must run to stop, and
		 * one sharing a core with the SCHED_FIFO trace reader has the
		 * fair server's 5 % (2 s was not always enough in a debug
		 * soak).
		 */
		if (wait_state(pid, 'T', 10.0))
			fail_msg("tenant %d did not stop within 10 s", pid);
		if (paused) {
			/* no new ids now; its first domain may be gone: the host's */
			id = 0;
			if (cd_set(id, pid, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP))
				fail_msg("stopped %d to the host domain: %s", pid, strerror(errno));
		} else {
			id = cd_set(PR_CORE_DOMAIN_NEW, pid, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);
			if (id <= 0)
				fail_msg("stopped %d into a new domain: %s", pid, strerror(errno));
		}
		n = threads_of(pid, tids, 64);
		for (i = 0; i < n && id >= 0; i++)
			if (status_domain(tids[i]) != id)
				fail_msg("stopped thread %d: domain %ld, not %ld", tids[i],
					 status_domain(tids[i]), id);
		kill(pid, SIGCONT);
		count(C_STOPMOVE);
		usleep(10000 + rnd_below(20000));
	}
	kill(pid, SIGCONT);
	return NULL;
}

/* The tracer: a host-domain process that stops its tracee and moves it. */
static void life_tracer(void *arg)
{
	pid_t tracee = life_t[L_TRACEE].pid;
	int st, k;

	if (ptrace(PTRACE_SEIZE, tracee, 0, 0)) {
		fail_msg("PTRACE_SEIZE %d: %s", tracee, strerror(errno));
		return;
	}
	while (!sh->stop_churn) {
		int paused = sh->pause_new;
		long id;

		if (ptrace(PTRACE_INTERRUPT, tracee, 0, 0) ||
		    waitpid(tracee, &st, __WALL) != tracee || !WIFSTOPPED(st)) {
			if (!sh->stop)
				fail_msg("tracee %d did not stop (0x%x)", tracee, st);
			return;
		}
		if (paused) {
			/* no new ids now; its first domain may be gone: the host's */
			id = 0;
			if (cd_set(id, tracee, PR_CORE_DOMAIN_SCOPE_THREAD))
				id = -1;
		} else {
			id = cd_set(PR_CORE_DOMAIN_NEW, tracee, PR_CORE_DOMAIN_SCOPE_THREAD);
		}
		if (id < 0 || (id == 0 && !paused))
			fail_msg("moving ptrace-stopped %d: %s", tracee, strerror(errno));
		else if (cd_get(tracee) != id)
			fail_msg("ptrace-stopped %d: domain %ld, not %ld", tracee,
				 cd_get(tracee), id);
		for (k = rnd_below(4); k > 0; k--) {
			int sig = WIFSTOPPED(st) && (st >> 16) == 0 &&
				  WSTOPSIG(st) != SIGTRAP ? WSTOPSIG(st) : 0;

			if (ptrace(PTRACE_SYSCALL, tracee, 0, sig) ||
			    waitpid(tracee, &st, __WALL) != tracee || !WIFSTOPPED(st)) {
				if (!sh->stop)
					fail_msg("tracee %d lost in syscall stepping (0x%x)",
						 tracee, st);
				return;
			}
		}
		ptrace(PTRACE_CONT, tracee, 0, 0);
		count(C_PTRACE);
		usleep(1000 + rnd_below(4000));
	}
	ptrace(PTRACE_INTERRUPT, tracee, 0, 0);
	waitpid(tracee, &st, __WALL);
	ptrace(PTRACE_DETACH, tracee, 0, 0);
}

/* Real-time and deadline threads moved between domains while running. */
static void *life_rtmove(void *arg)
{
	while (!sh->stop_churn) {
		int w = rnd_below(2) ? L_RT1 : L_RT2;
		pid_t tids[64], tid;
		int n = threads_of(life_t[w].pid, tids, 64);
		long r;

		if (n <= 0) {
			usleep(10000);
			continue;
		}
		tid = tids[rnd_below(n)];
		if (!sh->pause_new && rnd_below(2))
			r = cd_set(PR_CORE_DOMAIN_NEW, tid, PR_CORE_DOMAIN_SCOPE_THREAD);
		else	/* back to where its main thread is */
			r = cd_set(status_domain(life_t[w].pid), tid, PR_CORE_DOMAIN_SCOPE_THREAD);
		if (r < 0 && errno != ESRCH)
			fail_msg("moving RT/DL thread %d: %s", tid, strerror(errno));
		count(C_RTMOVE);
		usleep(10000 + rnd_below(20000));
	}
	return NULL;
}

/* Signal ping-pong between a host-domain process and a tenant. */
static void sig_pong(void *arg)
{
	struct timespec to = { 0, 100000000 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP) <= 0)
		fail_msg("signal tenant: NEW: %s", strerror(errno));
	sh->pid_s = getpid();
	while (!sh->stop)
		if (sigtimedwait(&set, NULL, &to) == SIGUSR1 && sh->pid_h)
			kill(sh->pid_h, SIGUSR2);
}

static void sig_ping(void *arg)
{
	struct timespec to = { 0, 100000000 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sh->pid_h = getpid();
	while (!sh->pid_s && !sh->stop)
		usleep(1000);
	while (!sh->stop) {
		kill(sh->pid_s, SIGUSR1);
		if (sigtimedwait(&set, NULL, &to) == SIGUSR2)
			count(C_SIGNAL);
	}
}

/* Holders of ids: threads of ours (cheap to make and to end). */
struct holder {
	pthread_t th;
	volatile pid_t tid;
};

static void *hold_fn(void *arg)
{
	struct holder *h = arg;

	h->tid = syscall(SYS_gettid);
	for (;;)
		pause();
	return NULL;
}

static pid_t hold_start(struct holder *h)
{
	h->tid = 0;
	if (pthread_create(&h->th, NULL, hold_fn, h))
		return -1;
	while (!h->tid)
		usleep(100);
	return h->tid;
}

static void hold_end(struct holder *h)
{
	pthread_cancel(h->th);
	pthread_join(h->th, NULL);
}

/*
 * Exhaust the ids below a lowered max_id: ENOSPC exactly when every id up
 * to it is in use, never an id above it, never one in use; a freed id is
 * handed out again.  Returns a summary in @out.
 */
static void exhaust(char *out, size_t len)
{
	const long max = 48;
	double t_start = cd_now_s();
	static struct holder holder[96];
	long hid[96];
	int n = 0, enospc = 0, reused = 0, i, k;
	struct cd_domains ds;

	if (putf(CDDBG "max_id", "%ld", max)) {
		fail_msg("cannot lower max_id");
		return;
	}
	while (n < 96) {
		long r, used = 0;
		pid_t tid;

		cd_read_domains(&ds);
		tid = hold_start(&holder[n]);
		r = cd_set(PR_CORE_DOMAIN_NEW, tid, PR_CORE_DOMAIN_SCOPE_THREAD);
		if (r > 0) {
			if (r > max)
				fail_msg("id %ld handed out above max_id %ld", r, max);
			if (cd_domains_find(&ds, r) >= 0)
				fail_msg("id %ld handed out while in use", r);
			hid[n++] = r;
			continue;
		}
		if (errno != ENOSPC) {
			fail_msg("NEW under max_id: %s", strerror(errno));
			n++;
			break;
		}
		for (i = 0; i < ds.n; i++)
			used += ds.id[i] <= max;
		if (used < max) {
			/* Something freed meanwhile? Then NEW must work now. */
			usleep(50000);
			r = cd_set(PR_CORE_DOMAIN_NEW, tid, PR_CORE_DOMAIN_SCOPE_THREAD);
			if (r > 0) {
				hid[n++] = r;
				continue;
			}
			cd_read_domains(&ds);
			for (used = 0, i = 0; i < ds.n; i++)
				used += ds.id[i] <= max;
			if (used < max)
				fail_msg("ENOSPC with %ld of %ld ids in use", used, max);
		}
		if (cd_get(tid) != 0)
			fail_msg("refused NEW moved its target anyway");
		enospc = 1;
		count(C_ENOSPC);
		hid[n++] = 0;	/* the last holder stays in the host domain */
		break;
	}
	if (!enospc)
		fail_msg("no ENOSPC after %d new domains under max_id %ld", n, max);
	/* Reuse: free one id, it comes back (the only free one). */
	for (k = 0; k < 5 && enospc && n > 2; k++) {
		int v = rnd_below(n - 1);
		long freed = hid[v], r, used = 0;
		pid_t tid;

		hold_end(&holder[v]);
		for (i = 0; i < 200; i++) {
			cd_read_domains(&ds);
			if (cd_domains_find(&ds, freed) < 0)
				break;
			usleep(10000);
		}
		if (cd_domains_find(&ds, freed) >= 0) {
			fail_msg("domain %ld outlived its last task", freed);
			hid[v] = 0;
			hold_start(&holder[v]);
			break;
		}
		for (i = 0; i < ds.n; i++)
			used += ds.id[i] <= max;
		tid = hold_start(&holder[v]);
		r = cd_set(PR_CORE_DOMAIN_NEW, tid, PR_CORE_DOMAIN_SCOPE_THREAD);
		if (r <= 0)
			fail_msg("freed id %ld not reusable: %s", freed, strerror(errno));
		else if (used == max - 1 && r != freed)
			fail_msg("the only free id was %ld, got %ld", freed, r);
		else
			reused++;
		hid[v] = r;
		count(C_REUSE);
	}
	putf(CDDBG "max_id", "%lu", CD_ID_MAX);
	for (i = 0; i < n; i++)
		hold_end(&holder[i]);
	snprintf(out, len, "ENOSPC at %d domains under max_id %ld, %d ids reused (%.1f s)", n - 1,
		 max, reused, cd_now_s() - t_start);
}

static void tracee_main(void *arg)
{
	struct tenant *t = arg;
	volatile int i;

	if (cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP) <= 0)
		fail_msg("tracee: NEW: %s", strerror(errno));
	sh->dom[t->idx] = cd_get(0);
	sh->ready[t->idx] = 1;
	while (!sh->stop) {
		syscall(SYS_getppid);
		for (i = 0; i < 5000; i++)
			;
		PROG(t->idx);
	}
}

TEST_F_TIMEOUT(stress, lifecycle, area_timeout())
{
	struct tenant t[L_NR] = {
		[L_EXEC0] = { .kinds = K_EXEC | K_THREADS | K_FORK | K_SLEEP, .new_domain = 1 },
		[L_EXEC1] = { .kinds = K_EXEC | K_THREADS | K_SPIN | K_SLEEP, .new_domain = 1 },
		[L_X] = { .kinds = K_FORK | K_SPIN | K_SLEEP, .cgroup = "cdL/x" },
		[L_STOP] = { .kinds = K_SPIN | K_SLEEP | K_FUTEX, .new_domain = 1 },
		[L_TRACEE] = { .kinds = 0 },
		[L_RT1] = { .kinds = K_FIFO | K_DL | K_SLEEP, .new_domain = 1 },
		[L_RT2] = { .kinds = K_DL | K_SPIN | K_SLEEP, .new_domain = 1 },
		[L_BW] = { .kinds = K_SPIN | K_SLEEP, .nspin = 3, .cgroup = "cdL/bw" },
		[L_SIG] = { .kinds = K_SPIN },
	};
	char bw[64], exh[160] = "", buf[256];
	long throttled = -1;
	pthread_t th[5];
	struct cd_domains now;
	double phase1;
	struct area a;
	int i, has_bw;

	ASSERT_EQ(0, cgroup_setup());
	mkcg("cdL", 1);
	mkcg("cdL/x", 0);
	mkcg("cdL/bw", 0);
	ASSERT_EQ(0, cg_tag("cdL/x", "new"));
	ASSERT_EQ(0, cg_tag("cdL/bw", "new"));
	has_bw = !access(CG "/cdL/bw/cpu.max", F_OK);
	if (has_bw) {
		ASSERT_EQ(0, put(CG "/cdL/bw/cpu.max", "20000 100000"));
	} else {
		cd_say("# lifecycle: no cpu.max (CONFIG_CFS_BANDWIDTH is off): bandwidth part skipped\n");
	}

	ASSERT_EQ(0, area_begin(&a, "lifecycle"));
	life_t = t;
	for (i = 0; i < L_NR; i++) {
		t[i].idx = i;
		sh->ready[i] = 0;
		t[i].pid = spawn(i == L_TRACEE ? tracee_main : tenant_main, &t[i]);
	}
	for (i = 0; i < 1000; i++) {
		int k;

		for (k = 0; k < L_NR && sh->ready[k]; k++)
			;
		if (k == L_NR)
			break;
		usleep(10000);
	}
	ASSERT_GT(1000, i) TH_LOG("tenants did not start");
	spawn(sig_pong, NULL);
	spawn(sig_ping, NULL);
	spawn(life_tracer, NULL);
	pthread_create(&th[0], NULL, life_exitmove, NULL);
	pthread_create(&th[1], NULL, life_exitmove, NULL);
	pthread_create(&th[2], NULL, life_retag, NULL);
	pthread_create(&th[3], NULL, life_stopmove, NULL);
	pthread_create(&th[4], NULL, life_rtmove, NULL);

	/* Phase 1: everything; phase 2: no new domains but the exhaustion's. */
	phase1 = a.start + (a.end - a.start) * 2 / 3;
	area_sleep(&a, phase1 - cd_now_s());
	sh->pause_new = 1;
	usleep(300000);
	exhaust(exh, sizeof(exh));
	sh->pause_new = 0;
	if (cd_now_s() < a.end)
		area_sleep(&a, a.end - cd_now_s());
	sh->stop_churn = 1;
	for (i = 0; i < 5; i++)
		pthread_join(th[i], NULL);
	if (has_bw) {
		FILE *f = fopen(CG "/cdL/bw/cpu.stat", "r");

		while (f && fgets(buf, sizeof(buf), f))
			if (sscanf(buf, "nr_throttled %ld", &throttled) == 1)
				break;
		if (f)
			fclose(f);
		snprintf(bw, sizeof(bw), "%ld throttled periods", throttled);
	} else {
		snprintf(bw, sizeof(bw), "no CFS bandwidth in this kernel");
	}
	snprintf(a.extra, sizeof(a.extra),
		 "%ld execs, %ld exit races, %ld retags, %ld stopped and %ld ptrace-stopped moves, %ld RT/DL moves (DL %s), %ld signal round trips, %s; %s",
		 sh->counters[C_EXEC], sh->counters[C_EXITMOVE], sh->counters[C_RETAG],
		 sh->counters[C_STOPMOVE], sh->counters[C_PTRACE], sh->counters[C_RTMOVE],
		 sh->counters[C_DL_FAIL] ? strerror(sh->dl_errno) : "ok",
		 sh->counters[C_SIGNAL], bw, exh);
	stop_all();
	rmcg("cdL");
	area_end(_metadata, &a, 1000);
	EXPECT_LT(0, sh->counters[C_EXEC]);
	EXPECT_LT(0, sh->counters[C_PTRACE]);
	EXPECT_LT(0, sh->counters[C_STOPMOVE]);
	EXPECT_LT(0, sh->counters[C_SIGNAL]);
	EXPECT_EQ(0, sh->counters[C_DL_FAIL]) TH_LOG("SCHED_DEADLINE refused: %s",
						     strerror(sh->dl_errno));
	if (has_bw) {
		EXPECT_LT(0, throttled) TH_LOG("the bandwidth limit never throttled");
	}
	EXPECT_EQ(0, domains_settle_to(&a.base, 5.0, &now))
		TH_LOG("domains leaked (alive after the area, not before it)");
}

/* ------------------------------------------------------------------ */
/* stress-ng                                                            */
/* ------------------------------------------------------------------ */

static const char *stress_ng_path(void)
{
	static const char * const cand[] = {
		"/usr/bin/stress-ng", "/coredomain/files/stress-ng", "/bin/stress-ng",
	};
	const char *env = getenv("CD_STRESS_NG");
	unsigned int i;

	if (env && !access(env, X_OK))
		return env;
	for (i = 0; i < ARRAY_SIZE(cand); i++)
		if (!access(cand[i], X_OK))
			return cand[i];
	return NULL;
}

struct sng {
	int idx;
	int how;		/* 0 host, 1 prctl NEW, 2 a tagged cgroup */
	const char *mix;	/* stressors, comma-separated */
	pid_t pid;
};

static const char *sng_bin;

static void sng_main(void *arg)
{
	struct sng *s = arg;
	char secs[16], log[64], *argv[32], mix[128], *tok, *save;
	int argc = 0, fd;

	setpgid(0, 0);
	if (s->how == 2 && cg_move("cdN/vm", getpid()))
		_exit(90);
	if (s->how == 1 &&
	    cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP) <= 0)
		_exit(91);
	snprintf(secs, sizeof(secs), "%ds", stress_seconds());
	snprintf(log, sizeof(log), "/tmp/stress-ng.%d.log", s->idx);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	argv[argc++] = "stress-ng";
	snprintf(mix, sizeof(mix), "%s", s->mix);
	for (tok = strtok_r(mix, ",", &save); tok && argc < 24; tok = strtok_r(NULL, ",", &save)) {
		static char opt[16][32];

		snprintf(opt[argc], sizeof(opt[argc]), "--%s", tok);
		argv[argc] = opt[argc];
		argc++;
		argv[argc++] = "1";
	}
	argv[argc++] = "--timeout";
	argv[argc++] = secs;
	argv[argc++] = "--temp-path";
	argv[argc++] = "/tmp";
	argv[argc++] = "--metrics-brief";
	argv[argc] = NULL;
	execv(sng_bin, argv);
	_exit(92);
}

/*
 * Why an instance ran no stressor: the end of its log, and the room left
 * in /tmp, where it writes.
 */
static void sng_why(int idx)
{
	char path[64], line[256];
	struct statvfs sv;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/tmp/stress-ng.%d.log", idx);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f) && n++ < 12)
		cd_say("#   %s: %s", path, line);
	if (f)
		fclose(f);
	else
		cd_say("#   %s: %s\n", path, strerror(errno));
	if (!statvfs("/tmp", &sv))
		cd_say("#   /tmp: %llu KiB free\n",
		       (unsigned long long)sv.f_bavail * sv.f_frsize / 1024);
}

/* Has child @pid exited?  It stays a zombie for waitpid(). */
static int exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == pid;
}

/* All processes of process group @pgid: same domain?  Returns it, or -2. */
static long pgrp_domain(pid_t pgid, int *nproc)
{
	struct dirent *e;
	DIR *d = opendir("/proc");
	long dom = -1;

	*nproc = 0;
	while (d && (e = readdir(d))) {
		char path[64], buf[512], *rp, st;
		int pid = atoi(e->d_name), pp, pg;
		pid_t tids[256];
		int n, i;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		cd_read_line(path, buf, sizeof(buf));
		rp = strrchr(buf, ')');
		if (!rp || sscanf(rp, ") %c %d %d", &st, &pp, &pg) != 3 || pg != pgid ||
		    st == 'Z')
			continue;
		n = threads_of(pid, tids, 256);
		for (i = 0; i < n; i++) {
			long v = status_domain(tids[i]);

			if (v < 0)
				continue;
			if (dom == -1)
				dom = v;
			else if (dom != v)
				dom = -2;
		}
		(*nproc)++;
	}
	if (d)
		closedir(d);
	return dom;
}

TEST_F_TIMEOUT(stress, stress_ng, area_timeout())
{
	struct sng s[5] = {
		{ .how = 1, .mix = "cpu,switch,fork,pipe,futex" },
		{ .how = 1, .mix = "cpu,switch,fork,pipe,futex" },
		{ .how = 1, .mix = "switch,pipe,futex" },
		{ .how = 2, .mix = "cpu,fork,switch" },
		{ .how = 0, .mix = "cpu,pipe,futex" },
	};
	int seen[5] = { 0 }, nprocs[5] = { 0 };
	long doms[5];
	struct cd_domains now;
	struct area a;
	int i, j, st, bad = 0, nproc;
	double deadline, half;
	char buf[256];

	sng_bin = stress_ng_path();
	if (!sng_bin)
		SKIP(return, "stress-ng is not in the guest (harness/initramfs.sh ... /usr/bin/stress-ng)");
	ASSERT_EQ(0, cgroup_setup());
	mkcg("cdN", 1);
	mkcg("cdN/vm", 0);
	ASSERT_EQ(0, cg_tag("cdN/vm", "new"));

	ASSERT_EQ(0, area_begin(&a, "stress_ng"));
	for (i = 0; i < 5; i++) {
		s[i].idx = i;
		s[i].pid = spawn(sng_main, &s[i]);
	}
	/*
	 * Each instance's processes share one domain, its own: looked at
	 * halfway, or as soon after as the instance has started its
	 * stressors (stress-ng starts slowly on a loaded TCG guest).  Before
	 * halfway every snapshot with stressors is kept, so that an instance
	 * which finishes before a slow scan reaches it (debug kernel, host
	 * CPUs busy) is judged by what it ran, not by its absence.  All
	 * instances are watched together, so a slow one does not let the
	 * others end unseen.
	 */
	half = cd_now_s() + stress_seconds() / 2.0;
	for (i = 0; i < 5; i++)
		doms[i] = -1;
	for (deadline = half + 60;;) {
		int pending = 0, n;
		long d;

		for (i = 0; i < 5; i++) {
			if (seen[i])
				continue;
			d = pgrp_domain(s[i].pid, &n);
			if (d == -2 || n >= 2) {
				doms[i] = d;
				nprocs[i] = n;
			}
			if (d == -2 || exited(s[i].pid) || (n >= 2 && cd_now_s() >= half))
				seen[i] = 1;
			else
				pending++;
		}
		if (!pending || cd_now_s() > deadline)
			break;
		area_sleep(&a, cd_now_s() < half ? 0.5 : 0.2);
	}
	for (i = 0; i < 5; i++) {
		nproc = nprocs[i];
		if (doms[i] == -2) {
			fail_msg("stress-ng %d: %d processes in mixed domains", i, nproc);
			bad++;
		} else if (nproc < 2) {
			fail_msg("stress-ng %d: no stressors seen (%d process)", i, nproc);
			sng_why(i);
		}
		if (s[i].how == 0 && doms[i] != 0)
			fail_msg("host stress-ng in domain %ld", doms[i]);
		if (s[i].how == 2 && doms[i] != cg_domain("cdN/vm"))
			fail_msg("cgroup stress-ng in domain %ld, group has %ld", doms[i],
				 cg_domain("cdN/vm"));
		for (j = 0; j < i; j++)
			if (s[i].how && s[j].how && doms[i] == doms[j])
				fail_msg("stress-ng %d and %d share domain %ld", i, j, doms[i]);
	}
	deadline = cd_now_s() + stress_seconds() + 120;
	for (i = 0; i < 5; i++) {
		while (waitpid(s[i].pid, &st, WNOHANG) == 0 && cd_now_s() < deadline)
			area_sleep(&a, 0.2);
		if (cd_now_s() >= deadline) {
			fail_msg("stress-ng %d did not finish", i);
			continue;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			char log[64];
			FILE *f;

			fail_msg("stress-ng %d (%s) exited with 0x%x", i, s[i].mix, st);
			snprintf(log, sizeof(log), "/tmp/stress-ng.%d.log", i);
			f = fopen(log, "r");
			while (f && fgets(buf, sizeof(buf), f))
				cd_say("#   %s", buf);
			if (f)
				fclose(f);
		}
	}
	snprintf(a.extra, sizeof(a.extra),
		 "5 stress-ng instances (3 prctl domains, 1 cgroup domain, 1 host), %d in mixed domains",
		 bad);
	stop_all();
	rmcg("cdN");
	area_end(_metadata, &a, 1000);
	EXPECT_EQ(0, domains_settle_to(&a.base, 5.0, &now))
		TH_LOG("domains leaked (alive after the area, not before it)");
}

/* ------------------------------------------------------------------ */
/* real-time tasks of two domains on one core                           */
/* ------------------------------------------------------------------ */

static int rt_c0, rt_c1;

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A SCHED_FIFO spinner of a domain of its own, on one thread of the core. */
static void rt_spinner(void *arg)
{
	struct sched_param sp = { .sched_priority = 5 };
	volatile int i;

	if (!control() &&
	    cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP) <= 0)
		fail_msg("rt spinner: NEW: %s", strerror(errno));
	pin_to(rt_c1);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		fail_msg("rt spinner: SCHED_FIFO: %s", strerror(errno));
	sh->ready[0] = 1;
	while (!sh->stop) {
		for (i = 0; i < 20000; i++)
			;
		PROG(0);
	}
}

/* A host-domain SCHED_FIFO task of the same priority waking every ms. */
static void rt_waker(void *arg)
{
	struct sched_param sp = { .sched_priority = 5 };
	double end = cd_now_s() + *(double *)arg;
	struct timespec t;

	/* real-time first, then onto the core: a fair task would wait there */
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		fail_msg("rt waker: SCHED_FIFO: %s", strerror(errno));
	sh->ready[2] = 1;
	pin_to(rt_c0);
	sh->ready[3] = 1;
	while (cd_now_s() < end && sh->nlat < 20000) {
		struct timespec n;
		long late;

		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += 1000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_nsec -= 1000000000;
			t.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		clock_gettime(CLOCK_MONOTONIC, &n);
		late = (n.tv_sec - t.tv_sec) * 1000000L + (n.tv_nsec - t.tv_nsec) / 1000;
		sh->lat[sh->nlat++] = late;
	}
	sh->ready[1] = 1;
}

static void dump_lines(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		cd_say("#   %s", line);
	if (f)
		fclose(f);
}

/* A fair host-domain task on the waker's thread of the core. */
static void fair_counter(void *arg)
{
	double end = cd_now_s() + *(double *)arg;
	volatile int i;

	pin_to(rt_c0);
	while (cd_now_s() < end) {
		for (i = 0; i < 20000; i++)
			;
		if (!sh->prog[1])
			sh->lat[0] = (long)(cd_now_s() * 1e6);
		PROG(1);
	}
	sh->ready[4] = 1;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Equal classes: a real-time task of the host domain waits for a core
 * whose other thread runs a real-time spinner of another domain.  The
 * documents: a domain of the same class gets the core after at most the
 * wait bound (4 ms).  Measures the waker's delays.
 */
TEST_F_TIMEOUT(stress, rt_equal_rank, area_timeout())
{
	int c, sib[8], n, found = 0;
	double secs = stress_seconds() < 10 ? stress_seconds() : 10, deadline;
	long p50, p99, max, bound, fair_progress, fair_first_ms;
	char buf[32], statbuf[512];
	int dumped = 0;
	pid_t waker;
	struct area a;

	for (c = sysconf(_SC_NPROCESSORS_CONF) - 1; c > 0 && !found; c--) {
		n = siblings_of(c, sib);
		if (n >= 2 && sib[0] && sib[1]) {
			rt_c0 = sib[0];
			rt_c1 = sib[1];
			found = 1;
		}
	}
	if (!found)
		SKIP(return, "no SMT core without CPU 0");
	bound = atol(cd_read_line(CDDBG "wait_bound_us", buf, sizeof(buf)));
	ASSERT_EQ(0, area_begin(&a, "rt_equal_rank"));
	spawn(rt_spinner, NULL);
	while (!sh->ready[0] && !sh->nerr)
		usleep(10000);
	waker = spawn(rt_waker, &secs);
	deadline = cd_now_s() + secs + 120;
	while (!sh->ready[1] && cd_now_s() < deadline) {
		area_sleep(&a, 0.5);
		if (!dumped && cd_now_s() > deadline - 115 && !sh->nlat) {
			char p[64];

			dumped = 1;
			cd_say("# the waker has not completed a wake-up in 5 s (started %d, on the core %d)\n",
			    sh->ready[2], sh->ready[3]);
			snprintf(p, sizeof(p), "/proc/%d/stat", waker);
			cd_say("#   stat: %s\n", cd_read_line(p, statbuf, sizeof(statbuf)));
			snprintf(p, sizeof(p), "/proc/%d/stack", waker);
			dump_lines(p);
			dump_lines(CDDBG "cores");
		}
	}
	n = sh->nlat;
	EXPECT_EQ(1, sh->ready[1]) TH_LOG("the real-time waker did not finish in %.0f s", secs + 120);
	qsort(sh->lat, n, sizeof(long), cmp_long);
	p50 = n ? sh->lat[n / 2] : -1;
	p99 = n ? sh->lat[n * 99 / 100] : -1;
	max = n ? sh->lat[n - 1] : -1;
	/*
	 * A fair task beside the real-time domain: no promise of a bound, but
	 * the fair server gives fair tasks 5% of a CPU an RT task hogs; with
	 * the sibling held, it must still run now and then (kernel threads
	 * are such tasks: a starved one stalls RCU).
	 */
	{
		double fsecs = secs < 5 ? secs : 5, t0 = cd_now_s();

		sh->prog[1] = 0;
		sh->lat[0] = 0;
		spawn(fair_counter, &fsecs);
		while (!sh->ready[4] && cd_now_s() < t0 + fsecs + 10)
			area_sleep(&a, 0.2);
		fair_progress = sh->prog[1];
		fair_first_ms = sh->lat[0] ? (sh->lat[0] - (long)(t0 * 1e6)) / 1000 : -1;
	}
	snprintf(a.extra, sizeof(a.extra),
		 "%score cpu%d+cpu%d, bound %ld us: FIFO waker delay p50 %ld us, p99 %ld us, max %ld us over %d wake-ups; spinner progress %ld; a fair task beside it: progress %ld, first ran after %ld ms",
		 control() ? "CONTROL (no domains): " : "", rt_c0, rt_c1, bound, p50, p99,
		 max, n, sh->prog[0], fair_progress, fair_first_ms);
	stop_all();
	area_end(_metadata, &a, 100);
	if (latency_judged()) {
		EXPECT_LT(100, n);
		/* the bound, plus TCG's timer and IPI noise */
		EXPECT_GE(bound + 20000, p50) TH_LOG("median wait beyond the bound");
	}
	EXPECT_LT(0, n) TH_LOG("the real-time waker never woke");
	/* never anything like a stall: below RT throttling's one-second period */
	EXPECT_GT(1000000, max) TH_LOG("a real-time task waited %ld us", max);
	EXPECT_LT(0, fair_progress)
		TH_LOG("a fair task never ran beside a real-time task of another domain");
}

int main(int argc, char **argv)
{
	/* Re-executed by the exec storm: the domain survived exec and fork. */
	if (argc >= 3 && !strcmp(argv[1], "--exec-child")) {
		long want = atol(argv[2]);
		pid_t c;
		int st;

		if (cd_get(0) != want || status_domain(getpid()) != want)
			return 3;
		c = fork();
		if (c == 0)
			_exit(cd_get(0) == want ? 0 : 4);
		if (c < 0 || waitpid(c, &st, 0) != c)
			return 5;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 6;
	}
	return test_harness_run(argc, argv);
}
