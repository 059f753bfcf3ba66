// SPDX-License-Identifier: GPL-2.0
/*
 * Core domains: per-core arbitration.
 *
 * Each SMT core has a small state protected by its own raw spinlock, taken
 * inside the (per-CPU, unchanged) runqueue locks.  For every CPU of the
 * core it records
 *
 *   cur  the domain the CPU has claimed for the task it runs or is about
 *        to run (CD_NONE: idle, stopper, offline), and
 *   old  the domain of the task it is still switching away from, until
 *        the switch has been traced (CD_NONE when nothing is leaving).
 *
 * The rule: a CPU may claim domain d only when every sibling's cur and old
 * are CD_NONE or d, and no sibling holds a reservation for another domain.
 * A claim happens in pick_next_task() before the task runs; old is cleared
 * right after the sched_switch tracepoint, so in any trace of sched_switch
 * the sibling's switch away from another domain precedes the claiming
 * CPU's switch in.
 *
 * When the task a CPU should run conflicts, the CPU runs a task of the
 * domain the core runs if it has one queued, else it idles (forced idle);
 * either way it records what it waits for ('want').  It takes the core
 * (a reservation that stops siblings from claiming anything else, and a
 * kick - an IPI that makes them reschedule) at once when its task is of a
 * higher class than what conflicts (deadline/RT over fair), or after the
 * wait bound when the classes are equal.  Siblings vacate at their next
 * scheduling point; each vacating CPU wakes the waiters, which re-pick.
 *
 * The runqueue locks stay per CPU: siblings coordinate only through this
 * state, irq_work kicks and resched IPIs.  Everything here is reached
 * only after the core_domain_key static branch, which is enabled when the
 * first domain is created.
 *
 * See Documentation/scheduler/core-domain.rst for the protocol and why it
 * is safe.
 */
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/mmu_context.h>
#include <linux/rbtree.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>

#include "sched.h"
#include "core_domain.h"

#define CREATE_TRACE_POINTS
#include <trace/events/core_domain.h>

DEFINE_STATIC_KEY_FALSE(core_domain_key);

/* How long a domain may hold a core while another of equal class waits. */
static unsigned int core_domain_wait_bound_us = 4000;

u32 core_domain_max_id = CORE_DOMAIN_ID_MAX;


/*
 * Class ranks: a waiter of a higher rank takes the core at once, one of a
 * lower rank waits however long the wait bound says.  Real-time tasks
 * rank by priority, as they would preempt each other on one CPU: a FIFO-1
 * task of one domain never takes the core from a FIFO-99 task of another.
 */
enum {
	CD_RANK_IDLE = -1,
	CD_RANK_FAIR,
	CD_RANK_KTHREAD,	/* fair kernel threads: the host's own work */
	CD_RANK_RT,		/* real-time priority 1 */
	CD_RANK_RT_MAX = CD_RANK_RT + MAX_RT_PRIO - 2,	/* priority 99 */
	CD_RANK_DL,
	CD_RANK_PUSH,	/* a CPU going offline, see core_domain_arbitrate() */
};

/**
 * struct cd_core - arbitration state of one SMT core
 * @lock:	protects this and the cur/old/want fields of every sibling.
 * @cpus:	the CPUs of the core: every possible CPU of it, online or
 *		not, from the topology at boot (core_domain_init_cores());
 *		fixed from then on, so that no order of onlining splits a
 *		core.  Offline CPUs claim nothing (CD_NONE).
 * @sib:	their per-CPU state, in the same order.
 * @nr_cpus:	how many.
 * @tag:	the domain the core last ran (for flip accounting).
 * @resv:	domain a waiting sibling has reserved the core for, or CD_NONE.
 * @resv_cpu:	the CPU holding the reservation.
 * @resv_rank:	the class rank the reservation was taken with.
 * @nr_flips:	times the core changed domain.
 */
struct cd_core {
	raw_spinlock_t		lock;
	int			cpus[CD_MAX_SMT];
	struct cd_cpu		*sib[CD_MAX_SMT];
	int			nr_cpus;
	u32			tag;
	u32			resv;
	int			resv_cpu;
	int			resv_rank;
	u64			nr_flips;
};

/**
 * struct cd_cpu - per-CPU arbitration state
 * @core:	the core this CPU belongs to, NULL while core domains are not
 *		available; set once at boot, before any reader.
 * @own:	core state, used when this CPU is the first of its core.
 * @cur:	claimed domain (see the header comment), under core->lock.
 * @old:	domain still leaving, under core->lock.
 * @rank:	class rank of what the CPU runs, under core->lock.
 * @want:	domain of the task this CPU waits to run, or CD_NONE.
 * @want_rank:	its class rank.
 * @fi_start:	rq clock when forced idle began, 0 if not forced idle.
 * @fi_task:	the task the forced idle is charged to, under the rq lock.
 * @tree:	queued tasks by (domain, class rank), under the rq lock.
 * @only:	the domain of every task in @tree, CD_NONE when it holds none or
 *		tasks of several; a hint, read without locks.
 * @mixed:	@tree holds tasks of several domains; a hint likewise.
 * @bound:	the wait-bound timer of a waiting CPU.
 * @kick:	irq_work that makes this CPU reschedule.
 * @fi_ns:	total forced-idle time.
 * @nr_fi:	forced-idle episodes.
 * @nr_alt:	picks that ran another task of the core's domain instead.
 * @nr_kicks:	kicks this CPU sent.
 * @nr_steals:	tasks this CPU pulled in while forced idle.
 * @nr_strangers: of those, tasks taken from a core of another domain.
 */
struct cd_cpu {
	struct cd_core		*core;
	struct cd_core		own;
	u32			cur;
	u32			old;
	int			rank;
	u32			want;
	int			want_rank;
	u64			fi_start;
	struct task_struct	*fi_task;
	bool			fair_waits;	/* core_domain_cpu_fair_waits() */
	struct rb_root		tree;
	u32			only;
	bool			mixed;
	struct hrtimer		bound;
	struct irq_work		kick;
	u64			fi_ns;
	u64			nr_fi;
	u64			nr_alt;
	u64			nr_kicks;
	u64			nr_steals;
	u64			nr_strangers;
};

static DEFINE_PER_CPU(struct cd_cpu, cd_cpus);

#define for_each_core_sibling(core, i, s, sc)				\
	for ((i) = 0; (i) < (core)->nr_cpus &&				\
	     ((s) = (core)->cpus[i], (sc) = (core)->sib[i], 1); (i)++)

static inline struct cd_cpu *cd_cpu(int cpu)
{
	return per_cpu_ptr(&cd_cpus, cpu);
}

/* The domain @p runs in; CD_NONE for the idle and stop classes. */
static inline u32 cd_task_domain(struct task_struct *p)
{
	if (is_idle_task(p) || p->sched_class == &stop_sched_class)
		return CD_NONE;
	return core_domain_id(p->core_domain);
}

/*
 * The rank of @p by its class alone: the key of the queued-task tree.  No
 * PF_IDLE here: play_idle_precise() sets it on a queued FIFO kthread
 * without re-queueing it, and a key must not change under the tree.
 */
