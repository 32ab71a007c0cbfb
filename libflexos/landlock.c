/* /proc/<pid>/mem and its kin reach memory past the page tables' keys
 * (the kernel reads and writes them as a debugger would).  No system-call
 * filter can see a path, and an undumpable process still opens its own
 * (and root opens any), so the policy uses Landlock: files may be opened
 * for reading or writing beneath every entry of / but /proc, and in /proc
 * beneath every entry that is not a process — plus a few files of our own
 * process that the C library and libdw read (maps, status, ...).  In /dev,
 * all but the devices that reach memory past the keys: userfaultfd (its
 * ioctls fill pages whatever their key), and root's mem, kmem and port. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define HANDLED (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE)

static void allow(int ruleset, const char *path)
{
	struct landlock_path_beneath_attr beneath = {
		.allowed_access = HANDLED,
		.parent_fd = open(path, O_PATH | O_CLOEXEC),
	};

	if (beneath.parent_fd < 0)
		return; /* gone, or a dangling link: nothing to open there */
	/* EBADFD: a link to no file system's object (/dev/stderr to a pipe),
	 * which needs no rule. */
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
		    &beneath, 0) != 0 && errno != EBADFD)
		flexos__die(FLEXOS_EXIT_SETUP, "Landlock refuses a rule for "
			    "%s: %s", path, strerror(errno));
	close(beneath.parent_fd);
}

static bool reaches_memory(const char *name)
{
	static const char *const devices[] = { "userfaultfd", "mem", "kmem",
					       "port" };

	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (!strcmp(name, devices[i]))
			return true;
	return false;
}

static bool is_proc_or_dev(const char *name)
{
	return !strcmp(name, "proc") || !strcmp(name, "dev");
}

static bool is_process(const char *name)
{
	if (!strcmp(name, "self") || !strcmp(name, "thread-self"))
		return true;
	for (; *name; name++)
		if (!isdigit((unsigned char)*name))
			return false;
	return true;
}

/* Every entry of `dir` but "." and "..", and those `skip` names. */
static void allow_entries(int ruleset, const char *dir,
			  bool (*skip)(const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		flexos__die(FLEXOS_EXIT_SETUP, "the system-call policy cannot "
			    "list %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (skip(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s%s", dir, e->d_name);
		allow(ruleset, path);
	}
	closedir(d);
}

void flexos__landlock_own_memory(void)
{
	static const char *const own[] = { "maps", "status", "stat", "statm",
					   "cmdline", "comm", "auxv", "limits",
					   "mounts", "mountinfo", "cgroup",
					   "fd", "fdinfo", "environ" };
	struct landlock_ruleset_attr attr = { .handled_access_fs = HANDLED };
	char path[64];
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
				   sizeof(attr), 0);

	if (ruleset < 0)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "the kernel has no Landlock (%s), which keeps "
			    "compartments from /proc/<pid>/mem; run with "
			    "FLEXOS_SYSCALL_POLICY=no-landlock to go without "
			    "that rule", strerror(errno));
	allow_entries(ruleset, "/", is_proc_or_dev);
	allow_entries(ruleset, "/proc/", is_process);
	allow_entries(ruleset, "/dev/", reaches_memory);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)getpid(),
			 own[i]);
		allow(ruleset, path);
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "Landlock refuses the "
			    "system-call policy's file rules: %s",
			    strerror(errno));
	close(ruleset);
}
