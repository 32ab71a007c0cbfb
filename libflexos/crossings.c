/* FLEXOS_CROSSINGS=path: which gates are hot.  The gate counts each
 * crossing by (caller compartment, entry function), and at exit the image
 * writes
 *
 *   flexos-crossings 1
 *   image NAME
 *   CALLER ENTRY COUNT      one line per pair taken at least once
 *
 * to `path` (a temporary file renamed into place: a reader never sees
 * half of it), for `flexos-gen -k` to weigh the compartment graph with.
 *
 * Off, it costs nothing: the gate counts inside the branch FLEXOS_STATS
 * already has (flexos__gate_counting), which this turns on without the
 * heap accounting of FLEXOS_STATS.  On, a gate does a
 * binary search over the entry functions and one locked add.
 *
 * The counters are one MAP_SHARED mapping made before proc forks its
 * compartment processes, so that a callback counted in a compartment's
 * process is in the file the default process writes.  Every compartment
 * can write them (like FLEXOS_STATS's figures): a compromised one can
 * forge its own counts, which are for the developer, not for security.
 *
 * Only gates that take the C path count: emulated keys and proc.  fcall's
 * gates are plain calls and the hardware-key gate (pkru_gate.S) has no C
 * path; there the file lists no crossing, and a note says why. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate_frame.h"
#include "internal.h"

bool flexos__crossings_on;

static const char *path;
static char tmp[PATH_MAX];	  /* path.tmpXXXXXX, made at start */
static int tmp_fd = -1;
static pid_t writer;		  /* the process that writes the file */
static uintptr_t *fns;		  /* distinct entry functions, sorted */
static char (*names)[128];	  /* their symbols, resolved at start */
static size_t nfns;
static _Atomic unsigned long *counts; /* [caller * nfns + entry] */

static int by_address(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

void flexos__crossings_count(unsigned src, uintptr_t fn)
{
	size_t lo = 0, hi = nfns;

	if (!flexos__crossings_on || src >= flexos__rt.ncompartments)
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fns[mid] < fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < nfns && fns[lo] == fn)
		atomic_fetch_add_explicit(&counts[src * nfns + lo], 1,
					  memory_order_relaxed);
}

static void write_file(void)
{
	FILE *out;

	/* proc's compartment processes inherit this handler: only the
	 * process that set it up writes. */
	if (getpid() != writer)
		return;
	if (!(out = fdopen(tmp_fd, "w"))) {
		fprintf(stderr, "flexos: FLEXOS_CROSSINGS: cannot write '%s': "
			"%s\n", tmp, strerror(errno));
		unlink(tmp);
		return;
	}
	fprintf(out, "flexos-crossings 1\nimage %s\n", flexos__rt.image->name);
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		for (size_t e = 0; e < nfns; e++) {
			unsigned long n = atomic_load(&counts[c * nfns + e]);

			if (n)
				fprintf(out, "%s %s %lu\n",
					flexos__rt.image->compartments[c].name,
					names[e], n);
		}
	if (fflush(out) != 0 || ferror(out) || fsync(tmp_fd) != 0) {
		fprintf(stderr, "flexos: FLEXOS_CROSSINGS: cannot write '%s': "
			"%s\n", tmp, strerror(errno));
		fclose(out);
		unlink(tmp);
		return;
	}
	fclose(out);
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "flexos: FLEXOS_CROSSINGS: cannot rename '%s' "
			"to '%s': %s\n", tmp, path, strerror(errno));
		unlink(tmp);
	}
}

void flexos__crossings_abandon(void)
{
	/* unlink is safe in a signal handler, where a fault may stop us. */
	if (tmp_fd >= 0 && getpid() == writer)
		unlink(tmp);
}

/* The temporary file is made now, not at exit: the system-call policy
 * that starts with the backend (Landlock) may then refuse to open a new
 * file where this one goes (directly in /, say), and a path that cannot
 * take the file stops the image before it runs, rather than after a run
 * whose counts would be lost.  A run the runtime stops (a fault, exit 86)
 * removes it and leaves `path` as it was; one killed by a signal leaves
 * it behind, never half a file at `path`. */
static void create_temporary(void)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (path[strlen(path) - 1] == '/')
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_CROSSINGS='%s': names "
			    "a directory, not a file", path);
	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    (int)sizeof(tmp))
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_CROSSINGS='%s': path "
			    "too long", path);
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	tmp_fd = mkostemp(tmp, O_CLOEXEC);
	if (tmp_fd < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_CROSSINGS='%s': cannot "
			    "write the file in directory '%s': %s", path, dir,
			    strerror(errno));
	fchmod(tmp_fd, 0644);
}

static void *map(size_t bytes, int shared)
{
	void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1,
		       0);

	if (p == MAP_FAILED)
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_CROSSINGS: cannot map "
			    "%zu bytes of counters: %s", bytes,
			    strerror(errno));
	return p;
}

void flexos__crossings_install(void)
{
	size_t n = flexos__sealed.entry_bytes / sizeof(struct flexos__entry);

	path = getenv("FLEXOS_CROSSINGS");
	if (!path || !*path)
		return;
	create_temporary();
	writer = getpid();
	/* Names are resolved now, before any sandbox (proc's) could keep
	 * libdw from reading the executable. */
	fns = map(n * sizeof(*fns), 0);
	for (size_t i = 0; i < n; i++)
		fns[i] = flexos__sealed.entries[i].fn;
	qsort(fns, n, sizeof(*fns), by_address);
	for (size_t i = 0; i < n; i++)
		if (!nfns || fns[nfns - 1] != fns[i])
			fns[nfns++] = fns[i];
	names = map(nfns * sizeof(*names), 0);
	for (size_t i = 0; i < nfns; i++) {
		struct flexos__where where;

		flexos__where(fns[i], &where);
		if (where.symbol && !where.offset)
			snprintf(names[i], sizeof(names[i]), "%s",
				 where.symbol);
		else
			snprintf(names[i], sizeof(names[i]), "0x%lx",
				 (unsigned long)fns[i]);
	}
	counts = map(flexos__rt.ncompartments * nfns * sizeof(*counts), 1);
	if (flexos__at_exit(write_file) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "FLEXOS_CROSSINGS: cannot "
			    "register the file's writing at exit");
	if (!flexos__rt.isolating || flexos__sealed.pkru_gate)
		fprintf(stderr, "flexos: FLEXOS_CROSSINGS: backend %s counts "
			"no crossing (%s); '%s' will list none\n",
			flexos_backend_name(),
			flexos__sealed.pkru_gate
				? "the hardware-key gate has no counting path; "
				  "FLEXOS_MPK=emu counts"
				: "its gates are plain calls",
			path);
	flexos__crossings_on = true;
	flexos__gate_counting = true;
}
