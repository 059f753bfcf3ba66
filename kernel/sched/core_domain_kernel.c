// SPDX-License-Identifier: GPL-2.0
/*
 * Core domains: kernel-entry protection.
 *
 * The arbitration in core_tag.c keeps the tasks of one domain per core.
 * A domain created at the kernel protection level asks more: while one
 * thread of a core runs user or guest code of such a domain, no other
 * thread of the core runs host-kernel code (an interrupt handler, a
 * softirq, a system call, the handling of a VM exit beyond KVM's
 * interrupts-off fast path), which would pull data of anyone into the
 * buffers the threads share.  That is invariant K of
 * Documentation/scheduler/core-domain.rst.
 *
 * Each CPU publishes a state:
 *
 *   CDK_HOST	it runs, or may run at any moment, host-kernel code.  What
 *		every CPU starts in, and what ordinary kernel code runs in;
 *		also user code of domains that are not protected, which
 *		the arbitration never lets run beside a protected one.
 *   CDK_SAFE	it runs nothing that matters to a sibling either way: idle,
 *		offline, or waiting to enter a protected domain's code.
 *   CDK_PROT	it runs, or is about to run with interrupts off, user or
 *		guest code of a protected domain.
 *
 * K holds when no core has a CPU in CDK_PROT and one in CDK_HOST at once.
 * Entering CDK_HOST stores it, then waits, interrupts off, until no sibling
 * is in CDK_PROT, kicking those that are with an IPI: a CPU in CDK_PROT is
 * in user or guest mode, or on its way there with interrupts off, so the
 * IPI brings it into the kernel, where it becomes CDK_HOST itself.
 * Entering CDK_PROT stores it and backs off to CDK_SAFE if a sibling is in
 * CDK_HOST; a full barrier between store and load on both sides means that
 * of two CPUs crossing at once at least one sees the other.  Only CDK_HOST
 * waits with interrupts off, and only for CDK_PROT, which never waits: the
 * waits form no cycle.  A CPU waiting to enter CDK_PROT does so with
 * interrupts on, in CDK_SAFE, and gives up as soon as it has other work
 * (a reschedule, a signal, a kick of its vCPU): stop_machine(), IPIs that
 * wait for completion and TLB shootdowns are served while it waits.
 *
 * All of it runs only behind core_domain_kernel_key, which the first
 * protected domain turns on.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/entry-common.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/idle.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "core_domain.h"

#include <trace/events/core_domain.h>
#include <trace/events/ipi.h>

enum {
	CDK_HOST,
	CDK_SAFE,
	CDK_PROT,
};

/**
 * struct cdk_cpu - kernel-entry protection state of one CPU
 * @state:	CDK_HOST, CDK_SAFE or CDK_PROT; written by the CPU itself
 *		(by the CPU bringing it up or down while it is offline),
 *		read by its siblings.
 * @sib:	the other CPUs of its core, as core_tag.c fixed them at boot.
 * @nr_sib:	how many.
 * @nr_kicks:	siblings this CPU sent out of CDK_PROT.
 * @nr_waits:	entries into CDK_PROT that had to wait for a sibling.
 * @nr_giveups:	waits given up for other work.
 * @wait_ns:	time spent waiting to enter CDK_PROT.
 * @spin_ns:	time spent waiting for siblings to leave CDK_PROT.
 */
struct cdk_cpu {
	int		state;
	int		sib[CD_MAX_SMT - 1];
	int		nr_sib;
	u64		nr_kicks;
	u64		nr_waits;
	u64		nr_giveups;
	u64		wait_ns;
	u64		spin_ns;
};

static DEFINE_PER_CPU_SHARED_ALIGNED(struct cdk_cpu, cdk_cpus);

DEFINE_STATIC_KEY_FALSE(core_domain_kernel_key);
EXPORT_SYMBOL_GPL(core_domain_kernel_key);

