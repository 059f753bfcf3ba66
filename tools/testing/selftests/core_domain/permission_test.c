// SPDX-License-Identifier: GPL-2.0
/*
 * The permission rules as someone trying to get around them would: an
 * unprivileged user, the owner of a user namespace, the delegatee of a
 * cgroup subtree with a root-owned process inside it, a file descriptor
 * handed to a privileged program, a user creating domains without end.
 * Each test fails on a kernel without the rule it names
 * (Documentation/userspace-api/core-domain.rst, "Permissions").
 *
 * Needs a kernel booted with core domains enforced (core_domain=on), the
 * cpu controller on cgroup v2 and user namespaces.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"
#include "cd_util.h"

#define CG		"/sys/fs/cgroup"
#define CDDBG		"/sys/kernel/debug/core_domain/"
#define QUOTA		"/proc/sys/user/max_core_domains"
#define UID_USER	1000
#define UID_OTHER	1001
#define PF_KTHREAD	0x00200000

/* Helpers must not outlive the test that forked them, however it ends. */
#define fork()	cd_fork_tied()

static long cd_set(unsigned long id, pid_t pid, unsigned long scope)
{
	return prctl(PR_SET_CORE_DOMAIN, id, pid, scope, 0);
}

static long cd_get(pid_t pid)
{
	return prctl(PR_GET_CORE_DOMAIN, pid, 0, 0, 0);
}

/* Credentials of @uid, and ptrace access among its own tasks. */
static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		_exit(99);
}

/* Own a new user namespace, in which the caller (@uid outside) is root. */
static int enter_userns(uid_t uid)
{
	char map[32];

	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (unshare(CLONE_NEWUSER) || put("/proc/self/setgroups", "deny") ||
	    put("/proc/self/uid_map", map) || put("/proc/self/gid_map", map))
		return -1;
	return 0;
}

/*
 * A process that waits to be killed, as @uid (0: root), after moving
 * itself into a new domain when @tag; @nodump: not dumpable, so that no
 * one without CAP_SYS_PTRACE may read it.  Its domain, or -errno of the
 * move, comes back through *@id.
 */
static pid_t holder(uid_t uid, int tag, int nodump, long *id)
{
	int p[2];
	long v = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (uid)
			become(uid);
		if (tag) {
			v = cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);
			if (v < 0)
				v = -errno;
		}
		if (nodump)
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (write(p[1], &v, sizeof(v)) != sizeof(v))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &v, sizeof(v)) != sizeof(v))
		v = -EIO;
	close(p[0]);
	if (id)
		*id = v;
	return pid;
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Run @fn as @uid in a child: its exit status, 0 when every check held. */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		become(uid);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 200;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *cgp(const char *cg, const char *file)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), CG "/%s%s%s", cg, *file ? "/" : "", file);
	return buf[i];
}

static long cg_domain(const char *cg)
{
	char line[64];

	return atol(cd_read_line(cgp(cg, "cpu.core_domain"), line, sizeof(line)));
}

static int cg_move(const char *cg, pid_t pid)
{
	return putf(cgp(cg, "cgroup.procs"), "%d", pid);
}

/* Move every process of @cg to the root group and remove it. */
static void rmcg(const char *cg)
{
	char line[64];
	FILE *f = fopen(cgp(cg, "cgroup.procs"), "r");

	while (f && fgets(line, sizeof(line), f))
		cg_move("", atoi(line));
	if (f)
		fclose(f);
	rmdir(cgp(cg, ""));
}

/*
 * cdP delegated to UID_USER as cgroup-v2.rst says (the directory and its
 * cgroup.procs, cgroup.subtree_control and cgroup.threads), with the cpu
 * controller enabled for its children; the user may also move its own
 * processes out of the root group.
 */
