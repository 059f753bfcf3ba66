/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * A Promela model of the per-core arbitration of core domains,
 * kernel/sched/core_tag.c, checked with spin (harness/model.sh).
 *
 * One SMT core of NT hardware threads ("CPUs"), tasks of ND domains.
 * Names follow the C code: cur, old, rank, want, want_rank per CPU (struct
 * cd_cpu), resv, resv_cpu, resv_rank, tag per core (struct cd_core), and
 * the functions cd_allowed, cd_core_domain, cd_conflict_rank, cd_claim,
 * cd_reserve, cd_kick, cd_wake_waiters, cd_bound_fn, core_domain_arbitrate,
 * core_domain_switch, core_domain_cpu_dying.  Every section that the code
 * runs under raw_spin_lock(&core->lock) is one d_step here.  See
 * model/README.rst for the mapping table, the properties and what is
 * abstracted.
 *
 * Configuration (spin -D...):
 *   NT=2|4          threads per core
 *   ND=2|3          domains (ids 0..ND-1; 0 is the host domain)
 *   NR=1|2          highest class rank the task streams use (1 fair, 2 RT)
 *   HP=n            CPU offline operations allowed in a run (0 = none)
 *   LIVE            the liveness set-up: CPU 0 keeps its waiting task
 *                   queued and picks it again, higher classes are never
 *                   CPU-bound, the runqueues eventually settle; 'ltl
 *                   live' below is the property
 *   QUIESCE         check that no CPU waits for good: in a state where
 *                   nothing can happen any more (spin's timeout), no online
 *                   CPU waits for a domain that it is entitled to get (its
 *                   class is not below what holds the core), and none
 *                   holds a reservation that nothing opposes
 *   ONLY_STRANDED   QUIESCE: check the reservations only
 *   FIX_BOUND       proposed fix: a waiting CPU always has its wait-bound
 *                   timer armed; cd_bound_fn re-arms it while the CPU
 *                   still waits, and kicks the CPU itself when nothing is
 *                   in its way any more (see model/README.rst)
 *   FIX_TAKEOVER    proposed fix: a takeover whose reservation leaves
 *                   nothing in the way claims at once instead of idling
 *   SAFETY_ABSTRACT for the isolation check only: every task may reach a
 *                   scheduling point at any moment, a kick changes nothing
 *                   more, and the bound timer may fire whenever its CPU
 *                   waits - a superset of the behaviours, so kick[], fin[]
 *                   and tmr[] need not be part of the state
 *   MOVE            a mover (PR_SET_CORE_DOMAIN, a cpu.core_domain write)
 *                   moves the task p running on CPU 0 to another domain,
 *                   once per run, and waits for CPU 0 to have re-picked p
 *                   or switched it out (stop_one_cpu(); see proctype
 *                   mover); safety: once the call has returned, p never
 *                   runs in its new domain beside another domain
 * Deliberately broken variants, each must give a counterexample:
 *   BROKEN_RELEASE_EARLY   cd_claim drops 'old' at once (release before
 *                          the switch instead of in core_domain_switch)
 *   BROKEN_NO_OLD_CHECK    cd_allowed ignores the siblings' 'old'
 *   BROKEN_NO_KICK         cd_reserve reserves but kicks nobody
 *   BROKEN_MOVE_NO_SYNC    MOVE: core_domain_set_task() returns right after
 *                          marking p moved (the code before the stopper
 *                          sync): p runs in its new domain under the claim
 *                          of its old one
 */

#ifndef NT
#define NT	2
#endif
#ifndef ND
#define ND	2
#endif
#ifndef NR
#define NR	2
#endif
#ifndef HP
#define HP	1
#endif

#define NONE	255		/* CD_NONE: idle, stopper, offline, nothing */
#define NOCPU	NT		/* resv_cpu == -1 */
/* Class ranks, shifted by one against the C enum (bytes are unsigned). */
#define R_IDLE	0		/* CD_RANK_IDLE (-1) */
#define R_FAIR	1		/* CD_RANK_FAIR (0) */
#define R_RT	2		/* CD_RANK_RT (1); CD_RANK_DL behaves alike */

#ifdef LIVE
#define LIVE_ON	1
#else
#define LIVE_ON	0
#endif
bit settled;			/* LIVE: the runqueues have settled (below) */
#ifdef LIVE
byte subq[NT];			/* LIVE, settled: rank of the task of another
				 * domain queued on the CPU (cd_find()), 0: none */
#endif
/* LIVE: CPU c's pick_task() returns what it runs or waits for */
#define STABLE(c)	(LIVE_ON && ((c) == 0 && want[c] != NONE || (c) != 0 && settled))

/* --- struct cd_cpu, one entry per hardware thread, under core->lock --- */
byte cur[NT];			/* claimed domain */
byte old[NT];			/* domain still leaving, until the switch */
byte rank[NT];			/* class rank of what the CPU runs */
byte want[NT];			/* domain this CPU waits to run */
byte want_rank[NT];		/* its class rank (0 while want == NONE) */
#ifndef SAFETY_ABSTRACT
bit tmr[NT];			/* hrtimer_is_queued(&cc->bound) */
bit kick[NT];			/* cc->kick irq_work pending on the CPU */
#else
hidden byte tmr[NT];		/* not tracked: see SAFETY_ABSTRACT */
hidden byte kick[NT];
#endif

/* --- struct cd_core --- */
byte resv = NONE;		/* domain the core is reserved for */
byte resv_cpu = NOCPU;		/* CPU holding the reservation, NOCPU: -1 */
byte resv_rank;			/* its rank (0 while resv == NONE) */
hidden byte tag = NONE;		/* accounting only: never read by a decision */

/* --- the rest of the CPU, outside core->lock --- */
byte running[NT];		/* ghost: domain of the task the CPU runs, as
				 * the sched_switch trace shows it; NONE: idle,
				 * stopper, offline */
#ifndef SAFETY_ABSTRACT
bit fin[NT];			/* the running task reaches a scheduling point
				 * by itself (blocks, yields, is preempted by a
				 * wakeup); 0: CPU-bound, only a kick moves it */
#else
hidden byte fin[NT];
#endif
bit online[NT];			/* cpu_online() */
bit insw[NT];			/* ghost: between pick and switch */
byte hp_left = HP;		/* offline operations left */

/*
 * MOVE: the task p that CPU 0 runs is moved to domain mv_to by a mover
 * on another CPU (core_domain_set_task()).  p's domain as the trace and
 * the claims know it stays running[0]/cur[0] until CPU 0 re-picks it
 * (resume: running[0] = mv_to) or switches it out.
 */
#ifdef MOVE
byte mv_to = NONE;		/* p's new domain while p runs on CPU 0;
				 * NONE: not moved yet, or p is gone */
bit mv_on;			/* p->core_domain_moved: p runs on CPU 0 under
				 * the claim it was picked under, the move not
				 * yet in effect (no resume, no switch-out) */
bit p_cur;			/* p is still rq->curr of CPU 0 */
bit mv_ret;			/* the move call has returned */
hidden byte mv_from, mv_dst;	/* p's old and new domain, for the trails */
#else
hidden byte mv_to = NONE, mv_on, p_cur, mv_ret, mv_from, mv_dst;
#endif

/* Scratch of the d_steps: not part of the state. */
hidden byte s, s2, ok, e, cr, split, v, pag;

#define COMPAT(x, d)	((x) == NONE || (x) == (d))	/* cd_compatible() */

/*
 * Trails: 'spin -t' prints one line per event and the state after it
 * (printf is ignored while verifying).  Domains print as digits, '-' is
 * CD_NONE; class ranks as i (idle), f (fair), r (RT and above).
 */
#define DOM(x)	((x) == NONE -> 45 : 48 + (x))		/* '-', '0', '1', .. */
#define CLS(x)	((x) == R_IDLE -> 105 : ((x) == R_FAIR -> 102 : 114))	/* i f r */
#define YN(x)	((x) -> 121 : 110)				/* y n */
inline dump_state()
{
	for (s2 : 0 .. NT - 1) {
		printf("      cpu%d: cur %c old %c rank %c want %c/%c timer %c kick %c online %c running %c\n",
		       s2, DOM(cur[s2]), DOM(old[s2]), CLS(rank[s2]),
		       DOM(want[s2]), CLS(want_rank[s2]), YN(tmr[s2]),
		       YN(kick[s2]), YN(online[s2]), DOM(running[s2]))
	}
	printf("      core: resv %c resv_cpu %c resv_rank %c\n", DOM(resv),
	       (resv_cpu == NOCPU -> 45 : 48 + resv_cpu), CLS(resv_rank));
#ifdef MOVE
	printf("      p: moved %c -> %c, runs on cpu0 %c, move pending %c, call returned %c\n",
	       DOM(mv_from), DOM(mv_dst), YN(p_cur), YN(mv_on), YN(mv_ret));
#endif
	s2 = 0
}

/* --- kicks --- */

/*
 * cd_kick(): irq_work_queue_on(), or the direct cd_kick_fn() call when
 * from == to; either way the target schedules at its next chance, which
 * is what kick[] records (a need_resched set on itself is modelled as a
 * pending kick).
 */
inline cd_kick(from, to)
{
	assert(online[to]);		/* irq_work_queue_on() WARNs on offline */
	kick[to] = 1
}

/* cd_wake_waiters(core, cpu) */
inline cd_wake_waiters(c)
{
	for (s2 : 0 .. NT - 1) {
		if
		:: s2 != (c) && want[s2] != NONE -> assert(online[s2]); kick[s2] = 1
		:: else
		fi
	}
}

/* --- the rule --- */

/* ok = cd_allowed(core, c, d) */
inline cd_allowed(c, d)
{
	ok = 1;
	if
	:: resv != NONE && resv != (d) && resv_cpu != (c) -> ok = 0
	:: else
	fi;
	for (s : 0 .. NT - 1) {
		if
		:: s == (c) -> skip
#ifdef BROKEN_NO_OLD_CHECK
		:: s != (c) && !COMPAT(cur[s], d) -> ok = 0
#else
		:: s != (c) && (!COMPAT(cur[s], d) || !COMPAT(old[s], d)) -> ok = 0
#endif
		:: else
		fi
	}
}

/* e = cd_core_domain(core, c) */
inline cd_core_domain(c)
{
	e = NONE;
	split = 0;
	for (s : 0 .. NT - 1) {
		if
		:: s != (c) ->
			v = cur[s];
			if
			:: v != NONE && e != NONE && e != v -> split = 1
			:: v != NONE -> e = v
			:: else
			fi;
			v = old[s];
			if
			:: v != NONE && e != NONE && e != v -> split = 1
			:: v != NONE -> e = v
			:: else
			fi
		:: else
		fi
	}
	if
	:: split -> e = NONE		/* "between two domains" */
	:: !split && e == NONE && resv != NONE && resv_cpu != (c) -> e = resv
	:: else
	fi
}

/* cr = cd_conflict_rank(core, c, d) */
inline cd_conflict_rank(c, d)
{
	cr = R_IDLE;
	for (s : 0 .. NT - 1) {
		if
		:: s != (c) && (!COMPAT(cur[s], d) || !COMPAT(old[s], d)) &&
		   rank[s] > cr -> cr = rank[s]
		:: else
		fi
	}
}

/*
 * cd_claim(core, cc, c, d, rk, sw).  sw is switching, 'next != rq->curr':
 * the model switches on every pick (see README: with old == NONE at every
 * pick, asserted below, the two agree whenever they matter) except when
 * CPU 0 picks a moved p again (MOVE), whose new domain then replaces the
 * old one at once: nothing leaves.
 */
inline cd_claim(c, d, rk, sw)
{
#ifdef BROKEN_RELEASE_EARLY
	/* what leaves is released at once, before the switch */
	if
	:: cur[c] != (d) && cur[c] != NONE -> cd_wake_waiters(c)
	:: else
	fi;
	old[c] = NONE;
#else
	if
	:: !(sw) -> old[c] = NONE
	:: (sw) && cur[c] != (d) && old[c] == NONE -> old[c] = cur[c]
	:: else
	fi;
#endif
	cur[c] = (d);
	rank[c] = (rk);
	if
	:: (d) != NONE && (d) != tag -> tag = (d)	/* trace_core_domain_flip */
	:: else
	fi;
	if
	:: resv_cpu == (c) && resv == (d) && (d) != NONE ->
		resv = NONE; resv_cpu = NOCPU; resv_rank = 0
	:: else
	fi
}

/*
 * cd_reserve(core, c, d, rk): reserve for d, kick every CPU that runs
 * another domain, c included unless it idles already.
 */
inline cd_reserve(c, d, rk)
{
	if
	:: resv != NONE && resv_cpu != (c) && resv_rank >= (rk) -> skip
	:: else ->
		resv = (d); resv_cpu = (c); resv_rank = (rk);
		for (s : 0 .. NT - 1) {
			if
			:: s == (c) && cur[s] == NONE -> skip
			:: else ->
				if
				:: !COMPAT(cur[s], d) || !COMPAT(old[s], d) ->
#ifndef BROKEN_NO_KICK
					cd_kick(c, s)
#else
					skip
#endif
				:: else
				fi
			fi
		}
	fi
}

/* cd_bound_fn(): the wait-bound hrtimer, hard IRQ on CPU c. */
inline cd_bound_fn(c)
{
	tmr[c] = 0;				/* HRTIMER_NORESTART */
	if
	:: want[c] != NONE ->
		cd_conflict_rank(c, want[c]);
		if
		:: want_rank[c] >= cr -> cd_reserve(c, want[c], want_rank[c])
		:: else
		fi
	:: else
	fi;
#ifdef FIX_BOUND
	if
	:: want[c] != NONE ->
		/* nothing in the way any more: re-pick (hard IRQ: cd_kick_fn) */
		cd_allowed(c, want[c]);
		if
		:: ok -> cd_kick(c, c)
		:: else
		fi;
		tmr[c] = 1			/* hrtimer_forward_now, RESTART */
	:: else
	fi
#endif
}

/*
 * Isolation, checked where cd_check_invariant() runs: the CPU that has
 * just switched to a task of domain running[c] finds no sibling running
 * another domain.  running[] changes only here, at a resume (MOVE, where
 * this is checked too) and to NONE when a CPU goes offline, so every
 * state with two siblings in different domains is caught at the
 * transition that creates it.
 */
inline isolation(c)
{
	for (s : 0 .. NT - 1) {
		if
		:: s != (c) && running[c] != NONE && running[s] != NONE &&
		   running[s] != running[c] ->
			printf("VIOLATION isolation: cpu%d switches to domain %c while cpu%d runs domain %c\n",
			       c, DOM(running[c]), s, DOM(running[s]))
		:: else
		fi;
		assert(s == (c) || running[c] == NONE || running[s] == NONE ||
		       running[s] == running[c])
	}
}

/*
 * MOVE, the property: once the move call has returned and while p runs
 * on CPU 0 (user code, or in the kernel before its next switch), no
 * sibling runs another domain than p's new one - neither one that ran
 * beside p's old domain nor one started later under CPU 0's old claim.
 * It can only become false where mv_ret rises or a sibling's running[]
 * changes (p_cur only falls, mv_to is fixed while p_cur), and is asserted
 * there: at the return and at every switch (and at the resume).
 */
inline move_safe()
{
#ifdef MOVE
	for (s : 1 .. NT - 1) {
		if
		:: mv_ret && p_cur && running[s] != NONE && running[s] != mv_to ->
			printf("VIOLATION move: the move has returned, cpu0 runs p in domain %c (claim %c) while cpu%d runs domain %c\n",
			       DOM(mv_to), DOM(cur[0]), s, DOM(running[s]))
		:: else
		fi;
		assert(!(mv_ret && p_cur && running[s] != NONE && running[s] != mv_to))
	}
#else
	skip
#endif
}

/*
 * MOVE: p's move takes effect, at its re-pick (resume) or its switch-out.
 * The mover's stop_one_cpu() returns at the earliest here (its stopper
 * preempts p, so it has run only after one of the two); the model returns
 * right here, the earliest moment, which is the strongest check: the
 * property only gains obligations from an earlier return.
 */
inline move_effect()
{
	mv_on = 0;
#ifndef BROKEN_MOVE_NO_SYNC
	mv_ret = 1;
	printf("move: stop_one_cpu(cpu0) is done: the move call returns\n");
#endif
	move_safe()
}

/*
 * cd_resumed(rq, next), under core->lock: the moved p, picked again and
 * allowed in its new domain, goes on in it (trace_core_domain_resume);
 * checked like a switch to it.
 */
inline cd_resumed(c, d, ag)
{
#ifdef MOVE
	if
	:: (ag) && mv_on ->
		running[c] = (d);
		isolation(c);
		move_effect()
	:: else
	fi
#else
	skip
#endif
}

/*
 * core_domain_arbitrate(rq, next): next is a task of domain d, rank rk
 * (NONE/R_IDLE: the idle task or the stopper).  sf: cd_find() would find
 * a runnable task of the domain asked for, of rank sr.  ag: next is the
 * moved p, rq->curr, picked again (MOVE); cleared here unless p goes on.
 */
inline core_domain_arbitrate(c, d, rk, sf, sr, ag)
{
	assert(old[c] == NONE);		/* the last switch has released it */
	/* cd_end_fi(): accounting only */
	if
	:: resv_cpu == (c) && resv != (d) ->
		resv = NONE; resv_cpu = NOCPU; resv_rank = 0;
		cd_wake_waiters(c)
	:: else
	fi;
	if
	:: (d) == NONE -> ok = 1
	:: else -> cd_allowed(c, d)
	fi;
#ifdef FIX_TAKEOVER
	/* a takeover that finds nothing else in the way claims at once */
	if
	:: !ok ->
		cd_conflict_rank(c, d);
		if
		:: (rk) > cr -> cd_reserve(c, d, rk); cd_allowed(c, d)
		:: else
		fi
	:: else
	fi;
#endif
	if
	:: ok ->
		cd_claim(c, d, rk, !(ag));
		if
		:: want[c] != NONE ->
			want[c] = NONE; want_rank[c] = 0;
			tmr[c] = 0		/* hrtimer_try_to_cancel */
		:: else
		fi;
		cd_resumed(c, d, ag)
	:: else ->
		ag = 0;			/* p is switched out */
		/* Conflict: takeover, else a substitute or forced idle. */
		cd_conflict_rank(c, d);
		if
		:: (rk) > cr || resv_cpu == (c) -> e = NONE
		:: else -> cd_core_domain(c)
		fi;
		if
		:: e != NONE -> cd_allowed(c, e)
		:: else -> ok = 0
		fi;
		if
		:: e != NONE && ok && (sf) ->
			cd_claim(c, e, sr, 1)	/* run = cd_find(rq, e); nr_alt++ */
		:: else ->
			cd_claim(c, NONE, R_IDLE, 1)	/* forced idle */
		fi;
		if
		:: want[c] != (d) ->
			want[c] = (d);
			tmr[c] = 0		/* hrtimer_try_to_cancel */
		:: else
		fi;
		want_rank[c] = (rk);
		if
		:: (rk) > cr -> cd_reserve(c, d, rk)	/* takeover */
#ifndef FIX_BOUND
		:: else ->
			if
			:: resv_cpu != (c) && !tmr[c] -> tmr[c] = 1	/* hrtimer_start */
			:: else
			fi
		fi
#else
		:: else
		fi;
		if
		:: !tmr[c] -> tmr[c] = 1	/* hrtimer_start: always while waiting */
		:: else
		fi
#endif
	fi
}

/* core_domain_switch(rq, prev, next), after trace_sched_switch */
inline core_domain_switch(c)
{
	if
	:: old[c] != NONE ->
		old[c] = NONE;
		cd_wake_waiters(c)
	:: else
	fi
}

/* core_domain_cpu_dying(cpu): on the dying CPU, after its stopper ran */
inline core_domain_cpu_dying(c)
{
	tmr[c] = 0;				/* hrtimer_cancel */
	cur[c] = NONE;
	old[c] = NONE;
	want[c] = NONE; want_rank[c] = 0;
	rank[c] = R_IDLE;
	if
	:: resv_cpu == (c) -> resv = NONE; resv_cpu = NOCPU; resv_rank = 0
	:: else
	fi;
	cd_wake_waiters(c);
	online[c] = 0;
	kick[c] = 0;				/* irq_work flushed when dying */
	fin[c] = 0;
	running[c] = NONE
}

/* One hardware thread.  c: its CPU number within the core. */
proctype cpu(byte c)
{
	byte pd, pr, sf, sr;		/* pick_task()'s choice, cd_find()'s */
	bit back;			/* an offlined CPU comes back online */
	bit ag;				/* MOVE, pick to switch: p goes on */

end_run:	/* the current task (running[c], rank[c]) runs; IRQs on */
	do
	:: atomic {
		/*
		 * __schedule(): the kick irq_work ran cd_kick_fn() (need_resched),
		 * or the task reaches a scheduling point by itself.  A kick sent
		 * before this pick is answered by it (it was sent after the
		 * change it announces, under core->lock, and the pick below sees
		 * that change); one sent from now on stays pending and makes the
		 * CPU schedule again after the switch.
		 */
#ifndef SAFETY_ABSTRACT
		kick[c] || fin[c];
		kick[c] = 0;
		fin[c] = 0;
#endif
		/* pick_next_task(): rq lock held, IRQs off until the switch */
		if
		:: STABLE(c) && want[c] != NONE ->
			/* the waiting task stays queued and stays the best */
			pd = want[c]; pr = want_rank[c]
		:: STABLE(c) && want[c] == NONE ->
			pd = cur[c]; pr = rank[c]	/* the task it runs */
		:: !STABLE(c) ->
			pd = NONE; pr = R_IDLE	/* nothing runnable, or stopper */
		:: !STABLE(c) ->
			select(pd : 0 .. ND - 1);
			select(pr : R_FAIR .. NR)
#ifdef MOVE
		:: c == 0 && mv_on ->
			/* pick_task() returns the moved p again (rq->curr) */
			pd = mv_to; pr = rank[c]; ag = 1
#endif
		fi;
		/* what cd_find() would return: tasks queued here rank <= pr */
		if
		:: !(LIVE_ON && settled) -> sf = 0
		:: !(LIVE_ON && settled) && pr >= R_FAIR ->
			sf = 1; select(sr : R_FAIR .. pr)
#ifdef LIVE
		:: settled -> sf = (subq[c] != 0); sr = subq[c]
#endif
		fi;
		d_step {
			pag = ag;
			core_domain_arbitrate(c, pd, pr, sf, sr, ag);
			insw[c] = 1;
			if
			:: pag ->
				printf("cpu%d: __schedule: pick_task() = the moved task p again, domain %c class %c (cd_find would find: %c); core_domain_arbitrate() claims %c\n",
				       c, DOM(pd), CLS(pr), (sf -> CLS(sr) : 45), DOM(cur[c]));
				if
				:: ag -> printf("      p goes on in its new domain: trace_core_domain_resume()\n")
				:: else
				fi
			:: else ->
				printf("cpu%d: __schedule: pick_task() = domain %c class %c (cd_find would find: %c); core_domain_arbitrate() claims %c\n",
				       c, DOM(pd), CLS(pr), (sf -> CLS(sr) : 45), DOM(cur[c]))
			fi;
			pag = 0;
			dump_state();
			pd = 0; pr = 0; sf = 0; sr = 0
		}
	   }
		/*
		 * Between the pick and the switch the CPU still runs prev
		 * (running[c]) under the new claim; 'old' holds prev's domain.
		 * Then trace_sched_switch() and, right after it,
		 * core_domain_switch(); fin: whether next will reach a
		 * scheduling point by itself.
		 */
		atomic {
#ifndef SAFETY_ABSTRACT
			if
			:: !(LIVE_ON && settled) -> fin[c] = 1
			:: !(LIVE_ON && rank[c] > R_FAIR && !settled) -> fin[c] = 0
			fi;
#endif
			d_step {
				running[c] = cur[c];	/* rq->curr = next */
				if
				:: ag ->
					printf("cpu%d: no switch, p goes on (yields by itself: %c)\n",
					       c, YN(fin[c]))
				:: else ->
					printf("cpu%d: trace_sched_switch() to domain %c (yields by itself: %c), core_domain_switch()\n",
					       c, DOM(cur[c]), YN(fin[c]))
				fi;
				isolation(c);		/* cd_check_invariant() */
				core_domain_switch(c);
#ifdef MOVE
				if
				:: c == 0 && mv_on && !ag ->	/* p switched out */
					p_cur = 0;
					move_effect()
				:: else
				fi;
				if
				:: c == 0 && p_cur && !ag ->	/* p, resumed, leaves */
					p_cur = 0
				:: else
				fi;
				if
				:: !p_cur && mv_ret -> mv_to = NONE	/* nothing to check */
				:: else
				fi;
				ag = 0;
				move_safe();
#endif
				insw[c] = 0;
				dump_state()
			}
		}
	:: atomic {
		/* the stopper runs take_cpu_down(): sched_cpu_dying() */
		c != 0 && hp_left > 0 && !settled &&
		cur[c] == NONE && want[c] == NONE;
		if
		:: back = 1
		:: back = 0
		fi;
		d_step {
			hp_left--;
			core_domain_cpu_dying(c);
			printf("cpu%d: goes offline, core_domain_cpu_dying() (comes back: %c)\n", c, YN(back));
			dump_state()
		}
	   }
end_off:	/* offline; 'back': it will be brought up again */
		back;
		/* core_domain_cpu_starting(): cc->core is set, nothing to do;
		 * the CPU comes up in its idle task, work will be sent to it. */
		d_step {
			online[c] = 1; fin[c] = !settled; back = 0;
			printf("cpu%d: online again, idle\n", c)
		}
	od
}

/*
 * LIVE: kicks and context switches take microseconds, the bound 4 ms:
 * a bound timer fires only when no kick is pending and no CPU of the
 * core is between its pick and its switch.
 */
#ifdef LIVE
#define REST(x)		(!kick[x] && !insw[x])
#if NT == 2
#define KICKS_FIRST	(REST(0) && REST(1))
#else
#define KICKS_FIRST	(REST(0) && REST(1) && REST(2) && REST(3))
#endif
#else
#define KICKS_FIRST	1
#endif

/*
 * The wait-bound hrtimer of CPU c, pinned to it, hard IRQ: it cannot fire
 * while c is between pick and switch (IRQs off).  Time is abstracted: it
 * may fire at any other moment while queued; under weak fairness it does.
 */
proctype bound(byte c)
{
end_t:
	do
	:: d_step {
#ifndef SAFETY_ABSTRACT
		tmr[c] && !insw[c] && KICKS_FIRST ->
#else
		want[c] != NONE ->
#endif
		cd_bound_fn(c);
		printf("cpu%d: wait-bound hrtimer fires, cd_bound_fn()\n", c);
		dump_state()
	   }
	od
}

#ifdef QUIESCE
/*
 * Nobody waits for good.  In a state where nothing can happen any more
 * (spin's timeout: every task is CPU-bound or idle, no kick or timer is
 * pending), (a) no CPU holds a reservation for a domain it could claim
 * (a stranded reservation: it idles although nothing is in its way), and
 * (b) no online CPU waits for a domain whose class is not below
 * everything that conflicts with it.  ONLY_STRANDED checks (a) alone.
 */
active proctype quiesce()
{
	timeout;
	d_step {
		printf("quiescent: no task will reach a scheduling point, no kick or timer is pending\n");
		dump_state();
		if
		:: resv != NONE ->
			s2 = resv_cpu;
			cd_allowed(s2, resv);
			if
			:: online[s2] && want[s2] == resv && ok ->
				printf("VIOLATION stranded reservation: cpu%d idles holding the core for domain %c, nothing in its way, nobody to kick it\n",
				       s2, DOM(resv))
			:: else
			fi;
			assert(!(online[s2] && want[s2] == resv && ok));	/* (a) */
			s2 = 0
		:: else
		fi;
#ifndef ONLY_STRANDED
		for (s2 : 0 .. NT - 1) {
			if
			:: online[s2] && want[s2] != NONE ->
				cd_conflict_rank(s2, want[s2]);
				if
				:: want_rank[s2] >= cr ->
					printf("VIOLATION lost wait: cpu%d waits for domain %c (class %c) for good: no timer, no kick, and what is in its way is of class %c\n",
					       s2, DOM(want[s2]), CLS(want_rank[s2]), CLS(cr))
				:: else
				fi;
				assert(want_rank[s2] < cr)			/* (b) */
			:: else
			fi
		}
#endif
	}
end_q:
	false
}
#endif

#ifdef MOVE
/*
 * The mover: core_domain_set_task(p, d) on the task p that CPU 0 runs,
 * under CPU 0's rq lock (so not while CPU 0 is between pick and switch):
 * p's new domain is written, p marked moved (mv_on; the domain it was
 * picked under is running[0]), resched_curr(CPU 0) (a kick).  Then the
 * sync, a no-op stop_one_cpu(0) whose stopper preempts p: the call returns
 * when p has been re-picked or switched out (move_effect()).  One move per
 * run, to the next domain up (or the one after, ND == 3).
 */
proctype mover()
{
end_wait:	/* p may never come: no move in this run */
	atomic {
		!insw[0] && running[0] != NONE;
		if
		:: mv_to = (running[0] + 1) % ND
		:: ND > 2 -> mv_to = (running[0] + 2) % ND
		fi;
		d_step {
			mv_from = running[0]; mv_dst = mv_to;
			mv_on = 1; p_cur = 1;
			kick[0] = 1;			/* resched_curr() */
			printf("move: core_domain_set_task(): p on cpu0 moved from domain %c to %c, resched_curr(cpu0)\n",
			       DOM(mv_from), DOM(mv_to));
#ifdef BROKEN_MOVE_NO_SYNC
			mv_ret = 1;			/* no sync: returns at once */
			printf("move: the move call returns at once\n");
			move_safe();
#endif
			dump_state()
		}
	}
}
#endif

init {
	atomic {
		for (s : 0 .. NT - 1) {
			cur[s] = NONE; old[s] = NONE; want[s] = NONE;
			running[s] = NONE; online[s] = 1; fin[s] = 1
		}
		s = 0;
		for (e : 0 .. NT - 1) {
			run cpu(e);
			run bound(e)
		}
#ifdef MOVE
		run mover();
#endif
		e = 0
	}
}

#ifdef LIVE
/*
 * The runqueues settle, at a moment weak fairness makes come: from then
 * on each runqueue is stable (pick_task() returns the task the CPU runs or
 * waits for, cd_find() always gives the same answer), every task is
 * CPU-bound (reaches a scheduling point only when kicked) and no CPU goes
 * offline.  That is the situation the wait bound is for; before it
 * anything goes (any domain, class, hotplug, self-initiated reschedules).
 * Without it, the untimed model lets the CPUs' own reschedules collide
 * with the bound timers forever, which real time rules out.
 */
active proctype settle()
{
	atomic {
		for (s : 0 .. NT - 1) {
			if
			:: want[s] != NONE && cur[s] != NONE ->
				subq[s] = rank[s]	/* it runs one */
			:: else ->
				if
				:: subq[s] = 0
				:: subq[s] = R_FAIR
				fi
			fi
		}
		s = 0;
		settled = 1
	}
}

/*
 * Liveness: when CPU 0 waits for domain 1, it eventually runs domain 1 -
 * in every run in which the siblings eventually neither run nor wait with
 * a class above fair (RT work over a fair waiter is unbounded by design).
 */
#define HI(x)	(rank[x] > R_FAIR || want_rank[x] > R_FAIR)
#if NT == 2
#define SIB_HI	HI(1)
#else
#define SIB_HI	(HI(1) || HI(2) || HI(3))
#endif
ltl live { (<> [] !SIB_HI) -> [] ((want[0] == 1) -> <> (running[0] == 1)) }
#endif
