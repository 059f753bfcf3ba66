// SPDX-License-Identifier: GPL-2.0
/*
 * Core domains: the cpu controller's cpu.core_domain file.
 *
 * A cgroup may impose a security domain on its tasks.  It governs its own
 * tasks and those of its descendants that impose none of their own; every
 * task it governs is in its domain or in a narrower domain created inside
 * it (struct core_domain @parent).  The semantics, tabulated in
 * Documentation/admin-guide/hw-vuln/core-domain.rst:
 *
 *  - Writing "new" gives the group a fresh domain; an id adopts that
 *    domain, if the writer may join it (core_domain_may_join(), the
 *    PR_SET_CORE_DOMAIN rule); "none" or "0" makes the group impose
 *    nothing of its own, so it inherits its parent's domain, if any.
 *    Under a parent that imposes domain P, only P and domains within P may
 *    be adopted and "new" nests in P; where "none" would return tasks to
 *    the host domain, it needs CAP_SYS_ADMIN.  Who may write at all is the
 *    file's mode: cgroup delegation; the writer's rights are those of the
 *    credentials that opened the file.
 *  - A write or a migration that would move a task the writer may not
 *    move by prctl (core_domain_may_control()) fails with EPERM and
 *    changes nothing: in a delegated subtree, cgroup v2 checks no target
 *    credentials.  Kernel threads stay in the host domain.
 *  - A write moves every task the group governs, running ones included,
 *    into the group's new domain (the host domain for "none" with nothing
 *    inherited).  Descendants with a domain of their own keep it.
 *  - A task migrating into a governed group joins its domain in the same
 *    cgroup attach pass, unless it already is in it or within it; one
 *    leaving for a group that imposes nothing keeps its domain: leaving a
 *    tenant never weakens its isolation implicitly.  Children, including
 *    CLONE_INTO_CGROUP ones, follow the same rule (core_domain_fork()).
 *  - The group holds a reference to its domain until the group is freed;
 *    the id lives on while any task or narrower domain still uses it.
 *
 * Serialisation: core_domain_cgroup_mutex orders every decision that
 * depends on a task's group and that group's domain: writes to the file,
 * migrations and PR_SET_CORE_DOMAIN.  A write also holds the cgroup
 * threadgroup rwsem for writing, so that no fork is between inheriting
 * its parent's domain and becoming visible to the walk over the group.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/kernfs.h>
#include <linux/mmu_context.h>
#include <linux/mutex.h>
#include <linux/percpu-rwsem.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "sched.h"
#include "core_domain.h"

static DEFINE_MUTEX(core_domain_cgroup_mutex);

/* The domain @tg imposes: its own or its nearest ancestor's; NULL: none. */
static struct core_domain *tg_core_domain(struct task_group *tg)
{
	struct core_domain *d;

	for (; tg; tg = tg->parent) {
		d = READ_ONCE(tg->core_domain);
		if (d)
			return d;
	}
	return NULL;
}

/**
 * core_domain_cgroup_domain - the domain a task's cgroup confines it to
 * @p: the task; its group must be stable: core_domain_cgroup_lock() held,
 *     or @p being created by copy_process()
 *
 * Return: the domain, or NULL when no group imposes one.
 */
struct core_domain *core_domain_cgroup_domain(struct task_struct *p)
{
	return tg_core_domain(p->sched_task_group);
}

/**
 * core_domain_cgroup_lock - keep tasks' groups and groups' domains stable
 *
 * For PR_SET_CORE_DOMAIN, between its permission check and its update.
 */
void core_domain_cgroup_lock(void)
{
	mutex_lock(&core_domain_cgroup_mutex);
}

/**
 * core_domain_cgroup_unlock - pairs with core_domain_cgroup_lock()
 */
void core_domain_cgroup_unlock(void)
{
	mutex_unlock(&core_domain_cgroup_mutex);
}

/*
 * Does a task that @tg's domain @d now governs change domain?  With @d
 * NULL (nothing imposed any more) every task returns to the host domain;
 * otherwise tasks already within @d stay where they are.  Kernel threads
 * stay in the host domain whatever their group.
 */
static bool core_domain_cgroup_moves(struct task_struct *p,
				     struct core_domain *d)
{
	if (p->flags & PF_KTHREAD)
		return false;
	return !d || !core_domain_within(READ_ONCE(p->core_domain), d);
}

/**
 * core_domain_cgroup_can_attach - may these tasks join their new groups?
 * @tset: the migrating tasks and their destinations
 *
 * Called by cpu_cgroup_can_attach().  A migration that would move a task
 * into its new group's domain needs the same right as moving it there by
 * prctl (core_domain_may_control(), with the credentials of the task that
 * migrates it): cgroup v2 checks no target credentials inside a delegated
 * subtree, and a delegatee must not pull a privileged process that lives
 * there into its own domain.  The destination's domain cannot change until
 * the migration completes (cgroup_threadgroup_rwsem).
 *
 * Return: 0, or -EPERM when a task may not be moved so.
 */