static void delegate(void)
{
	static const char * const files[] = {
		"", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads",
	};
	unsigned int i;

	cd_cgroup2_setup();
	mkdir(cgp("cdP", ""), 0755);
	put(cgp("cdP", "cgroup.subtree_control"), "+cpu");
	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (chown(cgp("cdP", files[i]), UID_USER, UID_USER))
			cd_say("# chown %s: %s\n", files[i], strerror(errno));
	if (chown(CG "/cgroup.procs", UID_USER, UID_USER))
		cd_say("# chown cgroup.procs: %s\n", strerror(errno));
}

static void undelegate(void)
{
	if (chown(CG "/cgroup.procs", 0, 0))
		cd_say("# chown cgroup.procs back: %s\n", strerror(errno));
	rmcg("cdP/a");
	rmcg("cdP/b");
	rmcg("cdP");
}

/* The user makes its groups cdP/a and cdP/b, owning their files. */
static int make_groups(void *arg)
{
	if (mkdir(cgp("cdP/a", ""), 0755) || mkdir(cgp("cdP/b", ""), 0755))
		return 1;
	return 0;
}

/* --- 0. who may turn the arbitration on --- */

#define UNPRIV		"/proc/sys/kernel/core_domain_unprivileged_enable"
#define ARBITRATING	"/sys/kernel/core_domain/arbitrating"

/* The number in the first line of @path, -1 when there is none. */
static long read_long(const char *path)
{
	char line[64];

	return *cd_read_line(path, line, sizeof(line)) ? atol(line) : -1;
}

static int write_unpriv(void *arg)
{
	/* The sysctl is root's: a user cannot open it for writing. */
	return put(UNPRIV, "1") == -EACCES ? 0 : 1;
}

/* With the sysctl at 0: every way of making a first domain is refused. */
static int first_domain_refused(void *arg)
{
	if (cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD) != -1 ||
	    errno != EPERM)
		return 1;
	if (prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 0,
		  PR_SCHED_CORE_SCOPE_THREAD_GROUP, 0) != -1 || errno != EPERM)
		return 2;
	if (put(cgp("cdP/a", "cpu.core_domain"), "new") != -EPERM)
		return 3;
	/* Nothing changed, and the arbitration is still off. */
	if (cd_get(0) != 0 || cg_domain("cdP/a") != 0 ||
	    read_long(ARBITRATING) != 0)
		return 4;
	return 0;
}

static int first_domain_made(void *arg)
{
	long id = cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD);

	return id > 0 && cd_get(0) == id ? 0 : 1;
}

/*
 * First, before any other test makes a domain: on a boot where nothing
 * has turned the arbitration on (CD_PERM_FRESH=1 says this boot must be
 * one), the sysctl at 0 keeps an unprivileged user from turning it on,
 * and not root.  Once it is on, the sysctl no longer matters.
 */
TEST(first_domain_obeys_core_domain_unprivileged_enable)
{
	const char *fresh = getenv("CD_PERM_FRESH");
	long arb = read_long(ARBITRATING);

	ASSERT_EQ(1, read_long(UNPRIV));	/* the default */
	ASSERT_TRUE(arb == 0 || arb == 1);
	/* Bad values: EINVAL, and nothing changed. */
	EXPECT_EQ(-EINVAL, put(UNPRIV, "2"));
	EXPECT_EQ(-EINVAL, put(UNPRIV, "-1"));
	EXPECT_EQ(-EINVAL, put(UNPRIV, "x"));
	EXPECT_EQ(1, read_long(UNPRIV));
	EXPECT_EQ(0, as_user(UID_USER, write_unpriv, NULL));
	EXPECT_EQ(1, read_long(UNPRIV));

	if (arb == 0) {
		delegate();
		EXPECT_EQ(0, as_user(UID_USER, make_groups, NULL));
		EXPECT_EQ(0, put(UNPRIV, "0"));
		EXPECT_EQ(0, as_user(UID_USER, first_domain_refused, NULL));
		EXPECT_EQ(0, read_long(ARBITRATING));
		/* Root may turn it on; then the user may make domains too. */
		EXPECT_EQ(0, as_user(0, first_domain_made, NULL));
		EXPECT_EQ(1, read_long(ARBITRATING));
		EXPECT_EQ(0, as_user(UID_USER, first_domain_made, NULL));
		EXPECT_EQ(0, put(UNPRIV, "1"));
		undelegate();
	} else {
		EXPECT_EQ(0, put(UNPRIV, "0"));
		EXPECT_EQ(0, as_user(UID_USER, first_domain_made, NULL));
		EXPECT_EQ(0, put(UNPRIV, "1"));
		/* The refusal needs a boot where the arbitration is off. */
		EXPECT_FALSE(fresh && !strcmp(fresh, "1"));
		if (!fresh)
			cd_say("# arbitration on: the refusal is tested with CD_PERM_FRESH=1\n");
	}
}

