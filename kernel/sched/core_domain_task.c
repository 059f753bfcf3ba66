// SPDX-License-Identifier: GPL-2.0
/*
 * Core domains: domain objects, task membership and the prctl interface.
 *
 * A domain is a refcounted object with a small integer id that user space
 * names it by.  Every task points to its domain (NULL: the host domain 0)
 * and holds a reference; a child takes its creator's domain at fork, under
 * tasklist_lock so that a concurrent PR_SET_CORE_DOMAIN of a whole thread
 * group or process group cannot miss it.  The id is released only when
 * the last reference goes, so an id never names two domains while anything
 * can still observe the first.
 *
 * Permission model (Documentation/admin-guide/hw-vuln/core-domain.rst):
 *  - any task may move itself, or tasks it may ptrace (read access: what
 *    sharing a core exposes), into a new domain;
 *  - moving a task into an existing domain needs that access to the task
 *    and either membership of the domain, the same access to a member or
 *    CAP_SYS_ADMIN in the initial user namespace: an id is a name, not a
 *    key;
 *  - returning a task to the host domain 0 needs CAP_SYS_ADMIN;
 *  - kernel threads stay in the host domain: nothing moves them, and a
 *    new kernel thread does not inherit its creator's domain.
 * So an unprivileged task can only ever share a core with tasks of its own
 * domain, which it already shares a core with, or with tasks it could
 * read anyway.
 *
 * Every domain is charged to its creator's user (user.max_core_domains,
 * per user namespace), and the charged domains never take the last
 * quarter of the ids: one user's domains are that user's problem, not
 * root's.  The first domain turns the arbitration on for every CPU; with
 * kernel.core_domain_unprivileged_enable at 0 only CAP_SYS_ADMIN in the
 * initial user namespace may create it, and anyone may create domains
 * once the arbitration is on.
 *
 * A task in a cgroup that imposes a domain (cpu.core_domain, see
 * core_domain_cgroup.c) is confined to that domain and to the narrower
 * domains created inside it (@parent): no prctl takes it back to the host
 * domain or into another tenant's domain, whatever the caller's privilege.
 * The cgroup, not the task, is then the authority; an administrator moves
 * the task out of the cgroup instead.  core_domain_cgroup_lock() keeps a
 * task's cgroup and its group's domain stable while a prctl decides.
 */
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/pid.h>
#include <linux/mmu_context.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>
#include <linux/sysctl.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "sched.h"
#include "core_domain.h"

#include <trace/events/core_domain.h>

