/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * A Promela model of kernel-entry protection, kernel/sched/core_domain_kernel.c,
 * checked with spin (harness/model.sh).
 *
 * One SMT core of NT hardware threads ("CPUs").  Every CPU runs a vCPU
 * thread of a protected domain (user code of a protected task behaves
 * alike: a system call is a VM exit, the return to user mode a guest
 * entry) and, besides, host-kernel code: interrupt handlers, the handling
 * of VM exits, the idle loop.  The names follow the C code: st[] is
 * cdk_cpu.state, and the inlines cdk_host, cdk_try_prot, cdk_enter_prot,
 * irq_enter/irq_exit, idle_enter/idle_exit and guest_exit are the
 * functions of those names.  What the model watches:
 *
 *   in_host[i]   CPU i runs host-kernel code: what cdk_host() returned
 *                to, an interrupt handler, the handling of a VM exit
 *   in_guest[i]  CPU i runs guest code of the protected domain
 *
 * K (Documentation/scheduler/core-domain.rst): no two CPUs of the core
 * are in_guest and in_host at once.  The monitor asserts it in every
 * reachable state.  Besides, spin's invalid end states are deadlocks:
 * every CPU waiting with nothing that could end the wait.
 *
 * Interrupts: kick[i] is a reschedule IPI (cdk_host() sends it to a
 * sibling in CDK_PROT; in guest mode it forces a VM exit, in a wait to
 * enter CDK_PROT it is "other work" and ends the wait), call[i] an IPI of
 * smp_call_function_single() whose sender waits, interrupts on, until
 * CPU i has run it (TLB shootdowns and stop_machine() wait the same way).
 * A CPU takes interrupts in host code, in idle and in the wait of
 * cdk_enter_prot(); cdk_host() spins with interrupts off.
 *
 * Sequential consistency stands for the full barriers (smp_mb()) between
 * a CPU's store to its state and its loads of the siblings' states in
 * cdk_host() and cdk_try_prot(); BROKEN_NO_MB takes them out, as x86's
 * store buffer does: the loads happen before the store is seen.
 *
 * Configuration (spin -D...):
 *   NT=2|3|4     threads per core
 *   CALLS=n      IPIs with a waiting sender each CPU sends in a run
 *   HP           a CPU may go offline from idle and come back
 *                (cdk_cpu_dead(), cdk_cpu_prepare())
 * Deliberately broken variants, each must give a counterexample:
 *   BROKEN_NO_MB           no barrier between store and loads (above)
 *   BROKEN_NO_RECHECK      cdk_try_prot() does not look at the siblings
 *   BROKEN_NO_SPIN         cdk_host() kicks its siblings, does not wait
 *   BROKEN_NO_KICK         cdk_host() waits, kicks nobody (deadlock: a
 *                          compute-bound guest never leaves by itself)
 *   BROKEN_IDLE_IRQS_ON    idle_exit() runs cdk_host() with interrupts
 *                          on: an interrupt during its wait finds
 *                          CDK_HOST and runs its handler at once (the
 *                          bug the trace checker of vm_test found)
 *   BROKEN_WAIT_IRQS_OFF   cdk_enter_prot() waits with interrupts off
 *                          (deadlock against an IPI whose sender waits)
 */

#ifndef NT
#define NT	2
#endif
#ifndef CALLS
#define CALLS	1
#endif

#define CDK_HOST	0
#define CDK_SAFE	1
#define CDK_PROT	2

byte st[NT];		/* CDK_HOST at boot: online CPUs run kernel code */
bool in_host[NT];
bool in_guest[NT];
bool kick[NT];
bool call[NT];
bool down[NT];	/* HP: taken down (cdk_cpu_dead() ran) */

/* K, over every pair of CPUs. */
#define K_PAIR(a, b)	(!(in_guest[a] && in_host[b]) && !(in_guest[b] && in_host[a]))
#if NT == 2
#define K	K_PAIR(0, 1)
#elif NT == 3
#define K	(K_PAIR(0, 1) && K_PAIR(0, 2) && K_PAIR(1, 2))
#else
#define K	(K_PAIR(0, 1) && K_PAIR(0, 2) && K_PAIR(0, 3) && \
		 K_PAIR(1, 2) && K_PAIR(1, 3) && K_PAIR(2, 3))
