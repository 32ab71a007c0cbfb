/* Learning mode: run the program to find what must be shared.
 *
 * An access to another compartment's private memory is recorded instead of
 * stopping the image: the page is opened, the access is single-stepped
 * (trap flag), the page is closed again, and the program goes on.  Once an
 * access has been seen STEPPED_ACCESSES times from one place, its page is
 * left open until the next gate closes the owner again: a library walking
 * a buffer would otherwise fault once per byte.  Counts are then "times
 * seen", at most once per page and gate crossing.  What was
 * touched is named by its origin: the allocation site for heap memory
 * (recorded at allocation time in this mode), the symbol for static data,
 * the function whose frame it is for stack memory.  The report (text, JSON,
 * and a sharing policy the next build or run consumes) is rewritten
 * atomically whenever something new is seen and at exit, so a learning run
 * that crashes still leaves a usable report.
 *
 * Stepping uses page protection, so learning runs on the mpk emulation,
 * one thread at a time (docs/porting.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal.h"

#define MAX_OBJECTS 256
#define MAX_ACCESSES 1024
#define MAX_PENDING 8
#define STEPPED_ACCESSES 64
#define TRAP_FLAG 0x100

bool flexos__learning;
static const char *report_prefix;

struct object {
	enum flexos_memory_kind kind;
	unsigned owner;
	uintptr_t id; /* allocation site, symbol address, or function */
	char name[400];
	char policy[600]; /* its lines */
	char hint[300];
};

struct access {
	unsigned object, accessor;
	bool write;
	char where[300];
	unsigned long count;
};

static struct object objects[MAX_OBJECTS];
static struct access accesses[MAX_ACCESSES];
static unsigned nobjects, naccesses;
static bool overflowed;

static __thread uintptr_t pending[MAX_PENDING];
static __thread unsigned npending;

/* A code address inside the function whose frame holds `address`,
 * walking the faulting thread's stack (gates keep it walkable across
 * compartments).  A frame spans from its stack pointer up to its caller's;
 * where a gate switched stacks the two are far apart, and that is not a
 * frame. */
static uintptr_t walk_to_frame(uintptr_t address, ucontext_t *context)
{
	unw_cursor_t cursor;
	unw_word_t sp, ip, caller_sp;

	if (unw_init_local2(&cursor, context, UNW_INIT_SIGNAL_FRAME) < 0)
		return 0;
	unw_get_reg(&cursor, UNW_REG_SP, &sp);
	unw_get_reg(&cursor, UNW_REG_IP, &ip);
	for (bool first = true; unw_step(&cursor) > 0; first = false) {
		unw_get_reg(&cursor, UNW_REG_SP, &caller_sp);
		if (address >= sp && address < caller_sp &&
		    caller_sp - sp < FLEXOS__STACK_SIZE)
			return first ? ip : ip - 1;
		sp = caller_sp;
		unw_get_reg(&cursor, UNW_REG_IP, &ip);
	}
	return 0;
}

/* The walk crosses the stacks of compartments the thread is not in: open
 * them for its duration. */
static uintptr_t frame_owner(uintptr_t address, ucontext_t *context)
{
	unsigned current = flexos__self.current;
	uintptr_t owner;

	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (c != current)
			flexos__grant(c);
	owner = walk_to_frame(address, context);
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++)
		if (c != current)
			flexos__revoke(c);
	return owner;
}

/* Functions whose names say they hand out memory: "alloc" anywhere
 * (xmalloc, g_malloc, sqlite3Malloc, png_calloc, ZSTD_customMalloc,
 * default_bzalloc, xrealloc, alloc_small), or a name ending in strdup,
 * strndup or memdup.  A guess, kept honest by the policy: the wrappers a
 * learning run steps past are written into it as `allocator` lines, which
 * are all an enforcing run follows (allocation_site.c). */
static bool allocates_by_name(const char *name)
{
	static const char *const endings[] = { "strdup", "strndup", "memdup" };
	size_t length = strlen(name);

	if (!strncmp(name, "flexos", 6))
		return false;
	if (strcasestr(name, "alloc"))
		return true;
	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
		size_t n = strlen(endings[i]);
		if (length >= n && !strcmp(name + length - n, endings[i]))
			return true;
	}
	return false;
}

static void allocator_found(size_t i, uintptr_t start, uintptr_t end,
			    void *unused)
{
	(void)i;
	(void)unused;
	flexos__add_allocator(start, end);
}