static inline int cd_class_rank(struct task_struct *p)
{
	if (p->sched_class == &stop_sched_class)
		return CD_RANK_IDLE;
	if (dl_task(p))
		return CD_RANK_DL;
	if (rt_task(p))
		return CD_RANK_RT;
	/*
	 * ksoftirqd, kworkers, RCU and hotplug threads are short and others
	 * wait for them: they take the core from fair tasks of other
	 * domains at once instead of after the wait bound (softirqs left
	 * pending on a forced-idle CPU, hotplug taking seconds).
	 */
	if (p->flags & PF_KTHREAD)
		return CD_RANK_KTHREAD;
	return CD_RANK_FAIR;
}

static inline int cd_task_rank(struct task_struct *p)
{
	int rank;

	if (is_idle_task(p))
		return CD_RANK_IDLE;
	rank = cd_class_rank(p);
	/* p->prio: 98 for priority 1 ... 0 for 99, boosted ones included. */
	if (rank == CD_RANK_RT)
		rank += clamp(MAX_RT_PRIO - 2 - p->prio, 0, MAX_RT_PRIO - 2);
	return rank;
}

/* --- the tree of queued tasks, per CPU, ordered (domain, -rank, FIFO) --- */

#define __node_2_cd(node) rb_entry((node), struct task_struct, core_domain_node)

static inline bool cd_less(struct rb_node *a, const struct rb_node *b)
{
	struct task_struct *pa = __node_2_cd(a), *pb = __node_2_cd(b);
	u32 da = core_domain_id(pa->core_domain);
	u32 db = core_domain_id(pb->core_domain);

	if (da != db)
		return da < db;
	return cd_class_rank(pa) > cd_class_rank(pb);
}

static inline int cd_cmp(const void *key, const struct rb_node *node)
{
	u32 d = *(const u32 *)key;
	u32 nd = core_domain_id(__node_2_cd(node)->core_domain);

	if (d < nd)
		return -1;
	return d > nd;
}

static int cd_task_throttled(struct task_struct *p, int cpu)
{
	if (p->sched_class->task_is_throttled)
		return p->sched_class->task_is_throttled(p, cpu);
	return 0;
}

/*
 * May @cpu pull @p, queued on @rq, for forced-idle balancing?  Only a
 * fair task that waits where it is - its CPU idles for it, or its core
 * runs another domain - and may run on @cpu: a task that can run where
 * it is queued is the load balancer's business, and pulling those too
 * piled tasks up behind host kthreads (CPU hotplug took seconds).
 */
static bool cd_movable(struct rq *rq, struct task_struct *p, int cpu)
{
	int src = cpu_of(rq);

	if (p->sched_class != &fair_sched_class || task_on_cpu(rq, p) ||
	    is_migration_disabled(p) || !cpumask_test_cpu(cpu, p->cpus_ptr))
		return false;
	return cd_cpu(src)->fi_start || !core_domain_cpu_match(src, p);
}

/*
 * The first queued task of domain @d on @rq that can run on @cpu: not
 * throttled there and, when @cpu is not @rq's, one it may pull.  NULL
 * when there is none.
 */
static struct task_struct *cd_find_for(struct rq *rq, u32 d, int cpu)
{
	struct cd_cpu *cc = cd_cpu(cpu_of(rq));
	struct rb_node *node;
	struct task_struct *p;

	for (node = rb_find_first(&d, &cc->tree, cd_cmp); node;
	     node = rb_next(node)) {
		p = __node_2_cd(node);
		if (core_domain_id(p->core_domain) != d)
			break;
		if (cpu != cpu_of(rq) && !cd_movable(rq, p, cpu))
			continue;
		if (!cd_task_throttled(p, cpu))
			return p;
	}
	return NULL;
}

static inline u32 cd_node_domain(struct rb_node *node)
{
	return node ? core_domain_id(__node_2_cd(node)->core_domain) : CD_NONE;
}

/* Publish which domains @cc's tree holds, for forced-idle balancing. */
static void cd_tree_changed(struct cd_cpu *cc)
{
	u32 lo = cd_node_domain(rb_first(&cc->tree));
	u32 hi = cd_node_domain(rb_last(&cc->tree));

	WRITE_ONCE(cc->only, lo == hi ? lo : CD_NONE);
	WRITE_ONCE(cc->mixed, lo != hi);
}

/**
 * core_domain_enqueue - track a task queued on @rq
 * @rq: the runqueue, locked
 * @p: the task
 *
 * Delayed-dequeue tasks (EEVDF) are not runnable and are not tracked.
 */
void core_domain_enqueue(struct rq *rq, struct task_struct *p)
{
	struct cd_cpu *cc = cd_cpu(cpu_of(rq));

	if (p->se.sched_delayed || !RB_EMPTY_NODE(&p->core_domain_node))
		return;
	rb_add(&p->core_domain_node, &cc->tree, cd_less);
	cd_tree_changed(cc);
}

static void cd_account_fi(struct cd_cpu *cc, u64 now);
static void cd_queue_balance(struct rq *rq);
static void cd_stop_waiting(struct rq *rq, struct cd_cpu *cc);

/**
 * core_domain_dequeue - stop tracking a task leaving @rq
 * @rq: the runqueue, locked, clock updated
 * @p: the task
 */
void core_domain_dequeue(struct rq *rq, struct task_struct *p)
{
	struct cd_cpu *cc = cd_cpu(cpu_of(rq));

	/* Charge forced idle to @p now: it may never come back here. */
	if (cc->fi_task == p) {
		cd_account_fi(cc, rq_clock(rq));
		cc->fi_start = rq_clock(rq);
		cc->fi_task = NULL;
	}
	if (!RB_EMPTY_NODE(&p->core_domain_node)) {
		rb_erase(&p->core_domain_node, &cc->tree);
		RB_CLEAR_NODE(&p->core_domain_node);
		cd_tree_changed(cc);
	}
	/* @p is still counted in nr_running here. */
	if (READ_ONCE(cc->want) != CD_NONE && rq->curr == rq->idle &&
	    rq->nr_running <= 1)
		cd_stop_waiting(rq, cc);
}

/* --- kicks --- */

static void cd_kick_fn(struct irq_work *work)
{
	/* Hard IRQ on the target CPU: no switch can be in progress here. */
	set_tsk_need_resched(current);
	set_preempt_need_resched();
}

static void cd_kick(int from, int to, u32 d)
{
	struct cd_cpu *cc = cd_cpu(from);

	cc->nr_kicks++;
	trace_core_domain_kick(from, to, d);
	if (to == smp_processor_id())
		cd_kick_fn(NULL);
	else
		irq_work_queue_on(&cd_cpu(to)->kick, to);
}

/* Make every waiting sibling of @cpu re-pick.  Under core->lock. */
static void cd_wake_waiters(struct cd_core *core, int cpu)
{
	struct cd_cpu *sc;
	int i, s;

	for_each_core_sibling(core, i, s, sc) {
		if (s != cpu && sc->want != CD_NONE)
			irq_work_queue_on(&sc->kick, s);
	}
}

/* --- the rule --- */