#endif

/* Some sibling of @i in CDK_HOST, as one expression (a wait's guard). */
#define IS_HOST(i, c)	((c) != (i) && st[c] == CDK_HOST)
#if NT == 2
#define SIB_HOST(i)	(IS_HOST(i, 0) || IS_HOST(i, 1))
#elif NT == 3
#define SIB_HOST(i)	(IS_HOST(i, 0) || IS_HOST(i, 1) || IS_HOST(i, 2))
#else
#define SIB_HOST(i)	(IS_HOST(i, 0) || IS_HOST(i, 1) || IS_HOST(i, 2) || IS_HOST(i, 3))
#endif

active proctype monitor()
{
	assert(K)
}

/* cdk_sibling_in(): one sibling's state at a time, as the C loop reads them. */
inline sibling_in(i, s, r)
{
	r = false;
	j = 0;
	do
	:: j < NT ->
		if
		:: j != i && st[j] == s -> r = true
		:: else
		fi;
		j++
	:: else -> break
	od
}

/*
 * @i's CPU runs host-kernel code from here; interrupts off.  Kick every
 * sibling in CDK_PROT, then wait for each to leave it.  IRQ_IN_WAIT: an
 * interrupt may come during the wait (BROKEN_IDLE_IRQS_ON).
 */
inline cdk_host_body(i, irq_in_wait)
{
#ifdef BROKEN_NO_MB
	/* The loads pass the store: what the siblings are, then the store. */
	j = 0;
	do
	:: j < NT ->
		if
		:: j != i && st[j] == CDK_PROT -> seen[j] = true
		:: else -> seen[j] = false
		fi;
		j++
	:: else -> break
	od;
	st[i] = CDK_HOST;
	j = 0;
	do
	:: j < NT ->
		if
		:: seen[j] ->
#ifndef BROKEN_NO_KICK
			kick[j] = true
#else
			skip
#endif
		:: else
		fi;
		j++
	:: else -> break
	od;
#else
	st[i] = CDK_HOST;
	j = 0;
	do
	:: j < NT ->
		if
		:: j != i && st[j] == CDK_PROT ->
#ifndef BROKEN_NO_KICK
			kick[j] = true
#else
			skip
#endif
		:: else
		fi;
		j++
	:: else -> break
	od;
#endif
#ifndef BROKEN_NO_SPIN
	j = 0;
	do
	:: j < NT ->
		if
		:: j != i ->
			do
			:: st[j] != CDK_PROT -> break
			:: irq_in_wait && (call[i] || kick[i]) ->
				/* irq_enter() finds CDK_HOST: no cdk_host(). */
				in_host[i] = true;
				call[i] = false;
				kick[i] = false;
				in_host[i] = false
			od
		:: else
		fi;
		j++
	:: else -> break
	od
#endif
}

inline cdk_host(i)
{
	cdk_host_body(i, false)
}

/* Try to enter CDK_PROT; on failure left in CDK_SAFE. */
inline cdk_try_prot(i, ok)
{
#ifdef BROKEN_NO_RECHECK
	st[i] = CDK_PROT;
	ok = true
#elif defined(BROKEN_NO_MB)
	sibling_in(i, CDK_HOST, r);
	st[i] = CDK_PROT;
	if
	:: r -> st[i] = CDK_SAFE; ok = false
	:: else -> ok = true
	fi
#else
	st[i] = CDK_PROT;
	sibling_in(i, CDK_HOST, r);
	if
	:: r -> st[i] = CDK_SAFE; ok = false
	:: else -> ok = true
	fi
#endif
}

/*
 * An interrupt taken where interrupts are on outside host code: in idle
 * or in the wait of cdk_enter_prot(), both CDK_SAFE.  irq_enter() makes
 * the CPU CDK_HOST first, irq_exit() puts it back.
 */
