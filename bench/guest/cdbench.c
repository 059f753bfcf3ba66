// SPDX-License-Identifier: GPL-2.0
/*
 * cdbench: the guest side of 'make bench'.  One static program, run
 * unchanged on every kernel; only --mode says how a "domain" is made:
 *
 *   none        no domains (vanilla, vanilla nosmt, or a kernel with the
 *               feature compiled in but unused)
 *   coredomain  prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
 *               thread-group scope, 0)
 *   upstream    prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 0, PIDTYPE_TGID, 0)
 *
 * --onedom makes one domain first, for everything the run starts (the
 * "enabled, everything in one domain" case); the workloads then make none.
 *
 * Workloads (SECS of measurement after a short warm-up; every result is
 * one line "@@B,TAG,SCENARIO,PARAM,METRIC,VALUE" on stdout):
 *
 *   pack D T SECS [trace]    D domains x T spinning threads: utilization
 *                            (the workers' CPU time from /proc/PID/task/
 *                            TID/schedstat / (online CPUs x wall)), the
 *                            oracle, and with 'trace' the per-core
 *                            occupancy rebuilt from a sched_switch trace
 *   pipe SECS [DxT]          1-byte pipe ping-pong between two processes
 *                            of one domain, optionally beside D busy
 *                            background domains of T spinning threads
 *   msg G N SECS [DxT]       hackbench-like: G groups (a domain each) of N
 *                            senders writing 100-byte messages to each of
 *                            N receivers over AF_UNIX socketpairs
 *   fork P SECS [DxT]        P processes of one domain doing fork + exec
 *                            + exit + wait as fast as they can
 *   vm KIND N V SECS [DxT]   N VMs (a domain each) of V vCPUs on the KVM
 *                            API whose real-mode guests exit to this VMM
 *                            (io), through KVM's fast path (fast), seldom
 *                            (compute), or one kind per VM in turn
 *                            (mixed): guest loops and exits per second
 *   cyclic rt|fair SECS [DxT] cyclictest (rt-tests) in a domain of its own
 *                            (/usr/bin/cyclictest), p50/p99/max wakeup
 *                            latency from its histogram
 *   tool NAME SECS [DxT]     a standard benchmark (perf bench sched pipe or
 *                            messaging, rt-tests hackbench) in a domain of
 *                            its own, run for SECS (at least 3 times): the
 *                            median of its own figure
 *   tools                    the command lines 'tool' runs
 *   kwork SECS DxT           D busy domains of T threads beside a tenant that
 *                            makes every CPU's kworker run (a memfd seal
 *                            calls lru_add_drain_all()), after a control
 *                            without the seals: how much work the busy
 *                            domains kept, the kworkers' CPU time
 *   trace-off                disable the sched_switch event pack left on
 *   info                     topology, kernel, core-domain state
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define PR_SET_CORE_DOMAIN		0x43440001
#define PR_CORE_DOMAIN_NEW		0xffffffffUL
#define PR_CORE_DOMAIN_SCOPE_TGROUP	1
#define PR_SCHED_CORE_			62
#define PR_SCHED_CORE_CREATE_		1
#define PIDTYPE_TGID_			1

#define MAXCPU		64
#define MAXW		256	/* worker slots (threads or processes) */
#define TRACEFS		"/sys/kernel/tracing/"
#define SMT_YIELD	0.25	/* throughput model: 2 busy siblings = 1.25 cores */

enum { M_NONE, M_CD, M_UP } mode;
static const char *mode_name = "none";
static const char *tag = "main";
static int onedom;

struct shared {
	volatile int stop;
	volatile long count[MAXW];	/* work done, per worker */
} *sh;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "cdbench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (%s)\n", strerror(errno));
	va_end(ap);
	exit(2);
}

static void result(const char *scen, const char *param, const char *metric, double v)
{
	printf("@@B,%s,%s,%s,%s,%.6g\n", tag, scen, param, metric, v);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Make the calling process (all its future threads and children) a domain. */
static void new_domain_always(void)
{
	long r;

	switch (mode) {
	case M_NONE:
		return;
	case M_CD:
		r = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
			  PR_CORE_DOMAIN_SCOPE_TGROUP, 0);
		if (r <= 0)
			die("prctl(PR_SET_CORE_DOMAIN, NEW) = %ld", r);
		return;
	case M_UP:
		r = prctl(PR_SCHED_CORE_, PR_SCHED_CORE_CREATE_, 0, PIDTYPE_TGID_, 0);
		if (r)
			die("prctl(PR_SCHED_CORE, CREATE) = %ld", r);
		return;
	}
}

static void new_domain(void)
{
	if (!onedom)
		new_domain_always();
}

/* ---- topology ---------------------------------------------------------- */

static int online[MAXCPU], ncpu, core_of[MAXCPU], ncores, smt;

static int parse_list(const char *s, int *set)
{
	int lo, hi, n = 0;
	char *end;

	while (*s && *s != '\n') {
		lo = hi = strtol(s, &end, 10);
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (; lo <= hi && lo < MAXCPU; lo++, n++)
			set[lo] = 1;
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s != ',')
			break;
	}
	return n;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

static void topology(void)
{
	char buf[256], path[128];
	int cpu, s, first[MAXCPU], per[MAXCPU] = { 0 };

	if (read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) < 0)
		die("no /sys/devices/system/cpu/online");
	parse_list(buf, online);
	ncpu = ncores = smt = 0;
	for (cpu = 0; cpu < MAXCPU; cpu++) {
		int sib[MAXCPU] = { 0 };

		if (!online[cpu])
			continue;
		ncpu++;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
		if (read_file(path, buf, sizeof(buf)) < 0)
			snprintf(buf, sizeof(buf), "%d", cpu);
		parse_list(buf, sib);
		for (s = 0; s < MAXCPU; s++)
			if (sib[s] && online[s])
				break;
		first[cpu] = s < MAXCPU ? s : cpu;
	}
	for (cpu = 0; cpu < MAXCPU; cpu++) {
		if (!online[cpu])
			continue;
		if (first[cpu] == cpu)
			ncores++;
		per[first[cpu]]++;
		if (per[first[cpu]] > smt)
			smt = per[first[cpu]];
	}
	/* dense core numbers */
	for (cpu = 0, s = 0; cpu < MAXCPU; cpu++)
		if (online[cpu] && first[cpu] == cpu)
			core_of[cpu] = s++;
	for (cpu = 0; cpu < MAXCPU; cpu++)
		if (online[cpu])
			core_of[cpu] = core_of[first[cpu]];
}

