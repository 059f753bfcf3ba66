// SPDX-License-Identifier: GPL-2.0
/*
 * coredomain - run programs in SMT core domains, move tasks and cgroups
 * between domains, and show what the cores run.
 *
 * The command-line front end of prctl(PR_SET_CORE_DOMAIN/PR_GET_CORE_DOMAIN),
 * the cgroup v2 file cpu.core_domain, /sys/kernel/core_domain/ and
 * /sys/kernel/debug/core_domain/cores.  Its commands follow util-linux
 * coresched(1) (new, get, copy; -t pid|tgid|pgid, default tgid; -v), its
 * exit statuses those of coreutils: 0 on success, 1 on failure and 2 on a
 * usage error, which coresched reports as a failure (1).  See
 * coredomain.8 and Documentation/userspace-api/core-domain.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/prctl.h>

#ifndef PR_SET_CORE_DOMAIN
#define PR_SET_CORE_DOMAIN			0x43440001
#define PR_GET_CORE_DOMAIN			0x43440002
#define PR_CORE_DOMAIN_NEW			0xffffffffUL
#define PR_CORE_DOMAIN_SCOPE_THREAD		0
#define PR_CORE_DOMAIN_SCOPE_THREAD_GROUP	1
#define PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP	2
#endif

#define CD_VERSION	"1.0"
#define SYSFS_DIR	"/sys/kernel/core_domain/"
#define CORES_FILE	"/sys/kernel/debug/core_domain/cores"
#define CPU_LINE	" cpu %d cur %d old %d want %d fi_us %llu fi %llu alt %llu kicks %llu"
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_FILE	"cpu.core_domain"
#define ID_MAX		(PR_CORE_DOMAIN_NEW - 1)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define EXIT_USAGE		2
#define EXIT_EXEC_FAILED	126
#define EXIT_EXEC_ENOENT	127

static const char *const scope_names[] = {
	[PR_CORE_DOMAIN_SCOPE_THREAD]		= "pid",
	[PR_CORE_DOMAIN_SCOPE_THREAD_GROUP]	= "tgid",
	[PR_CORE_DOMAIN_SCOPE_PROCESS_GROUP]	= "pgid",
};

struct opts {
	pid_t pid;		/* -p: the task to move, 0 if none */
	pid_t src;		/* -s: copy's source task, 0 if none */
	int scope;		/* -t */
	bool verbose;		/* -v */
	double wait;		/* -w: seconds between samples, 0 if none */
	unsigned long count;	/* -n: samples, 0 for no limit */
};

static void __noreturn usage(void)
{
	fputs("Usage:\n"
	      " coredomain new [-t TYPE] [-v] [--] COMMAND [ARG...]\n"
	      " coredomain new -p PID [-t TYPE] [-v]\n"
	      " coredomain get [PID...]\n"
	      " coredomain set ID [-t TYPE] [-v] [--] COMMAND [ARG...]\n"
	      " coredomain set ID -p PID [-t TYPE] [-v]\n"
	      " coredomain copy -s SRC [-t TYPE] [-v] [--] COMMAND [ARG...]\n"
	      " coredomain copy -s SRC -p PID [-t TYPE] [-v]\n"
	      " coredomain cgroup PATH [new|ensure|none|ID]\n"
	      " coredomain status [-w SECONDS] [-n COUNT]\n"
	      "\n"
	      "Run programs in SMT core domains, move tasks and cgroups between\n"
	      "domains, and show what the cores run.\n"
	      "\n"
	      "Commands:\n"
	      " new       run COMMAND in, or move PID into, a new domain\n"
	      " get       show the domains of PIDs (default: of this process)\n"
	      " set       run COMMAND in, or move PID into, domain ID (0: host)\n"
	      " copy      run COMMAND in, or move PID into, the domain of task SRC\n"
	      " cgroup    show or set the domain of a cgroup v2 directory\n"
	      " status    show the state and the per-core domain map\n"
	      "\n"
	      "Options:\n"
	      " -p, --pid PID          move the task PID instead of running a command\n"
	      " -s, --source SRC       copy: the task whose domain to join\n"
	      " -t, --type TYPE        what moves: pid (the thread), tgid (its process,\n"
	      "                          the default) or pgid (its process group)\n"
	      " -v, --verbose          report every move on stderr\n"
	      " -w, --wait SECONDS     status: refresh every SECONDS\n"
	      " -n, --count COUNT      status: stop after COUNT samples\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n"
	      "\n"
	      "For more details see coredomain(8).\n", stdout);
	exit(EXIT_SUCCESS);
}