/* --- 1. cgroup writes and migrations check the tasks they move --- */

static pid_t victim;

/* delegate(), the user's groups a and b, and a root process (victim) in @cg. */
static pid_t delegated_with_root_task(const char *cg)
{
	delegate();
	if (as_user(UID_USER, make_groups, NULL))
		return -1;
	victim = holder(0, 0, 0, NULL);
	if (victim <= 0 || cg_move(cg, victim))
		return -1;
	return victim;
}

static int tag_over_root_task(void *arg)
{
	/* The group holds a root-owned process: the user may not move it. */
	if (put(cgp("cdP/a", "cpu.core_domain"), "new") != -EPERM)
		return 1;
	/* Refused: nothing changed. */
	if (cg_domain("cdP/a") != 0 || cd_get(0) != 0)
		return 2;
	return 0;
}

static int tag_own_only(void *arg)
{
	if (put(cgp("cdP/a", "cpu.core_domain"), "new"))
		return 1;
	return cg_domain("cdP/a") > 0 ? 0 : 2;
}

TEST(cgroup_write_refuses_a_task_the_writer_may_not_read)
{
	long before;

	ASSERT_LT(0, delegated_with_root_task("cdP/a"));
	before = cd_get(victim);
	EXPECT_EQ(0, as_user(UID_USER, tag_over_root_task, NULL));
	EXPECT_EQ(before, cd_get(victim));
	/* Without the root process, the same write is the user's to make. */
	reap(victim);
	EXPECT_EQ(0, as_user(UID_USER, tag_own_only, NULL));
	undelegate();
}

static int pull_root_task(void *arg)
{
	long own;

	if (put(cgp("cdP/a", "cpu.core_domain"), "new"))
		return 1;
	own = cg_domain("cdP/a");
	if (own <= 0)
		return 2;
	/*
	 * cgroup v2 lets the delegatee migrate any process inside its
	 * subtree; into a tagged group that would put root's process into
	 * the user's domain.
	 */
	if (cg_move("cdP/a", victim) != -EPERM)
		return 3;
	/* Its own processes it may move: they join the domain. */
	if (cg_move("cdP/a", getpid()) || cd_get(0) != own)
		return 4;
	return 0;
}

TEST(cgroup_migration_refuses_a_task_the_mover_may_not_read)
{
	char line[64];

	ASSERT_LT(0, delegated_with_root_task("cdP/b"));
	EXPECT_EQ(0, as_user(UID_USER, pull_root_task, NULL));
	EXPECT_EQ(0, cd_get(victim));
	snprintf(line, sizeof(line), "/proc/%d/cgroup", victim);
	EXPECT_NE(NULL, strstr(cd_read_line(line, line, sizeof(line)), "cdP/b"));
	reap(victim);
	undelegate();
}

/* --- 2. a cgroup file authorises its opener, not its writer --- */

/* One byte over @sock, carrying the descriptor in @u when @fd >= 0. */
struct fd_msg {
	char c;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
};

static struct msghdr *fd_msg_init(struct fd_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->iov.iov_base = &m->c;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = sizeof(m->u.buf);
	return &m->msg;
}