int core_domain_cgroup_can_attach(struct cgroup_taskset *tset)
{
	struct cgroup_subsys_state *css;
	struct task_struct *p;
	struct core_domain *c;

	if (!core_domain_enabled())
		return 0;
	cgroup_taskset_for_each(p, css, tset) {
		c = tg_core_domain(css_tg(css));
		if (c && core_domain_cgroup_moves(p, c) &&
		    !core_domain_may_control(p))
			return -EPERM;
	}
	return 0;
}

/**
 * core_domain_cgroup_attach - a task moved into a group: confine it
 * @p: the task, already moved by sched_move_task()
 *
 * Called by cpu_cgroup_attach() for every migrating task, before the
 * migration completes.
 */
void core_domain_cgroup_attach(struct task_struct *p)
{
	struct core_domain *c;
	int cpu = -1;

	/*
	 * Nothing to do (and no global mutex on every migration) while no
	 * domain exists; a write that tags the group concurrently finds @p
	 * in it, since the migration moved it before calling us.
	 */
	if (!core_domain_enabled())
		return;
	mutex_lock(&core_domain_cgroup_mutex);
	c = core_domain_cgroup_domain(p);
	if (c && core_domain_cgroup_moves(p, c))
		cpu = core_domain_set_task(p, c);
	/* The migration completes only once @p runs in its new domain. */
	core_domain_sync_move(p, cpu);
	mutex_unlock(&core_domain_cgroup_mutex);
}

/**
 * core_domain_cgroup_free - a group is freed: drop its domain
 * @tg: the group
 */
void core_domain_cgroup_free(struct task_group *tg)
{
	core_domain_put(tg->core_domain);
}

/*
 * Move the tasks @tg governs into @d: @tg's own and those of descendants
 * that impose no domain of their own, as far as core_domain_cgroup_moves()
 * says.  The CPUs of those that ran go into @sync.  With @sync NULL, move
 * nothing: return -EPERM if the caller may not move one of them
 * (core_domain_may_control()), 0 otherwise.
 */
static int core_domain_cgroup_retag(struct task_group *tg,
				    struct core_domain *d,
				    struct cpumask *sync)
{
	struct cgroup_subsys_state *pos;
	struct css_task_iter it;
	struct task_struct *p;
	int err = 0;

	rcu_read_lock();
	css_for_each_descendant_pre(pos, &tg->css) {
		if (pos != &tg->css && css_tg(pos)->core_domain) {
			pos = css_rightmost_descendant(pos);
			continue;
		}
		css_task_iter_start(pos, 0, &it);
		while (!err && (p = css_task_iter_next(&it))) {
			int cpu;

			if (!core_domain_cgroup_moves(p, d))
				continue;
			if (!sync) {
				if (!core_domain_may_control(p))
					err = -EPERM;
				continue;
			}
			cpu = core_domain_set_task(p, d);
			if (cpu >= 0)
				__cpumask_set_cpu(cpu, sync);
		}
		css_task_iter_end(&it);
		if (err)
			break;
	}
	rcu_read_unlock();
	return err;
}

/* Drop the old domains of the moves that took effect in @tg's subtree. */
static void core_domain_cgroup_settle(struct task_group *tg)
{
	struct cgroup_subsys_state *pos;
	struct css_task_iter it;
	struct task_struct *p;

	rcu_read_lock();
	css_for_each_descendant_pre(pos, &tg->css) {
		css_task_iter_start(pos, 0, &it);
		while ((p = css_task_iter_next(&it)))
			core_domain_settle(p);
		css_task_iter_end(&it);
	}
	rcu_read_unlock();
}

/*
 * Give @tg the domain @d (NULL: none of its own).  @fresh: @d was just
 * created for it.  Returns once every task moved runs in its new domain.
 */
static int core_domain_cgroup_set(struct task_group *tg, struct core_domain *d,
				  bool fresh, struct cpumask *sync)
{
	struct core_domain *p = tg_core_domain(tg->parent), *old;

	lockdep_assert_held(&core_domain_cgroup_mutex);
	if (fresh)
		d->parent = core_domain_get(p);
	else if (d && !(core_domain_within(d, p) && core_domain_may_join(d)))
		return -EPERM;
	else if (!d && !p && tg->core_domain && !capable(CAP_SYS_ADMIN))
		return -EPERM;

	old = tg->core_domain;
	if (d == old)
		return 0;
	/* All or nothing: every task that would move must be the writer's to move. */
	if (core_domain_cgroup_retag(tg, d ?: p, NULL))
		return -EPERM;
	if (fresh)
		core_domain_publish(d);
	WRITE_ONCE(tg->core_domain, core_domain_get(d));
	core_domain_cgroup_retag(tg, d ?: p, sync);
	core_domain_put(old);
	if (!cpumask_empty(sync)) {
		core_domain_sync_moves(sync);
		core_domain_cgroup_settle(tg);
	}
	return 0;
}