/* "%.*s" of a function's name without the suffix of a compiler's copy
 * (scenario_xmalloc.constprop.0): the policy names them all by it. */
#define FUNCTION(symbol) (int)strcspn(symbol, "."), symbol

/* Appends to the text of `size` bytes at `text`, `*used` of them written,
 * cutting what does not fit. */
static void append(char *text, size_t size, size_t *used, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(text + *used, size - *used, fmt, args);
	va_end(args);
	if (n > 0)
		*used = *used + (size_t)n < size ? *used + (size_t)n : size - 1;
}

/* A heap object's name and policy lines: by the function that allocated
 * it, from the symbol table, a policy that holds without line tables, in
 * another build of the same sources, on another machine and on baremetal
 * (the line, where known, only helps the reader); and by the allocator
 * wrappers it came through, which the policy must name too for an
 * enforcing run to find that function again. */
static void name_heap_object(struct object *o, const struct flexos__site *site,
			     const char *owner)
{
	struct flexos__where where;
	char line[64] = "", through[200] = "";
	size_t used = 0, written = 0;

	flexos__where(site->code, &where);
	if (!site->code || !where.symbol ||
	    !strncmp(where.symbol, "flexos__", 8)) {
		snprintf(o->name, sizeof(o->name), "heap object of '%s' from "
			 "an unknown allocation site (0x%lx)", owner,
			 (unsigned long)site->code);
		return;
	}
	if (where.file)
		snprintf(line, sizeof(line), " (%s:%d)", where.file,
			 where.line);
	append(o->policy, sizeof(o->policy), &written, "share-heap %.*s",
	       FUNCTION(where.symbol));
	if (site->entered)
		append(through, sizeof(through), &used, " (an entry point, "
		       "which tail-called the allocator)");
	for (unsigned i = 0, named = 0; i < FLEXOS__SITE_VIA && site->via[i];
	     i++) {
		struct flexos__where wrapper;

		flexos__where(site->via[i], &wrapper);
		if (!wrapper.symbol)
			continue;
		append(through, sizeof(through), &used, "%s %.*s",
		       named++ ? "," : " through", FUNCTION(wrapper.symbol));
		append(o->policy, sizeof(o->policy), &written,
		       "\nallocator %.*s", FUNCTION(wrapper.symbol));
	}
	snprintf(o->name, sizeof(o->name), "heap object allocated by %.*s%s%s "
		 "in compartment '%s'", FUNCTION(where.symbol), line, through,
		 owner);
	snprintf(o->hint, sizeof(o->hint),
		 "allocate it with flexos_shared_malloc in %.*s",
		 FUNCTION(where.symbol));
}

static unsigned find_object(const struct flexos_fault *fault, uintptr_t id,
			    const struct flexos__site *site)
{
	const char *owner = flexos__rt.compartments[fault->owner].name;
	struct flexos__where where;
	struct object *o;

	for (unsigned i = 0; i < nobjects; i++)
		if (objects[i].owner == fault->owner &&
		    objects[i].kind == fault->kind && objects[i].id == id)
			return i;
	if (nobjects == MAX_OBJECTS)
		return MAX_OBJECTS;
	o = &objects[nobjects];
	o->kind = fault->kind;
	o->owner = fault->owner;
	o->id = id;
	if (fault->kind == FLEXOS_MEMORY_HEAP) {
		name_heap_object(o, site, owner);
		return nobjects++;
	}
	flexos__where(id, &where);
	switch (fault->kind) {
	case FLEXOS_MEMORY_STATIC:
		snprintf(o->name, sizeof(o->name),
			 "static variable '%s' of compartment '%s'",
			 where.symbol ? where.symbol : "??", owner);
		if (where.symbol) {
			snprintf(o->policy, sizeof(o->policy), "share-data %s",
				 where.symbol);
			snprintf(o->hint, sizeof(o->hint),
				 "declare '%s' FLEXOS_SHARED", where.symbol);
		}
		break;
	default:
		snprintf(o->name, sizeof(o->name),
			 "stack variable in %s (%s:%d) of compartment '%s'",
			 where.symbol ? where.symbol : "??",
			 where.file ? where.file : "??", where.line, owner);
		snprintf(o->policy, sizeof(o->policy), "share-stacks");
		snprintf(o->hint, sizeof(o->hint),
			 "move the variable of %s to the shared heap "
			 "(flexos_shared_malloc) or make it FLEXOS_SHARED",
			 where.symbol ? where.symbol : "??");
		break;
	}
	return nobjects++;
}

/* --- the report ------------------------------------------------------- */

