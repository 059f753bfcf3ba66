// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation for virtual machines: a small VMM on the KVM API runs several
 * VMs side by side, each a process whose vCPU threads run a guest in real
 * mode, and the trace checker of isolation_test (cd_timeline.h) rebuilds
 * every CPU's timeline from sched_switch and looks for an instant at which
 * two SMT siblings ran vCPUs (or any tasks) of two different domains.
 *
 * The guests mix the two loads a host sees: an exit-heavy guest leaves
 * guest mode after a few hundred instructions (an OUT to port 0x10, which
 * KVM hands to this VMM), a compute-heavy one after millions.
 *
 * vms.enforced.mixed: each VM in a domain of its own (PR_SET_CORE_DOMAIN,
 *   one domain per VMM process, the layout libvirt and cloud hypervisors
 *   use); there must be no overlap.
 * vms.control.mixed: the same VMs in the host domain, judged by the
 *   domains they would have had; the checker must find overlaps.
 * vm_moves.running_vm: a third VM is moved between the two other VMs'
 *   domains every few milliseconds, as a whole thread group, while its
 *   vCPUs run guest code; judged by its new domain from each move on,
 *   nothing exempt.
 * kvms.protected.mixed: the VMs in domains of the kernel protection level
 *   (PR_CORE_DOMAIN_LEVEL_KERNEL), traced also for interrupts, softirqs,
 *   system calls and VM exits; the kernel-entry checker (cd_kentry.h)
 *   must find no instant at which a sibling of a vCPU in guest code ran
 *   host-kernel code, and the isolation checker no overlap.
 * kvms.control.mixed: the same VMs in the host domain, judged as if their
 *   domains were protected; the kernel-entry checker must find exposures.
 * kusers.protected.spin: the user-mode half of K, no KVM needed: tasks of
 *   two domains of the kernel level spin in user code and make system
 *   calls beside host tasks that make system calls and take timer
 *   interrupts; no instant may show a sibling in host code beside their
 *   user code.
 * kusers.control.spin: the same in domains of the user level (one idle
 *   task of the kernel level turns the hooks and their tracepoints on),
 *   judged as if protected: the checker must find exposures.
 *
 * Without /dev/kvm (a kernel built without KVM, or a CPU without
 * virtualisation) the tests skip, unless CD_VM_REQUIRED=1 makes that a
 * failure (the 'vm' boot of harness/guests.conf, an AMD CPU with SVM,
 * which QEMU's TCG emulates with nested paging).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"
#include "cd_kentry.h"
#include "cd_util.h"

#define TRACEFS		CD_TRACEFS
#define NVMS		3
#define NVCPUS		3
#define GUEST_MEM	0x10000
#define GUEST_CODE	0x1000
#define EXIT_PORT	0x10
#define TRACE_KB	8192
#define KTRACE_KB	24576		/* kvms: every exit is several events */
#define STR_(x)		#x
#define STR(x)		STR_(x)

struct vm_stats {
	volatile long exits[NVCPUS];
	volatile int failed;		/* an unexpected exit or ioctl error */
};

struct shared {
	volatile int go, stop;
	volatile int ready[NVMS];	/* vCPUs created and waiting */
	volatile int root[NVMS];	/* the VMM process */
	volatile long domain[NVMS];	/* its domain (intended, for control) */
	struct vm_stats vm[NVMS];
};

static struct shared *sh;

/* The loop count between two exits, per VM: exit-heavy, medium, compute. */
static const uint32_t vm_loops[NVMS] = { 200, 20000, 2000000 };

static int vm_seconds(void)
{
	const char *v = getenv("CD_VM_SECONDS");

	return v && atoi(v) > 0 ? atoi(v) : 8;
}

/*
 * The guest, at GUEST_CODE in real mode (CS base 0):
 *	0:  mov ecx, loops	66 b9 imm32
 *	6:  dec ecx		66 49
 *	8:  jnz 6		75 fc
 *	10: out 0x10, al	e6 10
 *	12: jmp 0		eb f2
 */
static void guest_code(uint8_t *mem, uint32_t loops)
{
	static const uint8_t code[] = {
		0x66, 0xb9, 0, 0, 0, 0, 0x66, 0x49, 0x75, 0xfc,
		0xe6, EXIT_PORT, 0xeb, 0xf2,
	};
	uint8_t *p = mem + GUEST_CODE;

	memcpy(p, code, sizeof(code));
	memcpy(p + 2, &loops, sizeof(loops));
}

struct vm {
	int kvm, fd, index;
	long run_size;
};

struct vcpu_arg {
	struct vm *vm;
	int n;
};

static int vcpu_setup(struct vm *vm, int n, struct kvm_run **run)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int fd = ioctl(vm->fd, KVM_CREATE_VCPU, n);

	if (fd < 0)
		return -1;
	*run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (*run == MAP_FAILED || ioctl(fd, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(fd, KVM_SET_SREGS, &sregs))
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 2;
	if (ioctl(fd, KVM_SET_REGS, &regs))
		return -1;
	return fd;
}

/* One vCPU thread: KVM_RUN until told to stop, counting the exits. */
static void *vcpu_thread(void *arg)
{
	struct vcpu_arg *a = arg;
	struct vm_stats *st = &sh->vm[a->vm->index];
	struct kvm_run *run;
	int fd = vcpu_setup(a->vm, a->n, &run);

	if (fd < 0) {
		st->failed = 1;
		return NULL;
	}
	__atomic_add_fetch(&sh->ready[a->vm->index], 1, __ATOMIC_SEQ_CST);
	while (!sh->go)
		usleep(1000);
	while (!sh->stop) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			st->failed = 1;
			break;
		}
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.port != EXIT_PORT ||
		    run->io.direction != KVM_EXIT_IO_OUT) {
			st->failed = 2;
			break;
		}
		st->exits[a->n]++;
	}
	close(fd);
	return NULL;
}