/*
 * The best utilization any scheduler can reach while no two domains share
 * a core: cores run one domain at a time, so at each instant it is
 * max sum_d min(T_d, S * k_d) over integer core counts k_d with
 * sum k_d <= C, and since the objective is linear a fixed assignment is
 * optimal.  Greedy: full cores first, then the largest remainders.
 */
static double oracle(int D, int T)
{
	int full = D * (T / smt), rem = T % smt, busy;

	if (full >= ncores)
		return 1.0;
	busy = full * smt;
	if (rem)
		busy += rem * (D < ncores - full ? D : ncores - full);
	return (double)busy / (smt * ncores);
}

/* ---- accounting -------------------------------------------------------- */

/* CPU time (ns) of every thread of process pid, from schedstat. */
static double proc_cpu_ns(pid_t pid)
{
	char path[320], buf[256];
	struct dirent *de;
	double sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!isdigit(de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid, de->d_name);
		if (read_file(path, buf, sizeof(buf)) > 0) {
			sum += strtod(buf, NULL);
		} else {	/* no schedstat: utime + stime in ticks */
			unsigned long ut, st;
			char *p;

			snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, de->d_name);
			if (read_file(path, buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) &&
			    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				   &ut, &st) == 2)
				sum += (ut + st) * 1e9 / sysconf(_SC_CLK_TCK);
		}
	}
	closedir(d);
	return sum;
}

/* Per-CPU busy jiffies (everything but idle and iowait) from /proc/stat. */
static void cpu_busy(double *busy)
{
	static char buf[16384];
	char *line, *save;

	memset(busy, 0, sizeof(double) * MAXCPU);
	if (read_file("/proc/stat", buf, sizeof(buf)) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v[10] = { 0 };
		int cpu;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) >= 5 &&
		    cpu >= 0 && cpu < MAXCPU)
			busy[cpu] = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
				    sysconf(_SC_CLK_TCK);
	}
}

/* ---- worker processes -------------------------------------------------- */

static pid_t groups[MAXW];
static int ngroups;

/* Fork a process group leader running fn(arg); remembered for kill_all. */
static pid_t spawn(void (*fn)(long), long arg)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		fn(arg);
		_exit(0);
	}
	setpgid(pid, pid);
	groups[ngroups++] = pid;
	return pid;
}

/* Stop every workload process; a leader that already exited has failed. */
static void kill_all(void)
{
	int i, st, dead = 0;

	sh->stop = 1;
	for (i = 0; i < ngroups; i++)
		if (waitpid(groups[i], &st, WNOHANG) == groups[i])
			dead++;
	for (i = 0; i < ngroups; i++)
		kill(-groups[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	ngroups = 0;
	sh->stop = 0;
	if (dead) {
		fprintf(stderr, "cdbench: %d workload process(es) died early\n", dead);
		exit(3);
	}
}

struct spin_arg { int slot; };

static void *spin_thread(void *arg)
{
	volatile long *c = &sh->count[(long)arg];
	unsigned long n = 0;

	while (!sh->stop) {
		if (!(++n & 0xffff))
			*c = n;
	}
	return NULL;
}

static int spin_T, spin_base;	/* threads per domain, first slot */

/* A domain of spin_T spinning threads; its main thread sleeps. */
static void spin_domain(long d)
{
	pthread_t th;
	int i;

	new_domain();
	for (i = 0; i < spin_T; i++) {
		long slot = spin_base + (d * spin_T + i) % (MAXW - spin_base);

		if (pthread_create(&th, NULL, spin_thread, (void *)slot))
			die("pthread_create");
	}
	for (;;)
		pause();
}

static int bg_D, bg_T;

static void parse_bg(const char *s)
{
	if (!s || sscanf(s, "%dx%d", &bg_D, &bg_T) != 2)
		bg_D = bg_T = 0;
}

static void start_bg(void)
{
	int d;

	spin_T = bg_T;
	spin_base = MAXW / 2;
	for (d = 0; d < bg_D; d++)
		spawn(spin_domain, d);
	if (bg_D)
		sleep_s(0.3);
}

static char bgparam[32];

static const char *bgname(void)
{
	if (bg_D)
		snprintf(bgparam, sizeof(bgparam), "bg%dx%d", bg_D, bg_T);
	else
		snprintf(bgparam, sizeof(bgparam), "alone");
	return bgparam;
}

/* ---- trace-based core occupancy ---------------------------------------- */

static void put(const char *file, const char *val)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), TRACEFS "%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
}

static int trace_ok;

static void trace_begin(void)
{
	struct stat st;
	char buf[16];

	trace_ok = !stat(TRACEFS "events/sched/sched_switch/enable", &st);
	if (!trace_ok)
		return;
	put("tracing_on", "0");
	put("trace_clock", "mono");
	put("trace", "");
	/*
	 * Enabling the event patches the static call in __schedule(); it stays
	 * enabled across consecutive pack steps ('cdbench trace-off' after the
	 * last one) so that code is patched twice a boot, not twice a step.
	 */
	if (read_file(TRACEFS "events/sched/sched_switch/enable", buf, sizeof(buf)) <= 0 ||
	    buf[0] != '1')
		put("events/sched/sched_switch/enable", "1");
	put("tracing_on", "1");
	put("trace_marker", "CDB_START");
}

static void trace_end(void)
{
	if (!trace_ok)
		return;
	put("trace_marker", "CDB_END");
	put("tracing_on", "0");
}

struct ev { double t; int cpu, prev, next; };

/*
 * Rebuild, for every core, how long 0, 1, 2... of its siblings ran a task
 * (anything but the idle task) between the markers.  hist[k] gets
 * core-seconds with k busy siblings.  busy_frac: per-CPU busy share from
 * /proc/stat, for a CPU that never switched in the window.
 */
