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
 *  - any task may move itself, or tasks it may ptrace, into a new domain;
 *  - moving a task into an existing domain needs ptrace access to the task
 *    and either membership of that domain or CAP_SYS_ADMIN in the user
 *    namespace that created it;
 *  - returning a task to the host domain 0 needs CAP_SYS_ADMIN.
 * So an unprivileged task can only ever share a core with tasks of its own
 * domain, which it already shares a core with.
 */
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/mmu_context.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "sched.h"
#include "core_domain.h"

static DEFINE_XARRAY_FLAGS(core_domains, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
static u32 core_domain_next_id;

static struct core_domain *core_domain_alloc(void)
{
	u32 max = clamp_t(u32, READ_ONCE(core_domain_max_id), 1, CORE_DOMAIN_ID_MAX);
	struct core_domain *d;
	int err;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	refcount_set(&d->ref, 1);
	d->user_ns = get_user_ns(current_user_ns());
	err = xa_alloc_cyclic_irq(&core_domains, &d->id, d,
				  XA_LIMIT(1, max),
				  &core_domain_next_id, GFP_KERNEL);
	if (err < 0) {
		put_user_ns(d->user_ns);
		kfree(d);
		return ERR_PTR(err == -EBUSY ? -ENOSPC : err);
	}
	return d;
}

static struct core_domain *core_domain_get(struct core_domain *d)
{
	if (d)
		refcount_inc(&d->ref);
	return d;
}

static void core_domain_put(struct core_domain *d)
{
	unsigned long flags;

	if (!d || !refcount_dec_and_test(&d->ref))
		return;
	/* Puts come from __put_task_struct(), possibly with IRQs off. */
	xa_lock_irqsave(&core_domains, flags);
	__xa_erase(&core_domains, d->id);
	xa_unlock_irqrestore(&core_domains, flags);
	put_user_ns(d->user_ns);
	kfree_rcu(d, rcu);
}

/* A reference to the domain with @id, or NULL if there is none. */
static struct core_domain *core_domain_find(u32 id)
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
 * old domain and is changed with the group, or the new one.
 */
void core_domain_fork(struct task_struct *p)
{
	p->core_domain = core_domain_get(current->core_domain);
	p->core_domain_moved = 0;
	p->core_domain_fi_ns = 0;
}

/**
 * core_domain_free - drop a dead task's domain reference
 * @p: the task being freed
 */
void core_domain_free(struct task_struct *p)
{
	core_domain_put(p->core_domain);
	p->core_domain = NULL;
}

/*
 * Move @p into @d (NULL: host domain).  Under the task's rq lock the tree
 * of queued tasks is kept in step; a running task is rescheduled so that
 * its CPU re-arbitrates before it runs in its new domain.
 */
static void core_domain_set_task(struct task_struct *p, struct core_domain *d)
{
	struct core_domain *old;
	struct rq_flags rf;
	struct rq *rq;
	bool queued;

	rq = task_rq_lock(p, &rf);
	old = p->core_domain;
	if (old == d) {
		task_rq_unlock(rq, p, &rf);
		return;
	}
	queued = core_domain_enabled() && task_on_rq_queued(p);
	if (queued)
		core_domain_dequeue(rq, p);
	if (task_on_cpu(rq, p)) {
		/* It runs under its old domain's claim until it switches. */
		WRITE_ONCE(p->core_domain_moved, 1);
		smp_wmb();	/* moved before domain: cd_check_invariant() */
		resched_curr(rq);
	}
	WRITE_ONCE(p->core_domain, core_domain_get(d));
	if (queued)
		core_domain_enqueue(rq, p);
	task_rq_unlock(rq, p, &rf);
	core_domain_put(old);
}

/* May the caller put @p into @d (NULL: host), given @fresh (a new domain)? */
static bool core_domain_may_move(struct task_struct *p, struct core_domain *d,
				 bool fresh)
{
	if (p != current && !ptrace_may_access(p, PTRACE_MODE_ATTACH_REALCREDS))
		return false;
	if (fresh)
		return true;
	if (!d)
		return capable(CAP_SYS_ADMIN);
	if (READ_ONCE(current->core_domain) == d)
		return true;
	return ns_capable(d->user_ns, CAP_SYS_ADMIN);
}

static int core_domain_set(unsigned long id, pid_t pid, unsigned long scope)
{
	struct core_domain *d = NULL;
	struct task_struct *task, *p;
	enum pid_type type;
	bool fresh = false;
	struct pid *grp;
	int err = 0, n;

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

	if (id == PR_CORE_DOMAIN_NEW || id == (unsigned long)-1) {
		d = core_domain_alloc();
		if (IS_ERR(d))
			return PTR_ERR(d);
		fresh = true;
	} else if (id > CORE_DOMAIN_ID_MAX) {
		return -EINVAL;
	} else if (id) {
		d = core_domain_find(id);
		if (!d)
			return -EINVAL;
	}

	/* The first domain turns the mechanism on, before anyone joins it. */
	if (d)
		core_domain_enable();

	/*
	 * tasklist_lock keeps the group stable between the permission pass
	 * and the update pass (all or nothing), and orders us against fork.
	 */
	read_lock(&tasklist_lock);
	rcu_read_lock();
	task = pid ? find_task_by_vpid(pid) : current;
	if (!task) {
		err = -ESRCH;
		goto out;
	}
	if (type == PIDTYPE_PID) {
		if (!core_domain_may_move(task, d, fresh))
			err = -EPERM;
		else
			core_domain_set_task(task, d);
		goto out;
	}
	grp = task_pid_type(task, type);
	n = 0;
	do_each_pid_thread(grp, type, p) {
		if (!core_domain_may_move(p, d, fresh)) {
			err = -EPERM;
			goto out;
		}
		n++;
	} while_each_pid_thread(grp, type, p);
	if (!n) {
		err = -ESRCH;
		goto out;
	}
	do_each_pid_thread(grp, type, p) {
		core_domain_set_task(p, d);
	} while_each_pid_thread(grp, type, p);
out:
	rcu_read_unlock();
	read_unlock(&tasklist_lock);
	if (!err && fresh)
		err = d->id;
	core_domain_put(d);
	return err;
}

static int core_domain_get_id(pid_t pid)
{
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
	else
		ret = core_domain_id(READ_ONCE(task->core_domain));
	rcu_read_unlock();
	return ret;
}

/**
 * core_domain_prctl - PR_SET_CORE_DOMAIN and PR_GET_CORE_DOMAIN
 * @option: the prctl command
 * @arg2: SET: the domain id, 0 or PR_CORE_DOMAIN_NEW; GET: the pid
 * @arg3: SET: the pid (0: the caller); GET: must be 0
 * @arg4: SET: the scope, a PR_CORE_DOMAIN_SCOPE_* value; GET: must be 0
 * @arg5: must be 0
 *
 * See Documentation/userspace-api/core-domain.rst.
 *
 * Return: SET with PR_CORE_DOMAIN_NEW: the new id; other SETs: 0; GET: the
 * domain id.  -EINVAL for bad arguments or an unknown id, -ESRCH for no
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
		if (arg5 || arg3 > INT_MAX)
			return -EINVAL;
		return core_domain_set(arg2, arg3, arg4);
	case PR_GET_CORE_DOMAIN:
		if (arg3 || arg4 || arg5 || arg2 > INT_MAX)
			return -EINVAL;
		return core_domain_get_id(arg2);
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
	u32 id;

	rcu_read_lock();
	id = core_domain_id(READ_ONCE(p->core_domain));
	rcu_read_unlock();
	seq_printf(m, "CoreDomain:\t%u\n", id);
	seq_printf(m, "CoreDomainForcedIdle:\t%llu\n",
		   core_domain_task_forceidle(p) / NSEC_PER_USEC);
}
