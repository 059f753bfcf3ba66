// SPDX-License-Identifier: GPL-2.0
/*
 * Core domains: policy and state.
 *
 * This file decides whether core domains are enforced on this machine
 * (the core_domain= boot parameter and the CPU's vulnerabilities) and
 * reports that decision in /sys/kernel/core_domain/ and the boot log.
 *
 * See Documentation/scheduler/core-domain.rst for the design.
 */
#include <linux/cpu.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/printk.h>
#include <linux/sched/core_domain.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>

#include "core_domain.h"

/*
 * user.max_core_domains in the initial user namespace: the domains one user
 * may have at a time.  Enough for a browser's renderers or a user's
 * containers; a thousand users at the limit take 1/1024 of the ids each.
 */
#define CORE_DOMAIN_USER_MAX	1024

static const char * const core_domain_mode_names[] = {
	[CORE_DOMAIN_OFF]	= "off",
	[CORE_DOMAIN_AUTO]	= "auto",
	[CORE_DOMAIN_ON]	= "on",
};

/* The core_domain= boot parameter; the symbol doubles as a build marker. */
enum core_domain_mode core_domain_mode __ro_after_init = CORE_DOMAIN_AUTO;
static bool core_domain_enforcing __ro_after_init;
static const char *core_domain_reason __ro_after_init = "not initialised";

static int __init core_domain_setup(char *str)
{
	int mode;

	mode = str ? match_string(core_domain_mode_names,
				  ARRAY_SIZE(core_domain_mode_names), str) : -EINVAL;
	if (mode < 0) {
		pr_warn("core_domain: ignoring invalid value '%s' (off, auto, on); using auto\n",
			str ?: "");
		return 1;
	}
	core_domain_mode = mode;
	return 1;
}
__setup("core_domain=", core_domain_setup);

/**
 * arch_core_domain_vulnerable - does the CPU leak data between SMT siblings?
 *
 * Architectures override this with what their CPU bug detection reports.
 * Without such knowledge, assume the worst.
 *
 * Return: true if tasks on sibling threads can observe each other's data.
 */
bool __weak arch_core_domain_vulnerable(void)
{
	return true;
}

/**
 * arch_core_domain_enforce - the first domain exists: arm what the CPU needs
 *
 * Called once, with the CPU hotplug lock held, before any task joins a
 * domain.  Architectures whose CPUs leak through state a thread leaves
 * behind when it idles (x86: MDS store buffers) turn on the mitigation
 * for idle here, so that its cost is paid only while domains enforce.
 */
void __weak arch_core_domain_enforce(void)
{
}

/**
 * arch_cpu_possible_smt_siblings - the SMT siblings of any possible CPU
 * @cpu:	a possible CPU: online, offline, not present, or never brought
 *		up since boot (maxcpus=, hot-add)
 * @mask:	set to every possible CPU of @cpu's core, @cpu included
 *
 * Core domains fix each core's membership once at boot, for all possible
 * CPUs: cpu_smt_mask() holds only the siblings online at the time, and a
 * core put together from it as CPUs come up splits with some onlining
 * orders.  Architectures that know the topology of CPUs which have not
 * been up override this (x86: from the APIC IDs firmware enumerated).
 * Without it, core domains use cpu_smt_mask() when every possible CPU is
 * online at boot, and are unavailable otherwise.
 *
 * Return: 0, or -EOPNOTSUPP when the architecture cannot tell.
 */
int __weak arch_cpu_possible_smt_siblings(unsigned int cpu, struct cpumask *mask)
{
	return -EOPNOTSUPP;
}

/**
 * core_domain_available - may security domains be created?
 *
 * Return: true when this boot enforces core domains, false when they were
 * turned off, are not needed (core_domain=auto on an unaffected CPU) or
 * make no sense (no SMT).  Interfaces return -ENODEV when false.
 */
bool core_domain_available(void)
{
	return core_domain_enforcing;
}

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", core_domain_mode_names[core_domain_mode]);
}

static ssize_t active_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", core_domain_enforcing);
}

static ssize_t arbitrating_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", core_domain_arbitrating());
}

static ssize_t reason_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", core_domain_reason);
}

/* The protection level a domain gets when its creator names none. */
static ssize_t level_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  core_domain_level_default() == CORE_DOMAIN_LEVEL_KERNEL ?
			  "kernel" : "user");
}

/* Kernel-entry protection: unsupported, or whether it is on (1) yet. */
static ssize_t kernel_entry_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
#ifdef CONFIG_SCHED_CORE_DOMAIN_KERNEL
	return sysfs_emit(buf, "%d\n",
			  static_key_enabled(&core_domain_kernel_key));
#else
	return sysfs_emit(buf, "unsupported\n");
#endif
}

static struct kobj_attribute mode_attr = __ATTR_RO(mode);
static struct kobj_attribute level_attr = __ATTR_RO(level);
static struct kobj_attribute kernel_entry_attr = __ATTR_RO(kernel_entry);
static struct kobj_attribute active_attr = __ATTR_RO(active);
static struct kobj_attribute arbitrating_attr = __ATTR_RO(arbitrating);
static struct kobj_attribute reason_attr = __ATTR_RO(reason);

static struct attribute *core_domain_attrs[] = {
	&mode_attr.attr,
	&active_attr.attr,
	&arbitrating_attr.attr,
	&reason_attr.attr,
	&level_attr.attr,
	&kernel_entry_attr.attr,
	NULL,
};

static const struct attribute_group core_domain_attr_group = {
	.name	= "core_domain",
	.attrs	= core_domain_attrs,
};

/*
 * Runs after the CPU bug bits are known and all boot CPUs are up, so that
 * cpu_smt_possible() reflects nosmt and the topology, and before user
 * space can create a domain: the cores are set up here, once.
 */
static int __init core_domain_init(void)
{
	if (core_domain_mode == CORE_DOMAIN_OFF) {
		core_domain_reason = "disabled by core_domain=off";
	} else if (!cpu_smt_possible()) {
		core_domain_reason = "no SMT: siblings cannot share a core";
	} else if (core_domain_mode == CORE_DOMAIN_ON) {
		core_domain_enforcing = true;
		core_domain_reason = "enforcing: core_domain=on";
	} else if (arch_core_domain_vulnerable()) {
		core_domain_enforcing = true;
		core_domain_reason = "enforcing: CPU leaks data across SMT siblings";
	} else {
		core_domain_reason = "not needed: CPU not affected by cross-thread leaks";
	}
	/* Every possible CPU gets its core before domains can exist. */
	if (core_domain_enforcing) {
		const char *err = core_domain_init_cores();

		if (err) {
			core_domain_enforcing = false;
			core_domain_reason = err;
		}
	}
	init_user_ns.ucount_max[UCOUNT_CORE_DOMAINS] = CORE_DOMAIN_USER_MAX;
	pr_info("core_domain: mode %s, %s\n",
		core_domain_mode_names[core_domain_mode], core_domain_reason);

	if (sysfs_create_group(kernel_kobj, &core_domain_attr_group))
		pr_warn("core_domain: cannot create /sys/kernel/core_domain\n");
	return 0;
}
late_initcall(core_domain_init);