static int send_fd(int sock, int fd)
{
	struct fd_msg m;
	struct msghdr *msg = fd_msg_init(&m);
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	struct fd_msg m;
	struct msghdr *msg = fd_msg_init(&m);
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

struct hand {
	int sock;
	const char *cg;
};

/* The user opens @cg's cpu.core_domain and hands it over @sock. */
static int hand_over(void *arg)
{
	struct hand *h = arg;
	int fd = open(cgp(h->cg, "cpu.core_domain"), O_WRONLY);

	if (fd < 0 || send_fd(h->sock, fd))
		return 1;
	return 0;
}

static int write_fd(int fd, const char *val)
{
	ssize_t n = write(fd, val, strlen(val));

	return n < 0 ? -errno : 0;
}

TEST(cgroup_file_handed_to_root_keeps_the_openers_rights)
{
	struct hand h;
	long foreign;
	pid_t other;
	int sv[2], fd;
	char id[32];

	ASSERT_LT(0, delegated_with_root_task("cdP/a"));
	/* A domain of root's that the user is no member of. */
	other = holder(0, 1, 0, &foreign);
	ASSERT_LT(0, foreign);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	h = (struct hand){ .sock = sv[1], .cg = "cdP/a" };
	ASSERT_EQ(0, as_user(UID_USER, hand_over, &h));
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	/* Root writes what the user chose: the user's rights decide. */
	EXPECT_EQ(-EPERM, write_fd(fd, "new"));
	snprintf(id, sizeof(id), "%ld", foreign);
	EXPECT_EQ(-EPERM, write_fd(fd, id));
	EXPECT_EQ(0, cg_domain("cdP/a"));
	EXPECT_EQ(0, cd_get(victim));
	/* Root's own open of the same file may. */
	EXPECT_EQ(0, put(cgp("cdP/a", "cpu.core_domain"), id));
	EXPECT_EQ(foreign, cd_get(victim));
	close(fd);
	close(sv[0]);
	close(sv[1]);
	reap(victim);
	reap(other);
	undelegate();
}

/*
 * Root, in a domain of its own and in the user's group cdP/a, writes
 * through the user's descriptors: its own threads are tasks the user may
 * not read, and its membership is not the user's.
 */
static int write_as_deputy(int fda, int fdb, long user_dom)
{
	char id[32];
	long own = cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);

	if (own <= 0 || cg_move("cdP/a", getpid()))
		return 1;
	/* It may not put itself into the user's domain. */
	snprintf(id, sizeof(id), "%ld", user_dom);
	if (write_fd(fda, id) != -EPERM)
		return 2;
	if (cd_get(0) != own || cg_domain("cdP/a") != 0)
		return 3;
	/* The user's group may not join root's domain. */
	snprintf(id, sizeof(id), "%ld", own);
	if (write_fd(fdb, id) != -EPERM)
		return 4;
	if (cg_domain("cdP/b") != 0)
		return 5;
	return 0;
}

