// SPDX-License-Identifier: GPL-2.0
/*
 * core_domain= and /sys/kernel/core_domain/: the state the kernel reports
 * must follow from the boot parameter, SMT and the CPU's vulnerabilities,
 * and the prctl must fail with ENODEV when domains are not enforced.
 * The harness boots this test with each parameter value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"

#define SYSDIR "/sys/kernel/core_domain/"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The last valid core_domain= value on the command line, else "auto". */
static const char *cmdline_mode(void)
{
	static char cmdline[4096];
	const char *mode = "auto";
	char *tok, *save;

	if (read_line("/proc/cmdline", cmdline, sizeof(cmdline)))
		return NULL;
	for (tok = strtok_r(cmdline, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (strncmp(tok, "core_domain=", 12))
			continue;
		tok += 12;
		if (!strcmp(tok, "off") || !strcmp(tok, "on") || !strcmp(tok, "auto"))
			mode = tok;
	}
	return mode;
}

static int smt_possible(void)
{
	char buf[64];

	if (read_line("/sys/devices/system/cpu/smt/control", buf, sizeof(buf)))
		return 0;
	return strcmp(buf, "notsupported") && strcmp(buf, "forceoff") &&
	       strcmp(buf, "notimplemented");
}

/* Any cross-thread leak the CPU reports as present. */
static int cpu_vulnerable(void)
{
	static const char * const bugs[] = {
		"l1tf", "mds", "tsx_async_abort", "mmio_stale_data",
		"reg_file_data_sampling",
	};
	char path[128], buf[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bugs); i++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/vulnerabilities/%s", bugs[i]);
		if (read_line(path, buf, sizeof(buf)))
			continue;
		if (strcmp(buf, "Not affected"))
			return 1;
	}
	return 0;
}

TEST(mode_matches_cmdline)
{
	const char *want = cmdline_mode();
	char mode[32];

	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, read_line(SYSDIR "mode", mode, sizeof(mode)));
	EXPECT_STREQ(want, mode);
}

TEST(active_follows_policy)
{
	const char *mode = cmdline_mode();
	char active[8], reason[128];
	int want;

	ASSERT_EQ(0, read_line(SYSDIR "active", active, sizeof(active)));
	ASSERT_EQ(0, read_line(SYSDIR "reason", reason, sizeof(reason)));
	if (!strcmp(mode, "off"))
		want = 0;
	else if (!smt_possible())
		want = 0;
	else if (!strcmp(mode, "on"))
		want = 1;
	else
		want = cpu_vulnerable();
	TH_LOG("mode %s, smt possible %d, vulnerable %d: %s",
	       mode, smt_possible(), cpu_vulnerable(), reason);
	EXPECT_EQ(want, atoi(active));
	EXPECT_NE(0, strlen(reason));
}

TEST(files_are_read_only)
{
	static const char * const files[] = { "mode", "active", "reason" };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), SYSDIR "%s", files[i]);
		f = fopen(path, "w");
		EXPECT_EQ(NULL, f);
		if (f)
			fclose(f);
	}
}

/* Without enforcement the interface says so: ENODEV, nothing else. */
TEST(prctl_follows_active)
{
	char active[8];
	long ret;

	ASSERT_EQ(0, read_line(SYSDIR "active", active, sizeof(active)));
	ret = prctl(PR_GET_CORE_DOMAIN, 0, 0, 0, 0);
	if (atoi(active)) {
		EXPECT_EQ(0, ret);
		return;
	}
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ENODEV, errno);
	ret = prctl(PR_SET_CORE_DOMAIN, PR_CORE_DOMAIN_NEW, 0, 0, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ENODEV, errno);
}

/*
 * PR_SCHED_CORE: ENODEV without SMT, as upstream; with SMT on a boot that
 * does not enforce, valid calls succeed and change nothing (cookie 0).
 */
TEST(sched_core_follows_smt)
{
	unsigned long long cookie = 1;
	char active[8], smt[8];
	long ret;

	ASSERT_EQ(0, read_line(SYSDIR "active", active, sizeof(active)));
	ASSERT_EQ(0, read_line("/sys/devices/system/cpu/smt/active", smt, sizeof(smt)));
	ret = prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, 0, PR_SCHED_CORE_SCOPE_THREAD,
		    (unsigned long)&cookie);
	if (!atoi(smt)) {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(ENODEV, errno);
		return;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, cookie);
	if (atoi(active))
		return;
	EXPECT_EQ(0, prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 0,
			   PR_SCHED_CORE_SCOPE_THREAD_GROUP, 0));
	cookie = 1;
	EXPECT_EQ(0, prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, 0, PR_SCHED_CORE_SCOPE_THREAD,
			   (unsigned long)&cookie));
	EXPECT_EQ(0, cookie) TH_LOG("a boot that does not enforce recorded a cookie");
	/* still upstream's argument checks */
	EXPECT_EQ(-1, prctl(PR_SCHED_CORE, PR_SCHED_CORE_MAX, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 1 << 30, 0, 0));
	EXPECT_EQ(ESRCH, errno);
}

/*
 * The vulnerability files' SMT part says what core domains do: lines that
 * report the state of SMT siblings read "SMT isolated by core domains
 * (user level)" exactly when domains are enforced and SMT is on, and never
 * otherwise; "SMT vulnerable" does not appear while they are (except for
 * MDS with its buffer clearing off: an idling thread then hands its store
 * buffer to its sibling).  Under a hypervisor the host's SMT is unknown
 * and the lines say so.  CD_VULN_SMT_LINES=N: the boot's CPU reports at
 * least N lines with an SMT part (a CPU that is not a guest, see
 * guests.conf), so that the test cannot pass by finding none.
 */
TEST(vulnerabilities_report_smt_isolation)
{
	static const char isolated[] = "SMT isolated by core domains (user level)";
	const char *dir = "/sys/devices/system/cpu/vulnerabilities/";
	const char *want_env = getenv("CD_VULN_SMT_LINES");
	static const char * const bugs[] = {
		"l1tf", "mds", "tsx_async_abort", "mmio_stale_data",
	};
	char path[128], buf[256], active[8], smt[8];
	int enforcing, lines = 0;
	unsigned int i;

	ASSERT_EQ(0, read_line(SYSDIR "active", active, sizeof(active)));
	ASSERT_EQ(0, read_line("/sys/devices/system/cpu/smt/active", smt, sizeof(smt)));
	enforcing = atoi(active) && atoi(smt);
	for (i = 0; i < ARRAY_SIZE(bugs); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, bugs[i]);
		if (read_line(path, buf, sizeof(buf)))
			continue;
		TH_LOG("%s: %s", bugs[i], buf);
		if (!strstr(buf, "SMT ") || strstr(buf, "SMT Host state unknown"))
			continue;
		lines++;
		if (strstr(buf, "SMT mitigated"))	/* MSBDS only: idle clears */
			continue;
		if (!enforcing) {
			EXPECT_EQ(NULL, strstr(buf, "core domains")) TH_LOG("%s", bugs[i]);
			continue;
		}
		if (!strcmp(bugs[i], "mds") && !strncmp(buf, "Vulnerable; ", 12)) {
			EXPECT_NE(NULL, strstr(buf, "SMT vulnerable"));
			continue;
		}
		EXPECT_NE(NULL, strstr(buf, isolated)) TH_LOG("%s", bugs[i]);
		EXPECT_EQ(NULL, strstr(buf, "SMT vulnerable")) TH_LOG("%s", bugs[i]);
	}
	if (want_env)
		EXPECT_LE(atoi(want_env), lines) TH_LOG("too few lines with an SMT part");
}

TEST_HARNESS_MAIN