struct out {
	int fd;
	char buffer[4096];
	size_t used;
};

static void flush_out(struct out *out)
{
	size_t done = 0;

	while (done < out->used) {
		ssize_t n = write(out->fd, out->buffer + done, out->used - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	out->used = 0;
}

static void emit(struct out *out, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (out->used + (size_t)n > sizeof(out->buffer))
		flush_out(out);
	memcpy(out->buffer + out->used, line, (size_t)n);
	out->used += (size_t)n;
}

/* JSON strings: our names hold no control characters but may hold quotes
 * or backslashes (paths). */
static const char *json(const char *text, char *buffer, size_t size)
{
	size_t j = 0;

	for (size_t i = 0; text[i] && j + 2 < size; i++) {
		if (text[i] == '"' || text[i] == '\\')
			buffer[j++] = '\\';
		buffer[j++] = text[i];
	}
	buffer[j] = '\0';
	return buffer;
}

static void write_text(struct out *out)
{
	emit(out, "FlexOS learning report: image '%s', %u object(s) cross "
	     "compartments%s\n", flexos__rt.image->name, nobjects,
	     overflowed ? " (more not recorded)" : "");
	for (unsigned i = 0; i < nobjects; i++) {
		emit(out, "\n%s\n", objects[i].name);
		for (unsigned a = 0; a < naccesses; a++) {
			if (accesses[a].object != i)
				continue;
			emit(out, "  %s by compartment '%s' at %s, %lu time%s\n",
			     accesses[a].write ? "written" : "read",
			     flexos__rt.compartments[accesses[a].accessor].name,
			     accesses[a].where, accesses[a].count,
			     accesses[a].count == 1 ? "" : "s");
		}
		if (objects[i].policy[0])
			emit(out, "  policy: %s\n  or in the source: %s\n",
			     objects[i].policy, objects[i].hint);
	}
	/* What this run kept private (FLEXOS_STATS), so far: the report is
	 * rewritten at every new access and at exit. */
	emit(out, "\nisolation kept in this run (static data, heap peak, "
	     "stacks):\n");
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		char line[512];

		flexos__stats_line(c, line, sizeof(line));
		emit(out, "  %s\n", line);
	}
}

static void write_json(struct out *out)
{
	char a[600], b[600];

	emit(out, "{\"image\": \"%s\", \"objects\": [",
	     json(flexos__rt.image->name, a, sizeof(a)));
	for (unsigned i = 0; i < nobjects; i++) {
		static const char *const kinds[] = { "unknown", "static",
						     "heap", "stack" };
		emit(out, "%s\n  {\"kind\": \"%s\", \"owner\": \"%s\", "
		     "\"name\": \"%s\", \"policy\": \"%s\", \"accesses\": [",
		     i ? "," : "", kinds[objects[i].kind],
		     flexos__rt.compartments[objects[i].owner].name,
		     json(objects[i].name, a, sizeof(a)),
		     json(objects[i].policy, b, sizeof(b)));
		bool first = true;
		for (unsigned k = 0; k < naccesses; k++) {
			if (accesses[k].object != i)
				continue;
			emit(out, "%s\n    {\"compartment\": \"%s\", "
			     "\"access\": \"%s\", \"at\": \"%s\", "
			     "\"count\": %lu}", first ? "" : ",",
			     flexos__rt.compartments[accesses[k].accessor].name,
			     accesses[k].write ? "write" : "read",
			     json(accesses[k].where, a, sizeof(a)),
			     accesses[k].count);
			first = false;
		}
		emit(out, "]}");
	}
	emit(out, "\n], \"complete\": %s}\n", overflowed ? "false" : "true");
}

/* Learning is cumulative: the policy a run finds at <prefix>.policy (an
 * earlier run's, of another mode of the program) is kept, and what this
 * run learns is added.  Its directives, one a line. */
static char earlier[64 << 10];

static void read_earlier_policy(void)
{
	char path[4096], line[1024];
	size_t used = 0;
	FILE *file;

	snprintf(path, sizeof(path), "%s.policy", report_prefix);
	file = fopen(path, "r");
	if (!file)
		return; /* the first run */
	while (fgets(line, sizeof(line), file)) {
		size_t n = strcspn(line, "\r\n");
		if (!n || line[0] == '#')
			continue;
		if (used + n + 2 > sizeof(earlier))
			flexos__die(FLEXOS_EXIT_SETUP, "learning mode: %s is "
				    "larger than %zu bytes", path,
				    sizeof(earlier));
		memcpy(earlier + used, line, n);
		used += n;
		earlier[used++] = '\n';
	}
	fclose(file);
}

/* Whether `lines` (each ending in a newline) hold the n bytes of
 * `directive` as a line. */
static bool has_line(const char *lines, const char *directive, size_t n)
{
	for (const char *l = lines; *l; l = strchr(l, '\n') + 1)
		if (!strncmp(l, directive, n) && l[n] == '\n')
			return true;
	return false;
}

/* The earlier run's lines, then each line of this run's objects that is
 * new (an object has one or more). */
static void write_policy(struct out *out)
{
	static char written[sizeof(earlier) + MAX_OBJECTS * 600];
	size_t used = strlen(earlier);

	emit(out, "# Sharing policy learned from runs of image '%s'.\n",
	     flexos__rt.image->name);
	memcpy(written, earlier, used + 1);
	for (const char *l = earlier; *l; l = strchr(l, '\n') + 1)
		emit(out, "%.*s\n", (int)(strchr(l, '\n') - l), l);
	for (unsigned i = 0; i < nobjects; i++) {
		for (const char *l = objects[i].policy; *l;) {
			size_t n = strcspn(l, "\n");

			if (!has_line(written, l, n)) {
				emit(out, "%.*s\n", (int)n, l);
				memcpy(written + used, l, n);
				used += n;
				written[used++] = '\n';
				written[used] = '\0';
			}
			l += n + (l[n] == '\n');
		}
	}
}

/* Each file is written beside its final name and renamed over it.
 * Returns 0, or the errno of the step that failed (the file at `path` is
 * then the one an earlier run left, whole). */
static int write_file(const char *suffix, void (*content)(struct out *),
		      char *path, size_t size)
{
	char temporary[4200];
	struct out out = { .used = 0 };
	int error = 0;

	snprintf(path, size, "%s.%s", report_prefix, suffix);
	snprintf(temporary, sizeof(temporary), "%s.tmp.%d", path, getpid());
	out.fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0644);
	if (out.fd < 0)
		return errno;
	content(&out);
	flush_out(&out);
	if (close(out.fd) || rename(temporary, path))
		error = errno;
	if (error)
		unlink(temporary);
	return error;
}