static int trace_occupancy(double *hist, double *span, const double *busy_frac)
{
	static char line[1024];
	double t0 = -1, t1 = -1, last[MAXCPU];
	int known[MAXCPU] = { 0 }, busy[MAXCPU] = { 0 }, cnt[MAXCPU] = { 0 };
	struct ev *ev = NULL;
	size_t nev = 0, cap = 0, i;
	int cpu, c, lost = 0;
	FILE *f;

	memset(hist, 0, sizeof(double) * 9);
	if (!trace_ok || !(f = fopen(TRACEFS "trace", "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p, *q, *ts;
		int is_sw;

		if (line[0] == '#')
			continue;
		if (strstr(line, "LOST"))
			lost = 1;
		p = strstr(line, ": sched_switch: ");
		is_sw = !!p;
		if (!p)
			p = strstr(line, ": tracing_mark_write: ");
		if (!p)
			continue;
		*p = 0;
		ts = strrchr(line, ' ');
		q = strrchr(line, '[');
		if (!ts || !q)
			continue;
		if (!is_sw) {
			if (strstr(p + 1, "CDB_START"))
				t0 = strtod(ts + 1, NULL);
			else if (strstr(p + 1, "CDB_END"))
				t1 = strtod(ts + 1, NULL);
			continue;
		}
		if (nev == cap) {
			cap = cap ? cap * 2 : 65536;
			ev = realloc(ev, cap * sizeof(*ev));
			if (!ev)
				die("realloc");
		}
		ev[nev].t = strtod(ts + 1, NULL);
		ev[nev].cpu = atoi(q + 1);
		q = strstr(p + 1, " prev_pid=");
		ev[nev].prev = q ? atoi(q + 10) : 0;
		q = strstr(p + 1, " next_pid=");
		ev[nev].next = q ? atoi(q + 10) : 0;
		if (ev[nev].cpu >= 0 && ev[nev].cpu < MAXCPU)
			nev++;
	}
	fclose(f);
	put("trace", "");
	if (t0 < 0 || t1 <= t0 || lost) {
		free(ev);
		return -1;
	}
	/* state at t0: what the first switch in the window switched out */
	for (i = 0; i < nev; i++) {
		cpu = ev[i].cpu;
		if (ev[i].t < t0 || known[cpu])
			continue;
		known[cpu] = 1;
		busy[cpu] = ev[i].prev != 0;
	}
	for (cpu = 0; cpu < MAXCPU; cpu++) {
		if (online[cpu] && !known[cpu])
			busy[cpu] = busy_frac[cpu] > 0.5;
		last[cpu] = t0;
	}
	for (cpu = 0; cpu < MAXCPU; cpu++)
		if (online[cpu])
			cnt[core_of[cpu]] += busy[cpu];
	for (cpu = 0; cpu < MAXCPU; cpu++)
		last[cpu] = t0;		/* per core, indexed by core number */
	for (i = 0; i < nev; i++) {
		int b;

		if (ev[i].t < t0 || ev[i].t > t1)
			continue;
		cpu = ev[i].cpu;
		if (!online[cpu])
			continue;
		c = core_of[cpu];
		b = ev[i].next != 0;
		if (b == busy[cpu])
			continue;
		hist[cnt[c] < 8 ? cnt[c] : 8] += ev[i].t - last[c];
		last[c] = ev[i].t;
		cnt[c] += b - busy[cpu];
		busy[cpu] = b;
	}
	for (c = 0; c < ncores; c++)
		hist[cnt[c] < 8 ? cnt[c] : 8] += t1 - last[c];
	*span = t1 - t0;
	free(ev);
	return 0;
}

/* ---- workloads --------------------------------------------------------- */

static double warmup = 0.5;

static void do_pack(int D, int T, double secs, int trace)
{
	double c0 = 0, c1 = 0, w0, w1, b0[MAXCPU], b1[MAXCPU], frac[MAXCPU];
	double hist[9], span, work0 = 0, work1 = 0;
	char param[32];
	int d, i, cpu;

	snprintf(param, sizeof(param), "%dx%d", D, T);
	spin_T = T;
	spin_base = 0;
	for (d = 0; d < D; d++)
		spawn(spin_domain, d);
	sleep_s(warmup);

	if (trace)
		trace_begin();	/* before the window: resizing buffers takes time */
	cpu_busy(b0);
	w0 = now();
	for (i = 0; i < ngroups; i++)
		c0 += proc_cpu_ns(groups[i]);
	for (i = 0; i < D * T && i < MAXW; i++)
		work0 += sh->count[i];
	sleep_s(secs);
	for (i = 0; i < ngroups; i++)
		c1 += proc_cpu_ns(groups[i]);
	for (i = 0; i < D * T && i < MAXW; i++)
		work1 += sh->count[i];
	w1 = now();
	cpu_busy(b1);
	if (trace)
		trace_end();
	kill_all();

	result("pack", param, "util", (c1 - c0) / 1e9 / (ncpu * (w1 - w0)));
	result("pack", param, "oracle", oracle(D, T));
	result("pack", param, "busy_cpus", (c1 - c0) / 1e9 / (w1 - w0));
	result("pack", param, "work_rate", (work1 - work0) / (w1 - w0));
	for (cpu = 0; cpu < MAXCPU; cpu++)
		frac[cpu] = (b1[cpu] - b0[cpu]) / (w1 - w0);
	if (trace && !trace_occupancy(hist, &span, frac)) {
		double cap = 0;
		int k;

		for (k = 1; k <= 8; k++)
			cap += hist[k] * (1 + SMT_YIELD * (k - 1));
		for (k = 0; k <= smt && k <= 8; k++) {
			char m[32];

			snprintf(m, sizeof(m), "core_busy%d", k);
			result("pack", param, m, hist[k] / (span * ncores));
		}
		result("pack", param, "core_eq", cap / span);
	}
}

static int pp[2][2];

static void pipe_pair(long unused)
{
	char c = 0;
	pid_t pid;

	new_domain();
	if (pipe(pp[0]) || pipe(pp[1]))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		for (;;) {
			if (read(pp[0][0], &c, 1) != 1 || write(pp[1][1], &c, 1) != 1)
				_exit(1);
		}
	}
	for (;;) {
		if (write(pp[0][1], &c, 1) != 1 || read(pp[1][0], &c, 1) != 1)
			_exit(1);
		sh->count[0]++;
	}
}

static void do_pipe(double secs)
{
	double w0, w1;
	long n0, n1;

	start_bg();
	spawn(pipe_pair, 0);
	sleep_s(warmup);
	n0 = sh->count[0];
	w0 = now();
	sleep_s(secs);
	n1 = sh->count[0];
	w1 = now();
	kill_all();
	result("pipe", bgname(), "us_per_rt", (w1 - w0) * 1e6 / (n1 - n0 ? n1 - n0 : 1));
}

static int msg_N;

static void msg_group(long g)
{
	int fds[64][2], i, j, N = msg_N;
	char buf[100 * 64];

	new_domain();
	for (i = 0; i < N; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]))
			die("socketpair");
	for (i = 0; i < N; i++) {		/* receivers */
		if (fork() == 0) {
			volatile long *c = &sh->count[g * N + i];
			ssize_t r;

			for (j = 0; j < N; j++)
				close(fds[j][1]);
			while ((r = read(fds[i][0], buf, sizeof(buf))) > 0)
				*c += r;
			_exit(0);
		}
	}
	for (i = 0; i < N; i++) {		/* senders */
		if (fork() == 0) {
			memset(buf, 'm', 100);
			for (j = 0; j < N; j++)
				close(fds[j][0]);
			for (;;)
				for (j = 0; j < N; j++)
					if (write(fds[j][1], buf, 100) != 100)
						_exit(1);
		}
	}
	for (;;)
		pause();
}