static inline bool cd_compatible(u32 running, u32 d)
{
	return running == CD_NONE || running == d;
}

/* May @cpu claim domain @d?  Under core->lock. */
static bool cd_allowed(struct cd_core *core, int cpu, u32 d)
{
	struct cd_cpu *sc;
	int i, s;

	if (core->resv != CD_NONE && core->resv != d && core->resv_cpu != cpu)
		return false;
	for_each_core_sibling(core, i, s, sc) {
		if (s == cpu)
			continue;
		if (!cd_compatible(sc->cur, d) || !cd_compatible(sc->old, d))
			return false;
	}
	return true;
}

/*
 * The one domain @cpu could run now instead of its own choice: what its
 * siblings run, else what the core is reserved for.  CD_NONE when there
 * is none, or the siblings are between two domains.  Under core->lock.
 */
static u32 cd_core_domain(struct cd_core *core, int cpu)
{
	struct cd_cpu *sc;
	u32 d = CD_NONE;
	int i, j, s;

	for_each_core_sibling(core, i, s, sc) {
		u32 v[2] = { sc->cur, sc->old };

		if (s == cpu)
			continue;
		for (j = 0; j < 2; j++) {
			if (v[j] == CD_NONE)
				continue;
			if (d != CD_NONE && d != v[j])
				return CD_NONE;
			d = v[j];
		}
	}
	if (d == CD_NONE && core->resv != CD_NONE && core->resv_cpu != cpu)
		d = core->resv;
	return d;
}

/* Highest class rank among the siblings of @cpu that conflict with @d. */
static int cd_conflict_rank(struct cd_core *core, int cpu, u32 d)
{
	int i, s, rank = CD_RANK_IDLE;
	struct cd_cpu *sc;

	for_each_core_sibling(core, i, s, sc) {
		if (s == cpu)
			continue;
		if (!cd_compatible(sc->cur, d) || !cd_compatible(sc->old, d))
			rank = max(rank, sc->rank);
	}
	return rank;
}

/*
 * @cpu claims @d for a task of class @rank; @switching: the task is not
 * the one running now, so the running one's domain is still leaving.
 * Under core->lock.
 */
static void cd_claim(struct cd_core *core, struct cd_cpu *cc, int cpu,
		     u32 d, int rank, bool switching)
{
	if (!switching)
		cc->old = CD_NONE;
	else if (cc->cur != d && cc->old == CD_NONE)
		cc->old = cc->cur;
	cc->cur = d;
	cc->rank = rank;
	if (d != CD_NONE && d != core->tag) {
		trace_core_domain_flip(cpu, core->tag, d);
		core->tag = d;
		core->nr_flips++;
	}
	if (core->resv_cpu == cpu && core->resv == d && d != CD_NONE) {
		core->resv = CD_NONE;
		core->resv_cpu = -1;
	}
}

/*
 * Reserve the core for @d on behalf of waiting @cpu and kick every CPU of
 * the core that runs another domain, @cpu included.  Under core->lock.
 */
static void cd_reserve(struct cd_core *core, int cpu, u32 d, int rank)
{
	struct cd_cpu *sc;
	int i, s;

	if (core->resv != CD_NONE && core->resv_cpu != cpu &&
	    core->resv_rank >= rank)
		return;
	core->resv = d;
	core->resv_cpu = cpu;
	core->resv_rank = rank;
	for_each_core_sibling(core, i, s, sc) {
		/* Idling here already: what it leaves is released at switch. */
		if (s == cpu && sc->cur == CD_NONE)
			continue;
		if (!cd_compatible(sc->cur, d) || !cd_compatible(sc->old, d))
			cd_kick(cpu, s, d);
	}
}

static u64 cd_wait_bound_ns(void);

/*
 * The wait bound of a waiting CPU expired: reserve the core unless a
 * higher class holds it, re-pick at once if nothing is in the way any
 * more, and stay armed while the CPU waits - a bound that expired under
 * a higher class, or a reservation a sibling took over, must come round
 * again (model/core_tag.pml found CPUs waiting forever without this).
 */
static enum hrtimer_restart cd_bound_fn(struct hrtimer *timer)
{
	struct cd_cpu *cc = container_of(timer, struct cd_cpu, bound);
	struct cd_core *core = cc->core;
	int cpu = smp_processor_id();
	enum hrtimer_restart ret = HRTIMER_NORESTART;

	raw_spin_lock(&core->lock);
	if (cc->want != CD_NONE) {
		if (cc->want_rank >= cd_conflict_rank(core, cpu, cc->want))
			cd_reserve(core, cpu, cc->want, cc->want_rank);
		if (cd_allowed(core, cpu, cc->want))
			cd_kick(cpu, cpu, cc->want);
		hrtimer_forward_now(timer, ns_to_ktime(cd_wait_bound_ns()));
		ret = HRTIMER_RESTART;
	}
	raw_spin_unlock(&core->lock);
	return ret;
}

static void cd_account_fi(struct cd_cpu *cc, u64 now)
{
	u64 delta;

	if (!cc->fi_start)
		return;
	delta = now > cc->fi_start ? now - cc->fi_start : 0;
	cc->fi_ns += delta;
	if (cc->fi_task) {
		cc->fi_task->core_domain_fi_ns += delta;
		/* kernel_cpustat and the cgroup's cpu.stat */
		rcu_read_lock();
		__account_forceidle_time(cc->fi_task, delta);
		rcu_read_unlock();
	}
}

static void cd_end_fi(struct cd_cpu *cc, int cpu, u64 now)
{
	if (!cc->fi_start)
		return;
	cd_account_fi(cc, now);
	trace_core_domain_forceidle(cpu, cc->want, false);
	cc->fi_start = 0;
	cc->fi_task = NULL;
}

static u64 cd_wait_bound_ns(void)
{
	return (u64)READ_ONCE(core_domain_wait_bound_us) * NSEC_PER_USEC;
}

#ifdef CONFIG_SCHED_CORE_DOMAIN_DEBUG
/*
 * The invariant, checked against what the siblings really run rather than
 * against the arbitration state: when @next starts, no sibling's current
 * task is of another domain.  A sibling's task runs in the domain it was
 * picked under: its current one, or while a move of it has not taken
 * effect yet (core_domain_moved), the one it is moving from.
 *
 * The sibling's task and its domain are read one after the other, not at
 * once: a sibling that switches in between leaves a task that no longer
 * runs there, whose move may since have taken effect.  Such a sibling is
 * not judged here, and need not be: its switch came after our rq->curr
 * store (the full barrier below pairs with the one in the sibling's own
 * check), so its own check sees @next.  Runs with IRQs off: the siblings'
 * tasks and domains stay valid (RCU).
 */