TEST(cgroup_file_handed_to_root_lends_it_no_rights_of_its_own)
{
	struct hand h;
	int sv[2], fda, fdb, status;
	long user_dom;
	pid_t user, deputy;

	delegate();
	ASSERT_EQ(0, as_user(UID_USER, make_groups, NULL));
	user = holder(UID_USER, 1, 0, &user_dom);
	ASSERT_LT(0, user_dom);
	ASSERT_EQ(0, cg_move("cdP/b", user));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	h = (struct hand){ .sock = sv[1], .cg = "cdP/a" };
	ASSERT_EQ(0, as_user(UID_USER, hand_over, &h));
	fda = recv_fd(sv[0]);
	h.cg = "cdP/b";
	ASSERT_EQ(0, as_user(UID_USER, hand_over, &h));
	fdb = recv_fd(sv[0]);
	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	deputy = fork();
	if (deputy == 0)
		_exit(write_as_deputy(fda, fdb, user_dom));
	ASSERT_EQ(deputy, waitpid(deputy, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("deputy check %d failed", WEXITSTATUS(status));
	EXPECT_EQ(user_dom, cd_get(user));
	close(fda);
	close(fdb);
	close(sv[0]);
	close(sv[1]);
	reap(user);
	undelegate();
}

/* --- 3. joining a domain by id needs a member the caller may read --- */

struct join {
	int nodump;
	long id;
	int sock;
};

/*
 * The user makes a user namespace; a process inside it creates a domain
 * (so the domain belongs to the namespace the user owns, where the user
 * has every capability) and reports its id.  The user, outside, then
 * joins by id: allowed exactly when it may read that process.
 */
static int join_ns_domain(void *arg)
{
	struct join *j = arg;
	int p[2], ret;
	long id = 0;
	pid_t in;

	if (pipe(p))
		return 1;
	in = fork();
	if (in == 0) {
		if (enter_userns(UID_USER))
			_exit(2);
		id = cd_set(PR_CORE_DOMAIN_NEW, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP);
		if (j->nodump)
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (write(p[1], &id, sizeof(id)) != sizeof(id))
			_exit(3);
		for (;;)
			pause();
	}
	if (read(p[0], &id, sizeof(id)) != sizeof(id) || id <= 0) {
		reap(in);
		return 4;
	}
	ret = cd_set(id, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP) ? errno : 0;
	if (ret != (j->nodump ? EPERM : 0))
		ret = 10 + ret;
	else
		ret = cd_get(0) == (j->nodump ? 0 : id) ? 0 : 5;
	reap(in);
	return ret;
}

TEST(join_by_id_as_user_namespace_owner_needs_a_readable_member)
{
	struct join j = { .nodump = 1 };

	/* Without ptrace read access, owning the namespace is not enough. */
	EXPECT_EQ(0, as_user(UID_USER, join_ns_domain, &j));
	/* With it, the join is the user's to make. */
	j.nodump = 0;
	EXPECT_EQ(0, as_user(UID_USER, join_ns_domain, &j));
}

static long foreign_id;

static int join_guessed(void *arg)
{
	if (cd_set(foreign_id, 0, PR_CORE_DOMAIN_SCOPE_THREAD_GROUP) != -1 ||
	    errno != EPERM)
		return 1;
	if (cd_get(0) != 0)
		return 2;
	/* Nor through a cgroup file the user owns. */
	if (mkdir(cgp("cdP/a", ""), 0755))
		return 3;
	if (putf(cgp("cdP/a", "cpu.core_domain"), "%ld", foreign_id) != -EPERM)
		return 4;
	return 0;
}

TEST(guessed_id_of_another_users_domain_is_refused)
{
	pid_t other;

	delegate();
	other = holder(UID_OTHER, 1, 0, &foreign_id);
	ASSERT_LT(0, foreign_id);
	EXPECT_EQ(0, as_user(UID_USER, join_guessed, NULL));
	reap(other);
	undelegate();
}

/* --- 4. a quota per user, and ids kept for privileged managers --- */

/* Holders of new domains as the caller, until one fails: how many. */
static int fill(pid_t *pids, int max, long *err)
{
	int n;
	long id;

	for (n = 0; n < max; n++) {
		pids[n] = holder(0, 1, 0, &id);
		if (pids[n] < 0 || id < 0) {
			*err = pids[n] < 0 ? -EAGAIN : id;
			reap(pids[n]);
			pids[n] = 0;
			return n;
		}
	}
	*err = 0;
	return n;
}

/* A domain dies with its last task, after a grace period: retry for 2 s. */
static int fill_one_soon(pid_t *pid)
{
	long err;
	int i;

	for (i = 0; i < 40; i++) {
		if (fill(pid, 1, &err) == 1)
			return 0;
		usleep(50000);
	}
	return -1;
}

FIXTURE(limits) {
	char quota[32];
};

FIXTURE_SETUP(limits)
{
	cd_read_line(QUOTA, self->quota, sizeof(self->quota));
	ASSERT_NE(0, self->quota[0]) TH_LOG("no %s", QUOTA);
}

FIXTURE_TEARDOWN(limits)
{
	put(QUOTA, self->quota);
	put(CDDBG "max_id", "1048575");
}

static int quota_user(void *arg)
{
	pid_t pids[8] = { 0 };
	long err;
	int n, ret = 0;

	n = fill(pids, 8, &err);
	if (n != 3 || err != -ENOSPC)
		ret = 10 + n;
	cd_kill_wait(pids, 8);
	/* Uncharged when they are gone: room again. */
	memset(pids, 0, sizeof(pids));
	if (!ret && fill_one_soon(pids))
		ret = 2;
	cd_kill_wait(pids, 8);
	return ret;
}

/* In a user namespace it owns, the user sets a lower quota of its own. */
static int quota_userns(void *arg)
{
	pid_t pids[8] = { 0 };
	long err;
	int n;

	if (enter_userns(UID_USER))
		return 1;
	if (put(QUOTA, "1"))
		return 2;
	n = fill(pids, 8, &err);
	cd_kill_wait(pids, 8);
	return n == 1 && err == -ENOSPC ? 0 : 10 + n;
}

TEST_F(limits, quota_per_user)
{
	char line[32];
	pid_t mine[2] = { 0 };
	long id;

	/* The documented default. */
	EXPECT_EQ(1024, atol(self->quota));
	ASSERT_EQ(0, put(QUOTA, "3"));
	EXPECT_EQ(0, as_user(UID_USER, quota_user, NULL));
	EXPECT_EQ(0, as_user(UID_USER, quota_userns, NULL));
	/* One user's exhausted quota is not another's, nor root's. */
	mine[0] = holder(UID_OTHER, 1, 0, &id);
	EXPECT_LT(0, id);
	mine[1] = holder(0, 1, 0, &id);
	EXPECT_LT(0, id);
	cd_kill_wait(mine, 2);
	/* Bad values change nothing. */
	EXPECT_EQ(-EINVAL, put(QUOTA, "-1"));
	EXPECT_EQ(-EINVAL, put(QUOTA, "x"));
	EXPECT_EQ(3, atol(cd_read_line(QUOTA, line, sizeof(line))));
}

/* Live domains with ids up to @max, from debugfs. */
static int live_ids_upto(long max)
{
	char line[128];
	long id, refs, parent;
	int n = 0;
	FILE *f = fopen(CDDBG "domains", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld %ld %ld", &id, &refs, &parent) == 3 && id <= max)
			n++;
	if (f)
		fclose(f);
	return n;
}

/* The same count three times 50 ms apart: dying tasks have let go. */
static int live_ids_settled(long max)
{
	int n = live_ids_upto(max), same = 0, i, m;

	for (i = 0; i < 100 && same < 3; i++) {
		usleep(50000);
		m = live_ids_upto(max);
		same = m == n ? same + 1 : 0;
		n = m;
	}
	return n;
}

#define RESERVE_MAX	32

/* The user's side: fill, report, hold until root is done. */
static int reserve_user(int ready, int done)
{
	pid_t pids[RESERVE_MAX + 1] = { 0 };
	long err;
	char c;
	int n = fill(pids, RESERVE_MAX + 1, &err);

	cd_say("# the user's domains: %d with max_id %d (%s)\n", n, RESERVE_MAX,
	       strerror(-err));
	if (n != RESERVE_MAX - RESERVE_MAX / 4 || err != -ENOSPC) {
		cd_kill_wait(pids, RESERVE_MAX + 1);
		return 10;
	}
	if (write(ready, "x", 1) != 1 || read(done, &c, 1) != 1)
		n = -1;
	cd_kill_wait(pids, RESERVE_MAX + 1);
	return n < 0 ? 11 : 0;
}

TEST_F(limits, users_cannot_exhaust_the_ids)
{
	pid_t pids[RESERVE_MAX] = { 0 }, user;
	int ready[2], done[2], status, n, live;
	long err;
	char c;

	live = live_ids_settled(RESERVE_MAX);
	ASSERT_GT(RESERVE_MAX / 4, live) TH_LOG("%d domains alive before the test", live);
	ASSERT_EQ(0, putf(CDDBG "max_id", "%d", RESERVE_MAX));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	user = fork();
	if (user == 0) {
		become(UID_USER);
		_exit(reserve_user(ready[1], done[0]));
	}
	ASSERT_LT(0, user);
	if (read(ready[0], &c, 1) == 1) {
		/* What is left is root's: the last quarter, less what was alive. */
		live = live_ids_upto(RESERVE_MAX) - (RESERVE_MAX - RESERVE_MAX / 4);
		n = fill(pids, RESERVE_MAX, &err);
		EXPECT_LT(0, n);
		EXPECT_EQ(RESERVE_MAX / 4 - live, n);
		EXPECT_EQ(-ENOSPC, err);
		cd_kill_wait(pids, RESERVE_MAX);
	}
	if (write(done[1], "x", 1) != 1)
		kill(user, SIGKILL);
	ASSERT_EQ(user, waitpid(user, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* --- 5. kernel threads, and who sees a task's domain --- */

TEST(kernel_threads_stay_in_the_host_domain)
{
	unsigned long long cookie = 1;
	char p[64], buf[512], *s;
	unsigned long flags;
	struct dirent *e;
	int kthreads = 0;
	DIR *d;

	/* kthreadd: every later kernel thread would inherit its domain. */
	EXPECT_EQ(-1, cd_set(PR_CORE_DOMAIN_NEW, 2, PR_CORE_DOMAIN_SCOPE_THREAD));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 2,
			    PR_SCHED_CORE_SCOPE_THREAD, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, 2,
			   PR_SCHED_CORE_SCOPE_THREAD, &cookie));
	EXPECT_EQ(0, cookie);
	/* No kernel thread is in a domain. */
	d = opendir("/proc");
	ASSERT_NE(NULL, d);
	while ((e = readdir(d))) {
		FILE *f;

		int pid = atoi(e->d_name);

		if (pid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%d/stat", pid);
		f = fopen(p, "r");
		if (!f)
			continue;
		s = fgets(buf, sizeof(buf), f);
		fclose(f);
		s = s ? strrchr(buf, ')') : NULL;
		/* ") S ppid pgrp session tty tpgid flags" */
		if (!s || sscanf(s, ") %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
			continue;
		if (!(flags & PF_KTHREAD))
			continue;
		kthreads++;
		EXPECT_EQ(0, cd_get(pid)) TH_LOG("kernel thread %d", pid);
	}
	closedir(d);
	EXPECT_LT(10, kthreads);
}

static int has_core_domain_line(pid_t pid)
{
	char p[64], line[256];
	FILE *f;
	int found = 0;

	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		found |= !strncmp(line, "CoreDomain:", 11) ||
			 !strncmp(line, "CoreDomainForcedIdle:", 21);
	fclose(f);
	return found;
}

static int read_status(void *arg)
{
	pid_t other = *(pid_t *)arg;

	/* Another user's task: PR_GET_CORE_DOMAIN says EPERM, status is silent. */
	if (cd_get(other) != -1 || errno != EPERM)
		return 1;
	if (has_core_domain_line(other) != 0)
		return 2;
	/* Its own: both tell. */
	if (has_core_domain_line(getpid()) != 1)
		return 3;
	return 0;
}

TEST(status_shows_the_domain_to_whom_get_does)
{
	long id;
	pid_t other = holder(UID_OTHER, 1, 0, &id);

	ASSERT_LT(0, id);
	EXPECT_EQ(1, has_core_domain_line(other));
	EXPECT_EQ(0, as_user(UID_USER, read_status, &other));
	reap(other);
}

TEST_HARNESS_MAIN
