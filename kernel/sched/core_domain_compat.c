// SPDX-License-Identifier: GPL-2.0
/*
 * Core domains: upstream core scheduling's prctl(PR_SCHED_CORE).
 *
 * Tools built for core scheduling (libvirt's sched_core, containerd and
 * the Kata shim, util-linux coresched, Chromium's renderer sandbox,
 * cloud-hypervisor's core_scheduling) speak PR_SCHED_CORE.  Here a cookie
 * is a domain, and the calls are the domain moves they stand for:
 *
 *  - PR_SCHED_CORE_CREATE puts the target (a thread, thread group or
 *    process group) into a new domain;
 *  - PR_SCHED_CORE_SHARE_TO puts the targets into the caller's domain;
 *  - PR_SCHED_CORE_SHARE_FROM puts the caller into the target's domain;
 *  - PR_SCHED_CORE_GET writes the target's domain id as the cookie, 0 for
 *    the host domain.
 *
 * Arguments, return values and the order of the errors are upstream's.
 * Permissions are the domains' (core_domain_task.c): upstream's ptrace
 * read check on every task moved, and on top of it, joining a domain
 * needs membership or read access to a member (SHARE_FROM: the target),
 * putting tasks into the host domain needs CAP_SYS_ADMIN, kernel threads
 * are not moved and a cgroup's domain confines its tasks.  A boot that does
 * not enforce core domains (core_domain=off, or auto on a CPU that does
 * not leak across threads) accepts the calls and changes nothing, so
 * tools that treat an error as fatal keep working: every cookie stays 0.
 * Without SMT the calls fail with -ENODEV, as upstream's do.
 */
#include <linux/mmu_context.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/smt.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>

#include "sched.h"
#include "core_domain.h"

/* A reference to @p's domain (NULL: the host domain). */
static struct core_domain *core_domain_of(struct task_struct *p)
{
	struct core_domain *d;

	rcu_read_lock();
	/* A domain @p just left may be going: read again, it changed. */
	do {
		d = READ_ONCE(p->core_domain);
	} while (d && !refcount_inc_not_zero(&d->ref));
	rcu_read_unlock();
	return d;
}

/**
 * core_domain_sched_core - prctl(PR_SCHED_CORE) on core domains
 * @cmd: PR_SCHED_CORE_GET, _CREATE, _SHARE_TO or _SHARE_FROM
 * @pid: the target (0: the caller)
 * @type: PR_SCHED_CORE_SCOPE_THREAD, _THREAD_GROUP or _PROCESS_GROUP
 * @uaddr: GET: where to write the cookie (a u64); others: must be 0
 *
 * See the comment at the top of this file and
 * Documentation/userspace-api/core-domain.rst.
 *
 * Return: 0, -ENODEV without SMT, -EINVAL for bad arguments, -ESRCH for
 * no such task, -EPERM when not allowed, -ENOMEM (also when the domain ids
 * are exhausted), -EFAULT for a bad @uaddr.
 */
int core_domain_sched_core(unsigned long cmd, pid_t pid, unsigned long type,
			   unsigned long uaddr)
{
	struct task_struct *task;
	struct core_domain *d;
	int err;

	if (!sched_smt_active())
		return -ENODEV;

	BUILD_BUG_ON(PR_SCHED_CORE_SCOPE_THREAD != PIDTYPE_PID);
	BUILD_BUG_ON(PR_SCHED_CORE_SCOPE_THREAD_GROUP != PIDTYPE_TGID);
	BUILD_BUG_ON(PR_SCHED_CORE_SCOPE_PROCESS_GROUP != PIDTYPE_PGID);

	if (type > PIDTYPE_PGID || cmd >= PR_SCHED_CORE_MAX || pid < 0 ||
	    (cmd != PR_SCHED_CORE_GET && uaddr))
		return -EINVAL;

	rcu_read_lock();
	task = pid ? find_task_by_vpid(pid) : current;
	if (!task) {
		rcu_read_unlock();
		return -ESRCH;
	}
	get_task_struct(task);
	rcu_read_unlock();

	if (!ptrace_may_access(task, PTRACE_MODE_READ_REALCREDS)) {
		err = -EPERM;
		goto out;
	}

	switch (cmd) {
	case PR_SCHED_CORE_GET:
		if (type != PIDTYPE_PID || uaddr & 7) {
			err = -EINVAL;
			goto out;
		}
		rcu_read_lock();
		err = core_domain_id(READ_ONCE(task->core_domain));
		rcu_read_unlock();
		err = put_user((u64)err, (u64 __user *)uaddr);
		goto out;
	case PR_SCHED_CORE_SHARE_FROM:
		if (type != PIDTYPE_PID) {
			err = -EINVAL;
			goto out;
		}
		break;
	}

	err = 0;
	if (!core_domain_available())
		goto out;

	switch (cmd) {
	case PR_SCHED_CORE_CREATE:
		d = core_domain_alloc(NULL);
		if (IS_ERR(d)) {
			/* Upstream's CREATE fails with ENOMEM, not ENOSPC. */
			err = PTR_ERR(d) == -EPERM ? -EPERM : -ENOMEM;
			goto out;
		}
		err = core_domain_move_pid(d, true, pid, type, 0);
		break;
	case PR_SCHED_CORE_SHARE_TO:
		d = core_domain_of(current);
		err = core_domain_move_pid(d, false, pid, type, 0);
		break;
	default:	/* PR_SCHED_CORE_SHARE_FROM */
		/* Who may read a member may run beside it (checked above). */
		d = core_domain_of(task);
		err = core_domain_move_pid(d, false, 0, PIDTYPE_PID, CD_MOVE_JOIN);
		break;
	}
	core_domain_put(d);
out:
	put_task_struct(task);
	return err;
}
