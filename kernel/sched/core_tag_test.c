// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the core-domain arbitration rule (core_tag.c), on
 * synthetic cores: which domain a CPU may claim given what its siblings
 * claim and leave and who reserved the core, which domain it could run
 * instead, who it may take the core from, and what a claim records.
 *
 * Included by core_tag.c (the helpers are static); the fake CPUs have
 * ids far above any real one and never take part in scheduling.
 */
#include <kunit/test.h>

#define FAKE_CPU0	100000

struct fake_core {
	struct cd_core core;
	struct cd_cpu cpu[CD_MAX_SMT];
};

/* On the heap: a core's worth of per-CPU state is too big for the stack. */
static struct fake_core *fake_core_alloc(struct kunit *test)
{
	struct fake_core *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	return f;
}

/*
 * A core of @n threads; sibling i claims cur[i] (left as -1 = CD_NONE)
 * and leaves old[i], running a task of class rank[i].
 */
static void fake_core_init(struct fake_core *f, int n, const int *cur,
			   const int *old, const int *rank)
{
	int i;

	memset(f, 0, sizeof(*f));
	raw_spin_lock_init(&f->core.lock);
	f->core.tag = CD_NONE;
	f->core.resv = CD_NONE;
	f->core.resv_cpu = -1;
	for (i = 0; i < n; i++) {
		f->cpu[i].cur = cur ? (u32)cur[i] : CD_NONE;
		f->cpu[i].old = old ? (u32)old[i] : CD_NONE;
		f->cpu[i].rank = rank ? rank[i] : CD_RANK_IDLE;
		f->cpu[i].want = CD_NONE;
		f->core.cpus[i] = FAKE_CPU0 + i;
		f->core.sib[i] = &f->cpu[i];
	}
	f->core.nr_cpus = n;
}


struct allow_case {
	const char *name;
	int n;			/* threads per core */
	int cur[4], old[4];	/* sibling 0 is the CPU asking */
	int resv, resv_cpu;	/* -1: no reservation */
	int d;			/* the domain asked for */
	bool allowed;
	int instead;		/* cd_core_domain(): -1 none */
};

static const struct allow_case allow_cases[] = {
	{ "idle siblings allow any domain", 2, { -1, -1 }, { -1, -1 }, -1, -1, 5, true, -1 },
	{ "sibling in the same domain", 2, { -1, 5 }, { -1, -1 }, -1, -1, 5, true, 5 },
	{ "sibling in another domain", 2, { -1, 7 }, { -1, -1 }, -1, -1, 5, false, 7 },
	{ "host domain is a domain", 2, { -1, 0 }, { -1, -1 }, -1, -1, 5, false, 0 },
	{ "sibling still leaving another domain", 2, { -1, -1 }, { -1, 7 }, -1, -1, 5, false, 7 },
	{ "sibling leaving the same domain", 2, { -1, -1 }, { -1, 5 }, -1, -1, 5, true, 5 },
	{ "sibling between two domains", 2, { -1, 5 }, { -1, 7 }, -1, -1, 5, false, -1 },
	{ "own old domain does not block", 2, { 7, -1 }, { 7, -1 }, -1, -1, 5, true, -1 },
	{ "reserved for another domain", 2, { -1, -1 }, { -1, -1 }, 7, 1, 5, false, 7 },
	{ "reserved for this domain", 2, { -1, -1 }, { -1, -1 }, 5, 1, 5, true, 5 },
	{ "own reservation does not block", 2, { -1, -1 }, { -1, -1 }, 7, 0, 5, true, -1 },
	{ "SMT-4: all siblings in one domain", 4, { -1, 5, -1, 5 },
	  { -1, -1, -1, -1 }, -1, -1, 5, true, 5 },
	{ "SMT-4: one sibling of four differs", 4, { -1, 5, 5, 7 },
	  { -1, -1, -1, -1 }, -1, -1, 5, false, -1 },
};

