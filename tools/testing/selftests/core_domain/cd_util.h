/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the core-domain selftests share: writing a control file in one
 * write(), making a task SCHED_DEADLINE, and the kernel log as they read
 * it - records of /dev/kmsg one at a time, and the splats (the lines the
 * harness's report.py fails a run on).  Header-only; each test includes
 * it once.
 */
#ifndef CD_UTIL_H
#define CD_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/sched/types.h>

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE	6
#endif

static inline double cd_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Print without stdio buffers: safe across fork and from any thread. */
static inline void __attribute__((format(printf, 1, 2)))
cd_say(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(1, buf, n) < 0)
		;
}

/* First line of @path without its newline, in @buf; "" on error. */
static inline char *cd_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

/* Context switches since boot, all CPUs (/proc/stat ctxt). */
static inline long ctxt_total(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/stat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "ctxt %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* Write @val to @path in one write(); 0 or -errno. */
static inline int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/*
 * cgroup v2 at /sys/fs/cgroup, with the cpu controller enabled for the
 * root's children.  After a v1 hierarchy is unmounted, cpu returns to v2
 * lazily: retry for up to 3 s.
 */
static inline void cd_cgroup2_setup(void)
{
	int i;

	if (access("/sys/fs/cgroup/cgroup.subtree_control", F_OK))
		mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	for (i = 0; i < 300; i++) {
		if (!put("/sys/fs/cgroup/cgroup.subtree_control", "+cpu"))
			break;
		usleep(10000);
	}
}

/* put() of a formatted value. */
static inline int __attribute__((format(printf, 2, 3)))
putf(const char *path, const char *fmt, ...)
{
	char val[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return put(path, val);
}

/* Make @tid (0: the caller) SCHED_DEADLINE.  0, or -1 and errno. */
static inline int cd_setattr_dl(pid_t tid, uint64_t runtime, uint64_t deadline,
				uint64_t period)
{
	struct sched_attr a = {
		.size = sizeof(a),
		.sched_policy = SCHED_DEADLINE,
		.sched_runtime = runtime,
		.sched_deadline = deadline,
		.sched_period = period,
	};

	return syscall(__NR_sched_setattr, tid, &a, 0);
}

static const char * const cd_splat_words[] = {
	"Kernel panic", "Oops", "BUG:", "WARNING:", "general protection fault",
	"possible recursive locking", "possible circular locking",
	"inconsistent lock state", "DEBUG_LOCKS_WARN_ON", "suspicious RCU usage",
	"KASAN:", "KCSAN:", "UBSAN:", "detected stalls", "watchdog: BUG",
	"sleeping function called from invalid context",
	"core_domain: isolation violated", "blocked for more than",
};

/* /dev/kmsg, positioned after what is logged already (@from_end) or not. */
static inline int cd_kmsg_open(int from_end)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0 && from_end)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The next record's message text (no prefix, no newline) in @rec, or NULL
 * when there is none yet.  Records overwritten before they were read
 * (EPIPE) are skipped.
 */
static inline char *cd_kmsg_next(int fd, char *rec, size_t len)
{
	char *msg;
	ssize_t r;

	do {
		r = read(fd, rec, len - 1);
	} while (r < 0 && errno == EPIPE);
	if (r <= 0)
		return NULL;
	rec[r] = 0;
	msg = strchr(rec, ';');
	msg = msg ? msg + 1 : rec;
	msg[strcspn(msg, "\n")] = 0;
	return msg;
}

/* Is @msg a splat? */
static inline int cd_is_splat(const char *msg)
{
	unsigned int i;

	for (i = 0; i < sizeof(cd_splat_words) / sizeof(cd_splat_words[0]); i++)
		if (strstr(msg, cd_splat_words[i]))
			return 1;
	return 0;
}

/* Splat lines logged on @fd since the last call; prints the first few. */
static inline long cd_kmsg_scan(int fd)
{
	char rec[8192], *msg;
	long n = 0;

	if (fd < 0)
		return 0;
	while ((msg = cd_kmsg_next(fd, rec, sizeof(rec)))) {
		if (cd_is_splat(msg) && n++ < 10)
			cd_say("# kernel: %s\n", msg);
	}
	return n;
}

/* The kernel's taint flags. */
static inline long cd_tainted(void)
{
	char buf[64];

	return atol(cd_read_line("/proc/sys/kernel/tainted", buf, sizeof(buf)));
}

/* debugfs core_domain/domains: every live domain, its references, parent. */
#define CD_MAX_DOMAINS	4096

struct cd_domains {
	int n;
	long id[CD_MAX_DOMAINS], refs[CD_MAX_DOMAINS], parent[CD_MAX_DOMAINS];
};

static inline int cd_read_domains(struct cd_domains *ds)
{
	FILE *f = fopen("/sys/kernel/debug/core_domain/domains", "r");
	char line[128];
	long i, r, p;

	ds->n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld %ld %ld", &i, &r, &p) == 3 &&
		    ds->n < CD_MAX_DOMAINS) {
			ds->id[ds->n] = i;
			ds->refs[ds->n] = r;
			ds->parent[ds->n++] = p;
		}
	fclose(f);
	return 0;
}

