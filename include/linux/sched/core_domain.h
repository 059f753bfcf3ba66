/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Core domains: SMT isolation between security domains.
 *
 * Every task belongs to a security domain (0, the host domain, unless it
 * was put into another one).  The SMT siblings of a core only ever run
 * tasks of one domain at a time.  See Documentation/scheduler/core-domain.rst.
 */
#ifndef _LINUX_SCHED_CORE_DOMAIN_H
#define _LINUX_SCHED_CORE_DOMAIN_H

#include <linux/jump_label.h>
#include <linux/types.h>

struct cpumask;
struct seq_file;
struct task_struct;

/**
 * enum core_domain_mode - the core_domain= boot parameter
 * @CORE_DOMAIN_OFF:	never enforce; domains cannot be created (-ENODEV).
 * @CORE_DOMAIN_AUTO:	enforce when SMT is possible and the CPU reports a
 *			cross-thread vulnerability (L1TF, MDS, TAA, MMIO
 *			stale data, RFDS, cross-thread RSB, TSA); otherwise off.
 * @CORE_DOMAIN_ON:	enforce whenever SMT is possible.
 */
enum core_domain_mode {
	CORE_DOMAIN_OFF,
	CORE_DOMAIN_AUTO,
	CORE_DOMAIN_ON,
};

/* Protection levels of a domain, as prctl(PR_SET_CORE_DOMAIN) names them. */
#define CORE_DOMAIN_LEVEL_USER		1	/* user and guest code of one domain per core */
#define CORE_DOMAIN_LEVEL_KERNEL	2	/* ... and never beside host-kernel code */

#ifdef CONFIG_SCHED_CORE_DOMAIN_KERNEL
DECLARE_STATIC_KEY_FALSE(core_domain_kernel_key);

bool __core_domain_user_enter(unsigned long work);
void __core_domain_kernel_enter(void);
bool __core_domain_irq_enter(void);
void __core_domain_irq_exit(void);
void __core_domain_idle_enter(void);
void __core_domain_idle_exit(void);
bool __core_domain_guest_enter(unsigned long work, const int *mode, int stay);
void __core_domain_guest_exit(void);
bool __core_domain_guest_fastpath_off(void);
void core_domain_kernel_pause(void);

/*
 * The entry points of kernel-entry protection (kernel/sched/core_domain_kernel.c).
 * Each is a static branch until the first domain of the kernel level exists.
 */

/* Interrupts off, about to return to user mode: false means redo the work. */
static __always_inline bool core_domain_user_enter(unsigned long work)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		return __core_domain_user_enter(work);
	return true;
}

/* Entered from user mode, interrupts off. */
static __always_inline void core_domain_kernel_enter(void)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		__core_domain_kernel_enter();
}

/* An interrupt or exception from kernel mode: true means call _exit(). */
static __always_inline bool core_domain_irq_enter(void)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		return __core_domain_irq_enter();
	return false;
}

static __always_inline void core_domain_irq_exit(bool marked)
{
	if (marked)
		__core_domain_irq_exit();
}

/* The idle loop, interrupts off, about to idle; and when it ends. */
static __always_inline void core_domain_idle_enter(void)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		__core_domain_idle_enter();
}

static __always_inline void core_domain_idle_exit(void)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		__core_domain_idle_exit();
}

/* KVM, interrupts off: entering guest mode (false: do not), leaving it. */
static __always_inline bool core_domain_guest_enter(unsigned long work,
						    const int *mode, int stay)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		return __core_domain_guest_enter(work, mode, stay);
	return true;
}

static __always_inline void core_domain_guest_exit(void)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		__core_domain_guest_exit();
}

/* A fast-path exit of a protected vCPU: true means take the full exit. */
static __always_inline bool core_domain_guest_fastpath_off(void)
{
	if (static_branch_unlikely(&core_domain_kernel_key))
		return __core_domain_guest_fastpath_off();
	return false;
}
#else
static __always_inline bool core_domain_user_enter(unsigned long work)
{
	return true;
}

static __always_inline void core_domain_kernel_enter(void) { }
static __always_inline bool core_domain_irq_enter(void) { return false; }
static __always_inline void core_domain_irq_exit(bool marked) { }
static __always_inline void core_domain_idle_enter(void) { }
static __always_inline void core_domain_idle_exit(void) { }
static __always_inline bool core_domain_guest_enter(unsigned long work,
						    const int *mode, int stay)
{
	return true;
}

static __always_inline void core_domain_guest_exit(void) { }
static __always_inline bool core_domain_guest_fastpath_off(void) { return false; }
static inline void core_domain_kernel_pause(void) { }
#endif /* CONFIG_SCHED_CORE_DOMAIN_KERNEL */

#ifdef CONFIG_SCHED_CORE_DOMAIN
extern enum core_domain_mode core_domain_mode;

bool core_domain_available(void);
bool arch_core_domain_vulnerable(void);
void arch_core_domain_enforce(void);
int arch_cpu_possible_smt_siblings(unsigned int cpu, struct cpumask *mask);
/* kernel/sched/core_tag.c, for core_domain_init(): see there. */
const char *core_domain_init_cores(void);

void core_domain_fork(struct task_struct *p);
void core_domain_free(struct task_struct *p);
int core_domain_prctl(int option, unsigned long arg2, unsigned long arg3,
		      unsigned long arg4, unsigned long arg5);
int core_domain_sched_core(unsigned long cmd, pid_t pid, unsigned long type,
			   unsigned long uaddr);
void proc_core_domain_show(struct seq_file *m, struct task_struct *p);
#else
static inline bool core_domain_available(void) { return false; }
static inline void core_domain_fork(struct task_struct *p) { }
static inline void core_domain_free(struct task_struct *p) { }
static inline int core_domain_prctl(int option, unsigned long arg2,
				    unsigned long arg3, unsigned long arg4,
				    unsigned long arg5)
{
	return -EINVAL;
}

static inline void proc_core_domain_show(struct seq_file *m,
					 struct task_struct *p) { }
#endif

#endif /* _LINUX_SCHED_CORE_DOMAIN_H */