static double msg_bytes(int G)
{
	double s = 0;
	int i;

	for (i = 0; i < G * msg_N && i < MAXW; i++)
		s += sh->count[i];
	return s;
}

static void do_msg(int G, int N, double secs)
{
	double w0, w1, b0, b1;
	char param[48];
	int g;

	if (G * N > MAXW / 2 || N > 64)
		die("msg: at most %d groups x receivers", MAXW / 2);
	msg_N = N;
	start_bg();
	for (g = 0; g < G; g++)
		spawn(msg_group, g);
	sleep_s(warmup);
	b0 = msg_bytes(G);
	w0 = now();
	sleep_s(secs);
	b1 = msg_bytes(G);
	w1 = now();
	kill_all();
	snprintf(param, sizeof(param), "%dx%d%s%s", G, N, bg_D ? "-" : "", bg_D ? bgname() : "");
	result("msg", param, "kmsg_per_s", (b1 - b0) / 100 / (w1 - w0) / 1000);
}

static char *self_exe;
static int fork_P;

static void forker(long slot)
{
	volatile long *c = &sh->count[slot];
	char *argv[] = { "cdbench", "exit", NULL };
	pid_t pid;

	for (;;) {
		pid = fork();
		if (pid < 0)
			continue;
		if (!pid) {
			execv(self_exe, argv);
			_exit(127);
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		(*c)++;
	}
}

static void fork_domain(long unused)
{
	pid_t pid;
	int i;

	new_domain();
	for (i = 0; i < fork_P; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid)
			forker(i);
	}
	for (;;)
		pause();
}

static double fork_count(void)
{
	double s = 0;
	int i;

	for (i = 0; i < fork_P; i++)
		s += sh->count[i];
	return s;
}

static void do_fork(int P, double secs)
{
	double w0, w1, n0, n1;
	char param[48];

	fork_P = P;
	start_bg();
	spawn(fork_domain, 0);
	sleep_s(warmup);
	n0 = fork_count();
	w0 = now();
	sleep_s(secs);
	n1 = fork_count();
	w1 = now();
	kill_all();
	snprintf(param, sizeof(param), "P%d%s%s", P, bg_D ? "-" : "", bg_D ? bgname() : "");
	result("fork", param, "per_s", (n1 - n0) / (w1 - w0));
}

#define HMAX 30000	/* histogram range of cyclictest, us */

static void do_cyclic(const char *policy, double secs)
{
	static long hist[HMAX + 1];
	char dur[32], line[512], param[48];
	long total = 0, over = 0, maxlat = 0, acc, v;
	int status, i;
	pid_t pid;
	FILE *f;

	start_bg();
	snprintf(dur, sizeof(dur), "%ds", (int)(secs + 0.5));
	unlink("/tmp/cyclic.hist");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		char *rt[] = { "cyclictest", "-q", "-m", "-t", "2", "-i", "1000", "-D", dur,
			       "-p", "80", "-h", "30000", "--histfile=/tmp/cyclic.hist", NULL };
		char *fair[] = { "cyclictest", "-q", "-m", "-t", "2", "-i", "1000", "-D", dur,
				 "--policy=other", "-h", "30000", "--histfile=/tmp/cyclic.hist",
				 NULL };
		int fd = open("/tmp/cyclic.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		new_domain();
		execv("/usr/bin/cyclictest", strcmp(policy, "rt") ? fair : rt);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill_all();
	snprintf(param, sizeof(param), "%s-%s", policy, bgname());
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !(f = fopen("/tmp/cyclic.hist", "r"))) {
		fprintf(stderr, "cdbench: cyclictest failed (status %#x):\n", status);
		if ((f = fopen("/tmp/cyclic.out", "r"))) {
			while (fgets(line, sizeof(line), f))
				fputs(line, stderr);
			fclose(f);
		}
		result("cyclic", param, "failed", 1);
		return;
	}
	memset(hist, 0, sizeof(hist));
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save, *p = line;
		long b = -1;
		int what = 0;	/* 0 bucket row, 1 max, 2 overflows, -1 skip */

		if (line[0] == '#') {
			what = -1;
			if ((p = strstr(line, "Max Latencies:")))
				what = 1, p += 14;
			else if ((p = strstr(line, "Histogram Overflows:")))
				what = 2, p += 20;
			if (what < 0)
				continue;
		}
		for (tok = strtok_r(p, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
			v = strtol(tok, NULL, 10);
			if (what == 1 && v > maxlat)
				maxlat = v;
			else if (what == 2)
				over += v;
			else if (what == 0 && b < 0)
				b = v;
			else if (what == 0 && b <= HMAX)
				hist[b] += v, total += v;
		}
	}
	fclose(f);
	total += over;
	if (!total) {
		result("cyclic", param, "failed", 1);
		return;
	}
	for (acc = 0, i = 0; i <= HMAX; i++) {
		acc += hist[i];
		if (acc * 2 >= total)
			break;
	}
	result("cyclic", param, "p50_us", i > HMAX ? maxlat : i);
	for (acc = 0, i = 0; i <= HMAX; i++) {
		acc += hist[i];
		if (acc * 100 >= total * 99)
			break;
	}
	result("cyclic", param, "p99_us", i > HMAX ? maxlat : i);
	result("cyclic", param, "max_us", maxlat);
	result("cyclic", param, "samples", total);
}

