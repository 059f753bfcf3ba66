/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Core domains: what the scheduler core and the parts of the mechanism
 * share.  core_domain.c decides whether domains are enforced at all,
 * core_domain_task.c owns domain objects, task membership and the prctl,
 * core_tag.c arbitrates each SMT core.  Included by kernel/sched/ only.
 */
#ifndef _KERNEL_SCHED_CORE_DOMAIN_H
#define _KERNEL_SCHED_CORE_DOMAIN_H

#include <linux/sched/core_domain.h>

#ifdef CONFIG_SCHED_CORE_DOMAIN

/* Domain ids are 1..CORE_DOMAIN_ID_MAX; 0 is the host domain. */
#define CORE_DOMAIN_ID_MAX	((1U << 20) - 1)
/* The highest id handed out; debugfs max_id lowers it to test exhaustion. */
extern u32 core_domain_max_id;
/*
 * Hardware threads per core handled.  A core with more refuses core
 * domains at boot (core_domain_init_cores()): its extra threads would
 * never be checked against the others.
 */
#define CD_MAX_SMT		8
/* What an idle, stopper or offline CPU runs: no domain at all. */
#define CD_NONE			U32_MAX

/**
 * struct core_domain - a security domain
 * @ref:	one reference per member task, plus transient ones.
 * @id:		the number user space sees; never reused while referenced.
 * @ucounts:	the creator's per-user count it is charged to
 *		(user.max_core_domains), or NULL for an uncharged creator.
 * @parent:	the domain of the cgroup that confined the creator, if
 *		any (a reference): this domain is a narrower part of it.
 * @level:	CORE_DOMAIN_LEVEL_USER, or CORE_DOMAIN_LEVEL_KERNEL: its
 *		user and guest code never run beside host-kernel code on
 *		the core (core_domain_kernel.c).  Fixed at creation.
 * @rcu:	freed after an RCU grace period, for lockless readers.
 */
struct core_domain {
	refcount_t		ref;
	u32			id;
	u8			level;
	struct ucounts		*ucounts;
	struct core_domain	*parent;
	struct rcu_head		rcu;
};

DECLARE_STATIC_KEY_FALSE(core_domain_key);

/* True once the first domain was created: the hooks below run. */
static __always_inline bool core_domain_enabled(void)
{
	return static_branch_unlikely(&core_domain_key);
}

struct rq;

/* core_tag.c: the per-core arbitration, called by the scheduler core. */
void core_domain_enable(void);
bool core_domain_arbitrating(void);
void core_domain_enqueue(struct rq *rq, struct task_struct *p);
void core_domain_dequeue(struct rq *rq, struct task_struct *p);
struct task_struct *core_domain_arbitrate(struct rq *rq, struct task_struct *next);
void core_domain_switch(struct rq *rq, struct task_struct *prev,
			struct task_struct *next);
void core_domain_cpu_starting(unsigned int cpu);
void core_domain_cpu_dying(unsigned int cpu);
u64 core_domain_task_forceidle(struct task_struct *p);
void core_domain_core_cpus(int cpu, struct cpumask *mask);
bool core_domain_cpu_match(int cpu, struct task_struct *p);
bool core_domain_cpu_fair_waits(int cpu);
void core_domain_cpu_narrow(struct cpumask *mask, struct task_struct *p);

/* Placement hint: @cpu's siblings are idle or run @p's domain. */
static __always_inline bool core_domain_match(int cpu, struct task_struct *p)
{
	return !core_domain_enabled() || core_domain_cpu_match(cpu, p);
}

/* RT and deadline placement: the CPUs of @mask where @p would not wait. */
static __always_inline void core_domain_narrow(struct cpumask *mask,
					       struct task_struct *p)
{
	if (core_domain_enabled())
		core_domain_cpu_narrow(mask, p);
}

/*
 * @p, a fair task running on @cpu outside the fair server, stands in for
 * a fair pick that waits behind a sibling's real-time task: not fair time.
 */
static __always_inline bool core_domain_fair_waits(int cpu, struct task_struct *p)
{
	return core_domain_enabled() && !p->dl_server &&
	       core_domain_cpu_fair_waits(cpu);
}

static inline u32 core_domain_id(struct core_domain *d)
{
	return d ? d->id : 0;
}