inline irq(i)
{
	if
	:: st[i] == CDK_SAFE ->
		cdk_host(i);
		marked = true
	:: else -> marked = false
	fi;
	in_host[i] = true;
	call[i] = false;
	in_host[i] = false;
	if
	:: marked -> st[i] = CDK_SAFE
	:: else
	fi
}

/*
 * cdk_enter_prot(): entered with interrupts off.  While a sibling runs
 * host code, wait in CDK_SAFE with interrupts on; give up, back in
 * CDK_HOST, on other work (a kick).
 */
inline cdk_enter_prot(i, ok)
{
	cdk_try_prot(i, ok);
	if
	:: ok
	:: else ->
		do
		:: giveup = false;
			/* local_irq_enable(): the wait */
			do
			:: sibling_in(i, CDK_HOST, r);
				if
				:: !r -> break
				:: else ->
					/* wait until a sibling changes, or an interrupt */
					if
#ifdef BROKEN_WAIT_IRQS_OFF
					:: atomic { kick[i] -> kick[i] = false; giveup = true }; break
#else
					:: call[i] -> irq(i)
					:: atomic { kick[i] -> kick[i] = false; giveup = true }; break
#endif
					:: !SIB_HOST(i)	/* a sibling left: look again */
					fi
				fi
			od;
			/* local_irq_disable() */
			if
			:: giveup -> cdk_host(i); ok = false; break
			:: else ->
				cdk_try_prot(i, ok);
				if
				:: ok -> break
				:: else
				fi
			fi
		od
	fi
}

proctype cpu(byte i)
{
	byte j, k, calls = CALLS;
	bool r, ok, marked, giveup;
	bool seen[NT];

host:
	/* Host-kernel code, interrupts on at times. */
	in_host[i] = true;
	do
	:: call[i] -> call[i] = false		/* an IPI's handler */
	:: kick[i] -> kick[i] = false		/* a reschedule IPI */
	:: calls > 0 ->
		/* smp_call_function_single() to a sibling, and wait for it */
		calls--;
		select(k : 0 .. NT - 1);
		if
		:: atomic { k != i && !down[k] -> call[k] = true };
			/* (no IPI to an offline CPU: hotplug waits for the sender) */
			do
			:: !call[k] -> break
			:: call[i] -> call[i] = false
			od
		:: else
		fi
	:: break
	od;
	in_host[i] = false;
	if
	:: goto idle
	:: goto guest
	fi;

idle:
	/* idle_enter(), interrupts off: CDK_SAFE, then hlt. */
	st[i] = CDK_SAFE;
	do
	:: call[i] -> irq(i)
	:: kick[i] -> kick[i] = false; break	/* woken to schedule */
	:: break				/* a wakeup */
#ifdef HP
	:: atomic { !call[i] -> down[i] = true }; goto offline
#endif
	od;
	/* idle_exit(): interrupts off around cdk_host(), unless broken. */
	if
	:: st[i] != CDK_HOST ->
#ifdef BROKEN_IDLE_IRQS_ON
		cdk_host_body(i, true)
#else
		cdk_host(i)
#endif
	:: else
	fi;
	goto host;

#ifdef HP
offline:
	/* cdk_cpu_dead(): CDK_SAFE; no interrupts, no IPIs while offline */
	st[i] = CDK_SAFE;
	kick[i] = false;
	/* cdk_cpu_prepare(), by the CPU bringing it up: cdk_host() for it */
	cdk_host(i);
	down[i] = false;
	goto host;
#endif

guest:
	/* vcpu_enter_guest(), interrupts off: __core_domain_guest_enter() */
	cdk_enter_prot(i, ok);
	if
	:: !ok -> goto host
	:: else
	fi;
	in_guest[i] = true;
	/* A VM exit: an interrupt (a kick, an IPI) or the guest's own. */
	if
	:: kick[i] || call[i]
	:: true				/* an exit-heavy guest */
	:: true ->			/* a compute-bound guest: only an IPI */
end_compute:
		(kick[i] || call[i])
	fi;
	in_guest[i] = false;
	/* __core_domain_guest_exit(), after the fast path */
	cdk_host(i);
	goto host
}

init {
	byte n;

	atomic {
		for (n : 0 .. NT - 1) {
			run cpu(n)
		}
	}
}