/* ---- a tenant that makes per-CPU kworkers run -------------------------- */

#define KW_SEALS	1	/* sh->count slot: the tenant's memfd seals */
#define KW_PAGES	16	/* pages each faulter thread maps per round */

/* Keep this CPU's LRU batch non-empty: map, touch and unmap fresh pages. */
static void kw_pin(long cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *kw_faulter(void *arg)
{
	long i;

	kw_pin((long)arg);
	while (!sh->stop) {
		char *p = mmap(NULL, KW_PAGES * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		for (i = 0; i < KW_PAGES; i++)
			p[i * 4096] = 1;
		munmap(p, KW_PAGES * 4096);
	}
	return NULL;
}

static int kw_pipe[2], kw_ack[2];

/* Write a page to a new memfd on this CPU and hand the fd to the sealer. */
static void *kw_writer(void *arg)
{
	static char page[4096];
	int fd;

	kw_pin((long)arg);
	while (!sh->stop) {
		fd = memfd_create("cdbench-kw", MFD_ALLOW_SEALING);
		if (fd < 0)
			die("memfd_create");
		if (write(fd, page, sizeof(page)) != sizeof(page))
			die("memfd write");
		/* In step: the page must still be in this CPU's batch. */
		if (write(kw_pipe[1], &fd, sizeof(fd)) != sizeof(fd) ||
		    read(kw_ack[0], &fd, sizeof(fd)) != sizeof(fd))
			die("pipe");
	}
	return NULL;
}

/*
 * The tenant, a domain of its own: a faulter thread on every CPU, a writer
 * on the first CPU and a sealer on the last.  The writer's page still sits
 * in the first CPU's LRU batch when the sealer, with @seal, adds
 * F_SEAL_WRITE: the seal drains only its own CPU's batch, finds the page
 * pinned by the other's and calls lru_add_drain_all(), a drain work item
 * for the per-CPU kworker of every CPU whose batch is not empty and a wait
 * for all of them.  Without @seal the same calls make no kworker run.
 */
static void kw_tenant(long seal)
{
	pthread_t th;
	long cpu, first = -1, last = -1;
	int fd;

	new_domain();
	if (pipe(kw_pipe) || pipe(kw_ack))
		die("pipe");
	for (cpu = 0; cpu < MAXCPU; cpu++) {
		if (!online[cpu])
			continue;
		if (first < 0)
			first = cpu;
		last = cpu;
		if (pthread_create(&th, NULL, kw_faulter, (void *)cpu))
			die("pthread_create");
	}
	if (pthread_create(&th, NULL, kw_writer, (void *)first))
		die("pthread_create");
	kw_pin(last);
	while (!sh->stop) {
		if (read(kw_pipe[0], &fd, sizeof(fd)) != sizeof(fd))
			die("pipe read");
		if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE))
			die("F_ADD_SEALS");
		close(fd);
		if (write(kw_ack[1], &fd, sizeof(fd)) != sizeof(fd))
			die("pipe write");
		sh->count[KW_SEALS]++;
	}
}

/*
 * CPU time of every kworker, ns, and (@runs) how many times they ran:
 * /proc/PID/schedstat of each task named kworker/...
 */
static double kworker_ns(double *runs)
{
	char path[300], buf[128], *end;
	struct dirent *e;
	double ns = 0;
	DIR *d = opendir("/proc");

	if (!d)
		die("/proc");
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0 || strncmp(buf, "kworker/", 8))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", e->d_name);
		if (read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		ns += strtod(buf, &end);
		strtod(end, &end);	/* time spent waiting on a runqueue */
		*runs += strtod(end, NULL);
	}
	closedir(d);
	return ns;
}

static long bg_work(void)
{
	long s = 0;
	int i;

	for (i = MAXW / 2; i < MAXW; i++)
		s += sh->count[i];
	return s;
}

/*
 * Busy background domains beside the kworker tenant: first the control
 * (the tenant without seals), then the tenant with them, @secs each.  The
 * background's work rate in both, the seals and the kworkers' CPU time
 * per second, and how much of its control rate the background kept.
 */
static void do_kwork(double secs)
{
	double w0, w1, k0, k1, r0, r1, rate[2], seals[2], kw[2], kr[2];
	long n0, n1, s0, s1;
	int seal, st;

	start_bg();
	for (seal = 0; seal <= 1; seal++) {
		spawn(kw_tenant, seal);
		sleep_s(warmup);
		n0 = bg_work();
		s0 = sh->count[KW_SEALS];
		r0 = r1 = 0;
		k0 = kworker_ns(&r0);
		w0 = now();
		sleep_s(secs);
		n1 = bg_work();
		s1 = sh->count[KW_SEALS];
		k1 = kworker_ns(&r1);
		w1 = now();
		rate[seal] = (n1 - n0) / (w1 - w0);
		seals[seal] = (s1 - s0) / (w1 - w0);
		kw[seal] = (k1 - k0) / 1e6 / (w1 - w0);
		kr[seal] = (r1 - r0) / (w1 - w0);
		/* Stop the tenant only: the background keeps running. */
		kill(-groups[ngroups - 1], SIGKILL);
		waitpid(groups[ngroups - 1], &st, 0);
		ngroups--;
		if (!WIFSIGNALED(st)) {
			kill_all();
			result("kwork", bgname(), "failed", 1);
			return;
		}
		sh->count[KW_SEALS] = 0;
	}
	kill_all();
	result("kwork", bgname(), "ctl_bg_mloops_per_s", rate[0] / 1e6);
	result("kwork", bgname(), "bg_mloops_per_s", rate[1] / 1e6);
	result("kwork", bgname(), "bg_kept", rate[0] ? rate[1] / rate[0] : 0);
	result("kwork", bgname(), "ctl_kworker_ms_per_s", kw[0]);
	result("kwork", bgname(), "kworker_ms_per_s", kw[1]);
	result("kwork", bgname(), "ctl_kworker_runs_per_s", kr[0]);
	result("kwork", bgname(), "kworker_runs_per_s", kr[1]);
	result("kwork", bgname(), "seals_per_s", seals[1]);
	result("kwork", bgname(), "ctl_ops_per_s", seals[0]);
}