static void cd_check_invariant(struct rq *rq, struct task_struct *next)
{
	u32 d = cd_task_domain(next), e;
	int cpu = cpu_of(rq), s;
	struct task_struct *t;
	struct rq *srq;
	u64 n;

	if (d == CD_NONE)
		return;
	smp_mb();	/* what we start before what the siblings run */
	for_each_cpu(s, cpu_smt_mask(cpu)) {
		if (s == cpu)
			continue;
		srq = cpu_rq(s);
		n = READ_ONCE(srq->nr_switches);
		smp_rmb();	/* nr_switches before curr, as __schedule() writes */
		t = READ_ONCE(srq->curr);
		if (is_idle_task(t) || t->sched_class == &stop_sched_class)
			continue;
		e = core_domain_id(READ_ONCE(t->core_domain));
		smp_rmb();	/* pairs with core_domain_set_task() */
		if (READ_ONCE(t->core_domain_moved))
			e = core_domain_id(READ_ONCE(t->core_domain_from));
		smp_rmb();	/* pairs with cd_move_done() */
		if (e == d || READ_ONCE(srq->nr_switches) != n)
			continue;
		WARN_ONCE(1, "core_domain: isolation violated: cpu%d starts %s/%d (domain %u) while cpu%d runs %s/%d (domain %u)\n",
			  cpu, next->comm, next->pid, d, s, t->comm, t->pid, e);
	}
}
#else
static inline void cd_check_invariant(struct rq *rq, struct task_struct *next) { }
#endif

/*
 * The last task has left idle @rq while it waited for a domain: stop
 * waiting, and give up the core's reservation if it holds it.  Nothing
 * else would: __schedule() does not pick again on an idle CPU whose
 * runqueue is empty, so neither a kick nor the wait bound reaches
 * core_domain_arbitrate(), and the reservation kept the siblings off the
 * core for a domain nobody here runs.  Forced-idle balancing caused it
 * every few milliseconds (a sibling pulled the task the reserving CPU
 * waited for; the whole core then idled until a task arrived here).  The
 * CPU re-picks, so that a task enqueued again right away (a priority or
 * domain change dequeues and enqueues) waits anew instead of sitting
 * there unseen; with the runqueue empty that costs nothing.  @rq locked.
 */
static void cd_stop_waiting(struct rq *rq, struct cd_cpu *cc)
{
	struct cd_core *core = cc->core;
	int cpu = cpu_of(rq);

	raw_spin_lock(&core->lock);
	if (cc->want != CD_NONE) {
		cd_end_fi(cc, cpu, rq_clock(rq));
		cc->want = CD_NONE;
		cc->fair_waits = false;
		hrtimer_try_to_cancel(&cc->bound);
		if (core->resv_cpu == cpu) {
			core->resv = CD_NONE;
			core->resv_cpu = -1;
			cd_wake_waiters(core, cpu);
		}
		resched_curr(rq);
	}
	raw_spin_unlock(&core->lock);
}

/*
 * @p was moved to another domain while it ran here (core_domain_set_task())
 * and the move takes effect now: it switched out, or this CPU picked it
 * again under its new domain.  Until here it ran under the domain it was
 * picked in, and the trace says so; when it goes on running, this is
 * traced under core->lock, before a sibling can start what it left.
 * Under @p's rq lock.
 */
static inline void cd_move_done(struct task_struct *p)
{
	trace_core_domain_move(p, core_domain_id(p->core_domain_from),
			       core_domain_id(p->core_domain));
	smp_wmb();	/* a switch's nr_switches first: cd_check_invariant() */
	WRITE_ONCE(p->core_domain_moved, 0);
}

/* @p was picked to run on under its current domain. */
static inline void cd_resumed(struct rq *rq, struct task_struct *p)
{
	if (unlikely(p->core_domain_moved) && p == rq->curr) {
		cd_move_done(p);
		/* Without a switch, it starts its new domain here. */
		cd_check_invariant(rq, p);
	}
}

/**
 * core_domain_arbitrate - apply the core's domain to a pick
 * @rq: this CPU's runqueue, locked, clock updated
 * @next: the highest-priority task pick_task() chose
 *
 * Return: @next if its domain may run on this core now; otherwise a
 * queued task of the domain the core runs, or the idle task (forced
 * idle).  In both of the latter cases this CPU waits for @next's domain
 * and takes the core at once or after the wait bound.
 */
struct task_struct *core_domain_arbitrate(struct rq *rq, struct task_struct *next)
{
	int cpu = cpu_of(rq);
	struct cd_cpu *cc = cd_cpu(cpu);
	struct cd_core *core = cc->core;
	u32 d = cd_task_domain(next), e;
	struct task_struct *run;
	u64 now = rq_clock(rq);
	bool allowed, takeover;
	int rank;

	/*
	 * A fair task picked through the fair server runs with the server's
	 * deadline rank: that is what keeps fair tasks, RCU callbacks and
	 * kworkers from starving beside a sibling's real-time hog.
	 */
	rank = rq->dl_server ? CD_RANK_DL : cd_task_rank(next);
	/*
	 * A CPU going offline must run each queued task once for
	 * balance_push() to move it away; waiting here for a sibling's RT
	 * hog stalled hotplug for seconds.  It takes the core at once.
	 */
	if (unlikely(!cpu_active(cpu)) && d != CD_NONE)
		rank = CD_RANK_PUSH;

	raw_spin_lock(&core->lock);
	cd_end_fi(cc, cpu, now);
	if (core->resv_cpu == cpu && core->resv != d) {
		/* What we reserved the core for is no longer what we want. */
		core->resv = CD_NONE;
		core->resv_cpu = -1;
		cd_wake_waiters(core, cpu);
	} else if (core->resv_cpu == cpu) {
		/* Same domain, maybe another class: the reservation follows. */
		core->resv_rank = rank;
	}

	/*
	 * A higher class than whatever is in the way takes the core: reserve
	 * it (kicking the siblings), then look again - it may be free
	 * already, e.g. when only a reservation of equal rank stood there.
	 */
	allowed = d == CD_NONE || cd_allowed(core, cpu, d);
	takeover = !allowed && rank > cd_conflict_rank(core, cpu, d);
	if (takeover) {
		cd_reserve(core, cpu, d, rank);
		allowed = cd_allowed(core, cpu, d);
	}
	/*
	 * @next must wait, and EEVDF keeps picking it (its vruntime does not
	 * advance while it waits): the other fair tasks queued here wait
	 * behind it.  A host kernel thread among them that outranks what is
	 * in the way takes the core instead (ksoftirqd and kworkers waited
	 * seconds behind a task of a domain that could not get the core).
	 */
	if (!allowed && !takeover && d != 0) {
		struct task_struct *k = cd_find_for(rq, 0, cpu);

		if (k && cd_task_rank(k) > cd_conflict_rank(core, cpu, 0)) {
			next = k;
			d = 0;
			rank = cd_task_rank(k);
			rq->dl_server = NULL;
			takeover = true;
			cd_reserve(core, cpu, d, rank);
			allowed = cd_allowed(core, cpu, d);
		}
	}
	if (allowed) {
		cc->fair_waits = false;
		cd_claim(core, cc, cpu, d, rank, next != rq->curr);
		if (cc->want != CD_NONE) {
			cc->want = CD_NONE;
			hrtimer_try_to_cancel(&cc->bound);
		}
		/*
		 * Before the unlock: a sibling waiting for @next's new domain
		 * may claim it as soon as we drop the lock, and its
		 * sched_switch must not reach the trace before our resume
		 * does (the trace checker saw an overlap that was not there).
		 */
		cd_resumed(rq, next);
		raw_spin_unlock(&core->lock);
		return next;
	}

