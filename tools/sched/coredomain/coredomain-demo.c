// SPDX-License-Identifier: GPL-2.0
/*
 * coredomain-demo: two tenants, each a process tree of CPU-bound and
 * sleep/wake work, run twice on an SMT machine - once left in the host
 * domain, once each in its own core domain.  While they run the per-core
 * domain map is shown; afterwards the isolation checker's verdict (from a
 * sched_switch trace), the forced-idle share and the throughput of both
 * runs.  Exits 1 if the run with domains shows any cross-domain overlap.
 *
 * Usage: coredomain-demo [SECONDS]   (as root, tracefs and debugfs mounted)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "cd_timeline.h"

#define TRACEFS		"/sys/kernel/tracing/"
#define CORES_FILE	"/sys/kernel/debug/core_domain/cores"
#define NTENANTS	2
#define SPINNERS	3

struct shared {
	volatile int go, stop;
	volatile long work[NTENANTS];
	volatile int root[NTENANTS];
	volatile long domain[NTENANTS];
};

struct result {
	double throughput;	/* work units per second, both tenants */
	long switches, overlaps;
	double fi_share;	/* forced-idle time / CPU time */
};

static struct shared *sh;

static void put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, val, strlen(val)) < 0) {
		fprintf(stderr, "coredomain-demo: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	close(fd);
}

static void *spin(void *arg)
{
	long t = (long)arg;

	while (!sh->stop)
		__atomic_fetch_add(&sh->work[t], 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *sleep_wake(void *arg)
{
	struct timespec ts = { 0, 500000 };
	long t = (long)arg;
	volatile int i;

	while (!sh->stop) {
		nanosleep(&ts, NULL);
		for (i = 0; i < 50000; i++)
			;
		__atomic_fetch_add(&sh->work[t], 1000, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void tenant(long t, int tagged)
{
	pthread_t th[SPINNERS + 1];
	int i;

	if (tagged) {
		sh->domain[t] = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0,
				      PR_CORE_DOMAIN_SCOPE_THREAD_GROUP, 0);
		if (sh->domain[t] <= 0) {
			perror("PR_SET_CORE_DOMAIN");
			_exit(1);
		}
	} else {
		sh->domain[t] = 1000 + t;
	}
	sh->root[t] = getpid();
	while (!sh->go)
		usleep(1000);
	for (i = 0; i < SPINNERS; i++)
		pthread_create(&th[i], NULL, spin, (void *)t);
	pthread_create(&th[i], NULL, sleep_wake, (void *)t);
	for (i = 0; i <= SPINNERS; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/* Sum of forced-idle microseconds over all CPUs. */
static long fi_us(void)
{
	char line[256];
	long sum = 0, v;
	FILE *f = fopen(CORES_FILE, "r");
	char *p;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "fi_us ");
		if (p && sscanf(p, "fi_us %ld", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

/* One line: the domain each CPU runs, grouped by core, A/B per tenant. */
static void show_map(int tagged)
{
	char line[256], out[512] = "";
	int cpu, cur;
	FILE *f = fopen(CORES_FILE, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "core ", 5)) {
			if (out[0])
				strcat(out, "] ");
			strcat(out, "[");
		} else if (sscanf(line, "  cpu %d cur %d", &cpu, &cur) == 2) {
			const char *c = cur < 0 ? "-" : cur == 0 ? "h" :
					cur == sh->domain[0] ? "A" :
					cur == sh->domain[1] ? "B" : "?";

			if (out[strlen(out) - 1] != '[')
				strcat(out, " ");
			strcat(out, c);
		}
	}
	fclose(f);
	if (out[0])
		strcat(out, "]");
	printf("    %s\n", tagged ? out : "(no domains: all host)");
}

static struct result run(int tagged, int seconds)
{
	struct result r = { 0 };
	pid_t pid[NTENANTS];
	struct timespec a, b;
	struct timeline *tl;
	long t, fi0;
	FILE *f;
	int s;

	memset((void *)sh, 0, sizeof(*sh));
	put(TRACEFS "tracing_on", "0");
	put(TRACEFS "trace_clock", "global");
	put(TRACEFS "buffer_size_kb", "8192");
	put(TRACEFS "events/sched/sched_switch/enable", "1");
	put(TRACEFS "events/sched/sched_process_fork/enable", "1");
	put(TRACEFS "trace", "");
	for (t = 0; t < NTENANTS; t++) {
		pid[t] = fork();
		if (pid[t] == 0)
			tenant(t, tagged);
	}
	for (t = 0; t < NTENANTS; t++)
		while (!sh->root[t])
			usleep(1000);
	fi0 = fi_us();
	put(TRACEFS "tracing_on", "1");
	clock_gettime(CLOCK_MONOTONIC, &a);
	sh->go = 1;
	for (s = 0; s < seconds; s++) {
		sleep(1);
		show_map(tagged);
	}
	put(TRACEFS "tracing_on", "0");
	sh->stop = 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	for (t = 0; t < NTENANTS; t++)
		waitpid(pid[t], NULL, 0);

	r.throughput = (sh->work[0] + sh->work[1]) /
		       ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	tl = tl_new();
	f = fopen(TRACEFS "trace", "r");
	if (tl && f) {
		for (t = 0; t < NTENANTS; t++)
			tl_seed(tl, sh->root[t], sh->domain[t]);
		check_trace(tl, f);
		r.switches = tl->switches;
		r.overlaps = tl->violations;
		r.fi_share = (fi_us() - fi0) / (tl->ncpu * seconds * 1e6);
	}
	if (f)
		fclose(f);
	if (tl)
		tl_free(tl);
	put(TRACEFS "buffer_size_kb", "64");
	return r;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;
	struct result plain, dom;

	if (seconds < 1)
		seconds = 5;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;

	printf("\n== two tenants x (%d CPU-bound + 1 sleep/wake threads), %d s each run\n",
	       SPINNERS, seconds);
	printf("-- run 1: no domains\n");
	plain = run(0, seconds);
	printf("-- run 2: tenant A and tenant B each in its own domain\n");
	printf("   per-core map, [thread thread] per core: A/B tenant, h host, - idle\n");
	dom = run(1, seconds);

	printf("\n%-34s %14s %14s\n", "", "no domains", "domains");
	printf("%-34s %14.0f %14.0f  (%.2fx)\n", "throughput (work/s)",
	       plain.throughput, dom.throughput,
	       plain.throughput ? dom.throughput / plain.throughput : 0);
	printf("%-34s %14ld %14ld\n", "context switches traced",
	       plain.switches, dom.switches);
	printf("%-34s %14ld %14ld\n", "cross-tenant sibling overlaps",
	       plain.overlaps, dom.overlaps);
	printf("%-34s %13.1f%% %13.1f%%\n", "forced idle (share of CPU time)",
	       plain.fi_share * 100, dom.fi_share * 100);
	printf("\nchecker verdict: %s (%ld overlaps in %ld switches with domains; %ld without)\n",
	       dom.overlaps ? "ISOLATION VIOLATED" : "isolated",
	       dom.overlaps, dom.switches, plain.overlaps);
	return dom.overlaps ? 1 : 0;
}