/* How vmm() puts its VM into a domain. */
enum { VM_HOST, VM_DOMAIN, VM_PROTECTED };

/*
 * The VMM process of VM @i: in the host domain, in a domain of its own
 * (VM_DOMAIN) or in one of the kernel protection level (VM_PROTECTED),
 * created before its vCPU threads so that they inherit it.  Exits 0 if
 * every vCPU ran and saw only the exits its guest makes.
 */
static void vmm(int i, int tagged)
{
	struct vcpu_arg args[NVCPUS];
	pthread_t th[NVCPUS];
	struct vm vm = { .index = i };
	struct kvm_userspace_memory_region region;
	uint8_t *mem;
	int n;

	if (tagged) {
		long id = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
				PR_CORE_DOMAIN_SCOPE_THREAD_GROUP,
				tagged == VM_PROTECTED ?
				PR_CORE_DOMAIN_LEVEL_KERNEL : 0);

		if (id <= 0)
			_exit(2);
		sh->domain[i] = id;
	} else {
		sh->domain[i] = 1000 + i;	/* what it would have been */
	}
	vm.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm.kvm < 0)
		_exit(3);
	vm.fd = ioctl(vm.kvm, KVM_CREATE_VM, 0);
	vm.run_size = ioctl(vm.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm.fd < 0 || vm.run_size <= 0)
		_exit(4);
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(5);
	guest_code(mem, vm_loops[i]);
	region = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &region))
		_exit(6);
	for (n = 0; n < NVCPUS; n++) {
		args[n] = (struct vcpu_arg){ .vm = &vm, .n = n };
		if (pthread_create(&th[n], NULL, vcpu_thread, &args[n]))
			_exit(7);
	}
	sh->root[i] = getpid();
	for (n = 0; n < NVCPUS; n++)
		pthread_join(th[n], NULL);
	_exit(sh->vm[i].failed ? 10 + sh->vm[i].failed : 0);
}

/* No KVM here: skip, or fail where the boot says KVM must be there. */
static int kvm_missing(char *why, size_t len)
{
	const char *req = getenv("CD_VM_REQUIRED");
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	snprintf(why, len, "no /dev/kvm (%s): no KVM in this kernel or no SVM/VMX in this CPU",
		 strerror(errno));
	return req && !strcmp(req, "1") ? -1 : 1;
}

/*
 * Tracing off, then the events the checkers read, on a clean buffer; with
 * @kentry also those of the kernel-entry checker (2: for user code too).
 */