/**
 * core_domain_cgroup_write - write cpu.core_domain
 * @of: the open file
 * @buf: "new", a domain id (kstrtou32(): decimal, optional '+'), "0" or
 *	 "none"; surrounding white space is ignored, a NUL byte is not
 * @nbytes: the length of @buf
 * @off: ignored
 *
 * Return: @nbytes, or -EINVAL for anything else and for an id no domain
 * has, -EPERM when the caller may not (see the file comment), -ENODEV when
 * this boot does not enforce core domains, -ENOSPC when ids are exhausted.
 */
ssize_t core_domain_cgroup_write(struct kernfs_open_file *of, char *buf,
				 size_t nbytes, loff_t off)
{
	struct task_group *tg = css_tg(of_css(of));
	struct core_domain *d = NULL;
	const struct cred *cred;
	cpumask_var_t sync;
	bool fresh = false;
	u8 level = 0;
	u32 id = 0;
	int err;

	if (!core_domain_available())
		return -ENODEV;
	/* A NUL byte inside the write: not a value we know, not its prefix. */
	if (strnlen(buf, nbytes) != nbytes)
		return -EINVAL;
	buf = strim(buf);
	if (!strcmp(buf, "new")) {
		fresh = true;
	} else if (!strcmp(buf, "new kernel")) {
		fresh = true;
		level = CORE_DOMAIN_LEVEL_KERNEL;
	} else if (strcmp(buf, "none") &&
		 (kstrtou32(buf, 10, &id) || id > CORE_DOMAIN_ID_MAX)) {
		return -EINVAL;
	}

	/*
	 * Whoever opened the file decides, as for cgroup.procs: a file
	 * descriptor handed to a more privileged program must not lend the
	 * writer's privilege to the opener's choice of domain.
	 */
	cred = override_creds(of->file->f_cred);
	if (fresh) {
		d = core_domain_alloc(NULL);
		if (!IS_ERR(d) && level) {
			err = core_domain_set_level(d, level);
			if (err) {
				core_domain_put(d);
				d = ERR_PTR(err);
			}
		}
	} else if (id)
		d = core_domain_find(id) ?: ERR_PTR(-EINVAL);
	if (IS_ERR(d)) {
		revert_creds(cred);
		return PTR_ERR(d);
	}
	/* The CPUs where moved tasks run: their moves take effect there. */
	if (!zalloc_cpumask_var(&sync, GFP_KERNEL)) {
		core_domain_put(d);
		revert_creds(cred);
		return -ENOMEM;
	}
	/* Before the locks below: enabling takes the CPU hotplug lock. */
	if (d)
		core_domain_enable();
	err = d && d->level == CORE_DOMAIN_LEVEL_KERNEL ?
	      core_domain_kernel_enable() : 0;
	if (err) {
		free_cpumask_var(sync);
		core_domain_put(d);
		revert_creds(cred);
		return err;
	}

	percpu_down_write(&cgroup_threadgroup_rwsem);
	mutex_lock(&core_domain_cgroup_mutex);
	err = core_domain_cgroup_set(tg, d, fresh, sync);
	mutex_unlock(&core_domain_cgroup_mutex);
	percpu_up_write(&cgroup_threadgroup_rwsem);
	free_cpumask_var(sync);
	core_domain_put(d);
	revert_creds(cred);
	return err ?: nbytes;
}

/**
 * core_domain_cgroup_show - read cpu.core_domain
 * @sf: the file
 * @v: unused
 *
 * One line: "ID own" for a domain the group imposes itself, "ID inherited"
 * for one it inherits, "0 none" when its tasks are not confined; " kernel"
 * follows for a domain of the kernel protection level.
 *
 * Return: 0.
 */
int core_domain_cgroup_show(struct seq_file *sf, void *v)
{
	struct task_group *tg = css_tg(seq_css(sf));
	struct core_domain *d;

	mutex_lock(&core_domain_cgroup_mutex);
	d = tg_core_domain(tg);
	if (!d)
		seq_puts(sf, "0 none\n");
	else
		seq_printf(sf, "%u %s%s\n", d->id,
			   d == tg->core_domain ? "own" : "inherited",
			   d->level == CORE_DOMAIN_LEVEL_KERNEL ? " kernel" : "");
	mutex_unlock(&core_domain_cgroup_mutex);
	return 0;
}