static DEFINE_MUTEX(cdk_enable_mutex);
static bool cdk_enabled;

/*
 * Fast-path VM exits (handled with interrupts off, the guest re-entered at
 * once) stay in CDK_PROT.  debugfs core_domain/kernel_fastpath turns that
 * off, to measure what protecting every exit would cost.
 */
static bool cdk_fastpath = true;

/* The level new domains get unless their creator says: core_domain_level=. */
static u8 cdk_default_level = CORE_DOMAIN_LEVEL_USER;

static inline struct cdk_cpu *cdk_cpu(int cpu)
{
	return per_cpu_ptr(&cdk_cpus, cpu);
}

static inline bool cdk_sibling_in(struct cdk_cpu *c, int state)
{
	int i;

	for (i = 0; i < c->nr_sib; i++) {
		if (READ_ONCE(cdk_cpu(c->sib[i])->state) == state)
			return true;
	}
	return false;
}

/*
 * @c's CPU runs host-kernel code from here: send out protected siblings.
 * Interrupts must be off: an interrupt taken while it waits would find
 * CDK_HOST already and run its handler beside protected code.
 */
static void cdk_host(struct cdk_cpu *c)
{
	bool kicked = false;
	u64 start = 0;
	int i;

	lockdep_assert_irqs_disabled();
	WRITE_ONCE(c->state, CDK_HOST);
	smp_mb();	/* state before siblings': pairs with cdk_try_prot() */
	for (i = 0; i < c->nr_sib; i++) {
		int s = c->sib[i];

		if (READ_ONCE(cdk_cpu(s)->state) != CDK_PROT)
			continue;
		if (!kicked)
			start = local_clock();
		kicked = true;
		c->nr_kicks++;
		smp_send_reschedule(s);
	}
	if (!kicked)
		return;
	for (i = 0; i < c->nr_sib; i++) {
		while (READ_ONCE(cdk_cpu(c->sib[i])->state) == CDK_PROT)
			cpu_relax();
	}
	c->spin_ns += local_clock() - start;
}

/* Try to enter CDK_PROT; on failure @c is left in CDK_SAFE. */
static bool cdk_try_prot(struct cdk_cpu *c)
{
	WRITE_ONCE(c->state, CDK_PROT);
	smp_mb();	/* state before siblings': pairs with cdk_host() */
	if (likely(!cdk_sibling_in(c, CDK_HOST)))
		return true;
	WRITE_ONCE(c->state, CDK_SAFE);
	return false;
}

/*
 * Enter CDK_PROT, called with interrupts off.  While a sibling runs host
 * code, wait for it in CDK_SAFE with interrupts on and preemption off;
 * give up, back in CDK_HOST, when a thread flag of @work is set or
 * *@mode (if given) is no longer @stay.  Returns with interrupts off.
 */
static bool cdk_enter_prot(unsigned long work, const int *mode, int stay)
{
	struct cdk_cpu *c = this_cpu_ptr(&cdk_cpus);
	bool ret = true;
	u64 start;

	if (likely(cdk_try_prot(c)))
		return true;
	preempt_disable();
	c->nr_waits++;
	start = local_clock();
	for (;;) {
		local_irq_enable();
		while (cdk_sibling_in(c, CDK_HOST)) {
			if ((read_thread_flags() & work) ||
			    (mode && READ_ONCE(*mode) != stay)) {
				ret = false;
				break;
			}
			cpu_relax();
		}
		local_irq_disable();
		if (!ret) {
			c->nr_giveups++;
			cdk_host(c);
			break;
		}
		if (cdk_try_prot(c))
			break;
	}
	c->wait_ns += local_clock() - start;
	preempt_enable_no_resched();
	return ret;
}

