/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The isolation checker shared by isolation_test and coredomain-demo:
 * rebuild every CPU's timeline from a text trace of sched_switch and
 * sched_process_fork (global trace clock) and count the instants at which
 * two SMT siblings ran tasks of two different domains.
 *
 * It trusts only the trace: a task's domain is what the caller seeds for
 * a root pid, what the kernel reports at its birth (core_domain_move from
 * -1, which precedes its sched_process_fork) or else its parent's at the
 * fork event, and what core_domain_move events change it to later.  A
 * move applies when it is traced, also to a task that runs: its CPU is
 * judged by the new domain from that instant, against every sibling (the
 * kernel traces the move of a running task when it takes effect, so
 * nothing is exempt).  The idle task (pid 0) and the CPU stoppers (by
 * pid, found in /proc when the timeline is made) run no domain; anything
 * else is host.  Every CPU the trace shows is compared, whatever it was
 * doing when tracing began: its first sched_switch tells what it ran
 * until then (prev_pid).  The topology is the union of what sysfs showed
 * for every CPU, re-read when a CPU without one appears (hotplug).
 *
 * Ids are reused once a domain is freed, so the checker judges domain
 * instances, not ids: every core_domain_new event starts a new generation
 * of its id, a task moved (or born) into the id from then on belongs to
 * that generation, and one that still holds an older generation is in
 * another domain.  A task known from before the trace (snapshot, seed)
 * holds generation 0, the domain the id named when tracing began.
 */
#ifndef CD_TIMELINE_H
#define CD_TIMELINE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CD_MAXCPU	1024
#define CD_MAXPID	(1 << 22)
#define CD_MAXID	(1 << 20)	/* CORE_DOMAIN_ID_MAX + 1 */
#define CD_GEN_SHIFT	20
#define CD_NONE		-1
#define CD_HOST		0

/* A domain instance: its id and the generation of that id. */
#define CD_ID(d)	((d) > 0 ? (int)((d) & (CD_MAXID - 1)) : (int)(d))
#define CD_GEN(d)	((d) > 0 ? (long)((d) >> CD_GEN_SHIFT) : 0L)

struct timeline {
	int ncpu;
	int sibling_of[CD_MAXCPU][8];
	int nsib[CD_MAXCPU];
	long dom[CD_MAXCPU];		/* current domain per CPU, CD_NONE idle */
	int cur[CD_MAXCPU];		/* pid running per CPU, -1 unknown */
	int known[CD_MAXCPU];
	long *pid_dom;			/* domain instance, -1: host */
	char *born;			/* domain reported at birth */
	char *stopper;			/* pids of the CPU stoppers */
	int *gen;			/* current generation per id */
	char *seen;			/* ids some task was known to hold */
	long switches, violations, forks, moves;
	long news, reused;		/* core_domain_new events; of ids seen before */
	double worst_len, open_since[CD_MAXCPU];
};

/* Add what sysfs shows now to the sibling lists (never removes any). */
static void read_topology(struct timeline *tl)
{
	char path[128], buf[256];
	int cpu, i;

	for (cpu = 0; cpu < CD_MAXCPU; cpu++) {
		FILE *f;
		char *tok, *save;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (cpu >= tl->ncpu)
			tl->ncpu = cpu + 1;
		for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
			int lo, hi, s;

			if (sscanf(tok, "%d-%d", &lo, &hi) != 2)
				hi = lo = atoi(tok);
			for (s = lo; s <= hi && s < CD_MAXCPU; s++) {
				for (i = 0; i < tl->nsib[cpu]; i++)
					if (tl->sibling_of[cpu][i] == s)
						break;
				if (i == tl->nsib[cpu] && i < 8)
					tl->sibling_of[cpu][tl->nsib[cpu]++] = s;
			}
		}
	}
	/* Siblings are symmetric: one side's list seen while the other was offline. */
	for (cpu = 0; cpu < tl->ncpu; cpu++)
		for (i = 0; i < tl->nsib[cpu]; i++) {
			int s = tl->sibling_of[cpu][i], j;

			for (j = 0; j < tl->nsib[s]; j++)
				if (tl->sibling_of[s][j] == cpu)
					break;
			if (j == tl->nsib[s] && j < 8)
				tl->sibling_of[s][tl->nsib[s]++] = cpu;
		}
}

/* The CPU stoppers: kernel threads (parent kthreadd) named migration/N. */
static void find_stoppers(struct timeline *tl)
{
	char path[64], buf[256];
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		int pid = atoi(de->d_name), ppid;
		char comm[64];
		FILE *f;

		if (pid <= 0 || pid >= CD_MAXPID)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) &&
		    sscanf(buf, "%*d (%63[^)]) %*c %d", comm, &ppid) == 2 &&
		    ppid == 2 && !strncmp(comm, "migration/", 10))
			tl->stopper[pid] = 1;
		fclose(f);
	}
	closedir(dir);
}