static void allow_case_desc(const struct allow_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(allow, allow_cases, allow_case_desc);

static void cd_test_allowed(struct kunit *test)
{
	const struct allow_case *c = test->param_value;
	struct fake_core *f = fake_core_alloc(test);

	fake_core_init(f, c->n, c->cur, c->old, NULL);
	if (c->resv >= 0) {
		f->core.resv = c->resv;
		f->core.resv_cpu = FAKE_CPU0 + c->resv_cpu;
	}
	KUNIT_EXPECT_EQ(test, cd_allowed(&f->core, FAKE_CPU0, c->d), c->allowed);
	KUNIT_EXPECT_EQ(test, cd_core_domain(&f->core, FAKE_CPU0), (u32)c->instead);
}

/* Only what conflicts counts, and the highest class of it. */
static void cd_test_conflict_rank(struct kunit *test)
{
	static const int cur[] = { -1, 7, 5, 7 };
	static const int rank[] = { CD_RANK_IDLE, CD_RANK_FAIR, CD_RANK_DL, CD_RANK_RT };
	struct fake_core *f = fake_core_alloc(test);

	fake_core_init(f, 4, cur, NULL, rank);
	/* Domain 5 conflicts with the two siblings in 7: fair and RT. */
	KUNIT_EXPECT_EQ(test, cd_conflict_rank(&f->core, FAKE_CPU0, 5), CD_RANK_RT);
	/* Domain 7 conflicts with the deadline task in 5. */
	KUNIT_EXPECT_EQ(test, cd_conflict_rank(&f->core, FAKE_CPU0, 7), CD_RANK_DL);
	/* Idle siblings conflict with nothing. */
	fake_core_init(f, 4, NULL, NULL, NULL);
	KUNIT_EXPECT_EQ(test, cd_conflict_rank(&f->core, FAKE_CPU0, 7), CD_RANK_IDLE);
}

/* What a claim records: the domain left behind, flips, reservations. */
static void cd_test_claim(struct kunit *test)
{
	static const int cur[] = { 7, -1 };
	struct fake_core *f = fake_core_alloc(test);
	struct cd_cpu *me;

	fake_core_init(f, 2, cur, NULL, NULL);
	me = &f->cpu[0];
	f->core.tag = 7;

	/* Switching to another domain: the old one is still leaving. */
	cd_claim(&f->core, me, FAKE_CPU0, 5, CD_RANK_FAIR, true);
	KUNIT_EXPECT_EQ(test, me->cur, 5U);
	KUNIT_EXPECT_EQ(test, me->old, 7U);
	KUNIT_EXPECT_EQ(test, f->core.tag, 5U);
	KUNIT_EXPECT_EQ(test, f->core.nr_flips, 1ULL);
	/* Another pick before the switch keeps the first leaving domain. */
	cd_claim(&f->core, me, FAKE_CPU0, CD_NONE, CD_RANK_IDLE, true);
	KUNIT_EXPECT_EQ(test, me->old, 7U);
	KUNIT_EXPECT_EQ(test, f->core.tag, 5U);
	/* Keeping the running task: nothing is leaving. */
	cd_claim(&f->core, me, FAKE_CPU0, 5, CD_RANK_FAIR, false);
	KUNIT_EXPECT_EQ(test, me->old, CD_NONE);

	/* The reserving CPU's claim of its domain ends the reservation. */
	f->core.resv = 9;
	f->core.resv_cpu = FAKE_CPU0;
	cd_claim(&f->core, me, FAKE_CPU0, 5, CD_RANK_FAIR, false);
	KUNIT_EXPECT_EQ(test, f->core.resv, 9U);
	cd_claim(&f->core, me, FAKE_CPU0, 9, CD_RANK_FAIR, true);
	KUNIT_EXPECT_EQ(test, f->core.resv, CD_NONE);
	KUNIT_EXPECT_EQ(test, f->core.resv_cpu, -1);
}

/* The tree orders by domain, then class rank, and finds a domain's first. */
static void cd_test_tree_order(struct kunit *test)
{
	struct core_domain d5 = { .id = 5 }, d7 = { .id = 7 };
	struct task_struct *t;
	struct rb_root root = RB_ROOT;
	struct rb_node *node;
	u32 key = 7;
	int i;

	t = kunit_kcalloc(test, 4, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < 4; i++) {
		t[i].sched_class = &fair_sched_class;
		t[i].prio = MAX_RT_PRIO;
		t[i].policy = SCHED_NORMAL;
		RB_CLEAR_NODE(&t[i].core_domain_node);
	}
	t[0].core_domain = &d7;
	t[1].core_domain = &d5;
	t[2].core_domain = &d7;
	t[2].sched_class = &rt_sched_class;
	t[2].prio = 10;
	t[2].policy = SCHED_FIFO;
	t[3].core_domain = NULL;	/* host */
	for (i = 0; i < 4; i++)
		rb_add(&t[i].core_domain_node, &root, cd_less);

	node = rb_first(&root);
	KUNIT_EXPECT_PTR_EQ(test, __node_2_cd(node), &t[3]);
	node = rb_find_first(&key, &root, cd_cmp);
	/* Within domain 7 the RT task comes first. */
	KUNIT_EXPECT_PTR_EQ(test, __node_2_cd(node), &t[2]);
	KUNIT_EXPECT_PTR_EQ(test, __node_2_cd(rb_next(node)), &t[0]);
	key = 6;
	KUNIT_EXPECT_NULL(test, rb_find_first(&key, &root, cd_cmp));
}

/*
 * Real-time tasks rank by priority, boosted ones by the priority they are
 * boosted to; every real-time rank lies between the fair kernel threads'
 * and deadline's, and the tree's key stays the class.
 */
static void cd_test_rt_rank(struct kunit *test)
{
	struct task_struct *t;
	int i;

	t = kunit_kcalloc(test, 5, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < 4; i++) {
		t[i].sched_class = &rt_sched_class;
		t[i].policy = SCHED_FIFO;
	}
	t[0].prio = MAX_RT_PRIO - 1 - 1;	/* FIFO 1 */
	t[1].prio = MAX_RT_PRIO - 1 - 50;	/* FIFO 50: threaded IRQs */
	t[2].prio = MAX_RT_PRIO - 1 - 99;	/* FIFO 99 */
	t[3].prio = MAX_RT_PRIO - 1 - 50;	/* a fair task boosted to 50 */
	t[3].policy = SCHED_NORMAL;
	t[4].sched_class = &dl_sched_class;
	t[4].policy = SCHED_DEADLINE;
	t[4].prio = MAX_DL_PRIO - 1;

	KUNIT_EXPECT_EQ(test, cd_task_rank(&t[0]), CD_RANK_RT);
	KUNIT_EXPECT_EQ(test, cd_task_rank(&t[2]), CD_RANK_RT_MAX);
	KUNIT_EXPECT_GT(test, cd_task_rank(&t[1]), cd_task_rank(&t[0]));
	KUNIT_EXPECT_GT(test, cd_task_rank(&t[2]), cd_task_rank(&t[1]));
	KUNIT_EXPECT_EQ(test, cd_task_rank(&t[3]), cd_task_rank(&t[1]));
	KUNIT_EXPECT_GT(test, cd_task_rank(&t[0]), CD_RANK_KTHREAD);
	KUNIT_EXPECT_GT(test, cd_task_rank(&t[4]), cd_task_rank(&t[2]));
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, cd_class_rank(&t[i]), CD_RANK_RT);
}

static struct kunit_case core_tag_test_cases[] = {
	KUNIT_CASE_PARAM(cd_test_allowed, allow_gen_params),
	KUNIT_CASE(cd_test_conflict_rank),
	KUNIT_CASE(cd_test_claim),
	KUNIT_CASE(cd_test_tree_order),
	KUNIT_CASE(cd_test_rt_rank),
	{}
};

static struct kunit_suite core_tag_test_suite = {
	.name = "core_domain_arbitration",
	.test_cases = core_tag_test_cases,
};

kunit_test_suite(core_tag_test_suite);