static void trace_setup(struct __test_metadata *_metadata, int kentry)
{
	static const char * const setup[][2] = {
		{ "tracing_on", "0" },
		{ "trace_clock", "global" },
		{ "buffer_size_kb", STR(TRACE_KB) },
		{ "events/enable", "0" },
		{ "events/sched/sched_switch/enable", "1" },
		{ "events/sched/sched_process_fork/enable", "1" },
		{ "events/core_domain/core_domain_move/enable", "1" },
		{ "events/core_domain/core_domain_new/enable", "1" },
	};
	static const char * const kentry_events[] = {
		"kvm/kvm_entry", "kvm/kvm_exit", "kvm/kvm_userspace_exit",
		"irq/irq_handler_entry", "irq/irq_handler_exit",
		"irq/softirq_entry", "irq/softirq_exit", "irq_vectors",
		"raw_syscalls/sys_enter", "raw_syscalls/sys_exit",
		"core_domain/core_domain_host", "core_domain/core_domain_guest",
	};
	/* kentry 2: user code too */
	static const char * const user_events[] = {
		"core_domain/core_domain_user", "core_domain/core_domain_kernel",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(setup); i++) {
		snprintf(path, sizeof(path), TRACEFS "%s", setup[i][0]);
		ASSERT_EQ(0, put(path, setup[i][1])) TH_LOG("%s", path);
	}
	for (i = 0; kentry && i < ARRAY_SIZE(kentry_events); i++) {
		snprintf(path, sizeof(path), TRACEFS "events/%s/enable",
			 kentry_events[i]);
		ASSERT_EQ(0, put(path, "1")) TH_LOG("%s", path);
	}
	for (i = 0; kentry == 2 && i < ARRAY_SIZE(user_events); i++) {
		snprintf(path, sizeof(path), TRACEFS "events/%s/enable",
			 user_events[i]);
		ASSERT_EQ(0, put(path, "1")) TH_LOG("%s", path);
	}
	if (kentry)
		ASSERT_EQ(0, put(TRACEFS "buffer_size_kb", STR(KTRACE_KB)));
	ASSERT_EQ(0, put(TRACEFS "trace", ""));
}

static void trace_reset(void)
{
	put(TRACEFS "tracing_on", "0");
	put(TRACEFS "events/enable", "0");
	put(TRACEFS "buffer_size_kb", "64");
}

/* Start the VMMs of @nvms VMs and wait until every vCPU exists. */
static int start_vms(pid_t *pids, int nvms, int tagged)
{
	int i, waited;

	for (i = 0; i < nvms; i++) {
		pids[i] = cd_fork_tied();
		if (pids[i] == 0)
			vmm(i, tagged);
		if (pids[i] < 0)
			return -1;
	}
	for (waited = 0; waited < 3000; waited++) {
		for (i = 0; i < nvms; i++)
			if (!sh->root[i] || sh->ready[i] < NVCPUS)
				break;
		if (i == nvms)
			return 0;
		for (i = 0; i < nvms; i++)
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
				pids[i] = 0;
				return -1;
			}
		usleep(10000);
	}
	return -1;
}

/* How long a VMM may take to stop once told to: its vCPUs' next exit. */
#define STOP_SECONDS	30

/* A VMM that does not stop: say where each of its threads is. */
static void dump_vmm(int i, pid_t pid)
{
	char path[300], buf[512];
	struct dirent *e;
	DIR *d;
	int n;

	fprintf(stderr, "# VMM %d (pid %d) did not stop in %d s; exits per vCPU:",
		i, pid, STOP_SECONDS);
	for (n = 0; n < NVCPUS; n++)
		fprintf(stderr, " %ld", sh->vm[i].exits[n]);
	fprintf(stderr, "\n");
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		static const char * const files[] = { "stat", "wchan", "stack" };
		unsigned int f;

		if (atoi(e->d_name) <= 0)
			continue;
		for (f = 0; f < ARRAY_SIZE(files); f++) {
			FILE *fp;

			snprintf(path, sizeof(path), "/proc/%d/task/%s/%s",
				 pid, e->d_name, files[f]);
			fp = fopen(path, "r");
			if (!fp)
				continue;
			while (fgets(buf, sizeof(buf), fp))
				fprintf(stderr, "#   %s %s: %s%s", e->d_name,
					files[f], buf,
					strchr(buf, '\n') ? "" : "\n");
			fclose(fp);
		}
	}
	closedir(d);
}

/*
 * What the vCPUs of a VMM that does not stop do: 200 ms of their exits,
 * traced in an instance of its own so that the test's trace stays whole.
 */
#define STUCK_TRACE	TRACEFS "instances/cd_vm_stuck"