/* "coredomain: MESSAGE", a hint to --help, exit status 2. */
static void __noreturn __printf(1, 2) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("coredomain: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'coredomain --help' for more information.\n", stderr);
	exit(EXIT_USAGE);
}

/* "coredomain: WHAT: strerror(errno)"; returns 1, the failure status. */
static int __printf(1, 2) fail(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("coredomain: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	errno = err;
	return EXIT_FAILURE;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		fail("cannot allocate memory");
		exit(EXIT_FAILURE);
	}
	return p;
}

/* A decimal number in [min, max]: digits only, no sign, no overflow. */
static unsigned long parse_num(const char *s, unsigned long min,
			       unsigned long max, const char *what)
{
	unsigned long val;
	char *end;

	if (*s < '0' || *s > '9')
		usage_error("invalid %s: '%s'", what, s);
	errno = 0;
	val = strtoul(s, &end, 10);
	if (errno || *end || val < min || val > max)
		usage_error("invalid %s: '%s'", what, s);
	return val;
}

static pid_t parse_pid(const char *s)
{
	return parse_num(s, 1, INT_MAX, "PID");
}

static int parse_scope(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(scope_names); i++)
		if (!strcmp(s, scope_names[i]))
			return i;
	usage_error("invalid type '%s' (pid, tgid or pgid)", s);
	return -1;
}

static double parse_seconds(const char *s)
{
	char *end;
	double val;

	if (*s < '0' || *s > '9')
		usage_error("invalid interval: '%s'", s);
	errno = 0;
	val = strtod(s, &end);
	if (errno || *end || !isfinite(val) || val <= 0 || val > 86400)
		usage_error("invalid interval: '%s'", s);
	return val;
}

/*
 * Options of a command, and up to @npos leading positional arguments,
 * which options may precede and follow.  Options stop at "--" or at the
 * first further argument (a COMMAND or a PID).  Returns its index.
 */
static int parse_opts(int argc, char **argv, const char *allowed, int npos,
		      char **pos, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pid",	required_argument,	NULL, 'p' },
		{ "source",	required_argument,	NULL, 's' },
		{ "type",	required_argument,	NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "wait",	required_argument,	NULL, 'w' },
		{ "count",	required_argument,	NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c, n = 0;

	opterr = 0;
	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "+:p:s:t:vw:n:hV", longopts, NULL);
		if (c == -1) {
			if (n < npos && optind < argc &&
			    strcmp(argv[optind - 1], "--")) {
				pos[n++] = argv[optind++];
				continue;
			}
			return optind;
		}
		switch (c) {
		case 'h':
			usage();
		case 'V':
			printf("coredomain %s\n", CD_VERSION);
			exit(EXIT_SUCCESS);
		case '?':
			if (optopt)
				usage_error("invalid option -- '%c'", optopt);
			usage_error("unrecognized option '%s'", argv[optind - 1]);
		case ':':
			if (optopt)
				usage_error("option requires an argument -- '%c'", optopt);
			usage_error("option '%s' requires an argument", argv[optind - 1]);
		}
		if (!strchr(allowed, c))
			usage_error("option -%c is not valid with '%s'", c, argv[0]);
		switch (c) {
		case 'p':
			o->pid = parse_pid(optarg);
			break;
		case 's':
			o->src = parse_pid(optarg);
			break;
		case 't':
			o->scope = parse_scope(optarg);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'w':
			o->wait = parse_seconds(optarg);
			break;
		case 'n':
			o->count = parse_num(optarg, 1, ULONG_MAX, "count");
			break;
		}
	}
}

/* Execute COMMAND; only returns by exiting, with 126 or 127. */
static void __noreturn run(char **argv)
{
	execvp(argv[0], argv);
	fail("failed to execute %s", argv[0]);
	exit(errno == ENOENT ? EXIT_EXEC_ENOENT : EXIT_EXEC_FAILED);
}

/*
 * Move o->pid (0: this process) with its scope into domain @id
 * (PR_CORE_DOMAIN_NEW: a new one).  Returns the domain or -1.
 */