/* Writes the three files; on failure says which, and returns the errno. */
static int write_report_files(void)
{
	static const struct {
		const char *suffix;
		void (*content)(struct out *);
	} files[] = {
		{ "txt", write_text },
		{ "json", write_json },
		{ "policy", write_policy },
	};
	char path[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int error = write_file(files[i].suffix, files[i].content,
				       path, sizeof(path));
		if (error) {
			fprintf(stderr, "flexos: learning mode: cannot write "
				"%s: %s\n", path, strerror(error));
			return error;
		}
	}
	return 0;
}

static void write_report(void)
{
	write_report_files();
}

/* --- stepping over --------------------------------------------------- */

/* Accesses are grouped by source line, or by function where the code has
 * no line information (a prebuilt archive): one row per place a developer
 * would look at. */
static void where_accessed(uintptr_t ip, char *out, size_t size)
{
	struct flexos__where where;

	flexos__where(ip, &where);
	if (where.file)
		snprintf(out, size, "%s:%d (%s)", where.file, where.line,
			 where.symbol ? where.symbol : "??");
	else if (where.symbol)
		snprintf(out, size, "%s", where.symbol);
	else
		snprintf(out, size, "%#lx", (unsigned long)ip);
}

/* The places already seen, by the address of the instruction: a callback
 * that touches the same object on every call faults there once per gate
 * crossing, and naming the place from the line tables each time cost more
 * than the rest of the fault handler (tests/bench/learn.sh). */
#define SEEN_AT 256
static struct {
	uintptr_t ip;
	unsigned object, accessor, access;
	bool write, valid;
} seen_at[SEEN_AT];

/* The row of accesses this fault counts in, MAX_ACCESSES when the table is
 * full; *fresh when the row is new. */