/* ---- standard tools ---------------------------------------------------- */

/*
 * Published benchmarks, run unchanged in a domain of their own (each run a
 * new one; the tool's children inherit it).  The command lines are fixed so
 * that results compare across kernels and with published numbers scaled by
 * the sizes below; 'cdbench tools' prints them.  @key marks the number in
 * the tool's output: after it, or (@before) just before it.
 */
static const struct tool {
	const char *name, *metric, *key;
	int before;
	char *const argv[12];
} tools[] = {
	{ "perf-pipe", "us_per_op", "usecs/op", 1,
	  { "/usr/bin/perf", "bench", "sched", "pipe", "-l", "20000", NULL } },
	{ "perf-msg", "total_s", "Total time:", 0,
	  { "/usr/bin/perf", "bench", "sched", "messaging", "-g", "2", "-l", "20", NULL } },
	{ "hackbench", "time_s", "Time:", 0,
	  { "/usr/bin/hackbench", "-g", "2", "-l", "50", NULL } },
};

static void print_tools(void)
{
	unsigned int i, j;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		printf("%s:", tools[i].name);
		for (j = 0; tools[i].argv[j]; j++)
			printf(" %s", j ? tools[i].argv[j] : strrchr(tools[i].argv[0], '/') + 1);
		printf("\n");
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run of @t in a new domain; its figure, or a negative value. */
static double tool_run(const struct tool *t)
{
	char line[512], *p;
	double v = -1;
	int status, fd;
	pid_t pid;
	FILE *f;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		fd = open("/tmp/tool.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		new_domain();
		execv(t->argv[0], t->argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	f = fopen("/tmp/tool.out", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, t->key);
		if (!p)
			continue;
		v = t->before ? strtod(line, NULL) : strtod(p + strlen(t->key), NULL);
		break;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) || v <= 0) {
		fprintf(stderr, "cdbench: %s failed (status %#x):\n", t->name, status);
		rewind(f);
		while (fgets(line, sizeof(line), f))
			fputs(line, stderr);
		v = -1;
	}
	fclose(f);
	return v;
}

/* Run tool @name again and again for @secs (at least 3 times): the median. */
static void do_tool(const char *name, double secs)
{
	const struct tool *t = NULL;
	double v[64], t0;
	char param[64];
	unsigned int i;
	int n = 0;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!strcmp(tools[i].name, name))
			t = &tools[i];
	if (!t)
		die("no tool '%s' (cdbench tools lists them)", name);
	start_bg();
	snprintf(param, sizeof(param), "%s-%s", t->name, bgname());
	t0 = now();
	while (n < 64 && (n < 3 || now() - t0 < secs)) {
		v[n] = tool_run(t);
		if (v[n] < 0) {
			kill_all();
			result("tool", param, "failed", 1);
			return;
		}
		n++;
	}
	kill_all();
	qsort(v, n, sizeof(v[0]), cmp_double);
	result("tool", param, t->metric, n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
	result("tool", param, "runs", n);
}

/* ---- virtual machines -------------------------------------------------- */

/*
 * A VM is a VMM process in a domain of its own (the layout libvirt and
 * cloud hypervisors use) with V vCPU threads on the KVM API, each running
 * a real-mode guest at GUEST_CODE that counts loops and leaves guest mode
 * in one of three ways:
 *
 *   io       an OUT to EXIT_PORT every IO_LOOPS loops: every exit goes to
 *            this VMM (the full exit path and a return to user mode)
 *   fast     an x2APIC ICR write (an IPI to an APIC id nobody has) every
 *            FAST_LOOPS loops, which KVM's fast path handles with
 *            interrupts off and re-enters the guest from; an OUT after
 *            FAST_PER_OUT of them reports progress
 *   compute  an OUT every COMPUTE_LOOPS loops: almost no exits
 *
 * The guest's loops per second are its throughput, its exits per second
 * its exit rate.
 */
#define GUEST_MEM	0x10000
#define GUEST_CODE	0x1000
#define EXIT_PORT	0x10
#define IO_LOOPS	200
#define FAST_LOOPS	200
#define FAST_PER_OUT	100
#define COMPUTE_LOOPS	2000000
#define MAXVM		16
#define MAXVCPU		8

enum { VM_IO, VM_FAST, VM_COMPUTE, VM_KINDS };
static const char *const vm_kind_name[VM_KINDS] = { "io", "fast", "compute" };

/* Loops and exits of one OUT of each kind. */
static const double vm_loops_per_out[VM_KINDS] = {
	IO_LOOPS, (double)FAST_LOOPS * FAST_PER_OUT, COMPUTE_LOOPS,
};
static const double vm_exits_per_out[VM_KINDS] = { 1, FAST_PER_OUT + 1, 1 };

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void guest_code(uint8_t *mem, int kind)
{
	/*
	 *	0:  mov ecx, loops	66 b9 imm32
	 *	6:  dec ecx		66 49
	 *	8:  jnz 6		75 fc
	 *	10: out 0x10, al	e6 10
	 *	12: jmp 0		eb f2
	 */
	static const uint8_t loop_out[] = {
		0x66, 0xb9, 0, 0, 0, 0, 0x66, 0x49, 0x75, 0xfc,
		0xe6, EXIT_PORT, 0xeb, 0xf2,
	};
	/*
	 *	0:  mov esi, FAST_PER_OUT	66 be imm32
	 *	6:  mov ecx, FAST_LOOPS		66 b9 imm32
	 *	12: dec ecx			66 49
	 *	14: jnz 12			75 fc
	 *	16: mov ecx, 0x830 (ICR)	66 b9 imm32
	 *	22: mov eax, 0xf0 (vector)	66 b8 imm32
	 *	28: mov edx, 0x100 (dest)	66 ba imm32
	 *	34: wrmsr			0f 30
	 *	36: dec esi			66 4e
	 *	38: jnz 6			75 de
	 *	40: out 0x10, al		e6 10
	 *	42: jmp 0			eb d4
	 */
	static const uint8_t icr_out[] = {
		0x66, 0xbe, 0, 0, 0, 0, 0x66, 0xb9, 0, 0, 0, 0,
		0x66, 0x49, 0x75, 0xfc,
		0x66, 0xb9, 0x30, 0x08, 0, 0, 0x66, 0xb8, 0xf0, 0, 0, 0,
		0x66, 0xba, 0x00, 0x01, 0, 0, 0x0f, 0x30,
		0x66, 0x4e, 0x75, 0xde, 0xe6, EXIT_PORT, 0xeb, 0xd4,
	};
	uint8_t *p = mem + GUEST_CODE;

	if (kind == VM_FAST) {
		memcpy(p, icr_out, sizeof(icr_out));
		put32(p + 2, FAST_PER_OUT);
		put32(p + 8, FAST_LOOPS);
	} else {
		memcpy(p, loop_out, sizeof(loop_out));
		put32(p + 2, kind == VM_IO ? IO_LOOPS : COMPUTE_LOOPS);
	}
}

static int vm_V, vm_fd, vm_run_size;
static struct kvm_cpuid2 *vm_cpuid;

/* A vCPU in real mode at GUEST_CODE, its local APIC in x2APIC mode. */
static int vcpu_setup(int n, struct kvm_run **run)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} msrs = { { .nmsrs = 1 }, { .index = 0x1b } };	/* IA32_APIC_BASE */
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int fd = ioctl(vm_fd, KVM_CREATE_VCPU, n);

	if (fd < 0)
		return -1;
	*run = mmap(NULL, vm_run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*run == MAP_FAILED || ioctl(fd, KVM_SET_CPUID2, vm_cpuid) ||
	    ioctl(fd, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(fd, KVM_SET_SREGS, &sregs))
		return -1;
	/* After KVM_SET_SREGS, which sets the APIC base too: x2APIC on. */
	msrs.e.data = 0xfee00000ULL | 1 << 11 | 1 << 10 | (n ? 0 : 1 << 8);
	if (ioctl(fd, KVM_SET_MSRS, &msrs) != 1)
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 2;
	if (ioctl(fd, KVM_SET_REGS, &regs) || ioctl(fd, KVM_SET_MP_STATE, &mp))
		return -1;
	return fd;
}