static long set_domain(unsigned long id, const struct opts *o)
{
	pid_t pid = o->pid ? o->pid : getpid();
	long ret;

	ret = prctl(PR_SET_CORE_DOMAIN, id, o->pid, o->scope, 0);
	if (ret < 0) {
		if (id == PR_CORE_DOMAIN_NEW)
			fail("cannot move %s %d into a new domain",
			     scope_names[o->scope], pid);
		else
			fail("cannot move %s %d into domain %lu",
			     scope_names[o->scope], pid, id);
		return -1;
	}
	if (id != PR_CORE_DOMAIN_NEW)
		ret = id;
	if (o->verbose)
		fprintf(stderr, "coredomain: %s %d in domain %ld\n",
			scope_names[o->scope], pid, ret);
	return ret;
}

/* Run argv[idx...] or move -p PID, one of which must be given. */
static int move_or_run(int argc, char **argv, int idx, unsigned long id,
		       struct opts *o)
{
	long ret;

	if (o->pid && idx < argc)
		usage_error("-p and a command are mutually exclusive");
	if (!o->pid && idx >= argc)
		usage_error("no command and no -p PID given");
	ret = set_domain(id, o);
	if (ret < 0)
		return EXIT_FAILURE;
	if (!o->pid)
		run(argv + idx);
	if (id == PR_CORE_DOMAIN_NEW)
		printf("%ld\n", ret);
	return EXIT_SUCCESS;
}

/* The first line of @path, without its newline, in @buf; -1 on error. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -1;
	if (!fgets(buf, size, f)) {
		if (!ferror(f))
			errno = ENODATA;
		ret = -1;
	}
	fclose(f);
	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/*
 * Commands that move tasks or read their domains need a kernel that
 * enforces core domains: say so plainly instead of the prctl's ENODEV or
 * EINVAL.  Exits with status 1 when it does not.
 */
static void require_core_domains(void)
{
	char line[256], reason[256];

	if (read_line(SYSFS_DIR "active", line, sizeof(line))) {
		fputs("coredomain: this kernel has no core domains (CONFIG_SCHED_CORE_DOMAIN)\n",
		      stderr);
		exit(EXIT_FAILURE);
	}
	if (strcmp(line, "1")) {
		if (read_line(SYSFS_DIR "reason", reason, sizeof(reason)))
			strcpy(reason, "see " SYSFS_DIR);
		fprintf(stderr, "coredomain: core domains are not enforced on this boot: %s\n",
			reason);
		exit(EXIT_FAILURE);
	}
}

static int cmd_new(int argc, char **argv, struct opts *o)
{
	int idx = parse_opts(argc, argv, "ptv", 0, NULL, o);

	require_core_domains();

	return move_or_run(argc, argv, idx, PR_CORE_DOMAIN_NEW, o);
}

static int cmd_set(int argc, char **argv, struct opts *o)
{
	char *id = NULL;
	int idx = parse_opts(argc, argv, "ptv", 1, &id, o);

	if (!id)
		usage_error("no domain ID given");
	require_core_domains();
	return move_or_run(argc, argv, idx, parse_num(id, 0, ID_MAX, "domain ID"), o);
}

/*
 * coresched's copy: join the domain task -s SRC is in.  Joining by id
 * takes what the kernel asks of any join (membership, or ptrace read
 * access to a member: SRC is one, and reading its domain needs that
 * access already).
 */
static int cmd_copy(int argc, char **argv, struct opts *o)
{
	int idx = parse_opts(argc, argv, "pstv", 0, NULL, o);
	long id;

	if (!o->src)
		usage_error("no source task given (-s SRC)");
	require_core_domains();
	id = prctl(PR_GET_CORE_DOMAIN, o->src, 0, 0, 0);
	if (id < 0)
		return fail("cannot get the domain of pid %d", o->src);
	return move_or_run(argc, argv, idx, id, o);
}

static int cmd_get(int argc, char **argv, struct opts *o)
{
	int idx = parse_opts(argc, argv, "", 0, NULL, o);
	int i, n = argc - idx, rc = EXIT_SUCCESS;
	pid_t *pids = xrealloc(NULL, (n + 1) * sizeof(*pids));
	long id;

	for (i = 0; i < n; i++)
		pids[i] = parse_pid(argv[idx + i]);
	require_core_domains();
	if (!n)
		pids[n++] = getpid();
	for (i = 0; i < n; i++) {
		id = prctl(PR_GET_CORE_DOMAIN, pids[i], 0, 0, 0);
		if (id < 0)
			rc = fail("cannot get the domain of pid %d", pids[i]);
		else
			printf("%d %ld\n", pids[i], id);
	}
	free(pids);
	return rc;
}