static void trace_stuck(void)
{
	char line[512];
	int n = 0;
	FILE *f;

	if (mkdir(STUCK_TRACE, 0700) && errno != EEXIST)
		return;
	put(STUCK_TRACE "/events/kvm/kvm_entry/enable", "1");
	put(STUCK_TRACE "/events/kvm/kvm_exit/enable", "1");
	put(STUCK_TRACE "/tracing_on", "1");
	usleep(200000);
	put(STUCK_TRACE "/tracing_on", "0");
	f = fopen(STUCK_TRACE "/trace", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (line[0] == '#' || !strstr(line, ": kvm_"))
				continue;
			if (n++ < 20)
				fprintf(stderr, "#   trace: %s", line);
		}
		fclose(f);
		fprintf(stderr, "#   %d kvm_entry/kvm_exit events in 200 ms\n", n);
	}
	put(STUCK_TRACE "/events/enable", "0");
	rmdir(STUCK_TRACE);
}

/*
 * Stop the VMs; returns how many did not exit 0.  A VMM that has not
 * exited STOP_SECONDS after being told is described and killed, so that
 * a stuck vCPU is a failure with a cause, not the harness's timeout.
 */
static int stop_vms(pid_t *pids, int nvms)
{
	int i, status, bad = 0, waited;

	sh->stop = 1;
	for (i = 0; i < nvms; i++) {
		pid_t r = 0;

		if (pids[i] <= 0)
			continue;
		for (waited = 0; waited < STOP_SECONDS * 100; waited++) {
			r = waitpid(pids[i], &status, WNOHANG);
			if (r)
				break;
			usleep(10000);
		}
		if (!r) {
			dump_vmm(i, pids[i]);
			if (!bad)
				trace_stuck();
			kill(pids[i], SIGKILL);
			r = waitpid(pids[i], &status, 0);
			bad++;
		} else if (r != pids[i] || !WIFEXITED(status) ||
			   WEXITSTATUS(status)) {
			fprintf(stderr, "# VMM %d: status 0x%x\n", i, status);
			bad++;
		}
		pids[i] = 0;
	}
	return bad;
}

static void log_exits(int nvms, int seconds)
{
	int i, n;

	for (i = 0; i < nvms; i++) {
		long sum = 0, least = -1;

		for (n = 0; n < NVCPUS; n++) {
			sum += sh->vm[i].exits[n];
			if (least < 0 || sh->vm[i].exits[n] < least)
				least = sh->vm[i].exits[n];
		}
		if (sh->domain[i] < 0)
			fprintf(stderr, "# VM %d (moving", i);
		else
			fprintf(stderr, "# VM %d (domain %ld", i, sh->domain[i]);
		fprintf(stderr, ", %u loops per exit): %ld exits/s over %d vCPUs, fewest %ld on one vCPU\n",
			vm_loops[i], sum / seconds, NVCPUS, least);
	}
}

/*
 * Judge every thread of VMM @pid (its vCPU threads exist before tracing
 * begins) by domain @dom: the control's intended domains, which no
 * snapshot of the kernel's state can show.
 */
static void seed_vm(struct timeline *tl, pid_t pid, long dom)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (atoi(e->d_name) > 0)
			tl_seed(tl, atoi(e->d_name), dom);
	closedir(d);
}

static long least_exits(int nvms)
{
	long least = -1;
	int i, n;

	for (i = 0; i < nvms; i++)
		for (n = 0; n < NVCPUS; n++)
			if (least < 0 || sh->vm[i].exits[n] < least)
				least = sh->vm[i].exits[n];
	return least;
}

/* The shared memory and the trace; skips without KVM (kvm_missing()). */
static void vm_setup(struct __test_metadata *_metadata, int kentry)
{
	char why[160];
	int r = kvm_missing(why, sizeof(why));

	ASSERT_LE(0, r) TH_LOG("%s", why);
	if (r)
		SKIP(return, "%s", why);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset((void *)sh, 0, sizeof(*sh));
	trace_setup(_metadata, kentry);
}

/* Whatever an ASSERT left waiting or running dies; tracing is reset. */
static void vm_teardown(pid_t *vmms)
{
	int i;

	if (!sh)
		return;
	sh->go = 1;
	sh->stop = 1;
	for (i = 0; i < NVMS; i++)
		if (vmms[i] > 0)
			kill(vmms[i], SIGKILL);
	cd_kill_group();
	trace_reset();
	munmap((void *)sh, sizeof(*sh));
	sh = NULL;
}

FIXTURE(vms) {
	pid_t vmms[NVMS];
};

FIXTURE_VARIANT(vms) {
	int tagged;
};

FIXTURE_VARIANT_ADD(vms, enforced) { .tagged = VM_DOMAIN };
FIXTURE_VARIANT_ADD(vms, control) { .tagged = VM_HOST };

