/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM core_domain

#if !defined(_TRACE_CORE_DOMAIN_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_CORE_DOMAIN_H

#include <linux/tracepoint.h>

/*
 * Core domains (kernel/sched/core_tag.c).  Domain ids are printed as
 * signed numbers: -1 means no domain (idle).
 */

/**
 * core_domain_flip - a core starts running another domain
 * @cpu:	the CPU whose claim flipped the core
 * @from:	the domain the core ran before
 * @to:		the domain it runs now
 */
TRACE_EVENT(core_domain_flip,
	TP_PROTO(int cpu, u32 from, u32 to),
	TP_ARGS(cpu, from, to),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(int, from)
		__field(int, to)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->from = (int)from;
		__entry->to = (int)to;
	),
	TP_printk("cpu=%d from=%d to=%d", __entry->cpu, __entry->from,
		  __entry->to)
);

/**
 * core_domain_move - a task's move into another domain takes effect
 * @p:		the task
 * @from:	the domain it ran in, -1 for a task being created by fork
 * @to:		the domain it runs in from this event on
 *
 * For a task that does not run, when it is moved.  A task moved while it
 * runs goes on in @from until its CPU picks it again (then this is traced
 * there, under the core lock, before a sibling can start what it leaves)
 * or it switches out (traced right after that sched_switch).
 */
TRACE_EVENT(core_domain_move,
	TP_PROTO(struct task_struct *p, u32 from, u32 to),
	TP_ARGS(p, from, to),
	TP_STRUCT__entry(
		__array(char, comm, TASK_COMM_LEN)
		__field(pid_t, pid)
		__field(int, from)
		__field(int, to)
	),
	TP_fast_assign(
		memcpy(__entry->comm, p->comm, TASK_COMM_LEN);
		__entry->pid = p->pid;
		__entry->from = (int)from;
		__entry->to = (int)to;
	),
	TP_printk("comm=%s pid=%d from=%d to=%d", __entry->comm, __entry->pid,
		  __entry->from, __entry->to)
);

/**
 * core_domain_new - a domain is created and takes its id
 * @id:		the id, from here on this domain's until its last reference
 *		goes; a later domain may take it again
 * @parent:	the id of the confining domain it is nested in, 0 for none
 *
 * Traced before any task can be moved into the domain, so a trace tells
 * two domains that had the same id apart: a task moved into @id after
 * this event belongs to this domain, one moved before it to an older one.
 */
TRACE_EVENT(core_domain_new,
	TP_PROTO(u32 id, u32 parent),
	TP_ARGS(id, parent),
	TP_STRUCT__entry(
		__field(u32, id)
		__field(u32, parent)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->parent = parent;
	),
	TP_printk("id=%u parent=%u", __entry->id, __entry->parent)
);

/**
 * core_domain_kick - a CPU makes a sibling vacate the core
 * @from:	the waiting CPU
 * @to:		the CPU kicked (may be @from itself)
 * @domain:	the domain the core is reserved for
 */
TRACE_EVENT(core_domain_kick,
	TP_PROTO(int from, int to, u32 domain),
	TP_ARGS(from, to, domain),
	TP_STRUCT__entry(
		__field(int, from)
		__field(int, to)
		__field(int, domain)
	),
	TP_fast_assign(
		__entry->from = from;
		__entry->to = to;
		__entry->domain = (int)domain;
	),
	TP_printk("from=%d to=%d domain=%d", __entry->from, __entry->to,
		  __entry->domain)
);

/**
 * core_domain_forceidle - a CPU starts or stops idling for isolation
 * @cpu:	the CPU
 * @domain:	the domain of the task it waits to run
 * @start:	true when forced idle begins, false when it ends
 */
TRACE_EVENT(core_domain_forceidle,
	TP_PROTO(int cpu, u32 domain, bool start),
	TP_ARGS(cpu, domain, start),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(int, domain)
		__field(bool, start)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->domain = (int)domain;
		__entry->start = start;
	),
	TP_printk("cpu=%d domain=%d %s", __entry->cpu, __entry->domain,
		  __entry->start ? "start" : "end")
);

/**
 * core_domain_steal - a forced-idle CPU pulls a task of its core's domain
 * @cpu:	the forced-idle CPU
 * @from:	the CPU the task was queued on
 * @p:		the task
 * @domain:	its domain, the one the core runs
 */
TRACE_EVENT(core_domain_steal,
	TP_PROTO(int cpu, int from, struct task_struct *p, u32 domain),
	TP_ARGS(cpu, from, p, domain),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(int, from)
		__field(pid_t, pid)
		__field(int, domain)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->from = from;
		__entry->pid = p->pid;
		__entry->domain = (int)domain;
	),
	TP_printk("cpu=%d from=%d pid=%d domain=%d", __entry->cpu,
		  __entry->from, __entry->pid, __entry->domain)
);

/**
 * core_domain_guest - a vCPU is about to enter guest mode
 * @domain:	the domain its thread runs under
 *
 * Traced before the thread gives up host code: from here until its next
 * kvm_entry it runs no host-kernel code but the interrupts it takes.
 */
TRACE_EVENT(core_domain_guest,
	TP_PROTO(u32 domain),
	TP_ARGS(domain),
	TP_STRUCT__entry(
		__field(int, domain)
	),
	TP_fast_assign(
		__entry->domain = (int)domain;
	),
	TP_printk("domain=%d", __entry->domain)
);

DECLARE_EVENT_CLASS(core_domain_protection,
	TP_PROTO(u32 domain, bool protected),
	TP_ARGS(domain, protected),
	TP_STRUCT__entry(
		__field(int, domain)
		__field(bool, protected)
	),
	TP_fast_assign(
		__entry->domain = (int)domain;
		__entry->protected = protected;
	),
	TP_printk("domain=%d protected=%d", __entry->domain,
		  __entry->protected)
);

/**
 * core_domain_host - a vCPU leaves guest mode for host code
 * @domain:	the domain its thread runs under
 * @protected:	whether it left protected guest code (kernel level): from
 *		here its siblings are out of protected code until it
 *		enters the guest again
 */
DEFINE_EVENT(core_domain_protection, core_domain_host,
	TP_PROTO(u32 domain, bool protected),
	TP_ARGS(domain, protected)
);

/**
 * core_domain_user - a task of a domain returns to user mode
 * @domain:	the domain it runs under
 * @protected:	whether it is of the kernel level: then it is in
 *		protected code from here on, and no sibling runs host code
 *		until it traces core_domain_kernel
 *
 * Traced with interrupts off, after the last wait, while kernel-entry
 * protection is on.
 */
DEFINE_EVENT(core_domain_protection, core_domain_user,
	TP_PROTO(u32 domain, bool protected),
	TP_ARGS(domain, protected)
);

/**
 * core_domain_kernel - a task of a domain entered the kernel from user mode
 * @domain:	the domain it runs under
 * @protected:	whether it left protected code: until this CPU has
 *		traced this, no sibling runs host code
 *
 * Traced first thing after the entry, before the CPU takes up host code,
 * while kernel-entry protection is on.
 */
DEFINE_EVENT(core_domain_protection, core_domain_kernel,
	TP_PROTO(u32 domain, bool protected),
	TP_ARGS(domain, protected)
);

#endif /* _TRACE_CORE_DOMAIN_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