static int cmd_cgroup(int argc, char **argv, struct opts *o)
{
	char *pos[2] = { NULL, NULL }, *file, line[256];
	int idx = parse_opts(argc, argv, "", 2, pos, o);
	int rc = EXIT_SUCCESS, fd;
	struct stat st;
	ssize_t len;

	if (!pos[0])
		usage_error("no cgroup PATH given");
	if (idx < argc)
		usage_error("unexpected argument '%s'", argv[idx]);
	/* Relative paths that do not exist here are under the cgroup root. */
	if (asprintf(&file, "%s%s/" CGROUP_FILE,
		     pos[0][0] != '/' && stat(pos[0], &st) ? CGROUP_ROOT "/" : "",
		     pos[0]) < 0)
		return fail("cannot allocate memory");
	/*
	 * "ensure": a domain of its own only if the group has none, so that
	 * a unit that (re)creates the group can run it every time it starts.
	 */
	if (pos[1] && !strcmp(pos[1], "ensure")) {
		if (read_line(file, line, sizeof(line))) {
			rc = fail("cannot read %s", file);
			goto out;
		}
		pos[1] = strstr(line, " own") ? NULL : "new";
	}
	if (pos[1]) {
		/* The kernel parses the value: new, none or a domain id. */
		fd = open(file, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = fail("cannot open %s", file);
			goto out;
		}
		len = write(fd, pos[1], strlen(pos[1]));
		if (len >= 0 && (size_t)len != strlen(pos[1]))
			errno = EIO;
		if (len < 0 || (size_t)len != strlen(pos[1])) {
			rc = fail("cannot write '%s' to %s", pos[1], file);
			close(fd);
			goto out;
		}
		if (close(fd)) {
			rc = fail("cannot write '%s' to %s", pos[1], file);
			goto out;
		}
	}
	if (read_line(file, line, sizeof(line)))
		rc = fail("cannot read %s", file);
	else
		printf("%s\n", line);
out:
	free(file);
	return rc;
}

/* /sys/kernel/debug/core_domain/cores at one instant. */
struct cd_cpu_stat {
	int cpu, cur;
	unsigned long long fi_us, kicks;
};

struct cd_core_stat {
	int core, tag, resv, first, nr;	/* first, nr: its CPUs in cpu[] */
	unsigned long long flips;
};

struct sample {
	struct cd_core_stat *core;
	struct cd_cpu_stat *cpu;
	int nr_cores, nr_cpus, max_sibs;
	double t;			/* seconds since boot */
};

