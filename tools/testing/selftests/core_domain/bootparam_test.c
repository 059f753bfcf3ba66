// SPDX-License-Identifier: GPL-2.0
/*
 * Bad core_domain= values on the kernel command line: each one the kernel
 * does not know (anything but exactly off, auto or on: empty, upper case,
 * lists, garbage) must be reported in the boot log, by name, and change
 * nothing: the last valid value, else auto, is in force (param_test checks
 * the state it implies).  When domains are not enforced, the cgroup file
 * refuses writes with ENODEV and changes nothing, as the prctl does.
 * harness/guests.conf boots this with each kind of bad value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kselftest_harness.h"
#include "cd_util.h"

#define SYSDIR	"/sys/kernel/core_domain/"
#define CG	"/sys/fs/cgroup"

static char cmdline[4096];
static char *vals[32];
static int nvals;

static void read_cmdline(void)
{
	char *tok, *save;
	FILE *f = fopen("/proc/cmdline", "r");

	nvals = 0;
	cmdline[0] = 0;
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
	}
	cmdline[strcspn(cmdline, "\n")] = 0;
	for (tok = strtok_r(cmdline, " ", &save); tok && nvals < 32;
	     tok = strtok_r(NULL, " ", &save))
		if (!strncmp(tok, "core_domain=", 12))
			vals[nvals++] = tok + 12;
}

static int valid(const char *v)
{
	return !strcmp(v, "off") || !strcmp(v, "auto") || !strcmp(v, "on");
}

/* Count boot log lines containing @needle. */
static int log_count(const char *needle)
{
	int fd = cd_kmsg_open(0), n = 0;
	char rec[8192], *msg;

	if (fd < 0)
		return -1;
	while ((msg = cd_kmsg_next(fd, rec, sizeof(rec))))
		if (strstr(msg, needle))
			n++;
	close(fd);
	return n;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return -1;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

TEST(invalid_values_are_reported)
{
	char needle[256];
	int i, bad = 0, total;

	read_cmdline();
	total = log_count("core_domain: ignoring invalid value");
	ASSERT_LE(0, total) TH_LOG("cannot read the kernel log");
	for (i = 0; i < nvals; i++) {
		snprintf(needle, sizeof(needle), "core_domain: ignoring invalid value '%s'",
			 vals[i]);
		if (valid(vals[i])) {
			EXPECT_EQ(0, log_count(needle)) TH_LOG("valid '%s' reported", vals[i]);
			continue;
		}
		bad++;
		EXPECT_LE(1, log_count(needle)) TH_LOG("'%s' not reported", vals[i]);
		TH_LOG("core_domain=%s: reported, ignored", vals[i]);
	}
	EXPECT_EQ(bad, total) TH_LOG("%d invalid values, %d reports", bad, total);
}

TEST(last_valid_value_or_auto)
{
	const char *want = "auto";
	char mode[32];
	int i;

	read_cmdline();
	for (i = 0; i < nvals; i++)
		if (valid(vals[i]))
			want = vals[i];
	ASSERT_EQ(0, read_line(SYSDIR "mode", mode, sizeof(mode)));
	EXPECT_STREQ(want, mode);
}

/* Not enforced: the cgroup file says ENODEV and keeps "0 none". */
TEST(cgroup_file_follows_active)
{
	char active[8], buf[64];
	int fd, i;
	ssize_t r;

	ASSERT_EQ(0, read_line(SYSDIR "active", active, sizeof(active)));
	if (access(CG "/cgroup.subtree_control", F_OK))
		mount("cgroup2", CG, "cgroup2", 0, NULL);
	for (i = 0; i < 100; i++) {
		fd = open(CG "/cgroup.subtree_control", O_WRONLY);
		if (fd >= 0 && write(fd, "+cpu", 4) == 4) {
			close(fd);
			break;
		}
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	rmdir(CG "/cdbp");
	ASSERT_EQ(0, mkdir(CG "/cdbp", 0755));
	if (access(CG "/cdbp/cpu.core_domain", F_OK)) {
		rmdir(CG "/cdbp");
		SKIP(return, "no cpu.core_domain in this kernel");
	}
	fd = open(CG "/cdbp/cpu.core_domain", O_WRONLY);
	ASSERT_LE(0, fd);
	r = write(fd, "new", 3);
	if (atoi(active)) {
		EXPECT_EQ(3, r);
	} else {
		EXPECT_EQ(-1, r);
		EXPECT_EQ(ENODEV, errno);
		EXPECT_EQ(0, read_line(CG "/cdbp/cpu.core_domain", buf, sizeof(buf)));
		EXPECT_STREQ("0 none", buf);
	}
	close(fd);
	rmdir(CG "/cdbp");
}

TEST_HARNESS_MAIN