/* The domain current runs under: a move takes effect when it re-picks. */
static inline struct core_domain *cdk_current_domain(void)
{
	struct core_domain *d = READ_ONCE(current->core_domain);

	smp_rmb();	/* pairs with the smp_wmb() in core_domain_set_task() */
	if (READ_ONCE(current->core_domain_moved))
		d = READ_ONCE(current->core_domain_from);
	return d;
}

static inline bool cdk_current_protected(void)
{
	struct core_domain *d = cdk_current_domain();

	return d && d->level == CORE_DOMAIN_LEVEL_KERNEL;
}

/**
 * __core_domain_user_enter - about to return to user mode
 * @work: the thread flags that need the exit-to-user work loop
 *
 * Called with interrupts off after that loop.  A task of a protected
 * domain enters CDK_PROT; others leave the state as it is.
 *
 * Return: true to go on to user mode; false when it gave up waiting for
 * a sibling because of work in @work: run the work loop and call again.
 */
bool __core_domain_user_enter(unsigned long work)
{
	struct core_domain *d = cdk_current_domain();
	bool prot = d && d->level == CORE_DOMAIN_LEVEL_KERNEL;

	if (prot && !cdk_enter_prot(work, NULL, 0))
		return false;
	if (d)
		trace_core_domain_user(core_domain_id(d), prot);
	return true;
}

/**
 * __core_domain_kernel_enter - entered the kernel from user mode
 *
 * Called with interrupts off, first thing after the entry from user mode.
 */
void __core_domain_kernel_enter(void)
{
	struct cdk_cpu *c = this_cpu_ptr(&cdk_cpus);

	if (trace_core_domain_kernel_enabled()) {
		struct core_domain *d = cdk_current_domain();

		if (d)
			trace_core_domain_kernel(core_domain_id(d),
						 READ_ONCE(c->state) == CDK_PROT);
	}
	if (READ_ONCE(c->state) != CDK_HOST)
		cdk_host(c);
}

/**
 * __core_domain_irq_enter - an interrupt or exception entry from kernel mode
 *
 * Return: true when this CPU was in CDK_SAFE (idle, or waiting to enter a
 * protected domain) and is now in CDK_HOST: __core_domain_irq_exit() puts
 * it back.
 */
bool __core_domain_irq_enter(void)
{
	struct cdk_cpu *c = this_cpu_ptr(&cdk_cpus);

	if (READ_ONCE(c->state) != CDK_SAFE)
		return false;
	cdk_host(c);
	return true;
}

/**
 * __core_domain_irq_exit - the entry __core_domain_irq_enter() marked ends
 *
 * Nothing of the handler runs after this: back to CDK_SAFE.
 */
void __core_domain_irq_exit(void)
{
	/* The handler's accesses before a sibling can see CDK_SAFE. */
	smp_store_release(&this_cpu_ptr(&cdk_cpus)->state, CDK_SAFE);
}

/**
 * __core_domain_idle_enter - the idle loop is about to idle, interrupts off
 */
void __core_domain_idle_enter(void)
{
	/* Host code before idle is done before a sibling sees CDK_SAFE. */
	smp_store_release(&this_cpu_ptr(&cdk_cpus)->state, CDK_SAFE);
}

/**
 * __core_domain_idle_exit - the idle loop ends: the scheduler runs next
 *
 * Called with interrupts on.
 */
void __core_domain_idle_exit(void)
{
	struct cdk_cpu *c = this_cpu_ptr(&cdk_cpus);
	unsigned long flags;

	if (READ_ONCE(c->state) == CDK_HOST)
		return;
	local_irq_save(flags);
	cdk_host(c);
	local_irq_restore(flags);
}

/**
 * __core_domain_guest_enter - a vCPU is about to enter guest mode
 * @work: thread flags that make KVM leave its run loop for the host
 * @mode: the vCPU's mode, already IN_GUEST_MODE
 * @stay: IN_GUEST_MODE: a kick changes *@mode and ends a wait
 *
 * Called with interrupts and preemption off.  A vCPU thread of a
 * protected domain enters CDK_PROT.
 *
 * Return: false when it gave up waiting for a sibling (back in CDK_HOST):
 * the caller must not enter the guest, but leave to handle the work.
 */
