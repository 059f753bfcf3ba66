// SPDX-License-Identifier: GPL-2.0
/*
 * prctl(PR_SCHED_CORE) on core domains: upstream's arguments and errors,
 * and the call sequences of the tools built for core scheduling, replayed
 * with busy tasks and judged by the isolation checker (cd_timeline.h).
 *
 * Each replay builds the process layout a consumer builds and makes its
 * calls from the task and at the moment the consumer makes them (see the
 * comment above each).  The cookies must then group the tasks as the
 * consumer intends, and a trace of all of them spinning must show no two
 * groups on one core at once.  The control variant builds the same layout
 * without the calls and tells the checker the intended groups: it must
 * find overlaps, or the enforced run proves nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"
#include "cd_timeline.h"
#include "cd_util.h"

#define TRACEFS		"/sys/kernel/tracing/"
#define MAXTASKS	64
#define MAXUNITS	16
#define UID_USER	1000
#define UID_OTHER	1001

#define GET		PR_SCHED_CORE_GET
#define CREATE		PR_SCHED_CORE_CREATE
#define SHARE_TO	PR_SCHED_CORE_SHARE_TO
#define SHARE_FROM	PR_SCHED_CORE_SHARE_FROM
#define S_PID		PR_SCHED_CORE_SCOPE_THREAD
#define S_TGID		PR_SCHED_CORE_SCOPE_THREAD_GROUP
#define S_PGID		PR_SCHED_CORE_SCOPE_PROCESS_GROUP

/*
 * Every replayed task records its tid and the group the consumer means
 * it to be in (1, 2, ...: one per VM, pod, renderer; 0: the host domain,
 * untagged), then spins.
 */
struct shared {
	volatile int stop, enforce, n, failed;
	volatile pid_t tid[MAXTASKS];
	volatile int group[MAXTASKS];
	volatile pid_t unit[MAXUNITS];	/* a consumer's process per unit */
	char why[256];
};

static struct shared *sh;

static long sc(unsigned long cmd, pid_t pid, unsigned long type, void *uaddr)
{
	return prctl(PR_SCHED_CORE, cmd, pid, type, (unsigned long)uaddr);
}

static uint64_t cookie_of(pid_t tid)
{
	uint64_t c = ~0ULL;

	if (sc(GET, tid, S_PID, &c))
		return ~0ULL;
	return c;
}