FIXTURE_SETUP(vms)
{
	vm_setup(_metadata, 0);
}

FIXTURE_TEARDOWN(vms)
{
	vm_teardown(self->vmms);
}

TEST_F_TIMEOUT(vms, mixed, 300)
{
	struct timeline *tl = tl_new();
	int i, seconds = vm_seconds();
	long lost;
	FILE *f;

	ASSERT_NE(NULL, tl);
	ASSERT_EQ(0, start_vms(self->vmms, NVMS, variant->tagged))
		TH_LOG("the VMs did not start (prctl, KVM_CREATE_VM or KVM_CREATE_VCPU failed)");
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	for (i = 0; i < NVMS; i++)
		seed_vm(tl, self->vmms[i], sh->domain[i]);
	sh->go = 1;
	sleep(seconds);
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "0"));
	EXPECT_EQ(0, stop_vms(self->vmms, NVMS))
		TH_LOG("a VMM failed or did not stop (its threads are above)");
	log_exits(NVMS, seconds);

	f = cd_trace_open(TRACEFS "trace", &lost);
	ASSERT_NE(NULL, f);
	check_trace(tl, f);
	fclose(f);
	TH_LOG("%s: %d VMs of %d vCPUs, %d CPUs, %ld switches, %ld cross-domain sibling overlaps (longest %.0f us), %d s",
	       variant->tagged ? "enforced" : "control", NVMS, NVCPUS,
	       tl->ncpu, tl->switches, tl->violations, tl->worst_len * 1e6,
	       seconds);
	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	EXPECT_EQ(0, tl_uncovered(tl)) TH_LOG("CPUs never seen in the trace");
	/* Every vCPU of every VM ran its guest. */
	EXPECT_LT(0, least_exits(NVMS));
	if (variant->tagged) {
		EXPECT_EQ(0, tl->violations);
	} else {
		EXPECT_LT(0, tl->violations)
			TH_LOG("checker found no overlap without domains: it proves nothing");
	}
	tl_free(tl);
}

#define MOVE_ROUNDS	400

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

FIXTURE(vm_moves) {
	pid_t vmms[NVMS];
};

FIXTURE_SETUP(vm_moves)
{
	vm_setup(_metadata, 0);
}

FIXTURE_TEARDOWN(vm_moves)
{
	vm_teardown(self->vmms);
}

/*
 * VMs 0 and 1 keep their own domains; VM 2 starts in VM 0's and moves,
 * every vCPU thread at once (PR_CORE_DOMAIN_SCOPE_THREAD_GROUP), between
 * VM 1's and VM 0's every 5 ms while its vCPUs run.
 */
TEST_F_TIMEOUT(vm_moves, running_vm, 300)
{
	long total = 0, worst = 0, lost, start;
	struct timeline *tl = tl_new();
	int i, failed = 0;
	FILE *f;

	ASSERT_NE(NULL, tl);
	ASSERT_EQ(0, start_vms(self->vmms, NVMS - 1, VM_DOMAIN))
		TH_LOG("the VMs did not start (prctl, KVM_CREATE_VM or KVM_CREATE_VCPU failed)");
	/* The third VM: created untagged, then put into VM 0's domain. */
	self->vmms[2] = cd_fork_tied();
	if (self->vmms[2] == 0)
		vmm(2, VM_HOST);
	ASSERT_LT(0, self->vmms[2]);
	for (i = 0; i < 3000 && sh->ready[2] < NVCPUS; i++)
		usleep(10000);
	ASSERT_EQ(NVCPUS, sh->ready[2]);
	ASSERT_EQ(0, prctl(PR_SET_CORE_DOMAIN, sh->domain[0], self->vmms[2],
			   PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0));
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	start = now_us();
	sh->go = 1;
	usleep(200000);
	for (i = 0; i < MOVE_ROUNDS; i++) {
		long t0 = now_us(), d;

		if (prctl(PR_SET_CORE_DOMAIN, sh->domain[(i + 1) % 2],
			  self->vmms[2], PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0))
			failed++;
		d = now_us() - t0;
		total += d;
		if (d > worst)
			worst = d;
		usleep(5000);
	}
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "0"));
	EXPECT_EQ(0, stop_vms(self->vmms, NVMS))
		TH_LOG("a VMM failed or did not stop (its threads are above)");
	sh->domain[2] = -1;
	log_exits(NVMS, (now_us() - start + 999999) / 1000000);

	/* The snapshot taken when tracing began knows every thread's domain. */
	f = cd_trace_open(TRACEFS "trace", &lost);
	ASSERT_NE(NULL, f);
	check_trace(tl, f);
	fclose(f);
	TH_LOG("%d moves of a running %d-vCPU VM (%d failed), move call mean %ld us, max %ld us",
	       MOVE_ROUNDS, NVCPUS, failed, total / MOVE_ROUNDS, worst);
	TH_LOG("%ld switches, %ld moves traced, %ld overlaps (longest %.0f us), %d CPUs never seen",
	       tl->switches, tl->moves, tl->violations, tl->worst_len * 1e6,
	       tl_uncovered(tl));
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	/* Every move moves the VMM and its vCPU threads. */
	EXPECT_LE(MOVE_ROUNDS * NVCPUS, tl->moves) TH_LOG("the moves are not in the trace");
	EXPECT_LT(0, least_exits(NVMS));
	EXPECT_EQ(0, tl->violations);
	EXPECT_EQ(0, tl_uncovered(tl));
	tl_free(tl);
}