static volatile int vm_failed, vm_exit_reason;

/* One vCPU thread: KVM_RUN for ever, counting its guest's OUTs. */
static void *vcpu_thread(void *arg)
{
	long slot = (long)arg;
	volatile long *c = &sh->count[slot];
	struct kvm_run *run;
	int fd = vcpu_setup(slot % vm_V, &run);

	if (fd < 0) {
		vm_exit_reason = errno;
		vm_failed = 1;
		return NULL;
	}
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			vm_exit_reason = errno;
			vm_failed = 1;
			return NULL;
		}
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != EXIT_PORT) {
			vm_exit_reason = run->exit_reason;
			vm_failed = 2;
			return NULL;
		}
		(*c)++;
	}
}

static int vm_kind_of(const char *mix, int i)
{
	if (!strcmp(mix, "mixed"))
		return i % VM_KINDS;
	for (int k = 0; k < VM_KINDS; k++)
		if (!strcmp(mix, vm_kind_name[k]))
			return k;
	die("vm: unknown guest kind '%s'", mix);
	return 0;
}

static const char *vm_mix;

/* The VMM of VM @i: its domain first, so that its vCPU threads inherit it. */
static void vmm(long i)
{
	struct kvm_userspace_memory_region region = {
		.memory_size = GUEST_MEM,
	};
	pthread_t th[MAXVCPU];
	uint8_t *mem;
	int kvm, n, nent = 256;

	new_domain();
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("vm: /dev/kvm: %s", strerror(errno));
	vm_cpuid = calloc(1, sizeof(*vm_cpuid) + nent * sizeof(vm_cpuid->entries[0]));
	vm_cpuid->nent = nent;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, vm_cpuid))
		die("vm: KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
	vm_run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm_fd < 0 || vm_run_size <= 0 || ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0))
		die("vm: creating the VM: %s", strerror(errno));
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("vm: mmap");
	guest_code(mem, vm_kind_of(vm_mix, i));
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("vm: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	for (n = 0; n < vm_V; n++)
		if (pthread_create(&th[n], NULL, vcpu_thread, (void *)(i * vm_V + n)))
			die("pthread_create");
	while (!vm_failed)
		sleep_s(0.05);
	if (vm_failed == 1) {
		errno = vm_exit_reason;
		die("vm %ld: setting up or running a vCPU failed", i);
	}
	errno = 0;
	die("vm %ld: a vCPU made an unexpected exit, reason %d", i, vm_exit_reason);
}

/*
 * Kicks sent and waits to enter protected code so far, over every CPU
 * (debugfs core_domain/kernel of the kernel protection level), or -1.
 */
static double cdk_kicks(double *waits)
{
	FILE *f = fopen("/sys/kernel/debug/core_domain/kernel", "r");
	unsigned long long k, w;
	double kicks = 0;
	char line[256];

	*waits = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && sscanf(line, "%*d %*s %llu %llu", &k, &w) == 2)
			kicks += k, *waits += w;
	fclose(f);
	return kicks;
}

static void vm_outs(int N, double *outs)
{
	int i, n;

	for (i = 0; i < VM_KINDS; i++)
		outs[i] = 0;
	for (i = 0; i < N; i++)
		for (n = 0; n < vm_V; n++)
			outs[vm_kind_of(vm_mix, i)] += sh->count[i * vm_V + n];
}