/* A consumer's call: it must succeed (made in the enforced variant only). */
static void call(unsigned long cmd, pid_t pid, unsigned long type, const char *what)
{
	if (!sh->enforce)
		return;
	if (sc(cmd, pid, type, NULL) && !sh->failed) {
		snprintf(sh->why, sizeof(sh->why), "%s: %s", what, strerror(errno));
		sh->failed = 1;
	}
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/*
 * Record the calling thread as a member of @group, then run until stop:
 * busy for 5 ms, asleep for 0.5 ms, like a vCPU or a renderer, so that
 * every CPU switches often and the checker sees each one (a CPU that ran
 * one spinner all along would never show what it ran).
 */
static void spin_as(int group)
{
	int k = __atomic_fetch_add(&sh->n, 1, __ATOMIC_SEQ_CST);
	volatile long spins = 0;
	double t;

	if (k >= MAXTASKS)
		_exit(3);
	sh->group[k] = group;
	__atomic_store_n(&sh->tid[k], gettid_(), __ATOMIC_RELEASE);
	while (!sh->stop) {
		for (t = cd_now_s() + 0.005; cd_now_s() < t;)
			spins++;
		usleep(500);
	}
	_exit(0);
}

static void *spin_thread(void *arg)
{
	spin_as((int)(long)arg);
	return NULL;
}

static void threads(int n, int group)
{
	pthread_t th;
	int i;

	for (i = 0; i < n; i++)
		pthread_create(&th, NULL, spin_thread, (void *)(long)group);
}

/* A helper process running @fn(@arg); it dies with the test. */
static pid_t proc(void (*fn)(int), int arg)
{
	pid_t pid = cd_fork_tied();

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

/* Wait until @n tasks have recorded themselves. */
static int wait_tasks(int n)
{
	int i, k;

	for (i = 0; i < 1000; i++) {
		for (k = 0; k < n && k < sh->n; k++)
			if (!__atomic_load_n(&sh->tid[k], __ATOMIC_ACQUIRE))
				break;
		if (k >= n)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* The layouts: each returns how many tasks it starts, -1 on failure.  */
/* ------------------------------------------------------------------ */

/*
 * libvirt (src/util/virprocess.c, src/util/vircommand.c virExecCommon(),
 * src/qemu/qemu_domain.c qemuDomainSchedCoreStart(), qemu_process.c).
 * libvirtd probes once with GET(0, THREAD).  sched_core = "full" (VM 1):
 * libvirtd forks a dummy that calls CREATE(0, THREAD_GROUP) and waits;
 * the daemonized child that becomes QEMU calls SHARE_FROM(dummy, THREAD)
 * before exec, so the emulator and its vCPU threads share the cookie;
 * each helper (virtiofsd, swtpm, ...) calls SHARE_FROM(qemu, THREAD)
 * before exec; the dummy is killed once QEMU runs.  sched_core = "vcpus"
 * (VM 2): once QEMU reports the vCPU tids, a forked child calls
 * CREATE(0, THREAD_GROUP), SHARE_TO(tid, THREAD) for each vCPU, and exits;
 * the emulator thread stays in the host domain (group 0).
 */
static void libvirt_dummy(int vm)
{
	call(CREATE, 0, S_TGID, "libvirt dummy: CREATE(0, TGID)");
	sh->unit[8 + vm] = gettid_();
	for (;;)
		pause();
}

static void libvirt_qemu_full(int vm)
{
	setsid();	/* daemonized */
	call(SHARE_FROM, sh->unit[8 + vm], S_PID, "libvirt QEMU: SHARE_FROM(dummy, PID)");
	threads(2, vm);		/* vCPU threads */
	spin_as(vm);		/* the emulator thread */
}

static void libvirt_helper(int vm)
{
	call(SHARE_FROM, sh->unit[vm], S_PID, "libvirt helper: SHARE_FROM(qemu, PID)");
	spin_as(vm);
}

static void libvirt_qemu_vcpus(int vm)
{
	setsid();
	threads(2, vm);
	spin_as(0);		/* the emulator thread: not tagged in "vcpus" */
}

static void libvirt_vcpus_tagger(int vm)
{
	int k;

	call(CREATE, 0, S_TGID, "libvirt vcpus: CREATE(0, TGID) in a child");
	for (k = 0; k < sh->n; k++)
		if (sh->group[k] == vm)
			call(SHARE_TO, sh->tid[k], S_PID, "libvirt vcpus: SHARE_TO(vcpu, PID)");
}

static int build_libvirt(void)
{
	uint64_t c = 1;
	pid_t dummy, tagger;
	int i;

	if (sh->enforce && (sc(GET, 0, S_PID, &c) || c != 0))
		return -1;
	dummy = proc(libvirt_dummy, 1);
	for (i = 0; i < 500 && !sh->unit[9]; i++)
		usleep(10000);
	sh->unit[1] = proc(libvirt_qemu_full, 1);
	if (wait_tasks(3))
		return -1;
	proc(libvirt_helper, 1);
	if (wait_tasks(4))
		return -1;
	cd_kill_wait(&dummy, 1);
	sh->unit[2] = proc(libvirt_qemu_vcpus, 2);
	if (wait_tasks(7))
		return -1;
	tagger = proc(libvirt_vcpus_tagger, 2);
	waitpid(tagger, NULL, 0);
	return 7;
}

/*
 * containerd's runc shim (cmd/containerd-shim-runc-v2/manager, with
 * SCHED_CORE set) and the Kata Go shim: containerd starts "shim start" as
 * a process group leader; it calls CREATE(0, PROCESS_GROUP), starts the
 * long-lived shim (a new process group) and exits.  The shim and every
 * container of the pod (the later ones make no call) inherit the cookie.
 * The long-lived shim outlives its parent: this test is its subreaper,
 * and it dies with the test by its own PR_SET_PDEATHSIG.
 */
static void container_proc(int pod)
{
	threads(1, pod);
	spin_as(pod);
}

static void shim_start(int pod)
{
	pid_t shim;

	setpgid(0, 0);
	call(CREATE, 0, S_PGID, "containerd shim start: CREATE(0, PGID)");
	shim = fork();
	if (shim == 0) {
		setpgid(0, 0);
		while (getppid() != sh->unit[0])
			usleep(1000);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		proc(container_proc, pod);	/* the pod's first container */
		proc(container_proc, pod);	/* a second one: no call */
		spin_as(pod);
	}
	_exit(shim < 0);
}

static int build_containerd(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sh->unit[0] = getpid();
	proc(shim_start, 1);
	proc(shim_start, 2);
	return 10;
}

/*
 * Chromium (chromeos/system/core_scheduling.cc, content/renderer/
 * renderer_main.cc): the probe is CREATE(1 << 30, THREAD): ESRCH means
 * available; each renderer, first thing in RendererMain(), calls
 * CREATE(0, THREAD), and the threads it starts later inherit.  crosvm's
 * per-vCPU mode makes the same call in each vCPU thread.
 */
static void renderer(int r)
{
	call(CREATE, 0, S_PID, "chromium RendererMain: CREATE(0, PID)");
	threads(1, r);
	spin_as(r);
}

static int build_chromium(void)
{
	int r;

	if (sh->enforce && !(sc(CREATE, 1 << 30, S_PID, NULL) && errno == ESRCH))
		return -1;
	for (r = 1; r <= 3; r++)
		proc(renderer, r);
	return 6;
}

/*
 * cloud-hypervisor (vmm/src/cpu.rs, --cpus core_scheduling=vm|vcpu): in
 * "vm" mode (VMs 1 and 2) the vCPU thread that wins a compare-and-swap
 * calls CREATE(0, THREAD) and publishes its tid, the others wait for it
 * and call SHARE_FROM(leader, THREAD); in "vcpu" mode (VM 3) each vCPU
 * thread calls CREATE(0, THREAD) (groups 3, 4, 5).  Every vCPU then reads
 * GET(0, THREAD); the VMM's own threads keep the host domain.
 */
static volatile int leader[4];

static void *ch_vcpu(void *arg)
{
	long v = (long)arg, vm = v / 10, idx = v % 10;
	int none = 0, me = gettid_();
	uint64_t c;

	if (vm == 3) {
		call(CREATE, 0, S_PID, "cloud-hypervisor vcpu mode: CREATE(0, PID)");
		sc(GET, 0, S_PID, &c);
		spin_as(3 + idx);
	}
	if (__atomic_compare_exchange_n(&leader[vm], &none, -1, 0,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		call(CREATE, 0, S_PID, "cloud-hypervisor vm mode: CREATE(0, PID)");
		__atomic_store_n(&leader[vm], me, __ATOMIC_SEQ_CST);
	} else {
		while (__atomic_load_n(&leader[vm], __ATOMIC_SEQ_CST) <= 0)
			usleep(1000);
		call(SHARE_FROM, leader[vm], S_PID,
		     "cloud-hypervisor vm mode: SHARE_FROM(leader, PID)");
	}
	sc(GET, 0, S_PID, &c);
	spin_as(vm);
	return NULL;
}

static void ch_vmm(int vm)
{
	pthread_t th;
	long i;

	for (i = 0; i < 3; i++)
		pthread_create(&th, NULL, ch_vcpu, (void *)(vm * 10 + i));
	for (;;)
		pause();	/* the VMM thread sleeps, in the host domain */
}

static int build_cloud_hypervisor(void)
{
	int vm;

	for (vm = 1; vm <= 3; vm++)
		proc(ch_vmm, vm);
	return 9;
}

/*
 * util-linux coresched (schedutils/coresched.c; probe GET(self, THREAD)):
 * "new -- CMD" calls CREATE(self, THREAD_GROUP) and execs (group 1);
 * "copy -s S -- CMD" SHARE_FROM(S, THREAD) and execs (group 1);
 * "copy -s S -d D -t tgid" SHARE_FROM(S, THREAD) then SHARE_TO(D,
 * THREAD_GROUP) (group 1); "new -d P -t pgid" CREATE(P, PROCESS_GROUP)
 * (group 2).  The CMDs spin.
 */
static void coresched_new(int g)
{
	uint64_t c;

	if (sh->enforce && sc(GET, getpid(), S_PID, &c))
		_exit(1);
	call(CREATE, getpid(), S_TGID, "coresched new --: CREATE(self, TGID)");
	threads(1, g);
	spin_as(g);
}

static void coresched_copy(int g)
{
	call(SHARE_FROM, sh->unit[g], S_PID, "coresched copy -s S --: SHARE_FROM(S, PID)");
	spin_as(g);
}

static void coresched_copy_to(int g)
{
	call(SHARE_FROM, sh->unit[g], S_PID, "coresched copy -s S -d D: SHARE_FROM(S, PID)");
	call(SHARE_TO, sh->unit[3], S_TGID, "coresched copy -s S -d D: SHARE_TO(D, TGID)");
}

static void spinner(int g)
{
	threads(1, g);
	spin_as(g);
}

static void pgroup_leader(int g)
{
	setpgid(0, 0);
	proc(spinner, g);
	spin_as(g);
}

static int build_coresched(void)
{
	pid_t leader, copier;

	sh->unit[1] = proc(coresched_new, 1);
	if (wait_tasks(2))
		return -1;
	proc(coresched_copy, 1);
	sh->unit[3] = proc(spinner, 1);
	leader = proc(pgroup_leader, 2);
	if (wait_tasks(8))
		return -1;
	copier = proc(coresched_copy_to, 1);
	waitpid(copier, NULL, 0);
	call(CREATE, leader, S_PGID, "coresched new -d P -t pgid: CREATE(P, PGID)");
	return 8;
}

/* ------------------------------------------------------------------ */

FIXTURE(replay) {
	struct timeline *tl;
};

FIXTURE_VARIANT(replay) {
	int enforce;
};

FIXTURE_VARIANT_ADD(replay, enforced) { .enforce = 1 };
FIXTURE_VARIANT_ADD(replay, control) { .enforce = 0 };

FIXTURE_SETUP(replay)
{
	uint64_t c;

	if (variant->enforce && sc(GET, 0, S_PID, &c))
		SKIP(return, "PR_SCHED_CORE: %s", strerror(errno));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset((void *)sh, 0, sizeof(*sh));
	sh->enforce = variant->enforce;
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "0"));
	ASSERT_EQ(0, put(TRACEFS "trace_clock", "global"));
	ASSERT_EQ(0, put(TRACEFS "buffer_size_kb", "8192"));
	ASSERT_EQ(0, put(TRACEFS "events/enable", "0"));
	ASSERT_EQ(0, put(TRACEFS "events/sched/sched_switch/enable", "1"));
	ASSERT_EQ(0, put(TRACEFS "events/sched/sched_process_fork/enable", "1"));
	ASSERT_EQ(0, put(TRACEFS "events/core_domain/core_domain_move/enable", "1"));
	ASSERT_EQ(0, put(TRACEFS "events/core_domain/core_domain_new/enable", "1"));
	ASSERT_EQ(0, put(TRACEFS "trace", ""));
}

FIXTURE_TEARDOWN(replay)
{
	if (!sh)
		return;
	sh->stop = 1;
	cd_kill_group();
	put(TRACEFS "tracing_on", "0");
	put(TRACEFS "events/enable", "0");
	put(TRACEFS "buffer_size_kb", "64");
	munmap((void *)sh, sizeof(*sh));
	sh = NULL;
}

/*
 * Run a replay: build it, check the cookies' grouping (enforced), trace
 * every task spinning for 2 s and count the overlaps.
 */
static void run(struct __test_metadata *_metadata, int enforce, int (*build)(void))
{
	struct timeline *tl;
	long lost;
	int n, i, j;
	FILE *f;

	n = build();
	ASSERT_LT(0, n) TH_LOG("the replay could not start (probe or setup failed)");
	ASSERT_EQ(0, wait_tasks(n));
	ASSERT_EQ(0, sh->failed) TH_LOG("%s", sh->why);
	if (enforce) {
		for (i = 0; i < n; i++) {
			uint64_t ci = cookie_of(sh->tid[i]);

			ASSERT_NE(~0ULL, ci);
			EXPECT_EQ(!sh->group[i], !ci) TH_LOG("tid %d of group %d: cookie %llu",
							     sh->tid[i], sh->group[i],
							     (unsigned long long)ci);
			EXPECT_EQ(ci, (uint64_t)prctl(PR_GET_CORE_DOMAIN, sh->tid[i], 0, 0, 0));
			for (j = 0; j < i; j++) {
				uint64_t cj = cookie_of(sh->tid[j]);

				EXPECT_EQ(sh->group[i] == sh->group[j], ci == cj)
					TH_LOG("tids %d and %d, groups %d and %d, cookies %llu and %llu",
					       sh->tid[i], sh->tid[j], sh->group[i], sh->group[j],
					       (unsigned long long)ci, (unsigned long long)cj);
			}
		}
	}
	tl = tl_new();
	ASSERT_NE(NULL, tl);
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	/* The control: the groups as the checker's domains (never an id in use). */
	for (i = 0; !enforce && i < n; i++)
		if (sh->group[i])
			tl_seed(tl, sh->tid[i], 100000 + sh->group[i]);
	sleep(2);
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "0"));
	sh->stop = 1;
	f = cd_trace_open(TRACEFS "trace", &lost);
	ASSERT_NE(NULL, f);
	check_trace(tl, f);
	fclose(f);
	TH_LOG("%d tasks, %ld switches, %ld overlaps (longest %.0f us), %ld lost, %d CPUs unseen",
	       n, tl->switches, tl->violations, tl->worst_len * 1e6, lost, tl_uncovered(tl));
	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	EXPECT_LT(100, tl->switches);
	EXPECT_EQ(0, tl_uncovered(tl)) TH_LOG("CPUs never seen switching: not compared");
	if (enforce) {
		EXPECT_EQ(0, tl->violations);
	} else {
		EXPECT_LT(0, tl->violations) TH_LOG("the control found no overlap");
	}
	tl_free(tl);
}

TEST_F_TIMEOUT(replay, libvirt, 120)
{
	run(_metadata, variant->enforce, build_libvirt);
}

TEST_F_TIMEOUT(replay, containerd_kata, 120)
{
	run(_metadata, variant->enforce, build_containerd);
}

TEST_F_TIMEOUT(replay, chromium, 120)
{
	run(_metadata, variant->enforce, build_chromium);
}

TEST_F_TIMEOUT(replay, cloud_hypervisor, 120)
{
	run(_metadata, variant->enforce, build_cloud_hypervisor);
}

TEST_F_TIMEOUT(replay, coresched, 120)
{
	run(_metadata, variant->enforce, build_coresched);
}

/* ------------------------------------------------------------------ */
/* Upstream's arguments, errors and their order.                       */
/* ------------------------------------------------------------------ */

static pid_t sleeper(void)
{
	pid_t pid = cd_fork_tied();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

TEST(errors_in_upstream_order)
{
	uint64_t c, buf[2];
	pid_t kid = sleeper();

	ASSERT_GT(kid, 0);
	/* EINVAL before ESRCH: a bad type, command or pid, uaddr not taken */
	errno = 0;
	EXPECT_EQ(-1, sc(GET, INT_MAX, 3, &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sc(PR_SCHED_CORE_MAX, INT_MAX, S_PID, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sc(GET, -1, S_PID, &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sc(CREATE, INT_MAX, S_PID, &c));
	EXPECT_EQ(EINVAL, errno);
	/* ESRCH */
	EXPECT_EQ(-1, sc(CREATE, INT_MAX, S_PID, NULL));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, sc(GET, INT_MAX, S_PID, &c));
	EXPECT_EQ(ESRCH, errno);
	/* after the lookup: GET of a group, unaligned or bad uaddr, SHARE_FROM of a group */
	EXPECT_EQ(-1, sc(GET, kid, S_TGID, &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sc(GET, kid, S_PID, (char *)buf + 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sc(GET, kid, S_PID, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, sc(SHARE_FROM, kid, S_TGID, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* a refused call changed nothing */
	EXPECT_EQ(0, cookie_of(kid));
	EXPECT_EQ(0, cookie_of(0));
	cd_kill_wait(&kid, 1);
}

TEST(cookies_are_domains)
{
	uint64_t a, b;
	pid_t kid = sleeper(), grandkid;
	int st;

	ASSERT_GT(kid, 0);
	EXPECT_EQ(0, sc(CREATE, kid, S_PID, NULL));
	a = cookie_of(kid);
	EXPECT_NE(0, a);
	EXPECT_EQ(a, (uint64_t)prctl(PR_GET_CORE_DOMAIN, kid, 0, 0, 0));
	/* inherited at fork */
	grandkid = cd_fork_tied();
	if (grandkid == 0) {
		EXPECT_EQ(0, sc(SHARE_FROM, kid, S_PID, NULL));
		_exit(cookie_of(0) == a && cookie_of(getpid()) == a ? 0 : 1);
	}
	ASSERT_EQ(grandkid, waitpid(grandkid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* SHARE_TO: the kid goes into our (host) domain: root may */
	EXPECT_EQ(0, sc(SHARE_TO, kid, S_PID, NULL));
	EXPECT_EQ(0, cookie_of(kid));
	/* a new cookie each time */
	EXPECT_EQ(0, sc(CREATE, kid, S_PID, NULL));
	b = cookie_of(kid);
	EXPECT_NE(0, b);
	EXPECT_NE(a, b);
	cd_kill_wait(&kid, 1);
}

/* Run @fn as @uid in a child; return its exit status. */
static int as_user(uid_t uid, int (*fn)(pid_t), pid_t arg)
{
	pid_t pid = cd_fork_tied();
	int st;

	if (pid == 0) {
		if (setgid(uid) || setuid(uid))
			_exit(99);
		/* setuid() made it undumpable: its own children would be unptraceable */
		prctl(PR_SET_DUMPABLE, 1);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* As a user: its own tasks, yes; root's, EPERM; the host domain, EPERM. */
static int user_calls(pid_t roots)
{
	pid_t mine = sleeper(), host = sleeper();
	uint64_t c;
	int bad = 0;

	/* its own: CREATE, SHARE_TO, SHARE_FROM */
	bad |= sc(CREATE, mine, S_PID, NULL) ? 1 : 0;
	bad |= sc(SHARE_FROM, mine, S_PID, NULL) ? 2 : 0;
	bad |= cookie_of(0) != cookie_of(mine) || !cookie_of(0) ? 4 : 0;
	bad |= sc(CREATE, 0, S_TGID, NULL) ? 8 : 0;
	bad |= sc(SHARE_TO, mine, S_PID, NULL) ? 16 : 0;
	bad |= cookie_of(0) != cookie_of(mine) ? 32 : 0;
	/* root's task (a root sleeper): EPERM, nothing changed */
	bad |= !(sc(CREATE, roots, S_PID, NULL) && errno == EPERM) ? 64 : 0;
	bad |= !(sc(SHARE_FROM, roots, S_PID, NULL) && errno == EPERM) ? 128 : 0;
	bad |= !(sc(GET, roots, S_PID, &c) && errno == EPERM) ? 256 : 0;
	/* back to the host domain, even through a task it controls: EPERM */
	bad |= !(sc(SHARE_FROM, host, S_PID, NULL) && errno == EPERM) ? 512 : 0;
	bad |= cookie_of(0) != cookie_of(mine) || cookie_of(host) ? 1024 : 0;
	kill(mine, SIGKILL);
	kill(host, SIGKILL);
	waitpid(mine, NULL, 0);
	waitpid(host, NULL, 0);
	return bad;
}

TEST(permissions_as_a_user)
{
	pid_t roots = sleeper();

	ASSERT_GT(roots, 0);
	EXPECT_EQ(0, as_user(UID_USER, user_calls, roots));
	EXPECT_EQ(0, cookie_of(roots));
	cd_kill_wait(&roots, 1);
}

TEST_HARNESS_MAIN