/* The protection level /proc says @pid's domain has. */
static const char *proc_level(pid_t pid, char *buf, size_t len)
{
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	snprintf(buf, len, "(none)");
	f = fopen(path, "r");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CoreDomainLevel: %15s", buf) == 1)
			break;
	fclose(f);
	return buf;
}

/* What the kernel counted: debugfs core_domain/kernel, summed over CPUs. */
static void log_kernel_counters(void)
{
	unsigned long long v[5], sum[5] = { 0 };
	char line[256], st[16];
	FILE *f = fopen("/sys/kernel/debug/core_domain/kernel", "r");
	int cpu, i;

	if (!f) {
		fprintf(stderr, "# no debugfs core_domain/kernel\n");
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %15s %llu %llu %llu %llu %llu", &cpu, st,
			   &v[0], &v[1], &v[2], &v[3], &v[4]) == 7)
			for (i = 0; i < 5; i++)
				sum[i] += v[i];
	fclose(f);
	fprintf(stderr, "# kernel entry since boot: %llu kicks, %llu waits (%llu given up), %.1f ms waiting, %.1f ms spinning\n",
		sum[0], sum[1], sum[2], sum[3] / 1e6, sum[4] / 1e6);
}

FIXTURE(kvms) {
	pid_t vmms[NVMS];
};

FIXTURE_VARIANT(kvms) {
	int tagged;
};

FIXTURE_VARIANT_ADD(kvms, protected) { .tagged = VM_PROTECTED };
FIXTURE_VARIANT_ADD(kvms, control) { .tagged = VM_HOST };

FIXTURE_SETUP(kvms)
{
	vm_setup(_metadata, 1);
}

FIXTURE_TEARDOWN(kvms)
{
	vm_teardown(self->vmms);
}

/* Each kind of host code the checker saw beside judged guest code. */
static void log_exposures(struct kentry *k)
{
	int i;

	fprintf(stderr, "# exposures:");
	for (i = 0; i < KE_NKIND; i++)
		fprintf(stderr, " %s %ld", ke_kind_name[i], k->exposures[i]);
	fprintf(stderr, "\n");
}

/*
 * Both checkers over the trace, the kinds of exposure found and, where
 * there must be none, the trace around the first; -1 without a trace.
 */
static int run_kentry(struct timeline *tl, struct kentry *k, int prot,
		      long *lost)
{
	FILE *f = cd_trace_open(TRACEFS "trace", lost);

	if (!f)
		return -1;
	check_trace_kentry(tl, k, f);
	fclose(f);
	log_exposures(k);
	if (prot && ke_total(k)) {
		f = fopen(TRACEFS "trace", "r");
		if (f) {
			ke_dump_first(k, f, 0.002, 0.0005);
			fclose(f);
		}
	}
	return 0;
}

