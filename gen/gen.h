/* flexos-gen: automated porting.  Reads the ELF relocatable objects and
 * static archives of every compartment, finds what crosses a boundary,
 * decides gates and sharing, rewrites copies of the objects and reports.
 *
 * One idea per file: util.c (errors, buffers, atomic files), hash.c,
 * config.c, elfread.c (libelf input), analyze.c (resolution and edges),
 * decide.c (gates, callbacks, sharing, policy), scan.c (WRPKRU/XRSTOR),
 * dwarf.c (file:line), report.c (text and JSON), rewrite.c (libelf output),
 * archive.c (ar output), stubs.c (gate stubs), link.c (link launcher). */
#ifndef FLEXOS_GEN_H
#define FLEXOS_GEN_H

#include <gelf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GEN_TCB (-1) /* compartment of the runtime and the C library */

/* --- util.c --------------------------------------------------------- */
struct gen_buf {
	char *s;
	size_t len, cap;
};

void *gen_xmalloc(size_t n);
void *gen_xcalloc(size_t n, size_t size);
void *gen_xrealloc(void *p, size_t n);
char *gen_xstrdup(const char *s);
char *gen_xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void gen_buf_printf(struct gen_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gen_buf_add(struct gen_buf *b, const void *data, size_t len);

/* Diagnostics, like a compiler's: "where: error: what".  `where` is a
 * file, file:line, or file(member); NULL for the tool itself. */
void gen_error(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gen_warning(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gen_note(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
extern unsigned gen_nerrors, gen_nwarnings;
struct gen_diag {
	char *where, *msg;
};
extern struct gen_diag *gen_diags; /* warnings, for the reports */
extern size_t gen_ndiags;
extern int gen_quiet; /* 1: no warnings or notes on stderr; 2: no errors */
extern int gen_verbose; /* -v: say what each step did (gen_info) */
void gen_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* progress.c: a line every 2 s on long runs (FLEXOS_GEN_PROGRESS_MS sets
 * the first delay, for tests), naming the step gen_progress last set. */
void gen_progress_start(void);
void gen_progress(const char *step); /* a string literal */
void gen_progress_stop(void);
/* Exits with status 1 if any error was reported, removing temp files. */
void gen_check_errors(void);
__attribute__((noreturn)) void gen_die(const char *where, const char *fmt,
				       ...) __attribute__((format(printf, 2, 3)));

/* Whole-file I/O.  Outputs are written to a temporary file in the same
 * directory and renamed into place: a reader never sees half a file. */
int gen_read_file(const char *path, unsigned char **data, size_t *size);
int gen_write_atomic(const char *path, const void *data, size_t size);
/* The two halves: written in full to a temporary file (NULL on error,
 * reported), then renamed into place.  Several outputs that go together
 * are all written before any is renamed. */
char *gen_write_temp(const char *path, const void *data, size_t size);
int gen_commit_temp(char *tmp, const char *path);
char *gen_temp_path(const char *path); /* registered for cleanup */
void gen_temp_done(const char *tmp);   /* renamed: no cleanup */
void gen_mkdirs(const char *dir);

/* --- hash.c --------------------------------------------------------- */
struct gen_hash {
	char **keys;
	long *vals;
	size_t cap, len;
};
long gen_hash_get(const struct gen_hash *h, const char *key); /* -1 none */
/* Inserts unless present; returns the value now stored. */
long gen_hash_put(struct gen_hash *h, const char *key, long val);
void gen_hash_free(struct gen_hash *h);

/* --- config.c ------------------------------------------------------- */
enum gen_scan_mode { GEN_SCAN_OFF, GEN_SCAN_WARN, GEN_SCAN_ERROR };

struct gen_library {
	char *token;	/* what gates name: flexos_lib_<token> */
	int comp;
	char **files;	/* its objects and archives */
	size_t nfiles;
};

struct gen_compartment {
	char *name;
	/* The compartments that reach this one's memory (it is their
	 * sandbox): their use of its data crosses no boundary. */
	uint64_t reached_by;
};

struct gen_config {
	char *path;
	char *image, *backend;
	struct gen_compartment *comps;
	size_t ncomps;
	struct gen_library *libs;
	size_t nlibs;
	int default_lib;	/* library of loose objects in link mode */
	char **tcb;		/* files of the TCB (optional) */
	size_t ntcb;
	char **share_heap;	/* policy: functions whose allocations share */
	size_t nshare_heap;
	char **share_data;	/* policy: data symbols to share */
	size_t nshare_data;
	enum gen_scan_mode scan;
	int gates;		/* generate gates (link mode) */
	const char *crossings;	/* -k: counts of a run, or NULL */
};

int gen_config_load(struct gen_config *cfg, const char *path);
int gen_config_comp(const struct gen_config *cfg, const char *name);

/* --- elfread.c ------------------------------------------------------ */
struct gen_sym {
	const char *name;
	uint64_t value, size;
	unsigned shndx; /* SHN_XINDEX resolved */
	unsigned char bind, type, vis;
};

struct gen_sec {
	const char *name;
	uint64_t flags, size;
	uint32_t type;
	const unsigned char *bytes; /* NULL for NOBITS */
};

#define GEN_REL_NEW 0xffffffffu /* synthetic: appended by the rewrite */

struct gen_rel {
	uint64_t offset;
	int64_t addend;
	unsigned sec;	 /* section patched */
	unsigned relsec; /* SHT_RELA section holding it */
	unsigned idx;	 /* index in relsec */
	unsigned sym;
	uint32_t type;
};

/* A function or object symbol, for "which function is at/around here". */
struct gen_fn {
	unsigned sec, sym;
	uint64_t value, size;
};

struct gen_input;

struct gen_obj {
	struct gen_input *in;
	char *member;		/* archive member name; NULL for a file */
	char *where;		/* "file" or "file(member)" for messages */
	const unsigned char *raw;
	size_t rawsize;
	Elf *elf;
	struct gen_sec *secs;
	size_t nsecs;
	struct gen_sym *syms;
	size_t nsyms;
	unsigned symtab;
	struct gen_rel *rels;
	size_t nrels;
	struct gen_fn *fns; /* STT_FUNC and STT_OBJECT, by (sec, value) */
	size_t nfns;
	int included;	/* pulled into the link */
	int comp, lib;	/* GEN_TCB, -1 for the TCB */
	struct gen_edit *edits;
	size_t nedits;
	char **sec_rename; /* new section names, or NULL */
	void *dwarf;	/* dwarf.c's cache */
};

/* An object of some compartment that the link pulls in: what gates,
 * sharing and the WRPKRU scan are about (the TCB's objects are not). */
static inline int gen_obj_in_compartment(const struct gen_obj *o)
{
	return o->included && o->comp != GEN_TCB;
}

enum gen_input_kind { GEN_IN_OBJECT, GEN_IN_ARCHIVE, GEN_IN_SHARED };

struct gen_input {
	char *path;
	enum gen_input_kind kind;
	int comp, lib;
	unsigned char *data;
	size_t size;
	Elf *elf;
	size_t first, nobjs; /* its objects in gen_state.objs */
	char *out;	     /* rewritten copy, when one was written */
	char **dynsyms;	     /* GEN_IN_SHARED: defined dynamic symbols */
	size_t ndynsyms;
};

/* Loads a file: an ELF relocatable object, a static archive of them, or
 * (TCB only) a shared object.  Errors name the file and stay fatal for
 * that file only, so that one run reports every bad input. */
int gen_load_input(struct gen_input *in, struct gen_obj **objs, size_t *nobjs,
		   size_t *cap);
/* Checks and indexes one relocatable object already opened as obj->elf. */
int gen_load_object(struct gen_obj *obj);
const struct gen_fn *gen_fn_at(const struct gen_obj *o, unsigned sec,
			       uint64_t off, int exact);

/* --- analyze.c ------------------------------------------------------ */
enum gen_edge_kind {
	GEN_CALL,  /* call or jump to a function */
	GEN_ADDR,  /* address of a function taken */
	GEN_DATA,  /* reference to writable data */
};

/* The function or data a reference resolves to. */
struct gen_def {
	long obj; /* -1: not defined by any input (the C library) */
	unsigned sym;
};

struct gen_edge {
	long from;   /* object making the reference */
	unsigned rel;
	struct gen_def to;
	int from_comp, to_comp;
	enum gen_edge_kind kind;
};

struct gen_stub {
	char *name;	 /* flexos_autogate__... */
	char *target;	 /* symbol the stub jumps to */
	struct gen_def def;
	int comp, lib;
	int cross_call;	 /* called from another compartment */
	int callback;	 /* address taken */
	int escapes;	 /* address taken in another compartment */
	unsigned long callers; /* bit per compartment whose calls it takes */
};

struct gen_shared {
	struct gen_def def;
	int why;	 /* GEN_SHARE_* */
	unsigned long users; /* bit per compartment */
	int marked;	 /* was in .flexos.shared already */
	long first_edge; /* a cross reference, for messages; -1 none */
};

enum { GEN_SHARE_CROSS = 1, GEN_SHARE_POLICY = 2 };

struct gen_heapsite {
	long obj;
	unsigned rel;
	const char *from, *to; /* malloc -> flexos_shared_malloc */
};

struct gen_finding { /* WRPKRU or XRSTOR byte sequence */
	long obj;
	unsigned sec;
	uint64_t off;
	const char *what;
};

struct gen_state {
	struct gen_config *cfg;
	struct gen_input *ins;
	size_t nins;
	struct gen_obj *objs;
	size_t nobjs, capobjs;
	struct gen_hash defs;	/* global symbol -> index in defv */
	struct gen_def *defv;
	size_t ndefv, capdefv;
	struct gen_hash dynsyms; /* defined by shared objects of the TCB */
	struct gen_edge *edges;
	size_t nedges, capedges;
	struct gen_stub *stubs;
	size_t nstubs, capstubs;
	struct gen_hash stubidx; /* "obj:sym" -> stub */
	struct gen_shared *shared;
	size_t nshared, capshared;
	struct gen_hash sharedidx;
	struct gen_heapsite *heapsites;
	size_t nheapsites, capheapsites;
	struct gen_finding *findings;
	size_t nfindings, capfindings;
	const char ***tcb_calls; /* per compartment: C library symbols used */
	size_t *ntcb_calls;
	unsigned long crossing;	/* bit per compartment with an edge */
	const char *crossings_path; /* -k: counts of a run (crossings.c) */
	struct gen_crossing *crossings;
	size_t ncrossings, capcrossings;
	const char *graph_note;	/* report.txt's line about the graph */
	int link_mode;		/* the linker checks resolution itself */
};

void gen_state_init(struct gen_state *st, struct gen_config *cfg);
/* Adds an input file owned by compartment/library (GEN_TCB/-1 for TCB). */
void gen_add_input(struct gen_state *st, const char *path, int comp, int lib,
		   int loaded);
int gen_analyze(struct gen_state *st);
void gen_decide(struct gen_state *st);
void gen_scan(struct gen_state *st);
char *gen_moves_with(const struct gen_state *st, struct gen_def d);
const struct gen_sym *gen_def_sym(const struct gen_state *st,
				  struct gen_def d);
int gen_def_comp(const struct gen_state *st, struct gen_def d);
#define GEN_PUSH(arr, n, cap)                                                 \
	(((n) == (cap) ? ((cap) = (cap) ? 2 * (cap) : 16,                     \
			  (arr) = gen_xrealloc((arr), (cap) * sizeof(*(arr)))) \
		       : 0),                                                  \
	 &(arr)[(n)++])

/* --- rewrite.c: what changes in a copy of an object ---------------- */
enum gen_edit_kind {
	GEN_EDIT_RENAME_SYM,	/* undefined symbol gets a new name */
	GEN_EDIT_RETARGET,	/* relocation points to a (new) symbol */
	GEN_EDIT_ALIAS,		/* global hidden alias of a local function */
	GEN_EDIT_RENAME_SEC,	/* section moves to the shared region */
};

struct gen_edit {
	enum gen_edit_kind kind;
	unsigned index;	/* symbol, relocation (in obj->rels) or section */
	const char *name;
	int64_t addend_delta;
};

void gen_edit(struct gen_obj *o, enum gen_edit_kind kind, unsigned index,
	      const char *name, int64_t addend_delta);
/* Writes the rewritten object; returns malloc'd bytes. */
int gen_rewrite_object(const struct gen_obj *o, unsigned char **out,
		       size_t *outsize);
int gen_write_archive(const char *path, struct gen_obj *objs, size_t n,
		      unsigned char **datas, size_t *sizes);

/* --- crossings.c: gate crossings a run counted (FLEXOS_CROSSINGS) -- */
struct gen_crossing {
	int caller;	/* compartment that took the gate */
	size_t stub;	/* the entry, in st->stubs */
	unsigned long long count;
};
/* Reads `flexos-crossings 1`, `image NAME`, then `CALLER ENTRY COUNT`
 * lines; every bad line is an error naming the file and line. */
int gen_crossings_load(struct gen_state *st, const char *path);
/* The stub an entry name of the runtime means: the function's own name,
 * or the alias flexos-gen gave a static one; -1 none, -2 ambiguous. */
long gen_stub_by_entry(const struct gen_state *st, const char *name);

/* --- graph.c, reports.c ---------------------------------------------- */
/* report.dot: compartments as clusters of their libraries, one edge per
 * (caller compartment, entry), labelled with the entry and, with -k, the
 * count. */
char *gen_report_dot(struct gen_state *st);
/* Every report that was asked for (text, JSON, DOT and SVG beside the
 * text): all written before any is renamed into place. */
void gen_write_reports(struct gen_state *st, const char *report,
		       const char *json);

/* --- stubs.c, dwarf.c, report.c, link.c ----------------------------- */
char *gen_stubs_asm(const struct gen_state *st);
const char *gen_where(struct gen_state *st, long obj, unsigned sec,
		      uint64_t off);
char *gen_report_text(struct gen_state *st);
char *gen_report_json(struct gen_state *st);
int gen_link_main(struct gen_config *cfg, const char *outdir,
		  const char *report, const char *json, char **argv);
int gen_write_outputs(struct gen_state *st, const char *outdir);

#endif