static DEFINE_XARRAY_FLAGS(core_domains, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
static u32 core_domain_next_id;
/* Live domains charged to a user: at most three quarters of the ids. */
static atomic_t core_domains_charged = ATOMIC_INIT(0);
/* kernel.core_domain_unprivileged_enable: who may turn the arbitration on. */
static int core_domain_unprivileged_enable = 1;

/*
 * Charge a new domain to the caller's user.  Callers with CAP_SYS_RESOURCE
 * (libvirt, container managers) are not charged, as RLIMIT_NPROC does not
 * count them either; everyone else counts against user.max_core_domains
 * in their user namespace and its ancestors, and all of them together
 * against three quarters of the ids, so that a privileged manager can
 * always create domains.
 */
static int cd_charge(struct core_domain *d, u32 max)
{
	if (capable(CAP_SYS_RESOURCE))
		return 0;
	if (atomic_inc_return(&core_domains_charged) > max - max / 4)
		goto full;
	d->ucounts = inc_ucount(current_user_ns(), current_euid(),
				UCOUNT_CORE_DOMAINS);
	if (d->ucounts)
		return 0;
full:
	atomic_dec(&core_domains_charged);
	return -ENOSPC;
}

static void cd_uncharge(struct core_domain *d)
{
	if (!d->ucounts)
		return;
	dec_ucount(d->ucounts, UCOUNT_CORE_DOMAINS);
	atomic_dec(&core_domains_charged);
}

/**
 * core_domain_alloc - create a domain with a fresh id
 * @parent: the confining domain it is a narrower part of, or NULL
 *
 * The id is taken but not findable until core_domain_publish().  The
 * domain is charged to the caller's user (see the top of this file); a
 * cgroup write calls this with the credentials the file was opened with.
 *
 * Return: the domain with one reference, or ERR_PTR(-ENOSPC) when the ids
 * or the caller's quota are exhausted, ERR_PTR(-EPERM) when the domain
 * would turn the arbitration on and the caller may not do that,
 * ERR_PTR(-ENOMEM).
 */
struct core_domain *core_domain_alloc(struct core_domain *parent)
{
	u32 max = clamp_t(u32, READ_ONCE(core_domain_max_id), 1, CORE_DOMAIN_ID_MAX);
	struct core_domain *d;
	int err;

	if (!core_domain_arbitrating() &&
	    !READ_ONCE(core_domain_unprivileged_enable) &&
	    !capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	refcount_set(&d->ref, 1);
	d->level = core_domain_level_default();
	err = cd_charge(d, max);
	if (err) {
		kfree(d);
		return ERR_PTR(err);
	}
	d->parent = core_domain_get(parent);
	/* The id is reserved (NULL to lookups) until core_domain_publish(). */
	err = xa_alloc_cyclic_irq(&core_domains, &d->id, NULL,
				  XA_LIMIT(1, max),
				  &core_domain_next_id, GFP_KERNEL);
	if (err < 0) {
		core_domain_put(d->parent);
		cd_uncharge(d);
		kfree(d);
		return ERR_PTR(err == -EBUSY ? -ENOSPC : err);
	}
	trace_core_domain_new(d->id, core_domain_id(parent));
	return d;
}

/**
 * core_domain_set_level - choose the protection level of a new domain
 * @d: a domain from core_domain_alloc(), not yet published
 * @level: CORE_DOMAIN_LEVEL_USER or CORE_DOMAIN_LEVEL_KERNEL
 *
 * Return: 0, or -EINVAL for another level or a kernel without
 * kernel-entry protection (CONFIG_SCHED_CORE_DOMAIN_KERNEL).
 */
int core_domain_set_level(struct core_domain *d, unsigned long level)
{
	if (level != CORE_DOMAIN_LEVEL_USER && level != CORE_DOMAIN_LEVEL_KERNEL)
		return -EINVAL;
	if (level == CORE_DOMAIN_LEVEL_KERNEL &&
	    !IS_ENABLED(CONFIG_SCHED_CORE_DOMAIN_KERNEL))
		return -EINVAL;
	d->level = level;
	return 0;
}

/**
 * core_domain_publish - make a new domain findable by its id
 * @d: a domain from core_domain_alloc(), with its parent set
 *
 * Until then core_domain_find() and the debugfs list do not see it.  A
 * fresh domain that could be adopted by id before it had its parent
 * became its own parent: a cgroup write adopted the id a concurrent
 * PR_SET_CORE_DOMAIN had just allocated, the prctl then found the domain
 * as its target's group domain and nested it in itself, and the cycle
 * kept it alive for ever.  Storing into a reserved index does not
 * allocate; callable in atomic context.
 */
void core_domain_publish(struct core_domain *d)
{
	WARN_ON_ONCE(xa_is_err(xa_store_irq(&core_domains, d->id, d, GFP_ATOMIC)));
}

/**
 * core_domain_put - drop a reference to a domain
 * @d: the domain, or NULL (the host domain)
 *
 * The last reference frees the id, uncharges its creator's user and,
 * after a grace period, frees the domain, then drops the reference it
 * held on its parent (nested cgroups make chains).  Callable with IRQs off:
 * puts come from __put_task_struct() and RCU callbacks.
 */
void core_domain_put(struct core_domain *d)
{
	struct core_domain *parent;
	unsigned long flags;

	while (d && refcount_dec_and_test(&d->ref)) {
		xa_lock_irqsave(&core_domains, flags);
		__xa_erase(&core_domains, d->id);
		xa_unlock_irqrestore(&core_domains, flags);
		cd_uncharge(d);
		parent = d->parent;
		kfree_rcu(d, rcu);
		d = parent;
	}
}

/**
 * core_domain_find - look a domain up by id
 * @id: the id user space gave
 *
 * Return: a reference to the domain, or NULL if no domain has @id.
 */
struct core_domain *core_domain_find(u32 id)
{
	struct core_domain *d;

	rcu_read_lock();
	d = xa_load(&core_domains, id);
	if (d && !refcount_inc_not_zero(&d->ref))
		d = NULL;
	rcu_read_unlock();
	return d;
}

/**
 * core_domain_fork - give a new task its creator's domain
 * @p: the new task, not yet visible to the scheduler
 *
 * Called by copy_process() under tasklist_lock, which PR_SET_CORE_DOMAIN
 * holds for reading while it changes a group: the child sees either the
 * old domain and is changed with the group, or the new one.  The child's
 * cgroup is final here and cannot be retagged under us (copy_process()
 * holds the cgroup threadgroup rwsem for reading).
 */
void core_domain_fork(struct task_struct *p)
{
	struct core_domain *d = current->core_domain, *c = NULL;

	/* No group has a domain before the first domain exists. */
	if (core_domain_enabled())
		c = core_domain_cgroup_domain(p);

	/* CLONE_INTO_CGROUP: a child born into a tagged group joins it. */
	if (!core_domain_within(d, c))
		d = c;
	/* Kernel threads are the host's, whoever asked for them. */
	if (p->flags & PF_KTHREAD)
		d = NULL;
	p->core_domain = core_domain_get(d);
	/* A birth: "from" no domain.  Tracers need not guess from the parent. */
	trace_core_domain_move(p, CD_NONE, core_domain_id(d));
	p->core_domain_moved = 0;
	p->core_domain_fi_ns = 0;
}

/**
 * core_domain_free - drop a dead task's domain references
 * @p: the task being freed
 */
void core_domain_free(struct task_struct *p)
{
	core_domain_put(p->core_domain);
	p->core_domain = NULL;
	core_domain_put(p->core_domain_from);
	p->core_domain_from = NULL;
}

/**
 * core_domain_set_task - move a task into a domain
 * @p: the task
 * @d: the domain, or NULL for the host domain
 *
 * A task that does not run changes domain at once: wherever it is picked
 * next, it is picked in @d.  A running task goes on under the domain its
 * CPU claimed for it until that CPU picks again or it switches out
 * (core_domain_arbitrate(), core_domain_switch()): only then does it run
 * in @d, and only then may its CPU's siblings start what it leaves.  Its
 * CPU is rescheduled, and the caller hands the CPU returned here to
 * core_domain_sync_moves() once it may sleep, so that the move has taken
 * effect when the caller returns to user space.  Its old domain stays
 * referenced until then (@p->core_domain_from): its id cannot name a new
 * domain while a CPU still runs under it.  Takes its own reference to @d.
 *
 * Return: the CPU @p runs on, or -1 when the move took effect at once.
 */
int core_domain_set_task(struct task_struct *p, struct core_domain *d)
{
	struct core_domain *old, *put, *settled = NULL;
	struct rq_flags rf;
	struct rq *rq;
	bool queued;
	int cpu = -1;

	rq = task_rq_lock(p, &rf);
	update_rq_clock(rq);
	old = p->core_domain;
	if (!p->core_domain_moved) {
		/* A move that has taken effect: its old domain may go. */
		settled = p->core_domain_from;
		WRITE_ONCE(p->core_domain_from, NULL);
	}
	if (old == d)
		goto unlock;
	queued = core_domain_enabled() && task_on_rq_queued(p);
	if (queued)
		core_domain_dequeue(rq, p);
	put = old;
	if (task_on_cpu(rq, p)) {
		/* It runs under @old (or an earlier domain) until it re-picks. */
		if (!p->core_domain_moved) {
			WRITE_ONCE(p->core_domain_from, old);
			put = NULL;
			WRITE_ONCE(p->core_domain_moved, 1);
		}
		cpu = cpu_of(rq);
		resched_curr(rq);
	} else {
		trace_core_domain_move(p, core_domain_id(old), core_domain_id(d));
	}
	smp_wmb();	/* moved and from before domain: cd_check_invariant() */
	WRITE_ONCE(p->core_domain, core_domain_get(d));
	if (queued)
		core_domain_enqueue(rq, p);
	task_rq_unlock(rq, p, &rf);
	core_domain_put(put);
	core_domain_put(settled);
	return cpu;
unlock:
	if (p->core_domain_moved && task_on_cpu(rq, p))
		cpu = cpu_of(rq);
	task_rq_unlock(rq, p, &rf);
	core_domain_put(settled);
	return cpu;
}

/**
 * core_domain_settle - drop the old domain of a move that took effect
 * @p: a task passed to core_domain_set_task() and core_domain_sync_moves()
 */
void core_domain_settle(struct task_struct *p)
{
	struct core_domain *from = NULL;
	struct rq_flags rf;
	struct rq *rq;

	if (!READ_ONCE(p->core_domain_from))
		return;
	rq = task_rq_lock(p, &rf);
	if (!p->core_domain_moved) {
		from = p->core_domain_from;
		WRITE_ONCE(p->core_domain_from, NULL);
	}
	task_rq_unlock(rq, p, &rf);
	core_domain_put(from);
}

static int cd_sync_stop(void *arg)
{
	return 0;
}

/**
 * core_domain_sync_moves - wait until moves of running tasks took effect
 * @cpus: the CPUs core_domain_set_task() returned
 *
 * Runs a stopper on each: it preempts whatever runs there, so when this
 * returns every task moved while it ran on one of @cpus has switched out
 * or been picked again under its new domain (a task that migrated
 * switched out first).  A CPU that went offline ran its tasks away.
 * Sleeps: call without spinlocks held.
 */
void core_domain_sync_moves(const struct cpumask *cpus)
{
	int cpu;

	might_sleep();
	for_each_cpu(cpu, cpus)
		stop_one_cpu(cpu, cd_sync_stop, NULL);
}

/**
 * core_domain_sync_move - core_domain_sync_moves() for one task
 * @p: the task core_domain_set_task() moved
 * @cpu: what it returned
 */
void core_domain_sync_move(struct task_struct *p, int cpu)
{
	if (cpu < 0)
		return;
	core_domain_sync_moves(cpumask_of(cpu));
	core_domain_settle(p);
}

/*
 * May the credentials in effect read the calling task itself?  Always,
 * unless they are not its own: a cgroup write runs with the opener's
 * (core_domain_cgroup_write()), and a descriptor handed to a more
 * privileged program must not make that program's threads, or its
 * membership of a domain, the opener's to dispose of.  ptrace_may_access()
 * grants any thread group access to itself, so its credential rule for
 * other tasks is applied here: the same uids and gids or CAP_SYS_PTRACE
 * over the task, and a dumpable task (the LSM hook is not asked).
 */
static bool core_domain_may_read_self(void)
{
	const struct cred *cred = current_cred(), *tcred = current_real_cred();
	struct mm_struct *mm = current->mm;

	if (cred == tcred)
		return true;
	if (!(uid_eq(cred->uid, tcred->euid) && uid_eq(cred->uid, tcred->suid) &&
	      uid_eq(cred->uid, tcred->uid) && gid_eq(cred->gid, tcred->egid) &&
	      gid_eq(cred->gid, tcred->sgid) && gid_eq(cred->gid, tcred->gid)) &&
	    !ns_capable(tcred->user_ns, CAP_SYS_PTRACE))
		return false;
	return !mm || get_dumpable(mm) == SUID_DUMP_USER ||
	       ns_capable(mm->user_ns, CAP_SYS_PTRACE);
}

/**
 * core_domain_may_control - may the caller change the domain of a task?
 * @p: the task
 *
 * The caller's credentials decide (a cgroup write overrides them with the
 * opener's): sharing a core exposes what @p computes, so the caller needs
 * ptrace read access to it, the check upstream's PR_SCHED_CORE makes.
 * Kernel threads belong to the host domain and are never moved.
 *
 * Return: true if the caller may move @p.
 */
bool core_domain_may_control(struct task_struct *p)
{
	if (p->flags & PF_KTHREAD)
		return false;
	if (same_thread_group(p, current))
		return core_domain_may_read_self();
	return ptrace_may_access(p, PTRACE_MODE_READ_REALCREDS);
}

/**
 * core_domain_may_join - may the caller put things into an existing domain?
 * @d: the domain, or NULL for the host domain
 *
 * An id names a domain but gives no right to it: ids are small integers
 * anyone can guess, and privilege in the user namespace that created a
 * domain does not override what Yama or an LSM says about its members.
 * Walks every thread when the caller is not a member.
 *
 * Return: true if the caller may control a member of @d
 * (core_domain_may_control(), which on a cgroup write judges even the
 * writing task by the opener's credentials) or has CAP_SYS_ADMIN in the
 * initial user namespace (the only way into the host domain).
 */
bool core_domain_may_join(struct core_domain *d)
{
	struct task_struct *g, *t;
	bool member = false;

	if (d && READ_ONCE(current->core_domain) == d &&
	    core_domain_may_read_self())
		return true;
	if (d) {
		rcu_read_lock();
		for_each_process_thread(g, t) {
			if (READ_ONCE(t->core_domain) == d &&
			    core_domain_may_control(t)) {
				member = true;
				goto found;
			}
		}
found:
		rcu_read_unlock();
	}
	return member || capable(CAP_SYS_ADMIN);
}

/*
 * May the caller move @p, confined by its cgroup to @c like every other
 * target of the call?
 */
static bool core_domain_may_move(struct task_struct *p, struct core_domain *c)
{
	return core_domain_may_control(p) && core_domain_cgroup_domain(p) == c;
}

/*
 * May the caller put tasks confined to @c into @d (NULL: host), given
 * @fresh (a new domain)?  @d must lie within @c.  The same for every
 * target: asked once per call.
 */
static bool core_domain_may_put(struct core_domain *d, struct core_domain *c,
				bool fresh, unsigned int flags)
{
	if (fresh)
		return true;
	/* Controlling a member is membership enough; the host domain is not joined so. */
	return core_domain_within(d, c) &&
	       ((d && (flags & CD_MOVE_JOIN)) || core_domain_may_join(d));
}

/**
 * core_domain_move_pid - move a task, a thread group or a process group
 * @d: the domain, NULL for the host domain; the caller's reference stays
 *     the caller's
 * @fresh: @d comes from core_domain_alloc(): it nests in the domain the
 *         targets' cgroup confines them to and is published here
 * @pid: the task (0: the caller), or a member of the group
 * @type: PIDTYPE_PID, PIDTYPE_TGID or PIDTYPE_PGID
 * @flags: CD_MOVE_JOIN: the caller may join @d without being a member or
 *         privileged over it (it controls a member: PR_SCHED_CORE_SHARE_FROM)
 *
 * All targets or none: every one must pass the permission checks first.
 * Returns once every target runs in @d (see core_domain_set_task()).
 *
 * Return: 0, -ESRCH for no such task, -EPERM when a target may not be
 * moved into @d, -ENOMEM.
 */
int core_domain_move_pid(struct core_domain *d, bool fresh, pid_t pid,
			 enum pid_type type, unsigned int flags)
{
	struct task_struct *task, *p, *moved = NULL;
	struct pid *grp, *held = NULL;
	struct core_domain *c;
	cpumask_var_t sync;
	int err = 0, n, cpu;

	if (pid < 0)
		return -ESRCH;
	/* The CPUs where targets run: their moves take effect through them. */
	if (!zalloc_cpumask_var(&sync, GFP_KERNEL))
		return -ENOMEM;

	/*
	 * The first domain turns the mechanism on, before anyone joins it
	 * (and before the cgroup lock: enabling takes the hotplug lock).
	 */
	if (d)
		core_domain_enable();
	if (d && d->level == CORE_DOMAIN_LEVEL_KERNEL) {
		err = core_domain_kernel_enable();
		if (err)
			goto out_free;
	}

	/*
	 * The cgroup lock keeps every task's cgroup and its domain stable;
	 * tasklist_lock keeps the group stable between the permission pass
	 * and the update pass (all or nothing), and orders us against fork.
	 */
	core_domain_cgroup_lock();
	read_lock(&tasklist_lock);
	rcu_read_lock();
	task = pid ? find_task_by_vpid(pid) : current;
	if (!task) {
		err = -ESRCH;
		goto out;
	}
	/* All targets must share one confining domain: a fresh one nests in it. */
	c = core_domain_cgroup_domain(task);
	if (!core_domain_may_put(d, c, fresh, flags)) {
		err = -EPERM;
		goto out;
	}
	if (type == PIDTYPE_PID) {
		if (!core_domain_may_move(task, c)) {
			err = -EPERM;
			goto out;
		}
		if (fresh) {
			d->parent = core_domain_get(c);
			core_domain_publish(d);
		}
		cpu = core_domain_set_task(task, d);
		if (cpu >= 0) {
			__cpumask_set_cpu(cpu, sync);
			moved = get_task_struct(task);
		}
		goto out;
	}
	grp = task_pid_type(task, type);
	n = 0;
	do_each_pid_thread(grp, type, p) {
		if (!core_domain_may_move(p, c)) {
			err = -EPERM;
			goto out;
		}
		n++;
	} while_each_pid_thread(grp, type, p);
	if (!n) {
		err = -ESRCH;
		goto out;
	}
	if (fresh) {
		d->parent = core_domain_get(c);
		core_domain_publish(d);
	}
	do_each_pid_thread(grp, type, p) {
		cpu = core_domain_set_task(p, d);
		if (cpu >= 0)
			__cpumask_set_cpu(cpu, sync);
	} while_each_pid_thread(grp, type, p);
	held = get_pid(grp);
out:
	rcu_read_unlock();
	read_unlock(&tasklist_lock);
	/* Return only once every target runs in its new domain. */
	if (!cpumask_empty(sync)) {
		core_domain_sync_moves(sync);
		if (moved)
			core_domain_settle(moved);
		if (held) {
			read_lock(&tasklist_lock);
			rcu_read_lock();
			do_each_pid_thread(held, type, p) {
				core_domain_settle(p);
			} while_each_pid_thread(held, type, p);
			rcu_read_unlock();
			read_unlock(&tasklist_lock);
		}
	}
	core_domain_cgroup_unlock();
	put_pid(held);
	if (moved)
		put_task_struct(moved);
out_free:
	free_cpumask_var(sync);
	return err;
}

static int core_domain_set(unsigned long id, pid_t pid, unsigned long scope,
			   unsigned long level)
{
	struct core_domain *d = NULL;
	enum pid_type type;
	bool fresh = false;
	int err;

	switch (scope) {
	case PR_CORE_DOMAIN_SCOPE_THREAD:
		type = PIDTYPE_PID;
		break;
	case PR_CORE_DOMAIN_SCOPE_THREAD_GROUP:
		type = PIDTYPE_TGID;
		break;
	case PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP:
		type = PIDTYPE_PGID;
		break;
	default:
		return -EINVAL;
	}
	if (pid < 0)
		return -ESRCH;
	if (id > CORE_DOMAIN_ID_MAX && id != PR_CORE_DOMAIN_NEW &&
	    id != (unsigned long)-1)
		return -EINVAL;
	fresh = id == PR_CORE_DOMAIN_NEW || id == (unsigned long)-1;
	/* A level is chosen when a domain is made, never changed later. */
	if (level && (!fresh || (level != PR_CORE_DOMAIN_LEVEL_USER &&
				 level != PR_CORE_DOMAIN_LEVEL_KERNEL)))
		return -EINVAL;

	if (fresh) {
		d = core_domain_alloc(NULL);
		if (IS_ERR(d))
			return PTR_ERR(d);
		err = level ? core_domain_set_level(d, level) : 0;
		if (err) {
			core_domain_put(d);
			return err;
		}
	} else if (id) {
		d = core_domain_find(id);
		if (!d)
			return -EINVAL;
	}
	err = core_domain_move_pid(d, fresh, pid, type, 0);
	if (!err && fresh)
		err = d->id;
	core_domain_put(d);
	return err;
}

static int core_domain_get_id(pid_t pid, unsigned long what)
{
	struct core_domain *d;
	struct task_struct *task;
	int ret;

	if (pid < 0)
		return -ESRCH;
	rcu_read_lock();
	task = pid ? find_task_by_vpid(pid) : current;
	if (!task)
		ret = -ESRCH;
	else if (task != current &&
		 !ptrace_may_access(task, PTRACE_MODE_READ_REALCREDS))
		ret = -EPERM;
	else if (what == PR_CORE_DOMAIN_GET_LEVEL)
		ret = (d = READ_ONCE(task->core_domain)) ? d->level : 0;
	else
		ret = core_domain_id(READ_ONCE(task->core_domain));
	rcu_read_unlock();
	return ret;
}

/**
 * core_domain_prctl - PR_SET_CORE_DOMAIN and PR_GET_CORE_DOMAIN
 * @option: the prctl command
 * @arg2: SET: the domain id, 0 or PR_CORE_DOMAIN_NEW; GET: the pid
 * @arg3: SET: the pid (0: the caller); GET: PR_CORE_DOMAIN_GET_ID or
 *	PR_CORE_DOMAIN_GET_LEVEL
 * @arg4: SET: the scope, a PR_CORE_DOMAIN_SCOPE_* value; GET: must be 0
 * @arg5: SET with PR_CORE_DOMAIN_NEW: the protection level,
 *	PR_CORE_DOMAIN_LEVEL_USER or PR_CORE_DOMAIN_LEVEL_KERNEL, or 0 for
 *	the boot default (core_domain_level=); other SETs and GET: must be 0
 *
 * See Documentation/userspace-api/core-domain.rst.
 *
 * Return: SET with PR_CORE_DOMAIN_NEW: the new id; other SETs: 0; GET: the
 * domain id, or with PR_CORE_DOMAIN_GET_LEVEL its level (0 for the host
 * domain).  -EINVAL for bad arguments or an unknown id, -ESRCH for no
 * such task, -EPERM when not allowed, -ENODEV when this boot does not
 * enforce core domains, -ENOSPC when ids are exhausted.
 */
int core_domain_prctl(int option, unsigned long arg2, unsigned long arg3,
		      unsigned long arg4, unsigned long arg5)
{
	if (!core_domain_available())
		return -ENODEV;

	switch (option) {
	case PR_SET_CORE_DOMAIN:
		if (arg3 > INT_MAX)
			return -EINVAL;
		return core_domain_set(arg2, arg3, arg4, arg5);
	case PR_GET_CORE_DOMAIN:
		if (arg3 > PR_CORE_DOMAIN_GET_LEVEL || arg4 || arg5 ||
		    arg2 > INT_MAX)
			return -EINVAL;
		return core_domain_get_id(arg2, arg3);
	}
	return -EINVAL;
}

/**
 * proc_core_domain_show - the CoreDomain lines of /proc/PID/status
 * @m: the status file
 * @p: the task shown
 */
void proc_core_domain_show(struct seq_file *m, struct task_struct *p)
{
	static const char * const levels[] = { "host", "user", "kernel" };
	struct core_domain *d;
	u8 level;
	u32 id;

	/* Who may not ask PR_GET_CORE_DOMAIN does not learn it here either. */
	if (!ptrace_may_access(p, PTRACE_MODE_READ_FSCREDS))
		return;
	rcu_read_lock();
	d = READ_ONCE(p->core_domain);
	id = core_domain_id(d);
	level = d ? d->level : 0;
	rcu_read_unlock();
	seq_printf(m, "CoreDomain:\t%u\n", id);
	seq_printf(m, "CoreDomainLevel:\t%s\n",
		   level < ARRAY_SIZE(levels) ? levels[level] : "?");
	seq_printf(m, "CoreDomainForcedIdle:\t%llu\n",
		   core_domain_task_forceidle(p) / NSEC_PER_USEC);
}

/* debugfs core_domain/domains: every live domain, for tests and operators. */
static int cd_domains_show(struct seq_file *m, void *v)
{
	struct core_domain *d;
	unsigned long id;

	seq_puts(m, "# id refs parent\n");
	rcu_read_lock();
	xa_for_each(&core_domains, id, d)
		seq_printf(m, "%lu %u %u\n", id, refcount_read(&d->ref),
			   core_domain_id(d->parent));
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cd_domains);

/* After core_tag.c's initcall (link order) has made the directory. */
static int __init core_domain_task_debugfs_init(void)
{
	struct dentry *dir = debugfs_lookup("core_domain", NULL);

	if (!dir)
		return 0;
	debugfs_create_file("domains", 0444, dir, NULL, &cd_domains_fops);
	dput(dir);
	return 0;
}
late_initcall(core_domain_task_debugfs_init);

static struct ctl_table core_domain_sysctls[] = {
	{
		.procname	= "core_domain_unprivileged_enable",
		.data		= &core_domain_unprivileged_enable,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
};

static int __init core_domain_sysctl_init(void)
{
	register_sysctl_init("kernel", core_domain_sysctls);
	return 0;
}
late_initcall(core_domain_sysctl_init);