	/*
	 * Conflict: run the core's domain if we can, else idle - but not
	 * when we hold or are about to take the core for @d: the siblings
	 * are vacating for us, and a need_resched set from in here would
	 * be cleared when __schedule() returns.
	 */
	run = NULL;
	e = takeover || core->resv_cpu == cpu ? CD_NONE : cd_core_domain(core, cpu);
	if (e != CD_NONE && cd_allowed(core, cpu, e))
		run = cd_find_for(rq, e, cpu);
	/*
	 * A fair @next behind a sibling's real-time or deadline task waits
	 * as long as that runs; it has the fair server's guarantee, as it
	 * would beside the task on one CPU, only if what runs here instead
	 * does not count as fair time (core_domain_cpu_fair_waits()).
	 */
	cc->fair_waits = rank <= CD_RANK_KTHREAD &&
			 cd_conflict_rank(core, cpu, d) >= CD_RANK_RT;
	if (run) {
		cd_claim(core, cc, cpu, e, cd_task_rank(run), run != rq->curr);
		cd_resumed(rq, run);
		cc->nr_alt++;
	} else {
		run = rq->idle;
		cd_claim(core, cc, cpu, CD_NONE, CD_RANK_IDLE, run != rq->curr);
		cc->fi_start = now ?: 1;
		cc->fi_task = next;
		cc->nr_fi++;
		trace_core_domain_forceidle(cpu, d, true);
		cd_queue_balance(rq);
	}
	/*
	 * The wait bound runs from when this CPU began to wait for @d, not
	 * from this pick: re-picks (ticks, wakeups) must not extend it.
	 */
	if (cc->want != d) {
		cc->want = d;
		hrtimer_try_to_cancel(&cc->bound);
	}
	cc->want_rank = rank;
	/* Armed whenever the CPU waits: see cd_bound_fn(). */
	if (!hrtimer_is_queued(&cc->bound))
		hrtimer_start(&cc->bound, ns_to_ktime(cd_wait_bound_ns()),
			      HRTIMER_MODE_REL_PINNED_HARD);
	raw_spin_unlock(&core->lock);
	rq->dl_server = NULL;
	return run;
}

/**
 * core_domain_switch - the previous task has left this CPU
 * @rq: this CPU's runqueue, locked
 * @prev: the task switched away from
 * @next: the task switched to
 *
 * Called right after the sched_switch tracepoint: from here on siblings
 * may claim domains that conflict with @prev's.
 */
void core_domain_switch(struct rq *rq, struct task_struct *prev,
			struct task_struct *next)
{
	int cpu = cpu_of(rq);
	struct cd_cpu *cc = cd_cpu(cpu);
	struct cd_core *core = cc->core;

	if (unlikely(prev->core_domain_moved))
		cd_move_done(prev);
	cd_check_invariant(rq, next);
	if (cc->old == CD_NONE)
		return;
	raw_spin_lock(&core->lock);
	cc->old = CD_NONE;
	cd_wake_waiters(core, cpu);
	raw_spin_unlock(&core->lock);
}

/**
 * core_domain_task_forceidle - forced-idle time charged to a task
 * @p: the task
 *
 * Return: nanoseconds the task's CPU idled because the task's domain
 * could not run on its core.
 */
u64 core_domain_task_forceidle(struct task_struct *p)
{
	return READ_ONCE(p->core_domain_fi_ns);
}

/* --- enabling, hotplug --- */

/*
 * Set by core_domain_init_cores() once every possible CPU has its core,
 * before core domains are reported available: nothing enables the
 * arbitration, and no reader looks at a core, before that.
 */
static bool cd_cores_ready;

static DEFINE_MUTEX(cd_enable_mutex);
/* Set when core_domain_enable() has finished: domains may get members. */
static bool cd_ready;

/**
 * core_domain_enable - turn the arbitration on
 *
 * Called before the first domain gets a member: until then every task is
 * in the host domain and nothing needs arbitration.  The hooks then stay
 * on until reboot.  May sleep.
 */
void core_domain_enable(void)
{
	struct task_struct *g, *p;
	struct rq_flags rf;
	struct rq *rq;
	int cpu;

	/*
	 * Not the static key: it is on before the loop below has recorded
	 * what every CPU runs, and a second caller must not put tasks into
	 * domains until then (it did: a domain task started beside a host
	 * task whose CPU had no claim yet).
	 */
	if (smp_load_acquire(&cd_ready))
		return;
	/* Callers checked core_domain_available(): the cores are set up. */
	if (WARN_ON_ONCE(!smp_load_acquire(&cd_cores_ready)))
		return;
	mutex_lock(&cd_enable_mutex);
	if (cd_ready)
		goto out;

	cpus_read_lock();
	arch_core_domain_enforce();
	static_branch_enable_cpuslocked(&core_domain_key);
	/* Wait out schedules that began before the key was visible. */
	synchronize_rcu();
	for_each_online_cpu(cpu) {
		struct cd_cpu *cc = cd_cpu(cpu);

		rq = cpu_rq(cpu);
		rq_lock_irqsave(rq, &rf);
		raw_spin_lock(&cc->core->lock);
		if (cc->old == CD_NONE) {
			cc->cur = cd_task_domain(rq->curr);
			cc->rank = cd_task_rank(rq->curr);
		}
		raw_spin_unlock(&cc->core->lock);
		rq_unlock_irqrestore(rq, &rf);
	}
	cpus_read_unlock();

	/* Track what was queued before the key, so siblings can find it. */
	rcu_read_lock();
	for_each_process_thread(g, p) {
		rq = task_rq_lock(p, &rf);
		if (task_on_rq_queued(p))
			core_domain_enqueue(rq, p);
		task_rq_unlock(rq, p, &rf);
	}
	rcu_read_unlock();
	pr_info("core_domain: first domain created, arbitrating %u CPUs\n",
		num_online_cpus());
	/* Pairs with the acquire above: all of the setup is seen first. */
	smp_store_release(&cd_ready, true);
out:
	mutex_unlock(&cd_enable_mutex);
}

/**
 * core_domain_arbitrating - whether core_domain_enable() has finished
 *
 * Return: true once the first domain has turned the arbitration on (it
 * then stays on until reboot), false before.
 */
bool core_domain_arbitrating(void)
{
	/* Pairs with the release in core_domain_enable(). */
	return smp_load_acquire(&cd_ready);
}

/* Why the cores could not be set up, for /sys/kernel/core_domain/reason. */
static char cd_cores_err[160] __ro_after_init;