static long task_domain(struct timeline *tl, int pid)
{
	if (pid == 0 || (pid > 0 && pid < CD_MAXPID && tl->stopper[pid]))
		return CD_NONE;
	if (pid > 0 && pid < CD_MAXPID && tl->pid_dom[pid] >= 0)
		return tl->pid_dom[pid];
	return CD_HOST;
}

static double field_ts(const char *line)
{
	const char *p = strstr(line, "] ");
	double ts;

	/* "comm-pid [cpu] flags ts: event:" */
	if (!p)
		return -1;
	p = strchr(p + 2, ' ');
	if (!p || sscanf(p, " %lf:", &ts) != 1)
		return -1;
	return ts;
}

/* The instance a task entering id @id now belongs to; 0 stays host (-1). */
static long tl_inst(struct timeline *tl, int id)
{
	if (id <= 0 || id >= CD_MAXID)
		return id > 0 ? id : -1;
	tl->seen[id] = 1;
	return id | ((long)tl->gen[id] << CD_GEN_SHIFT);
}

/* "domain 7", or "domain 7 (generation 2)" for a reused id. */
static const char *dom_name(long d, char *buf, size_t len)
{
	if (CD_GEN(d))
		snprintf(buf, len, "domain %d (generation %ld)", CD_ID(d), CD_GEN(d));
	else
		snprintf(buf, len, "domain %d", CD_ID(d));
	return buf;
}

/* From @ts on, @cpu runs @pid in domain @d: compare with every sibling. */
static void cpu_runs(struct timeline *tl, int cpu, double ts, int pid, long d)
{
	char n1[48], n2[48];

	int i, bad = 0;

	tl->dom[cpu] = d;
	tl->cur[cpu] = pid;
	tl->known[cpu] = 1;
	for (i = 0; i < tl->nsib[cpu]; i++) {
		int s = tl->sibling_of[cpu][i];

		if (s == cpu || !tl->known[s])
			continue;
		if (d != CD_NONE && tl->dom[s] != CD_NONE && tl->dom[s] != d) {
			bad = 1;
			if (tl->violations < 5)
				fprintf(stderr, "# overlap at %.6f: cpu%d runs %s (pid %d), "
					"sibling cpu%d runs %s (pid %d)\n",
					ts, cpu, dom_name(d, n1, sizeof(n1)), pid, s,
					dom_name(tl->dom[s], n2, sizeof(n2)), tl->cur[s]);
		}
	}
	if (bad) {
		tl->violations++;
		if (tl->open_since[cpu] == 0)
			tl->open_since[cpu] = ts;
	} else if (tl->open_since[cpu] != 0) {
		if (ts - tl->open_since[cpu] > tl->worst_len)
			tl->worst_len = ts - tl->open_since[cpu];
		tl->open_since[cpu] = 0;
	}
}

static void on_switch(struct timeline *tl, int cpu, double ts, int prev, int pid)
{
	if (!tl->known[cpu] && !tl->nsib[cpu])
		read_topology(tl);	/* a CPU that was offline */
	/* What it ran since tracing began, until now. */
	if (!tl->known[cpu] && prev >= 0)
		cpu_runs(tl, cpu, ts, prev, task_domain(tl, prev));
	tl->switches++;
	cpu_runs(tl, cpu, ts, pid, task_domain(tl, pid));
}

/* @pid runs in id @d from @ts on; if it runs now, its CPU with it. */
static void on_move(struct timeline *tl, double ts, int pid, int d)
{
	int cpu;

	tl->pid_dom[pid] = tl_inst(tl, d);
	for (cpu = 0; cpu < tl->ncpu; cpu++)
		if (tl->known[cpu] && tl->cur[cpu] == pid)
			cpu_runs(tl, cpu, ts, pid, task_domain(tl, pid));
}

/* CPUs that were online but never seen switching: not compared at all. */
static inline int tl_uncovered(struct timeline *tl)
{
	int cpu, n = 0;

	for (cpu = 0; cpu < tl->ncpu; cpu++)
		if (tl->nsib[cpu] && !tl->known[cpu])
			n++;
	return n;
}

/*
 * What every thread's domain is now (CoreDomain in /proc/PID/task/TID/
 * status): tasks that existed before tracing began are judged by their
 * real domains, not taken for host tasks.  Call it once tracing is on, so
 * that a move after the snapshot is in the trace; seeds and trace events
 * override it.
 */
static inline void tl_snapshot(struct timeline *tl)
{
	char path[96], line[128];
	struct dirent *de, *te;
	DIR *dir = opendir("/proc");

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		int pid = atoi(de->d_name);
		DIR *tdir;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		tdir = opendir(path);
		if (!tdir)
			continue;
		while ((te = readdir(tdir))) {
			int tid = atoi(te->d_name), d;
			FILE *f;

			if (tid <= 0 || tid >= CD_MAXPID)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
			f = fopen(path, "r");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				if (sscanf(line, "CoreDomain: %d", &d) == 1) {
					tl->pid_dom[tid] = tl_inst(tl, d);
					break;
				}
			fclose(f);
		}
		closedir(tdir);
	}
	closedir(dir);
}