bool __core_domain_guest_enter(unsigned long work, const int *mode, int stay)
{
	trace_core_domain_guest(core_domain_id(cdk_current_domain()));
	if (!cdk_current_protected())
		return true;
	return cdk_enter_prot(work, mode, stay);
}
EXPORT_SYMBOL_GPL(__core_domain_guest_enter);

/**
 * __core_domain_guest_exit - a vCPU leaves guest mode for host code
 *
 * Called with interrupts off after the VM exit and its fast-path handling,
 * before anything that may touch data beyond the vCPU's own state.
 */
void __core_domain_guest_exit(void)
{
	struct cdk_cpu *c = this_cpu_ptr(&cdk_cpus);
	bool prot = READ_ONCE(c->state) == CDK_PROT;

	if (READ_ONCE(c->state) != CDK_HOST)
		cdk_host(c);
	trace_core_domain_host(core_domain_id(cdk_current_domain()), prot);
}
EXPORT_SYMBOL_GPL(__core_domain_guest_exit);

/**
 * __core_domain_guest_fastpath_off - must a fast-path exit go the full way?
 *
 * Called with interrupts off after a VM exit that KVM's fast path handled
 * and would re-enter the guest from.
 *
 * Return: true if this CPU runs a protected vCPU and the fast path is
 * turned off (debugfs core_domain/kernel_fastpath): the caller leaves the
 * guest through __core_domain_guest_exit() and enters it again anew.
 */
bool __core_domain_guest_fastpath_off(void)
{
	return !READ_ONCE(cdk_fastpath) &&
	       READ_ONCE(this_cpu_ptr(&cdk_cpus)->state) == CDK_PROT;
}
EXPORT_SYMBOL_GPL(__core_domain_guest_fastpath_off);

/**
 * core_domain_kernel_pause - send out siblings in protected code
 *
 * For code that runs in CDK_PROT and is about to touch data beyond the
 * protected domain's own (a restricted address space switching to the
 * full kernel one): this CPU becomes CDK_HOST and waits, interrupts off,
 * until no sibling runs protected user or guest code.  Returning to the
 * protected code then goes through the usual entry into CDK_PROT.
 */
void core_domain_kernel_pause(void)
{
	if (!static_branch_unlikely(&core_domain_kernel_key))
		return;
	lockdep_assert_irqs_disabled();
	__core_domain_kernel_enter();
}
EXPORT_SYMBOL_GPL(core_domain_kernel_pause);

/*
 * Hotplug.  An offline CPU is CDK_SAFE; before one comes up it is made
 * CDK_HOST from the CPU bringing it up, so that its first instruction
 * already finds no sibling in protected code; once dead it is CDK_SAFE.
 */
static int cdk_cpu_prepare(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	cdk_host(cdk_cpu(cpu));
	local_irq_restore(flags);
	return 0;
}

static int cdk_cpu_dead(unsigned int cpu)
{
	/* The dead CPU's last host code before its siblings see CDK_SAFE. */
	smp_store_release(&cdk_cpu(cpu)->state, CDK_SAFE);
	return 0;
}

/**
 * core_domain_kernel_enable - turn kernel-entry protection on
 *
 * Called before the first domain of the kernel level gets a member, with
 * no locks held; may sleep.  Stays on until reboot.
 *
 * Return: 0, or a negative errno when the hotplug callbacks could not be
 * registered (no protected domain may then get members).
 */