static void __init cd_init_cpu(int cpu)
{
	struct cd_cpu *cc = cd_cpu(cpu);

	raw_spin_lock_init(&cc->own.lock);
	cc->own.tag = CD_NONE;
	cc->own.resv = CD_NONE;
	cc->own.resv_cpu = -1;
	cc->own.nr_cpus = 0;
	cc->core = NULL;
	cc->cur = CD_NONE;
	cc->old = CD_NONE;
	cc->want = CD_NONE;
	cc->rank = CD_RANK_IDLE;
	cc->tree = RB_ROOT;
	cc->only = CD_NONE;
	hrtimer_init(&cc->bound, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	cc->bound.function = cd_bound_fn;
	/* Hard: on PREEMPT_RT too, a kick runs from the IPI, not a thread. */
	cc->kick = IRQ_WORK_INIT_HARD(cd_kick_fn);
}

/*
 * The siblings of @cpu where the architecture cannot tell them for CPUs
 * that are not online: what @cpu was told when it came up.  Complete only
 * when every possible CPU is online, which the caller ensures by failing
 * for the first one that is not.
 */
static int __init cd_online_siblings(int cpu, struct cpumask *mask)
{
	if (!cpu_online(cpu))
		return -ENODEV;
	cpumask_copy(mask, cpu_smt_mask(cpu));
	return 0;
}

/* Are @cpu's SMT siblings, as the architecture brought them up, its core's? */
static bool cd_core_covers(int cpu)
{
	struct cd_core *core = cd_cpu(cpu)->core;
	int s;

	for_each_cpu(s, cpu_smt_mask(cpu)) {
		if (cd_cpu(s)->core != core)
			return false;
	}
	return true;
}

/**
 * core_domain_init_cores - fix the membership of every core
 *
 * Called once at boot by core_domain_init(), before core domains can be
 * enabled and with CPU hotplug held off.  Every possible CPU - online,
 * offline, not yet present, or kept down by maxcpus= - gets the core the
 * topology puts it in (arch_cpu_possible_smt_siblings()), and keeps it:
 * hotplug only marks CPUs online and offline within their core.  Taking
 * the siblings from cpu_smt_mask() as each CPU first came up, which holds
 * only the siblings online then, gave A and B of one core two separate
 * states never checked against each other after A up, A down, B up (its
 * first time), A up again.
 *
 * Return: NULL, or why core domains cannot be enforced: a core has more
 * than CD_MAX_SMT threads, the topology is inconsistent, or the siblings
 * of a CPU not online now are unknown on this architecture.
 */
const char * __init core_domain_init_cores(void)
{
	cpumask_var_t mask;
	int cpu, s, n, ret;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return "unavailable: no memory to set up the cores";

	cpus_read_lock();
	for_each_possible_cpu(cpu)
		cd_init_cpu(cpu);

	for_each_possible_cpu(cpu) {
		struct cd_core *core = &cd_cpu(cpu)->own;

		if (cd_cpu(cpu)->core)
			continue;
		cpumask_clear(mask);
		ret = arch_cpu_possible_smt_siblings(cpu, mask);
		if (ret == -EOPNOTSUPP)
			ret = cd_online_siblings(cpu, mask);
		if (ret) {
			snprintf(cd_cores_err, sizeof(cd_cores_err),
				 "unavailable: SMT siblings of cpu%d unknown (not online at boot, no topology for it)",
				 cpu);
			goto fail;
		}
		cpumask_and(mask, mask, cpu_possible_mask);
		n = cpumask_weight(mask);
		if (n > CD_MAX_SMT) {
			snprintf(cd_cores_err, sizeof(cd_cores_err),
				 "unavailable: the core of cpu%d has %d threads, at most %d handled",
				 cpu, n, CD_MAX_SMT);
			WARN(1, "core_domain: %s\n", cd_cores_err);
			goto fail;
		}
		/*
		 * Possible CPUs are visited in order, so @cpu comes first in
		 * its core unless a lower CPU's siblings left it out.
		 */
		if (cpumask_first(mask) != cpu) {
			snprintf(cd_cores_err, sizeof(cd_cores_err),
				 "unavailable: inconsistent SMT topology at cpu%d (siblings %*pbl)",
				 cpu, cpumask_pr_args(mask));
			WARN(1, "core_domain: %s\n", cd_cores_err);
			goto fail;
		}
		for_each_cpu(s, mask) {
			if (cd_cpu(s)->core) {
				snprintf(cd_cores_err, sizeof(cd_cores_err),
					 "unavailable: inconsistent SMT topology: cpu%d in the cores of cpu%d and cpu%d",
					 s, cd_cpu(s)->core->cpus[0], cpu);
				WARN(1, "core_domain: %s\n", cd_cores_err);
				goto fail;
			}
			core->cpus[core->nr_cpus] = s;
			core->sib[core->nr_cpus++] = cd_cpu(s);
			cd_cpu(s)->core = core;
		}
	}

	/* What the CPUs up now were told at bring-up must agree. */
	for_each_online_cpu(cpu) {
		if (!cd_core_covers(cpu)) {
			snprintf(cd_cores_err, sizeof(cd_cores_err),
				 "unavailable: cpu%d has SMT siblings %*pbl outside its core",
				 cpu, cpumask_pr_args(cpu_smt_mask(cpu)));
			WARN(1, "core_domain: %s\n", cd_cores_err);
			goto fail;
		}
	}
	/* Pairs with the smp_load_acquire()s in core_domain_enable() and debugfs. */
	smp_store_release(&cd_cores_ready, true);
	cpus_read_unlock();
	free_cpumask_var(mask);
	return NULL;

fail:
	/* Leave no partial core behind: core_domain_cpu_*() see none. */
	for_each_possible_cpu(cpu) {
		cd_cpu(cpu)->core = NULL;
		cd_cpu(cpu)->own.nr_cpus = 0;
	}
	cpus_read_unlock();
	free_cpumask_var(mask);
	pr_err("core_domain: %s; core domains are not available\n", cd_cores_err);
	return cd_cores_err;
}

/**
 * core_domain_core_cpus - the CPUs of a core
 * @cpu: a possible CPU
 * @mask: set to every possible CPU of @cpu's core, online or not, as
 *	core_domain_init_cores() fixed them; just @cpu when core domains
 *	are not available.
 */
void core_domain_core_cpus(int cpu, struct cpumask *mask)
{
	struct cd_core *core = cd_cpu(cpu)->core;
	int i;

	cpumask_clear(mask);
	/* Pairs with core_domain_init_cores(): the cores are complete. */
	if (!smp_load_acquire(&cd_cores_ready) || !core) {
		cpumask_set_cpu(cpu, mask);
		return;
	}
	for (i = 0; i < core->nr_cpus; i++)
		cpumask_set_cpu(core->cpus[i], mask);
}

/**
 * core_domain_cpu_starting - a CPU of a core comes up
 * @cpu: the CPU coming up, with its sibling mask set
 *
 * The CPU's core was fixed at boot; it claims nothing yet.  Nothing to do
 * before core_domain_init_cores() (CPUs brought up at boot) or when core
 * domains are unavailable.
 */
void core_domain_cpu_starting(unsigned int cpu)
{
	struct cd_cpu *cc = cd_cpu(cpu);
	struct cd_core *core = cc->core;
	unsigned long flags;

	if (!core)
		return;
	/*
	 * The architecture's view at bring-up must agree with the one the
	 * core was built from at boot (APIC IDs on x86).  If it does not,
	 * siblings outside the core are not arbitrated against this CPU.
	 */
	WARN_ONCE(!cd_core_covers(cpu),
		  "core_domain: cpu%u has SMT siblings %*pbl outside its core (cpu%d's): not isolated from them\n",
		  cpu, cpumask_pr_args(cpu_smt_mask(cpu)), core->cpus[0]);
	raw_spin_lock_irqsave(&core->lock, flags);
	cc->cur = CD_NONE;
	cc->old = CD_NONE;
	cc->want = CD_NONE;
	cc->rank = CD_RANK_IDLE;
	raw_spin_unlock_irqrestore(&core->lock, flags);
}

/**
 * core_domain_cpu_dying - forget what an offline CPU claimed or waited for
 * @cpu: the CPU going down; it runs nothing of any domain any more
 */
void core_domain_cpu_dying(unsigned int cpu)
{
	struct cd_cpu *cc = cd_cpu(cpu);
	struct cd_core *core = cc->core;
	unsigned long flags;

	if (!core)
		return;
	hrtimer_cancel(&cc->bound);
	raw_spin_lock_irqsave(&core->lock, flags);
	cc->cur = CD_NONE;
	cc->old = CD_NONE;
	cc->want = CD_NONE;
	cc->rank = CD_RANK_IDLE;
	if (core->resv_cpu == (int)cpu) {
		core->resv = CD_NONE;
		core->resv_cpu = -1;
	}
	cd_wake_waiters(core, cpu);
	raw_spin_unlock_irqrestore(&core->lock, flags);
}


/* --- placement: where the fair class puts tasks --- */

/* debugfs placement: 0 turns domain-aware placement off (for A/B runs). */
static bool core_domain_placement = true;

/**
 * core_domain_cpu_fair_waits - does @cpu's fair pick wait behind a sibling?
 * @cpu: the CPU, whose rq lock is held
 *
 * True while @cpu runs a task of the core's domain in place of a fair
 * task that waits for a sibling's real-time or deadline task of another
 * domain.  update_curr() does not charge that time to the fair server:
 * the fair class as a whole ran, but the task the fair class chose did
 * not, and only the server's deadline rank can bring it in.
 *
 * Return: whether @cpu's fair time is time its fair pick was denied.
 */
bool core_domain_cpu_fair_waits(int cpu)
{
	return READ_ONCE(cd_cpu(cpu)->fair_waits);
}

/**
 * core_domain_cpu_narrow - keep the candidate CPUs where @p would not wait
 * @mask: candidate CPUs (find_lowest_rq()'s lowest_mask, find_later_rq()'s
 *	  later_mask), narrowed in place
 * @p: the real-time or deadline task being placed
 *
 * Clears the CPUs of @mask whose siblings run or hold the core for another
 * domain (core_domain_cpu_match()), unless that would clear them all: a
 * real-time or deadline task placed there takes the core and forces its
 * siblings idle, while a CPU of an idle core or of a core of @p's domain
 * costs nobody anything.  A hint, read without the core locks.
 */
void core_domain_cpu_narrow(struct cpumask *mask, struct task_struct *p)
{
	bool any = false, all = true;
	int cpu;

	for_each_cpu(cpu, mask) {
		if (core_domain_cpu_match(cpu, p))
			any = true;
		else
			all = false;
	}
	if (!any || all)
		return;
	for_each_cpu(cpu, mask) {
		if (!core_domain_cpu_match(cpu, p))
			__cpumask_clear_cpu(cpu, mask);
	}
}

/**
 * core_domain_cpu_match - would @p run on @cpu without waiting for siblings?
 * @cpu: a candidate CPU
 * @p: the task being placed
 *
 * True when no sibling of @cpu runs, is leaving, or has the core reserved
 * for another domain than @p's: @cpu is in an idle core or in a core of
 * @p's domain.  Read without the core lock: a hint for wakeup placement,
 * fork placement and load balancing (sched_cpu_cookie_match() and
 * friends), never for isolation, which core_domain_arbitrate() enforces.
 *
 * Return: whether placing @p on @cpu avoids forced idle and kicks.
 */
bool core_domain_cpu_match(int cpu, struct task_struct *p)
{
	struct cd_core *core = cd_cpu(cpu)->core;
	u32 d = cd_task_domain(p), r;
	struct cd_cpu *sc;
	int i, s;

	if (!core || !READ_ONCE(core_domain_placement))
		return true;
	r = READ_ONCE(core->resv);
	if (r != CD_NONE && r != d)
		return false;
	for_each_core_sibling(core, i, s, sc) {
		if (s == cpu)
			continue;
		if (!cd_compatible(READ_ONCE(sc->cur), d) ||
		    !cd_compatible(READ_ONCE(sc->old), d))
			return false;
	}
	return true;
}

/*
 * Forced-idle balancing.  Wakeup placement and the load balancer only
 * prefer matching cores; with one task per CPU nothing moves a task that
 * already sits beside another domain, and the core alternates between
 * the two with one sibling idle.  So a CPU that goes forced idle looks,
 * right after switching to idle, for a queued task of the domain its
 * siblings run elsewhere - most often one whose own CPU is forced idle
 * waiting for the core - and pulls it.  Its own waiting task then
 * becomes the surplus the load balancer moves to the CPU just vacated,
 * which is in a core of that task's domain.  Upstream core scheduling
 * does the same (steal_cookie_task()).
 */
static DEFINE_PER_CPU(struct balance_callback, cd_balance_head);

/*
 * The domain forced-idle @cpu could pull a task of: the one its siblings
 * run, if it may run it - not while the siblings vacate the core for its
 * own task.  CD_NONE when there is none.  @cpu's rq lock held.
 */
static u32 cd_pull_domain(struct cd_cpu *cc, int cpu)
{
	struct cd_core *core = cc->core;
	u32 e = CD_NONE;

	if (!cc->fi_start || !cpu_active(cpu))
		return CD_NONE;
	raw_spin_lock(&core->lock);
	if (core->resv_cpu != cpu)
		e = cd_core_domain(core, cpu);
	if (e != CD_NONE && !cd_allowed(core, cpu, e))
		e = CD_NONE;
	raw_spin_unlock(&core->lock);
	return e;
}

/* Move @p from @src to idle @dst, which pulls it.  Both rq locks held. */
static void cd_pull(struct rq *dst, struct rq *src, struct task_struct *p)
{
	deactivate_task(src, p, 0);
	set_task_cpu(p, cpu_of(dst));
	activate_task(dst, p, 0);
	resched_curr(dst);
	cd_cpu(cpu_of(dst))->nr_steals++;
	trace_core_domain_steal(cpu_of(dst), cpu_of(src), p,
				core_domain_id(p->core_domain));
}

/* Pull the task of domain @e that @that waits to run, to idle @this. */
static bool cd_steal_from(int this, int that, u32 e)
{
	struct rq *dst = cpu_rq(this), *src = cpu_rq(that);
	struct cd_cpu *cc = cd_cpu(this);
	struct task_struct *p;

	guard(irq)();
	guard(double_rq_lock)(dst, src);

	if (dst->curr != dst->idle || cd_pull_domain(cc, this) != e)
		return false;
	p = cd_find_for(src, e, this);
	if (!p)
		return false;
	cd_pull(dst, src, p);
	return true;
}

/*
 * Packing.  The pull above brings a task to where its domain runs; some
 * layouts no pull changes.  Three domains of three threads on four cores
 * (A, B, C) settle as often as not with two cores shared: A | B and
 * B | B + C, where C waits behind B and, when it runs, idles the other
 * B.  The oracle shares one core: A | B + C, and B | B.  The load
 * balancer sees nine tasks on eight CPUs either way.  So a forced-idle
 * CPU, whose core is shared already, also takes in a stranger: a queued
 * task, the only one of its domain on a core whose other tasks are all
 * of one domain.  That core then runs without forced idle, and this one,
 * which idled anyway, turns among one more domain.  With every core
 * shared (more domains than cores) there is no such task, so nothing
 * moves to and fro.
 */

/* Might @cpu hold a stranger?  Read without locks: a filter. */
static bool cd_stranger_maybe(int cpu)
{
	struct cd_cpu *cc = cd_cpu(cpu), *sc;
	struct cd_core *core = cc->core;
	int i, s;

	if (READ_ONCE(cpu_rq(cpu)->nr_running) < 2 || !READ_ONCE(cc->mixed))
		return false;
	for_each_core_sibling(core, i, s, sc) {
		if (s != cpu && READ_ONCE(sc->mixed))
			return false;
	}
	return true;
}

/*
 * Take the stranger queued on @that, if it has one, to forced-idle @this:
 * the one task of another domain than the one @that runs, whose siblings
 * queue nothing else (read without their locks: a hint).
 */
static bool cd_take_stranger(int this, int that)
{
	struct rq *dst = cpu_rq(this), *src = cpu_rq(that);
	struct cd_cpu *cc = cd_cpu(this), *sc;
	struct task_struct *p, *q = NULL;
	struct rb_node *node;
	int i, s;
	u32 f;

	guard(irq)();
	guard(double_rq_lock)(dst, src);

	if (dst->curr != dst->idle || cd_pull_domain(cc, this) == CD_NONE)
		return false;
	f = cd_task_domain(src->curr);
	if (f == CD_NONE)
		return false;
	for (node = rb_first(&cd_cpu(that)->tree); node; node = rb_next(node)) {
		p = __node_2_cd(node);
		if (core_domain_id(p->core_domain) == f)
			continue;
		if (q)
			return false;
		q = p;
	}
	if (!q || !cd_movable(src, q, this) || cd_task_throttled(q, this))
		return false;
	for_each_core_sibling(cd_cpu(that)->core, i, s, sc) {
		u32 only = READ_ONCE(sc->only);

		if (s != that && (READ_ONCE(sc->mixed) ||
				  (only != CD_NONE && only != f)))
			return false;
	}
	cd_pull(dst, src, q);
	cc->nr_strangers++;
	return true;
}

/*
 * Balance callback of a CPU that just went forced idle.  Only CPUs that
 * wait for the domain to pull (their 'want', read without locks) are
 * locked and searched, then, within the last-level cache, CPUs that
 * queue several domains beside siblings that queue one: the callback
 * costs a walk over a few words when there is nothing to pull, as with
 * one task per domain.
 */
static void cd_balance(struct rq *rq)
{
	int cpu = cpu_of(rq), i;
	struct sched_domain *sd;
	u32 e;

	e = cd_pull_domain(cd_cpu(cpu), cpu);
	if (e == CD_NONE)
		return;

	guard(preempt)();
	guard(rcu)();

	raw_spin_rq_unlock_irq(rq);
	for_each_domain(cpu, sd) {
		for_each_cpu_wrap(i, sched_domain_span(sd), cpu + 1) {
			if (need_resched())
				goto out;
			/*
			 * Not from a sibling: its waiting task runs there as
			 * soon as we idle, and taking it stranded the sibling's
			 * reservation (see cd_stop_waiting()).
			 */
			if (cd_cpu(i)->core == cd_cpu(cpu)->core ||
			    READ_ONCE(cd_cpu(i)->want) != e)
				continue;
			if (cd_steal_from(cpu, i, e))
				goto out;
		}
	}
	sd = rcu_dereference(per_cpu(sd_llc, cpu));
	if (!sd)
		goto out;
	for_each_cpu_wrap(i, sched_domain_span(sd), cpu + 1) {
		if (need_resched())
			break;
		if (cd_cpu(i)->core == cd_cpu(cpu)->core ||
		    !cd_stranger_maybe(i))
			continue;
		if (cd_take_stranger(cpu, i))
			break;
	}
out:
	raw_spin_rq_lock_irq(rq);
}

/* From core_domain_arbitrate(): @rq goes forced idle. */
static void cd_queue_balance(struct rq *rq)
{
	if (READ_ONCE(core_domain_placement))
		queue_balance_callback(rq, &per_cpu(cd_balance_head, cpu_of(rq)),
				       cd_balance);
}

/* --- debugfs: /sys/kernel/debug/core_domain/ --- */

static inline int cd_show_id(u32 d)
{
	return d == CD_NONE ? -1 : (int)d;
}

static int cd_cores_show(struct seq_file *m, void *v)
{
	struct cd_cpu *sc;
	int cpu, i, s;

	seq_puts(m, "# domains: -1 none; fi_us: forced idle time\n");
	/* Pairs with core_domain_init_cores(): the cores are complete. */
	if (!smp_load_acquire(&cd_cores_ready))
		return 0;
	for_each_possible_cpu(cpu) {
		struct cd_core *core = cd_cpu(cpu)->core;
		unsigned long flags;

		if (core != &cd_cpu(cpu)->own)
			continue;
		raw_spin_lock_irqsave(&core->lock, flags);
		seq_printf(m, "core %d tag %d resv %d flips %llu\n", cpu,
			   cd_show_id(core->tag), cd_show_id(core->resv),
			   core->nr_flips);
		for_each_core_sibling(core, i, s, sc) {
			seq_printf(m, "  cpu %d cur %d old %d want %d fi_us %llu fi %llu alt %llu kicks %llu steals %llu strangers %llu\n",
				   s, cd_show_id(sc->cur), cd_show_id(sc->old),
				   cd_show_id(sc->want), sc->fi_ns / NSEC_PER_USEC,
				   sc->nr_fi, sc->nr_alt, sc->nr_kicks,
				   sc->nr_steals, sc->nr_strangers);
		}
		raw_spin_unlock_irqrestore(&core->lock, flags);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cd_cores);

static int __init core_tag_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("core_domain", NULL);

	debugfs_create_file("cores", 0444, dir, NULL, &cd_cores_fops);
	debugfs_create_u32("wait_bound_us", 0644, dir,
			   &core_domain_wait_bound_us);
	debugfs_create_u32("max_id", 0644, dir, &core_domain_max_id);
	debugfs_create_bool("placement", 0644, dir, &core_domain_placement);
	return 0;
}
late_initcall(core_tag_debugfs_init);

#ifdef CONFIG_SCHED_CORE_DOMAIN_KUNIT_TEST
#include "core_tag_test.c"
#endif
