/* FLEXOS_PROC_SANDBOX=strict: the processes of compartments other than the
 * default one get no file system and no network, as sandboxees of Google's
 * Sandboxed API do.  What they were handed at fork (stdout, stderr, any
 * descriptor the program opened before main) still works; nothing new can
 * be opened, executed or created, and no socket but AF_UNIX made.
 *
 * Every process also stays undumpable: the system-call policy refuses
 * ptrace and /proc/<pid>/mem, and undumpable processes keep even a
 * debugger of the same user out. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc.h"

/* Every file-system right of Landlock's ABI versions 1, 2 (REFER) and 3
 * (TRUNCATE). */
#define FS_RIGHTS_ABI1 ((1ULL << 13) - 1)
#define FS_REFER (1ULL << 13)
#define FS_TRUNCATE (1ULL << 14)

bool flexos_proc__strict;

void flexos_proc__sandbox_choose(void)
{
	const char *mode = getenv("FLEXOS_PROC_SANDBOX");

	if (mode && *mode && strcmp(mode, "strict") && strcmp(mode, "shared"))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_PROC_SANDBOX='%s' is not a sandbox: use "
			    "shared (the default) or strict", mode);
	flexos_proc__strict = mode && !strcmp(mode, "strict");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "proc: cannot make the image's "
			    "processes undumpable: %s", strerror(errno));
}

/* Before the system-call policy, which refuses any further filter. */
void flexos_proc__sandbox_network(void)
{
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	int err = filter ? seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM),
					    SCMP_SYS(socket), 1,
					    /* no second datum; spelled out for
					     * clang's -Wmissing-field-initializers */
					    SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0))
			 : -ENOMEM;

	if (!err)
		err = seccomp_load(filter);
	seccomp_release(filter);
	if (err < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_PROC_SANDBOX=strict: "
			    "the kernel refuses the filter that takes the "
			    "network away (seccomp: %s)", strerror(-err));
}

/* After the system-call policy, whose own Landlock rules read /. */
void flexos_proc__sandbox_files(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = FS_RIGHTS_ABI1 |
				     (abi >= 2 ? FS_REFER : 0) |
				     (abi >= 3 ? FS_TRUNCATE : 0),
	};
	int ruleset = abi < 1 ? -1
			      : (int)syscall(SYS_landlock_create_ruleset,
					     &attr, sizeof(attr), 0);
	char where[64];

	/* Fault reports name symbols through libdw, which opens the
	 * program's file and /proc/<pid>/maps: while it still can. */
	flexos__describe((uintptr_t)&flexos_image, (uintptr_t)&flexos_image,
			 where, sizeof(where));

	if (ruleset < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_PROC_SANDBOX=strict "
			    "needs Landlock, which this kernel refuses (%s); "
			    "run without it, or with a kernel that has "
			    "Landlock in its lsm= list", strerror(errno));
	close(ruleset);
}