/*
 * Seed: @pid (and what it forks) runs in domain @dom, the domain that id
 * named when tracing began.
 */
static inline void tl_seed(struct timeline *tl, int pid, int dom)
{
	if (pid > 0 && pid < CD_MAXPID)
		tl->pid_dom[pid] = tl_inst(tl, dom);
}

static struct timeline *tl_new(void)
{
	struct timeline *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return NULL;
	tl->pid_dom = malloc(sizeof(long) * CD_MAXPID);
	tl->born = calloc(CD_MAXPID, 1);
	tl->stopper = calloc(CD_MAXPID, 1);
	tl->gen = calloc(CD_MAXID, sizeof(int));
	tl->seen = calloc(CD_MAXID, 1);
	if (!tl->pid_dom || !tl->born || !tl->stopper || !tl->gen || !tl->seen) {
		free(tl->pid_dom);
		free(tl->born);
		free(tl->stopper);
		free(tl->gen);
		free(tl->seen);
		free(tl);
		return NULL;
	}
	memset(tl->pid_dom, 0xff, sizeof(long) * CD_MAXPID);
	memset(tl->cur, 0xff, sizeof(tl->cur));
	read_topology(tl);
	find_stoppers(tl);
	return tl;
}

static void tl_free(struct timeline *tl)
{
	free(tl->seen);
	free(tl->gen);
	free(tl->stopper);
	free(tl->born);
	free(tl->pid_dom);
	free(tl);
}

/* One line of the trace; returns its CPU, or -1 for a line of no event. */
static inline int tl_line(struct timeline *tl, const char *line)
{
	const char *b = strchr(line, '[');
	int ppid, cpid, npid, prev, cpu;
	const char *e;
	double ts;

	if (line[0] == '#' || !b || sscanf(b, "[%d]", &cpu) != 1 ||
	    cpu < 0 || cpu >= CD_MAXCPU)
		return -1;
	ts = field_ts(line);
	e = strstr(line, ": sched_switch: ");
	if (e) {
		const char *pp = strstr(e, " prev_pid=");
		const char *n = strstr(e, "==> next_comm=");

		if (!pp || sscanf(pp, " prev_pid=%d", &prev) != 1)
			prev = -1;
		n = n ? strstr(n, " next_pid=") : NULL;
		if (!n || sscanf(n, " next_pid=%d", &npid) != 1)
			return cpu;
		on_switch(tl, cpu, ts, prev, npid);
		return cpu;
	}
	e = strstr(line, ": sched_process_fork: ");
	if (e) {
		const char *p = strstr(e, " pid=");
		const char *c = strstr(e, " child_pid=");

		if (!p || !c || sscanf(p, " pid=%d", &ppid) != 1 ||
		    sscanf(c, " child_pid=%d", &cpid) != 1 ||
		    cpid <= 0 || cpid >= CD_MAXPID || ppid <= 0 || ppid >= CD_MAXPID)
			return cpu;
		/* The parent may have moved since: trust the birth. */
		if (tl->born[cpid])
			tl->born[cpid] = 0;
		else
			tl->pid_dom[cpid] = tl->pid_dom[ppid];
		tl->forks++;
		return cpu;
	}
	e = strstr(line, ": core_domain_move: ");
	if (e) {
		const char *p = strstr(e, " pid=");
		const char *fr = strstr(e, " from=");
		const char *t = strstr(e, " to=");
		int from, to;

		if (!p || !fr || !t || sscanf(p, " pid=%d", &cpid) != 1 ||
		    sscanf(fr, " from=%d", &from) != 1 ||
		    sscanf(t, " to=%d", &to) != 1 ||
		    cpid <= 0 || cpid >= CD_MAXPID)
			return cpu;
		if (from == CD_NONE) {
			tl->pid_dom[cpid] = tl_inst(tl, to);
			tl->born[cpid] = 1;
		} else {
			on_move(tl, ts, cpid, to);
			tl->moves++;
		}
		return cpu;
	}
	e = strstr(line, ": core_domain_new: ");
	if (e) {
		const char *i = strstr(e, " id=");
		int id;

		if (!i || sscanf(i, " id=%d", &id) != 1 || id <= 0 || id >= CD_MAXID)
			return cpu;
		/* From here on the id names another domain. */
		if (tl->seen[id])
			tl->reused++;
		tl->gen[id]++;
		tl->news++;
	}
	return cpu;
}

static inline int check_trace(struct timeline *tl, FILE *f)
{
	char line[1024];

	while (fgets(line, sizeof(line), f))
		tl_line(tl, line);
	return 0;
}

#endif /* CD_TIMELINE_H */