static int read_sample(struct sample *s)
{
	struct cd_core_stat *cs = NULL;
	struct cd_cpu_stat c;
	unsigned long long fi, alt;
	struct timespec ts;
	char *line = NULL;
	size_t size = 0;
	int old, want;
	FILE *f;

	f = fopen(CORES_FILE, "r");
	if (!f)
		return -1;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	s->t = ts.tv_sec + ts.tv_nsec / 1e9;
	s->nr_cores = 0;
	s->nr_cpus = 0;
	s->max_sibs = 0;
	while (getline(&line, &size, f) > 0) {
		if (!strncmp(line, "core ", 5)) {
			s->core = xrealloc(s->core, (s->nr_cores + 1) * sizeof(*cs));
			cs = &s->core[s->nr_cores];
			if (sscanf(line, "core %d tag %d resv %d flips %llu",
				   &cs->core, &cs->tag, &cs->resv, &cs->flips) != 4) {
				cs = NULL;
				continue;
			}
			cs->first = s->nr_cpus;
			cs->nr = 0;
			s->nr_cores++;
		} else if (cs && sscanf(line, CPU_LINE, &c.cpu, &c.cur, &old,
					&want, &c.fi_us, &fi, &alt,
					&c.kicks) == 8) {
			s->cpu = xrealloc(s->cpu, (s->nr_cpus + 1) * sizeof(c));
			s->cpu[s->nr_cpus++] = c;
			if (++cs->nr > s->max_sibs)
				s->max_sibs = cs->nr;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

static const char *id_str(int id, char *buf, size_t size)
{
	if (id < 0)
		return "-";
	snprintf(buf, size, "%d", id);
	return buf;
}

/* The per-core map of @cur, counters relative to @prev (empty: boot). */
static void print_map(const struct sample *prev, const struct sample *cur)
{
	double dt = cur->t - prev->t, idle;
	char b1[16], b2[16];
	int i, j, k;

	if (dt <= 0)
		dt = 0.001;
	printf("interval %.2f s%s: per core its domain (tag), reservation and flips,\n"
	       "per CPU its domain, forced-idle share and kicks; - is none\n",
	       dt, prev->nr_cpus ? "" : " since boot");
	printf("core   tag  resv   flips");
	for (j = 0; j < cur->max_sibs; j++)
		printf(" |  cpu   dom  idle%%  kicks");
	putchar('\n');
	for (i = 0; i < cur->nr_cores; i++) {
		const struct cd_core_stat *cs = &cur->core[i];
		unsigned long long flips = cs->flips;

		if (i < prev->nr_cores && prev->core[i].core == cs->core)
			flips -= prev->core[i].flips;
		printf("%4d %5s %5s %7llu", cs->core, id_str(cs->tag, b1, sizeof(b1)),
		       id_str(cs->resv, b2, sizeof(b2)), flips);
		for (j = 0; j < cs->nr; j++) {
			const struct cd_cpu_stat *c = &cur->cpu[cs->first + j];
			unsigned long long fi = c->fi_us, kicks = c->kicks;

			k = cs->first + j;
			if (k < prev->nr_cpus && prev->cpu[k].cpu == c->cpu) {
				fi -= prev->cpu[k].fi_us;
				kicks -= prev->cpu[k].kicks;
			}
			idle = fi / (dt * 1e4);
			printf(" | %4d %5s %6.1f %6llu", c->cpu,
			       id_str(c->cur, b1, sizeof(b1)),
			       idle > 100 ? 100 : idle, kicks);
		}
		putchar('\n');
	}
}

static int print_state(void)
{
	static const char *const names[] = { "mode", "active", "reason" };
	char path[64], line[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), SYSFS_DIR "%s", names[i]);
		if (read_line(path, line, sizeof(line)))
			return fail("cannot read %s", path);
		printf("%-7s %s\n", names[i], line);
	}
	return 0;
}

static int cmd_status(int argc, char **argv, struct opts *o)
{
	struct sample s[2] = { { 0 } };
	int idx = parse_opts(argc, argv, "wn", 0, NULL, o);
	bool tty = isatty(STDOUT_FILENO), map = true;
	unsigned long i, count = o->count;
	struct timespec ts;
	int rc = EXIT_SUCCESS;

	if (idx < argc)
		usage_error("unexpected argument '%s'", argv[idx]);
	if (!count)
		count = o->wait ? ULONG_MAX : 1;
	if (!o->wait)
		o->wait = 1;
	ts.tv_sec = o->wait;
	ts.tv_nsec = (o->wait - ts.tv_sec) * 1e9;
	for (i = 0; i < count; i++) {
		if (i)
			nanosleep(&ts, NULL);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (i)
			putchar('\n');
		if (print_state()) {
			rc = EXIT_FAILURE;
			break;
		}
		if (map && read_sample(&s[1])) {
			fail("no per-core map (needs root and debugfs): %s",
			     CORES_FILE);
			map = false;
		}
		if (map) {
			putchar('\n');
			print_map(&s[0], &s[1]);
			free(s[0].core);
			free(s[0].cpu);
			s[0] = s[1];
			s[1].core = NULL;
			s[1].cpu = NULL;
		}
		fflush(stdout);
	}
	free(s[0].core);
	free(s[0].cpu);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct opts *o);
} cmds[] = {
	{ "new",	cmd_new },
	{ "get",	cmd_get },
	{ "set",	cmd_set },
	{ "copy",	cmd_copy },
	{ "cgroup",	cmd_cgroup },
	{ "status",	cmd_status },
};

int main(int argc, char **argv)
{
	struct opts o = { .scope = PR_CORE_DOMAIN_SCOPE_THREAD_GROUP };
	int idx = parse_opts(argc, argv, "", 0, NULL, &o);
	size_t i;

	if (idx >= argc)
		usage_error("no command given");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[idx], cmds[i].name))
			return cmds[i].fn(argc - idx, argv + idx, &o);
	usage_error("unknown command '%s'", argv[idx]);
	return EXIT_USAGE;
}