static void do_vm(const char *mix, int N, int V, double secs)
{
	double o0[VM_KINDS], o1[VM_KINDS], w0, w1, k0, k1, wt0, wt1;
	char param[48];
	int i, k;

	if (N < 1 || V < 1 || N > MAXVM || V > MAXVCPU || N * V > MAXW / 2)
		die("vm: 1..%d VMs of 1..%d vCPUs", MAXVM, MAXVCPU);
	vm_mix = mix;
	vm_kind_of(mix, 0);
	vm_V = V;
	start_bg();
	for (i = 0; i < N; i++)
		spawn(vmm, i);
	sleep_s(warmup);
	k0 = cdk_kicks(&wt0);
	vm_outs(N, o0);
	w0 = now();
	sleep_s(secs);
	vm_outs(N, o1);
	w1 = now();
	k1 = cdk_kicks(&wt1);
	kill_all();
	snprintf(param, sizeof(param), "%s%dx%d%s%s", mix, N, V, bg_D ? "-" : "", bg_D ? bgname() : "");
	for (k = 0; k < VM_KINDS; k++) {
		char m[32];
		int present = 0;

		for (i = 0; i < N; i++)
			present |= vm_kind_of(mix, i) == k;
		if (!present)
			continue;
		snprintf(m, sizeof(m), "%s_mloops_per_s", vm_kind_name[k]);
		result("vm", param, m, (o1[k] - o0[k]) * vm_loops_per_out[k] / (w1 - w0) / 1e6);
		snprintf(m, sizeof(m), "%s_kexits_per_s", vm_kind_name[k]);
		result("vm", param, m, (o1[k] - o0[k]) * vm_exits_per_out[k] / (w1 - w0) / 1e3);
	}
	if (k0 >= 0 && k1 >= 0) {
		result("vm", param, "kkicks_per_s", (k1 - k0) / (w1 - w0) / 1e3);
		result("vm", param, "kwaits_per_s", (wt1 - wt0) / (w1 - w0) / 1e3);
	}
}

static void info(void)
{
	struct utsname u;
	char buf[256];

	uname(&u);
	printf("@@I kernel=%s (%s) mode=%s cpus=%d cores=%d smt=%d", u.release, u.version,
	       mode_name, ncpu, ncores, smt);
	if (read_file("/sys/kernel/core_domain/active", buf, sizeof(buf)) > 0)
		printf(" core_domain_active=%s", strtok(buf, "\n"));
	if (read_file("/sys/kernel/core_domain/level", buf, sizeof(buf)) > 0)
		printf(" core_domain_level=%s", strtok(buf, "\n"));
	if (read_file("/sys/kernel/debug/core_domain/kernel_fastpath", buf, sizeof(buf)) > 0)
		printf(" kernel_fastpath=%s", strtok(buf, "\n"));
	if (read_file("/sys/module/kvm_amd/parameters/nrips", buf, sizeof(buf)) > 0)
		printf(" kvm_amd.nrips=%s", strtok(buf, "\n"));
	if (read_file("/sys/devices/system/cpu/smt/active", buf, sizeof(buf)) > 0)
		printf(" smt_active=%s", strtok(buf, "\n"));
	printf("\n");
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cdbench [--mode none|coredomain|upstream] [--onedom] [--tag T] [--warmup S]\n"
		"  pack D T SECS [trace] | pipe SECS [DxT] | msg G N SECS [DxT]\n"
		"  fork P SECS [DxT] | cyclic rt|fair SECS [DxT] | tool NAME SECS [DxT] | tools\n"
		"  kwork SECS DxT\n"
		"  vm io|fast|compute|mixed N V SECS [DxT] | trace-off | info\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int a = 1;

	if (argc > 1 && !strcmp(argv[1], "exit"))
		_exit(0);
	while (a < argc && !strncmp(argv[a], "--", 2)) {
		if (!strcmp(argv[a], "--mode") && a + 1 < argc) {
			mode_name = argv[++a];
			if (!strcmp(mode_name, "none"))
				mode = M_NONE;
			else if (!strcmp(mode_name, "coredomain"))
				mode = M_CD;
			else if (!strcmp(mode_name, "upstream"))
				mode = M_UP;
			else
				usage();
		} else if (!strcmp(argv[a], "--onedom")) {
			onedom = 1;
		} else if (!strcmp(argv[a], "--tag") && a + 1 < argc) {
			tag = argv[++a];
		} else if (!strcmp(argv[a], "--warmup") && a + 1 < argc) {
			warmup = atof(argv[++a]);
		} else {
			usage();
		}
		a++;
	}
	if (a >= argc)
		usage();
	self_exe = "/proc/self/exe";
	{
		static char exe[256];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = 0;
			self_exe = exe;
		}
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	signal(SIGPIPE, SIG_IGN);
	topology();
	if (onedom)
		new_domain_always();

	if (!strcmp(argv[a], "info")) {
		info();
	} else if (!strcmp(argv[a], "kwork") && argc - a >= 3) {
		parse_bg(argv[a + 2]);
		do_kwork(atof(argv[a + 1]));
	} else if (!strcmp(argv[a], "tools")) {
		print_tools();
	} else if (!strcmp(argv[a], "tool") && argc - a >= 3) {
		parse_bg(argv[a + 3]);
		do_tool(argv[a + 1], atof(argv[a + 2]));
	} else if (!strcmp(argv[a], "trace-off")) {
		put("events/sched/sched_switch/enable", "0");
		put("trace", "");
	} else if (!strcmp(argv[a], "pack") && argc - a >= 4) {
		do_pack(atoi(argv[a + 1]), atoi(argv[a + 2]), atof(argv[a + 3]),
			argc - a > 4 && !strcmp(argv[a + 4], "trace"));
	} else if (!strcmp(argv[a], "pipe") && argc - a >= 2) {
		parse_bg(argv[a + 2]);
		do_pipe(atof(argv[a + 1]));
	} else if (!strcmp(argv[a], "msg") && argc - a >= 4) {
		parse_bg(argv[a + 4]);
		do_msg(atoi(argv[a + 1]), atoi(argv[a + 2]), atof(argv[a + 3]));
	} else if (!strcmp(argv[a], "fork") && argc - a >= 3) {
		parse_bg(argv[a + 3]);
		do_fork(atoi(argv[a + 1]), atof(argv[a + 2]));
	} else if (!strcmp(argv[a], "vm") && argc - a >= 5) {
		parse_bg(argv[a + 5]);
		do_vm(argv[a + 1], atoi(argv[a + 2]), atoi(argv[a + 3]), atof(argv[a + 4]));
	} else if (!strcmp(argv[a], "cyclic") && argc - a >= 3) {
		parse_bg(argv[a + 3]);
		do_cyclic(argv[a + 1], atof(argv[a + 2]));
	} else {
		usage();
	}
	return 0;
}