TEST_F_TIMEOUT(kvms, mixed, 300)
{
	int i, seconds = vm_seconds(), prot = variant->tagged == VM_PROTECTED;
	struct timeline *tl = tl_new();
	struct kentry *k;
	char buf[32];
	long lost;

	ASSERT_NE(NULL, tl);
	k = ke_new(tl);
	ASSERT_NE(NULL, k);
	ASSERT_EQ(0, start_vms(self->vmms, NVMS, variant->tagged))
		TH_LOG("the VMs did not start (prctl, KVM_CREATE_VM or KVM_CREATE_VCPU failed)");
	if (prot) {
		for (i = 0; i < NVMS; i++) {
			EXPECT_EQ(PR_CORE_DOMAIN_LEVEL_KERNEL,
				  prctl(PR_GET_CORE_DOMAIN, self->vmms[i],
					PR_CORE_DOMAIN_GET_LEVEL, 0, 0));
			EXPECT_STREQ("kernel", proc_level(self->vmms[i], buf,
							  sizeof(buf)));
		}
		EXPECT_STREQ("1", cd_read_line("/sys/kernel/core_domain/kernel_entry",
					       buf, sizeof(buf)));
	}
	k->protection = !strcmp(cd_read_line("/sys/kernel/core_domain/kernel_entry",
					     buf, sizeof(buf)), "1");
	for (i = 0; i < NVMS; i++)
		ke_judge(k, sh->domain[i]);
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	for (i = 0; i < NVMS; i++)
		seed_vm(tl, self->vmms[i], sh->domain[i]);
	sh->go = 1;
	sleep(seconds);
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "0"));
	EXPECT_EQ(0, stop_vms(self->vmms, NVMS))
		TH_LOG("a VMM failed or did not stop (its threads are above)");
	log_exits(NVMS, seconds);
	log_kernel_counters();

	ASSERT_EQ(0, run_kentry(tl, k, prot, &lost));
	TH_LOG("%s: %ld guest entries judged (%.3f s of guest code), %ld system calls and %ld VM exits in host code, %ld exposures; %ld switches, %ld cross-domain sibling overlaps; protection %s",
	       prot ? "protected" : "control", k->entries, k->guest_time,
	       k->sys_spans, k->exit_spans, ke_total(k), tl->switches,
	       tl->violations, k->protection ? "on" : "off");
	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	EXPECT_EQ(0, tl_uncovered(tl)) TH_LOG("CPUs never seen in the trace");
	EXPECT_LT(0, least_exits(NVMS));
	/* The checker saw guest code and host code to judge. */
	EXPECT_LT(0, k->entries);
	EXPECT_LT(0, k->exit_spans);
	if (prot) {
		EXPECT_EQ(0, ke_total(k));
		EXPECT_EQ(0, tl->violations);
	} else {
		EXPECT_LT(0, ke_total(k))
			TH_LOG("checker found no exposure without protection: it proves nothing");
	}
	ke_free(k);
	tl_free(tl);
}

#define KU_DOMS		2
#define KU_THREADS	3
#define KU_SPIN		200000	/* loops of user code between system calls */

struct ku_shared {
	volatile int go, stop;
	volatile long ready, domain[KU_DOMS];
	volatile long syscalls[KU_DOMS + 1];	/* per domain, and the host's */
};

static struct ku_shared *ku;

static void *ku_spin(void *arg)
{
	volatile long *n = &ku->syscalls[(long)arg];
	volatile unsigned long x = 0;
	long i;

	__atomic_add_fetch(&ku->ready, 1, __ATOMIC_SEQ_CST);
	while (!ku->go)
		;
	while (!ku->stop) {
		for (i = 0; i < KU_SPIN; i++)
			x += i;
		getppid();
		(*n)++;
	}
	return NULL;
}

