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
 * fork event, and what core_domain_move events change it to later (a task
 * switched in runs in the domain it had then, until it next switches or
 * core_domain_resume says it goes on in its new one);
 * the idle task and the stoppers (migration/N, exempt) run no domain;
 * anything else is host.
 */
#ifndef CD_TIMELINE_H
#define CD_TIMELINE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CD_MAXCPU	64
#define CD_MAXPID	(1 << 22)
#define CD_NONE		-1
#define CD_HOST		0

struct timeline {
	int ncpu;
	int sibling_of[CD_MAXCPU][8];
	int nsib[CD_MAXCPU];
	int dom[CD_MAXCPU];		/* current domain per CPU, CD_NONE idle */
	int known[CD_MAXCPU];
	int *pid_dom;			/* -1: host */
	char *born;			/* domain reported at birth */
	long switches, violations, forks, moves;
	double worst_len, open_since[CD_MAXCPU];
};

static void read_topology(struct timeline *tl)
{
	char path[128], buf[128];
	int cpu;

	for (cpu = 0; cpu < CD_MAXCPU; cpu++) {
		FILE *f;
		char *tok, *save;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		tl->nsib[cpu] = 0;
		for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
			int lo, hi, s;

			if (sscanf(tok, "%d-%d", &lo, &hi) != 2)
				hi = lo = atoi(tok);
			for (s = lo; s <= hi && tl->nsib[cpu] < 8; s++)
				tl->sibling_of[cpu][tl->nsib[cpu]++] = s;
		}
		tl->dom[cpu] = CD_NONE;
		tl->known[cpu] = 0;
	}
	tl->ncpu = cpu;
}

static int task_domain(struct timeline *tl, int pid, const char *comm)
{
	if (pid == 0 || !strncmp(comm, "migration/", 10))
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

static void on_switch(struct timeline *tl, int cpu, double ts, int pid,
		      const char *comm)
{
	int d = task_domain(tl, pid, comm), i, bad = 0;

	tl->switches++;
	tl->dom[cpu] = d;
	tl->known[cpu] = 1;
	for (i = 0; i < tl->nsib[cpu]; i++) {
		int s = tl->sibling_of[cpu][i];

		if (s == cpu || !tl->known[s])
			continue;
		if (d != CD_NONE && tl->dom[s] != CD_NONE && tl->dom[s] != d) {
			bad = 1;
			if (tl->violations < 5)
				fprintf(stderr, "# overlap at %.6f: cpu%d runs domain %d (pid %d), sibling cpu%d runs domain %d\n",
					ts, cpu, d, pid, s, tl->dom[s]);
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

/* Seed: @pid (and what it forks) runs in domain @dom. */
static inline void tl_seed(struct timeline *tl, int pid, int dom)
{
	if (pid > 0 && pid < CD_MAXPID)
		tl->pid_dom[pid] = dom;
}

static struct timeline *tl_new(void)
{
	struct timeline *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return NULL;
	tl->pid_dom = malloc(sizeof(int) * CD_MAXPID);
	tl->born = calloc(CD_MAXPID, 1);
	if (!tl->pid_dom || !tl->born) {
		free(tl->pid_dom);
		free(tl->born);
		free(tl);
		return NULL;
	}
	memset(tl->pid_dom, 0xff, sizeof(int) * CD_MAXPID);
	read_topology(tl);
	return tl;
}

static void tl_free(struct timeline *tl)
{
	free(tl->born);
	free(tl->pid_dom);
	free(tl);
}

static inline int check_trace(struct timeline *tl, FILE *f)
{
	char line[1024], comm[64];
	int ppid, cpid, npid, cpu;

	while (fgets(line, sizeof(line), f)) {
		const char *b = strchr(line, '[');
		const char *e;
		double ts;

		if (line[0] == '#' || !b || sscanf(b, "[%d]", &cpu) != 1 ||
		    cpu < 0 || cpu >= tl->ncpu)
			continue;
		ts = field_ts(line);
		e = strstr(line, ": sched_switch: ");
		if (e) {
			const char *n = strstr(e, "==> next_comm=");

			if (!n || sscanf(n, "==> next_comm=%63s", comm) != 1)
				continue;
			n = strstr(n, " next_pid=");
			if (!n || sscanf(n, " next_pid=%d", &npid) != 1)
				continue;
			on_switch(tl, cpu, ts, npid, comm);
			continue;
		}
		e = strstr(line, ": sched_process_fork: ");
		if (e) {
			const char *p = strstr(e, " pid=");
			const char *c = strstr(e, " child_pid=");

			if (!p || !c || sscanf(p, " pid=%d", &ppid) != 1 ||
			    sscanf(c, " child_pid=%d", &cpid) != 1 ||
			    cpid <= 0 || cpid >= CD_MAXPID || ppid <= 0 || ppid >= CD_MAXPID)
				continue;
			/* The parent may have moved since: trust the birth. */
			if (tl->born[cpid])
				tl->born[cpid] = 0;
			else
				tl->pid_dom[cpid] = tl->pid_dom[ppid];
			tl->forks++;
			continue;
		}
		e = strstr(line, ": core_domain_resume: ");
		if (e) {
			const char *p = strstr(e, " pid=");

			/* Picked again in its new domain: a switch-in. */
			if (p && sscanf(p, " pid=%d", &npid) == 1)
				on_switch(tl, cpu, ts, npid, "");
			continue;
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
				continue;
			tl->pid_dom[cpid] = to ? to : -1;
			if (from == CD_NONE)
				tl->born[cpid] = 1;
			else
				tl->moves++;
		}
	}
	return 0;
}

#endif /* CD_TIMELINE_H */