int core_domain_kernel_enable(void)
{
	struct cpumask *mask;
	int cpu, s, ret = 0;

	/* Pairs with the release below: enabled means fully set up. */
	if (smp_load_acquire(&cdk_enabled))
		return 0;
	mask = kmalloc(cpumask_size(), GFP_KERNEL);
	if (!mask)
		return -ENOMEM;
	mutex_lock(&cdk_enable_mutex);
	if (cdk_enabled)
		goto out;
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		struct cdk_cpu *c = cdk_cpu(cpu);

		c->nr_sib = 0;
		core_domain_core_cpus(cpu, mask);
		for_each_cpu(s, mask) {
			if (s != cpu && c->nr_sib < ARRAY_SIZE(c->sib))
				c->sib[c->nr_sib++] = s;
		}
		/* Online CPUs run kernel code now: CDK_HOST, as initialised. */
		WRITE_ONCE(c->state, cpu_online(cpu) ? CDK_HOST : CDK_SAFE);
	}
	ret = cpuhp_setup_state_nocalls_cpuslocked(CPUHP_BP_PREPARE_DYN,
						   "sched/core_domain:kernel",
						   cdk_cpu_prepare, cdk_cpu_dead);
	if (ret < 0) {
		cpus_read_unlock();
		goto out;
	}
	ret = 0;
	static_branch_enable_cpuslocked(&core_domain_kernel_key);
	cpus_read_unlock();
	/* Idle CPUs are CDK_HOST until they pass the idle loop once more. */
	wake_up_all_idle_cpus();
	pr_info("core_domain: kernel-entry protection on\n");
	/* Sibling arrays, hotplug state and key before callers skip the mutex. */
	smp_store_release(&cdk_enabled, true);
out:
	mutex_unlock(&cdk_enable_mutex);
	kfree(mask);
	return ret;
}

/**
 * core_domain_level_default - the level of a domain created without one
 *
 * Return: CORE_DOMAIN_LEVEL_USER, or CORE_DOMAIN_LEVEL_KERNEL when booted
 * with core_domain_level=kernel.
 */
u8 core_domain_level_default(void)
{
	return cdk_default_level;
}

static int __init cdk_level_setup(char *str)
{
	if (!str)
		return -EINVAL;
	if (!strcmp(str, "user"))
		cdk_default_level = CORE_DOMAIN_LEVEL_USER;
	else if (!strcmp(str, "kernel"))
		cdk_default_level = CORE_DOMAIN_LEVEL_KERNEL;
	else
		pr_warn("core_domain_level=%s: not user or kernel; using user\n",
			str);
	return 0;
}
early_param("core_domain_level", cdk_level_setup);

static const char * const cdk_state_names[] = {
	[CDK_HOST] = "host",
	[CDK_SAFE] = "safe",
	[CDK_PROT] = "protected",
};

static int cdk_show(struct seq_file *m, void *v)
{
	int cpu;

	seq_printf(m, "# enabled %d\n", static_key_enabled(&core_domain_kernel_key));
	seq_puts(m, "# cpu state kicks waits giveups wait_ns spin_ns\n");
	for_each_possible_cpu(cpu) {
		struct cdk_cpu *c = cdk_cpu(cpu);
		int st = READ_ONCE(c->state);

		seq_printf(m, "%d %s %llu %llu %llu %llu %llu\n", cpu,
			   st < ARRAY_SIZE(cdk_state_names) ? cdk_state_names[st] : "?",
			   READ_ONCE(c->nr_kicks), READ_ONCE(c->nr_waits),
			   READ_ONCE(c->nr_giveups), READ_ONCE(c->wait_ns),
			   READ_ONCE(c->spin_ns));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cdk);

/* After core_tag.c's initcall (link order) has made the directory. */
static int __init cdk_debugfs_init(void)
{
	struct dentry *dir = debugfs_lookup("core_domain", NULL);

	if (!dir)
		return 0;
	debugfs_create_file("kernel", 0444, dir, NULL, &cdk_fops);
	debugfs_create_bool("kernel_fastpath", 0644, dir, &cdk_fastpath);
	dput(dir);
	return 0;
}
late_initcall(cdk_debugfs_init);