/* The index of domain @id in @ds, or -1. */
static inline int cd_domains_find(const struct cd_domains *ds, long id)
{
	int i;

	for (i = 0; i < ds->n; i++)
		if (ds->id[i] == id)
			return i;
	return -1;
}

/*
 * Helper processes that cannot outlive the test, and the trace ring
 * buffer's lost events.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/*
 * fork() for a helper process (a hog, a tenant): the child gets SIGKILL
 * when the thread that forked it exits, so that it dies on every way out
 * of the test - an ASSERT, a crash, the harness's timeout - and not only
 * where the test kills it.  Fork from a thread that outlives the child
 * (the test's main thread, or the helper's own main thread).
 */
static inline pid_t cd_fork_tied(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
		_exit(127);
	return pid;
}

/* SIGKILL and reap the @n processes of @pids that were started (> 0). */
static inline void cd_kill_wait(const pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

/*
 * SIGKILL every other process of the caller's process group (the
 * kselftest harness makes each test a group of its own) but its parent
 * (a fixture's test runs in a child of the group's leader), and reap the
 * caller's children: the sweep of a teardown, for whatever an early exit
 * left running.  Returns how many it killed.
 */
static inline int cd_kill_group(void)
{
	pid_t me = getpid(), parent = getppid(), pg = getpgrp();
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0, i;

	while (d && (e = readdir(d))) {
		pid_t pid = atoi(e->d_name);

		if (pid > 0 && pid != me && pid != parent && getpgid(pid) == pg &&
		    !kill(pid, SIGKILL))
			n++;
	}
	if (d)
		closedir(d);
	/* At most a second for children that are not dying. */
	for (i = 0; i < 100; i++) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r < 0)
			break;
		if (r == 0)
			usleep(10000);
	}
	return n;
}

#define CD_TRACEFS	"/sys/kernel/tracing/"

/*
 * Events the trace ring buffer lost since it was last cleared, over every
 * CPU: per_cpu/cpuN/stats "overrun:" (overwritten before they were read),
 * "commit overrun:" and "dropped events:" (never recorded).  A timeline
 * with a hole proves nothing: a test that lost events is inconclusive.
 */
static inline long cd_trace_lost(void)
{
	char path[96], line[128];
	long total = 0, v;
	int cpu;

	for (cpu = 0; cpu < 4096; cpu++) {
		FILE *f;

		snprintf(path, sizeof(path), CD_TRACEFS "per_cpu/cpu%d/stats", cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "overrun: %ld", &v) == 1 ||
			    sscanf(line, "commit overrun: %ld", &v) == 1 ||
			    sscanf(line, "dropped events: %ld", &v) == 1)
				total += v;
		fclose(f);
	}
	return total;
}

/*
 * The events a "CPU:N [LOST M EVENTS]" line of trace or trace_pipe
 * reports (1 for "[LOST EVENTS]", whose count the kernel did not know),
 * or 0 for any other line.
 */
static inline long cd_trace_lost_line(const char *line)
{
	const char *p = strstr(line, "[LOST ");
	long n;

	if (!p)
		return 0;
	if (sscanf(p, "[LOST %ld EVENTS]", &n) == 1 && n > 0)
		return n;
	return 1;
}

/*
 * Read the header of an open trace file up to its first event, leaving
 * @f there; returns entries-written minus entries-in-buffer (the events
 * overwritten), or 0 if the header does not say.
 */
static inline long cd_trace_header_lost(FILE *f)
{
	long in = 0, written = 0;
	char line[256];
	int c;

	while ((c = fgetc(f)) == '#') {
		ungetc(c, f);
		if (!fgets(line, sizeof(line), f))
			break;
		if (sscanf(line, "# entries-in-buffer/entries-written: %ld/%ld",
			   &in, &written) != 2)
			continue;
	}
	if (c != EOF)
		ungetc(c, f);
	return written > in ? written - in : 0;
}

/*
 * Open the trace file @path for reading past its header; *@lost: the events
 * lost, by the per-CPU counters or the header, whichever says more.
 */
static inline FILE *cd_trace_open(const char *path, long *lost)
{
	long hdr;
	FILE *f;

	*lost = cd_trace_lost();
	f = fopen(path, "r");
	if (!f)
		return NULL;
	hdr = cd_trace_header_lost(f);
	if (hdr > *lost)
		*lost = hdr;
	return f;
}

#endif /* CD_UTIL_H */