static unsigned find_access(unsigned object, const struct flexos_fault *fault,
			    bool *fresh)
{
	unsigned slot = (unsigned)((fault->ip * 0x9e3779b97f4a7c15u) >> 56) %
			SEEN_AT;
	char at[300];
	unsigned a;

	if (seen_at[slot].valid && seen_at[slot].ip == fault->ip &&
	    seen_at[slot].object == object &&
	    seen_at[slot].accessor == fault->accessor &&
	    seen_at[slot].write == fault->write)
		return seen_at[slot].access;
	where_accessed(fault->ip, at, sizeof(at));
	for (a = 0; a < naccesses; a++)
		if (accesses[a].object == object &&
		    accesses[a].accessor == fault->accessor &&
		    accesses[a].write == fault->write &&
		    !strcmp(accesses[a].where, at))
			break;
	if (a == naccesses) {
		if (naccesses == MAX_ACCESSES)
			return MAX_ACCESSES;
		accesses[naccesses] = (struct access){
			object, fault->accessor, fault->write, "", 0
		};
		snprintf(accesses[naccesses].where,
			 sizeof(accesses[naccesses].where), "%s", at);
		naccesses++;
		*fresh = true;
	}
	seen_at[slot].ip = fault->ip;
	seen_at[slot].object = object;
	seen_at[slot].accessor = fault->accessor;
	seen_at[slot].write = fault->write;
	seen_at[slot].access = a;
	seen_at[slot].valid = true;
	return a;
}

/* Counts the access in the report, rewritten when it is a new one.
 * Returns how many times it has been seen from there (0: not counted, a
 * table is full). */
static unsigned long record_access(const struct flexos_fault *fault,
				   ucontext_t *context)
{
	uintptr_t id;
	struct flexos__where where;
	struct flexos__site site = { 0 };
	unsigned object, a = MAX_ACCESSES;
	bool fresh = false;

	if (fault->kind == FLEXOS_MEMORY_HEAP) {
		flexos__learn_allocation_site(fault->address, &site);
		id = site.code;
	} else if (fault->kind == FLEXOS_MEMORY_STACK)
		id = frame_owner(fault->address, context);
	else {
		flexos__where(fault->address, &where);
		id = where.symbol ? fault->address - where.offset
				  : fault->address;
	}
	object = find_object(fault, id, &site);
	if (object < MAX_OBJECTS)
		a = find_access(object, fault, &fresh);
	if (a >= naccesses) {
		overflowed = true;
		return 0;
	}
	if (fresh)
		write_report();
	return ++accesses[a].count;
}

bool flexos__learn_access(const struct flexos_fault *fault, void *context_)
{
	ucontext_t *context = context_;
	uintptr_t page = fault->address & ~(uintptr_t)(FLEXOS__PAGE - 1);
	unsigned long seen;
	bool step;

	if (npending == MAX_PENDING)
		return false;
	seen = record_access(fault, context);
	step = seen <= STEPPED_ACCESSES;

	if (mprotect((void *)page, FLEXOS__PAGE, PROT_READ | PROT_WRITE) != 0)
		return false;
	if (step) {
		pending[npending++] = page;
		context->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
	}
	return true;
}

void flexos__learn_foreign_block(uintptr_t block, unsigned owner,
				 uintptr_t caller)
{
	struct flexos_fault fault = {
		.accessor = flexos__current(),
		.owner = owner,
		.kind = FLEXOS_MEMORY_HEAP,
		.address = block,
		.ip = caller - 1,
		.write = true,
	};

	record_access(&fault, NULL);
}

/* The stepped access is done: close what it opened. */
static void on_trap(int sig, siginfo_t *info, void *context_)
{
	ucontext_t *context = context_;

	(void)info;
	if (!npending) {
		signal(sig, SIG_DFL);
		return;
	}
	while (npending)
		mprotect((void *)pending[--npending], FLEXOS__PAGE, PROT_NONE);
	context->uc_mcontext.gregs[REG_EFL] &= ~TRAP_FLAG;
}

void flexos__learn_init(void)
{
	const char *prefix = getenv("FLEXOS_LEARN");
	struct sigaction action = {
		.sa_sigaction = on_trap,
		.sa_flags = SA_SIGINFO | SA_ONSTACK,
	};

	if (!prefix || !*prefix)
		prefix = flexos__rt.image->learn;
	if (!prefix || !*prefix)
		return;
	report_prefix = prefix;
	flexos__learning = true;
	read_earlier_policy();
	flexos__functions_like(allocates_by_name, allocator_found, NULL);
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGTRAP, &action, NULL) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "learning mode: cannot install "
			    "the SIGTRAP handler: %s", strerror(errno));
	/* Before the program runs: a run whose findings could not be kept
	 * must not run at all (it would run with every access let through,
	 * and end as if all went well). */
	if (write_report_files())
		flexos__die(FLEXOS_EXIT_SETUP, "learning mode: FLEXOS_LEARN=%s "
			    "names files that cannot be written; nothing ran",
			    prefix);
	flexos__at_exit(write_report);
}