/* core_domain_kernel.c: kernel-entry protection. */
#ifdef CONFIG_SCHED_CORE_DOMAIN_KERNEL
int core_domain_kernel_enable(void);
u8 core_domain_level_default(void);
#else
static inline int core_domain_kernel_enable(void) { return -EOPNOTSUPP; }
static inline u8 core_domain_level_default(void)
{
	return CORE_DOMAIN_LEVEL_USER;
}
#endif

/* core_domain_task.c: domain objects and membership. */
struct core_domain *core_domain_alloc(struct core_domain *parent);
struct core_domain *core_domain_find(u32 id);
void core_domain_publish(struct core_domain *d);
void core_domain_put(struct core_domain *d);
int core_domain_set_task(struct task_struct *p, struct core_domain *d);
void core_domain_sync_moves(const struct cpumask *cpus);
void core_domain_sync_move(struct task_struct *p, int cpu);
void core_domain_settle(struct task_struct *p);
int core_domain_set_level(struct core_domain *d, unsigned long level);
bool core_domain_may_control(struct task_struct *p);
bool core_domain_may_join(struct core_domain *d);

/* core_domain_move_pid() flags */
#define CD_MOVE_JOIN	0x1	/* the caller controls a member of the domain */
int core_domain_move_pid(struct core_domain *d, bool fresh, pid_t pid,
			 enum pid_type type, unsigned int flags);

static inline struct core_domain *core_domain_get(struct core_domain *d)
{
	if (d)
		refcount_inc(&d->ref);
	return d;
}

/* May a task confined to @c (a cgroup's domain, or NULL) be in @d? */
static inline bool core_domain_within(struct core_domain *d,
				      struct core_domain *c)
{
	return !c || d == c || (d && d->parent == c);
}

#ifdef CONFIG_SCHED_CORE_DOMAIN_CGROUP
struct task_group;
struct seq_file;
struct kernfs_open_file;
struct cgroup_taskset;

/* core_domain_cgroup.c: the cpu controller's cpu.core_domain. */
struct core_domain *core_domain_cgroup_domain(struct task_struct *p);
void core_domain_cgroup_lock(void);
void core_domain_cgroup_unlock(void);
int core_domain_cgroup_can_attach(struct cgroup_taskset *tset);
void core_domain_cgroup_attach(struct task_struct *p);
void core_domain_cgroup_free(struct task_group *tg);
int core_domain_cgroup_show(struct seq_file *sf, void *v);
ssize_t core_domain_cgroup_write(struct kernfs_open_file *of, char *buf,
				 size_t nbytes, loff_t off);
#else
static inline struct core_domain *core_domain_cgroup_domain(struct task_struct *p)
{
	return NULL;
}

static inline void core_domain_cgroup_lock(void) { }
static inline void core_domain_cgroup_unlock(void) { }
#endif

#else /* !CONFIG_SCHED_CORE_DOMAIN */

struct rq;
struct task_group;

static __always_inline bool core_domain_enabled(void) { return false; }
static __always_inline bool core_domain_match(int cpu, struct task_struct *p)
{
	return true;
}

static __always_inline bool core_domain_fair_waits(int cpu, struct task_struct *p)
{
	return false;
}

static __always_inline void core_domain_narrow(struct cpumask *mask,
					       struct task_struct *p) { }

static inline void core_domain_enqueue(struct rq *rq, struct task_struct *p) { }
static inline void core_domain_dequeue(struct rq *rq, struct task_struct *p) { }
static inline void core_domain_switch(struct rq *rq, struct task_struct *prev,
				      struct task_struct *next) { }
static inline void core_domain_cpu_starting(unsigned int cpu) { }
static inline void core_domain_cpu_dying(unsigned int cpu) { }

#endif /* CONFIG_SCHED_CORE_DOMAIN */

#ifndef CONFIG_SCHED_CORE_DOMAIN_CGROUP
struct cgroup_taskset;

static inline int core_domain_cgroup_can_attach(struct cgroup_taskset *tset)
{
	return 0;
}

static inline void core_domain_cgroup_attach(struct task_struct *p) { }
static inline void core_domain_cgroup_free(struct task_group *tg) { }
#endif

#endif /* _KERNEL_SCHED_CORE_DOMAIN_H */