/* Tenant @d: a domain of @level, KU_THREADS threads of user code. */
static void ku_tenant(int d, long level)
{
	pthread_t th[KU_THREADS];
	long id = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
			PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, level);
	int i;

	if (id <= 0)
		_exit(2);
	ku->domain[d] = id;
	for (i = 0; i < KU_THREADS; i++)
		if (pthread_create(&th[i], NULL, ku_spin, (void *)(long)d))
			_exit(3);
	for (i = 0; i < KU_THREADS; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/* The host's own work: system calls and short sleeps (timer interrupts). */
static void ku_host(void)
{
	struct timespec ts = { 0, 200000 };
	char buf[4096];
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		_exit(2);
	__atomic_add_fetch(&ku->ready, 1, __ATOMIC_SEQ_CST);
	while (!ku->go)
		usleep(1000);
	while (!ku->stop) {
		for (i = 0; i < 8; i++)
			if (read(fd, buf, sizeof(buf)) != sizeof(buf))
				_exit(4);
		ku->syscalls[KU_DOMS] += 8;
		nanosleep(&ts, NULL);
	}
	_exit(0);
}

/* An idle member of a kernel-level domain: the hooks are on. */
static void ku_idle(void)
{
	if (prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
		  PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, PR_CORE_DOMAIN_LEVEL_KERNEL) <= 0)
		_exit(2);
	__atomic_add_fetch(&ku->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
}

#define KU_PROCS	(KU_DOMS + 3)	/* tenants, two host workers, idle */

FIXTURE(kusers) {
	pid_t pids[KU_PROCS];
};

FIXTURE_VARIANT(kusers) {
	int protected;
};

FIXTURE_VARIANT_ADD(kusers, protected) { .protected = 1 };
FIXTURE_VARIANT_ADD(kusers, control) { .protected = 0 };

FIXTURE_SETUP(kusers)
{
	ku = mmap(NULL, sizeof(*ku), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ku);
	memset((void *)ku, 0, sizeof(*ku));
	trace_setup(_metadata, 2);
}

FIXTURE_TEARDOWN(kusers)
{
	if (!ku)
		return;
	ku->go = 1;
	ku->stop = 1;
	cd_kill_wait(self->pids, KU_PROCS);
	cd_kill_group();
	trace_reset();
	munmap((void *)ku, sizeof(*ku));
	ku = NULL;
}

TEST_F_TIMEOUT(kusers, spin, 300)
{
	long level = variant->protected ? PR_CORE_DOMAIN_LEVEL_KERNEL : 0;
	int i, waited, seconds = vm_seconds() / 2 ? vm_seconds() / 2 : 1;
	struct timeline *tl = tl_new();
	struct kentry *k;
	char buf[32];
	long lost;

	ASSERT_NE(NULL, tl);
	k = ke_new(tl);
	ASSERT_NE(NULL, k);
	self->pids[KU_PROCS - 1] = cd_fork_tied();
	if (!self->pids[KU_PROCS - 1])
		ku_idle();
	for (i = 0; i < KU_DOMS; i++) {
		self->pids[i] = cd_fork_tied();
		if (!self->pids[i])
			ku_tenant(i, level);
	}
	for (i = KU_DOMS; i < KU_PROCS - 1; i++) {
		self->pids[i] = cd_fork_tied();
		if (!self->pids[i])
			ku_host();
	}
	for (waited = 0; ku->ready < KU_DOMS * KU_THREADS + 3 && waited < 3000; waited++)
		usleep(10000);
	ASSERT_EQ(KU_DOMS * KU_THREADS + 3, ku->ready)
		TH_LOG("the tasks did not start (prctl failed?)");
	EXPECT_STREQ("1", cd_read_line("/sys/kernel/core_domain/kernel_entry",
				       buf, sizeof(buf)));
	for (i = 0; i < KU_DOMS; i++) {
		EXPECT_STREQ(variant->protected ? "kernel" : "user",
			     proc_level(self->pids[i], buf, sizeof(buf)));
		ke_judge(k, ku->domain[i]);
	}
	k->protection = 1;
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "1"));
	tl_snapshot(tl);
	ku->go = 1;
	sleep(seconds);
	ASSERT_EQ(0, put(TRACEFS "tracing_on", "0"));
	ku->stop = 1;
	log_kernel_counters();

	ASSERT_EQ(0, run_kentry(tl, k, variant->protected, &lost));
	TH_LOG("%s: %ld returns to user code judged (%.3f s of user code), tenant system calls %ld + %ld, host %ld, %ld system calls in host code, %ld exposures; %ld switches, %ld cross-domain sibling overlaps",
	       variant->protected ? "protected" : "control", k->user_entries,
	       k->user_time, ku->syscalls[0], ku->syscalls[1],
	       ku->syscalls[KU_DOMS], k->sys_spans, ke_total(k),
	       tl->switches, tl->violations);
	EXPECT_EQ(0, lost) TH_LOG("trace lost %ld events: inconclusive", lost);
	EXPECT_EQ(0, tl_uncovered(tl)) TH_LOG("CPUs never seen in the trace");
	/* The checker saw user code and host code to judge. */
	EXPECT_LT(0, k->user_entries);
	EXPECT_LT(0, k->sys_spans);
	EXPECT_LT(0, ku->syscalls[KU_DOMS]);
	EXPECT_EQ(0, tl->violations);
	if (variant->protected) {
		EXPECT_EQ(0, ke_total(k));
	} else {
		EXPECT_LT(0, ke_total(k))
			TH_LOG("checker found no exposure without protection: it proves nothing");
	}
	ke_free(k);
	tl_free(tl);
}

TEST_HARNESS_MAIN
