/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel-entry checker of vm_test: from the same text trace as the
 * isolation checker (cd_timeline.h, which it runs line by line beside it
 * for the tasks' domains and the topology), find every instant at which
 * one thread of a core ran guest or user code of a protected domain while
 * another thread of that core ran host-kernel code.  That is invariant K
 * of Documentation/scheduler/core-domain.rst, as far as tracepoints show
 * it.
 *
 * Guest code runs on a CPU from kvm_entry to kvm_exit, both traced by the
 * vCPU thread with interrupts off inside the protected window.  User code
 * runs from core_domain_user (traced after the last wait to enter
 * protected code) to the CPU's next event, which for a protected task is
 * core_domain_kernel (traced on entry before the CPU takes up host code).
 * Host kernel code is, on a CPU:
 *   - every traced event but kvm_entry, kvm_exit, core_domain_user and
 *     core_domain_kernel, which a protected task traces inside its
 *     protected window (a tracepoint is kernel code);
 *   - the span of an interrupt handler (irq_handler_entry..exit), of an
 *     interrupt vector (irq_vectors' X_entry..X_exit) and of a softirq
 *     (softirq_entry..exit), nested as they come;
 *   - the span in which the task it runs is in a system call
 *     (sys_enter..sys_exit, while the task is on that CPU), but for the
 *     KVM_RUN of a vCPU thread only from core_domain_host (its exit left
 *     the fast path) to core_domain_guest (it is about to enter again),
 *     or from kvm_exit to kvm_entry where those two are not traced (the
 *     kernel has not turned kernel-entry protection on).
 * A span opens at an event traced after the CPU entered host code and
 * closes at one traced before it left, so every exposure counted is real;
 * kvm_exit to core_domain_host (the fast path) and core_domain_guest to
 * kvm_entry (the entry) are neither guest nor host spans.
 *
 * The caller names the domains to judge as protected: those it created at
 * the kernel level, or, for a control, the domains its VMs would have had.
 */
#ifndef CD_KENTRY_H
#define CD_KENTRY_H

#include "cd_timeline.h"

enum {
	KE_EVENT,	/* a traced event */
	KE_IRQ,
	KE_VECTOR,
	KE_SOFTIRQ,
	KE_SYSCALL,
	KE_VCPU_EXIT,	/* a vCPU thread's host code after an exit */
	KE_NKIND,
};

static const char * const ke_kind_name[KE_NKIND] = {
	"event", "irq", "vector", "softirq", "syscall", "vcpu-exit",
};

/* A task's state, per pid. */
enum {
	KT_USER,	/* or unknown: not in the kernel as far as traced */
	KT_SYSCALL,	/* host code of a system call */
	KT_VCPU_EXIT,	/* host code of KVM_RUN after an exit */
	KT_FAST,	/* after kvm_exit, before core_domain_host */
	KT_ENTER,	/* after core_domain_guest, before kvm_entry */
	KT_GUEST,	/* from kvm_entry to kvm_exit */
};

#define KE_MAXJUDGED	16

struct kentry {
	struct timeline *tl;
	long judged[KE_MAXJUDGED];	/* domains judged protected */
	int njudged;
	int cur[CD_MAXCPU];		/* the task a CPU's last event ran */
	int guest[CD_MAXCPU];		/* pid in judged guest or user code, or -1 */
	char user[CD_MAXCPU];		/* ... and it is user code */
	long guest_dom[CD_MAXCPU];
	double guest_since[CD_MAXCPU];
	int depth[CD_MAXCPU][3];	/* open irq, vector, softirq spans */
	char *task;			/* KT_* per pid */
	long exposures[KE_NKIND];
	long entries;			/* judged guest entries */
	double guest_time;		/* in judged guest code, CPU seconds */
	long user_entries;		/* judged returns to user mode */
	double user_time;		/* in judged user code, CPU seconds */
	long sys_spans, exit_spans;	/* host spans of tasks, opened */
	int protection;			/* kernel-entry protection was on */
	int reported;
	double first_ts;		/* the first exposure: when, */
	int first_guest, first_host;	/* and on which two CPUs */
};

static struct kentry *ke_new(struct timeline *tl)
{
	struct kentry *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->task = calloc(CD_MAXPID, 1);
	if (!k->task) {
		free(k);
		return NULL;
	}
	k->tl = tl;
	memset(k->cur, 0xff, sizeof(k->cur));
	memset(k->guest, 0xff, sizeof(k->guest));
	return k;
}

static void ke_free(struct kentry *k)
{
	free(k->task);
	free(k);
}

static inline void ke_judge(struct kentry *k, long dom)
{
	if (k->njudged < KE_MAXJUDGED)
		k->judged[k->njudged++] = dom;
}

static int ke_judged(struct kentry *k, long dom)
{
	int i;

	for (i = 0; i < k->njudged; i++)
		if (k->judged[i] == dom)
			return 1;
	return 0;
}

/* The pid of "comm-pid [cpu] ...", the task current when it was traced. */
static int ke_line_pid(const char *line)
{
	const char *b = strchr(line, '[');
	const char *p;

	if (!b)
		return -1;
	for (p = b - 1; p > line && *p == ' '; p--)
		;
	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == line || p[-1] != '-')
		return -1;
	return atoi(p);
}

/* The event's name: "... ts: name: fields". */
static int ke_event(const char *line, char *name, size_t len)
{
	const char *p = strstr(line, "] ");
	const char *e;

	if (!p)
		return -1;
	p = strchr(p + 2, ':');
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	e = strchr(p, ':');
	if (!e || (size_t)(e - p) >= len)
		return -1;
	memcpy(name, p, e - p);
	name[e - p] = '\0';
	return 0;
}

static int ke_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Which host span @cpu is in, KE_NKIND for none. */
static int ke_host_kind(struct kentry *k, int cpu)
{
	int pid = k->cur[cpu];

	if (k->depth[cpu][0])
		return KE_IRQ;
	if (k->depth[cpu][1])
		return KE_VECTOR;
	if (k->depth[cpu][2])
		return KE_SOFTIRQ;
	if (pid > 0 && pid < CD_MAXPID) {
		if (k->task[pid] == KT_SYSCALL)
			return KE_SYSCALL;
		if (k->task[pid] == KT_VCPU_EXIT)
			return KE_VCPU_EXIT;
	}
	return KE_NKIND;
}

static void ke_expose(struct kentry *k, double ts, int guest_cpu, int cpu,
		      int kind, const char *what)
{
	k->exposures[kind]++;
	if (!k->reported) {
		k->first_ts = ts;
		k->first_guest = guest_cpu;
		k->first_host = cpu;
	}
	if (k->reported++ < 5)
		fprintf(stderr, "# exposure at %.6f: cpu%d runs %s code of domain %d (pid %d), sibling cpu%d runs host %s (pid %d, %s)\n",
			ts, guest_cpu, k->user[guest_cpu] ? "user" : "guest",
			CD_ID(k->guest_dom[guest_cpu]),
			k->guest[guest_cpu], cpu, ke_kind_name[kind], k->cur[cpu],
			what);
}

/* @cpu runs host code of @kind now: no sibling may be in judged guest code. */
static void ke_host_now(struct kentry *k, int cpu, double ts, int kind,
			const char *what)
{
	struct timeline *tl = k->tl;
	int i;

	for (i = 0; i < tl->nsib[cpu]; i++) {
		int s = tl->sibling_of[cpu][i];

		if (s != cpu && k->guest[s] >= 0)
			ke_expose(k, ts, s, cpu, kind, what);
	}
}

/* @cpu enters judged code now: no sibling may be in a host span. */
static void ke_guest_now(struct kentry *k, int cpu, double ts)
{
	struct timeline *tl = k->tl;
	int i;

	for (i = 0; i < tl->nsib[cpu]; i++) {
		int s = tl->sibling_of[cpu][i];
		int kind;

		if (s == cpu)
			continue;
		kind = ke_host_kind(k, s);
		if (kind != KE_NKIND)
			ke_expose(k, ts, cpu, s, kind, "span open at entry");
	}
}

static void ke_set_task(struct kentry *k, int cpu, double ts, int pid, int st,
			const char *name)
{
	if (pid <= 0 || pid >= CD_MAXPID)
		return;
	if (st == KT_SYSCALL && k->task[pid] != KT_SYSCALL)
		k->sys_spans++;
	if (st == KT_VCPU_EXIT && k->task[pid] != KT_VCPU_EXIT)
		k->exit_spans++;
	k->task[pid] = st;
	if (st == KT_SYSCALL || st == KT_VCPU_EXIT)
		ke_host_now(k, cpu, ts, st == KT_SYSCALL ? KE_SYSCALL : KE_VCPU_EXIT,
			    name);
}

static void ke_span(struct kentry *k, int cpu, double ts, int which, int open,
		    const char *name)
{
	static const int kind[3] = { KE_IRQ, KE_VECTOR, KE_SOFTIRQ };

	if (open) {
		k->depth[cpu][which]++;
		ke_host_now(k, cpu, ts, kind[which], name);
	} else if (k->depth[cpu][which]) {
		k->depth[cpu][which]--;
	}
}

/* One line, after tl_line() has updated the domains and the topology. */
static void ke_line(struct kentry *k, const char *line, int cpu)
{
	int pid = ke_line_pid(line);
	char name[64];
	double ts;

	if (cpu < 0 || cpu >= CD_MAXCPU || ke_event(line, name, sizeof(name)))
		return;
	ts = field_ts(line);
	k->cur[cpu] = pid;

	/* Judged user code ends at the CPU's next event. */
	if (k->guest[cpu] >= 0 && k->user[cpu]) {
		k->user_time += ts - k->guest_since[cpu];
		k->guest[cpu] = -1;
		k->user[cpu] = 0;
	}
	if (!strcmp(name, "core_domain_kernel"))
		return;
	if (!strcmp(name, "core_domain_user")) {
		long dom = task_domain(k->tl, pid);

		if (!ke_judged(k, dom))
			return;
		k->guest[cpu] = pid;
		k->user[cpu] = 1;
		k->guest_dom[cpu] = dom;
		k->guest_since[cpu] = ts;
		k->user_entries++;
		ke_guest_now(k, cpu, ts);
		return;
	}
	if (!strcmp(name, "kvm_entry")) {
		long dom = task_domain(k->tl, pid);

		ke_set_task(k, cpu, ts, pid, KT_GUEST, name);
		if (!ke_judged(k, dom))
			return;
		k->guest[cpu] = pid;
		k->guest_dom[cpu] = dom;
		k->guest_since[cpu] = ts;
		k->entries++;
		ke_guest_now(k, cpu, ts);
		return;
	}
	if (!strcmp(name, "kvm_exit")) {
		if (k->guest[cpu] >= 0)
			k->guest_time += ts - k->guest_since[cpu];
		k->guest[cpu] = -1;
		/* Without protection on, host code follows at once. */
		ke_set_task(k, cpu, ts, pid,
			    k->protection ? KT_FAST : KT_VCPU_EXIT, name);
		return;
	}

	/* Every other event is host code of this CPU. */
	ke_host_now(k, cpu, ts, KE_EVENT, name);
	if (!strcmp(name, "irq_handler_entry"))
		ke_span(k, cpu, ts, 0, 1, name);
	else if (!strcmp(name, "irq_handler_exit"))
		ke_span(k, cpu, ts, 0, 0, name);
	else if (!strcmp(name, "softirq_entry"))
		ke_span(k, cpu, ts, 2, 1, name);
	else if (!strcmp(name, "softirq_exit"))
		ke_span(k, cpu, ts, 2, 0, name);
	else if (!strcmp(name, "sys_enter"))
		ke_set_task(k, cpu, ts, pid, KT_SYSCALL, name);
	else if (!strcmp(name, "sys_exit"))
		ke_set_task(k, cpu, ts, pid, KT_USER, name);
	else if (!strcmp(name, "core_domain_host"))
		ke_set_task(k, cpu, ts, pid, KT_VCPU_EXIT, name);
	else if (!strcmp(name, "core_domain_guest"))
		ke_set_task(k, cpu, ts, pid, KT_ENTER, name);
	else if (!strcmp(name, "kvm_userspace_exit"))
		ke_set_task(k, cpu, ts, pid, KT_SYSCALL, name);
	else if (strncmp(name, "kvm_", 4) &&
		 (ke_ends(name, "_entry") || ke_ends(name, "_exit")))
		ke_span(k, cpu, ts, 1, ke_ends(name, "_entry"), name);
	if (!strcmp(name, "sched_switch")) {
		const char *n = strstr(line, " next_pid=");
		int next;

		if (n && sscanf(n, " next_pid=%d", &next) == 1) {
			k->cur[cpu] = next;
			/* A task switched in mid-syscall runs host code. */
			if (next > 0 && next < CD_MAXPID &&
			    (k->task[next] == KT_SYSCALL ||
			     k->task[next] == KT_VCPU_EXIT))
				ke_host_now(k, cpu, ts, k->task[next] == KT_SYSCALL ?
					    KE_SYSCALL : KE_VCPU_EXIT, name);
		}
	}
}

static long ke_total(struct kentry *k)
{
	long n = 0;
	int i;

	for (i = 0; i < KE_NKIND; i++)
		n += k->exposures[i];
	return n;
}

/*
 * The trace of the two CPUs of the first exposure, from @before seconds
 * before it to @after after: what a failure needs to be understood.
 */
static inline void ke_dump_first(struct kentry *k, FILE *f, double before,
				 double after)
{
	char line[1024];
	int cpu, n = 0;

	if (!k->reported)
		return;
	fprintf(stderr, "# the trace of cpu%d and cpu%d around %.6f:\n",
		k->first_guest, k->first_host, k->first_ts);
	while (fgets(line, sizeof(line), f) && n < 80) {
		const char *b = strchr(line, '[');
		double ts;

		if (line[0] == '#' || !b || sscanf(b, "[%d]", &cpu) != 1 ||
		    (cpu != k->first_guest && cpu != k->first_host))
			continue;
		ts = field_ts(line);
		if (ts < k->first_ts - before || ts > k->first_ts + after)
			continue;
		fprintf(stderr, "#   %s", line);
		n++;
	}
}

/* Both checkers over one trace. */
static inline void check_trace_kentry(struct timeline *tl, struct kentry *k,
				      FILE *f)
{
	char line[1024];

	while (fgets(line, sizeof(line), f))
		ke_line(k, line, tl_line(tl, line));
}

#endif /* CD_KENTRY_H */
