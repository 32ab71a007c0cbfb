/* The sharing policy: what an image shares beyond FLEXOS_SHARED and the
 * shared heap, decided by the build (written by hand, or by a learning run)
 * rather than by the source.  One directive a line, '#' starts a comment:
 *
 *   share-heap-at FILE:LINE...  memory allocated by the call at FILE:LINE
 *                               comes from the shared heap (FILE may be a
 *                               trailing part of the path)
 *   share-heap FUNCTION...      memory allocated by FUNCTION's own calls
 *                               comes from the shared heap
 *   allocator FUNCTION...       FUNCTION is an allocator wrapper: what it
 *                               allocates is its caller's, and a
 *                               share-heap line names the caller
 *                               (allocation_site.c)
 *   share-data SYMBOL...        SYMBOL lives in the shared region (placed
 *                               when the image is linked, see flexos-gen)
 *   share-stacks                every compartment's thread stacks are
 *                               shared memory
 *
 * The same file feeds flexos-gen (docs/porting.md).  The image carries its
 * own policy's text, read when it was built; FLEXOS_POLICY names a file to
 * read instead.  A malformed line stops
 * the image (FLEXOS_EXIT_SETUP); an entry that names no code any more
 * (stale: the source moved or changed) is a warning naming it.
 *
 * The whole text is read first, then its code entries are resolved: every
 * FUNCTION of it in one pass over the image's symbol table (a
 * policy is applied at every start-up, and may have hundreds of lines),
 * share-heap-at FILE:LINE through the line tables, which are read only
 * when the policy has such a line. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

struct range {
	uintptr_t start, end;
};

/* A share-heap, share-heap-at or allocator entry, resolved once the
 * whole policy has been read. */
enum entry_kind { SHARED_AT = 1, SHARED_FUNCTION = 2, ALLOCATOR = 4 };
struct entry {
	char *word; /* FUNCTION, or FILE:LINE; in the policy's text */
	unsigned number; /* its line */
	enum entry_kind kind;
};

/* A policy is a few hundred lines at most; these bound what a file given
 * at run time can make the runtime read. */
#define POLICY_MAX_BYTES (1u << 20)
#define POLICY_MAX_LINE 1024

static struct range *heap_sites;
static size_t nheap_sites, heap_capacity;

static struct entry *entries;
static size_t nentries, entries_capacity;

bool flexos__policy_shared_stacks;

static void *grow(void *array, size_t *capacity, size_t size)
{
	*capacity = *capacity ? 2 * *capacity : 16;
	array = __libc_realloc(array, *capacity * size);
	if (!array)
		flexos__die(FLEXOS_EXIT_SETUP, "out of memory reading the "
			    "sharing policy");
	return array;
}

static void add_site(uintptr_t start, uintptr_t end, void *unused)
{
	(void)unused;
	if (nheap_sites == heap_capacity)
		heap_sites = grow(heap_sites, &heap_capacity,
				  sizeof(*heap_sites));
	heap_sites[nheap_sites++] = (struct range){ start, end };
}

static void add_entry(char *word, unsigned number, enum entry_kind kind)
{
	if (nentries == entries_capacity)
		entries = grow(entries, &entries_capacity, sizeof(*entries));
	entries[nentries++] = (struct entry){ word, number, kind };
}

static void stale(const char *path, unsigned number, const char *what)
{
	fprintf(stderr, "flexos: warning: policy %s:%u: no code for '%s'; "
		"stale entry? (the source moved or changed)\n", path, number,
		what);
}

/* FILE:LINE, LINE a positive number. */
static bool site_well_formed(const char *site)
{
	const char *colon = strrchr(site, ':');
	char *end;
	long line;

	if (!colon || colon == site)
		return false;
	line = strtol(colon + 1, &end, 10);
	return !*end && line > 0 && line <= INT_MAX;
}

static void share_site(const char *path, const struct entry *entry)
{
	char *colon = strrchr(entry->word, ':');
	int line = (int)strtol(colon + 1, NULL, 10);
	int ranges;

	*colon = '\0';
	ranges = flexos__line_code(entry->word, line, add_site, NULL);
	*colon = ':';
	if (ranges == 0)
		stale(path, entry->number, entry->word);
}

/* share-data is applied when the image is linked, from its own policy
 * (SHARING_POLICY); another file given at run time cannot move data. */
static void data_not_moved(const char *path, unsigned number,
			   const char *symbol)
{
	fprintf(stderr, "flexos: warning: policy %s:%u: share-data %s: data "
		"is placed when the image is linked, from its SHARING_POLICY "
		"(%s%s); FLEXOS_POLICY cannot move it: rebuild with this "
		"policy\n", path, number, symbol,
		flexos__rt.image->policy ? "its own is " : "it has none",
		flexos__rt.image->policy ? flexos__rt.image->policy : "");
}

static void parse(const char *path, unsigned number, char *line,
		  bool linked)
{
	char *directive = strtok(line, " \t\r\n");
	char *word;

	if (!directive || directive[0] == '#')
		return;
	if (!strcmp(directive, "share-stacks")) {
		flexos__policy_shared_stacks = true;
		if (!strtok(NULL, " \t\r\n"))
			return;
		goto malformed;
	}
	word = strtok(NULL, " \t\r\n");
	if (!word)
		goto malformed;
	for (; word && word[0] != '#'; word = strtok(NULL, " \t\r\n")) {
		if (!strcmp(directive, "share-heap-at")) {
			if (!site_well_formed(word))
				goto malformed;
			add_entry(word, number, SHARED_AT);
		} else if (!strcmp(directive, "share-heap")) {
			add_entry(word, number, SHARED_FUNCTION);
		} else if (!strcmp(directive, "allocator")) {
			add_entry(word, number, ALLOCATOR);
		} else if (strcmp(directive, "share-data")) {
			goto malformed;
		} else if (!linked) {
			data_not_moved(path, number, word);
		}
	}
	return;
malformed:
	flexos__die(FLEXOS_EXIT_SETUP,
		    "policy %s:%u: not a directive; expected share-heap-at "
		    "FILE:LINE, share-heap FUNCTION, allocator FUNCTION, "
		    "share-data SYMBOL or share-stacks", path, number);
}

/* Each name of the policy's function entries, once, and what its lines
 * say of it (kinds OR-ed): a name may be on several lines. */
struct function_name {
	const char *word;
	unsigned kinds;
	bool found;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct function_name *)a)->word,
		      ((const struct function_name *)b)->word);
}

static void function_found(size_t i, uintptr_t start, uintptr_t end,
			   void *names_)
{
	struct function_name *name = &((struct function_name *)names_)[i];

	name->found = true;
	if (name->kinds & SHARED_FUNCTION)
		add_site(start, end, NULL);
	if (name->kinds & ALLOCATOR)
		flexos__add_allocator(start, end);
}

/* Resolves the code entries: the function names all at once (sorted,
 * each once), then every entry in the order of the policy's lines, so
 * that the warnings come in that order. */
static void resolve(const char *path)
{
	struct function_name *names =
		__libc_malloc((nentries + 1) * sizeof(*names));
	const char **words = __libc_malloc((nentries + 1) * sizeof(*words));
	size_t count = 0, unique = 0;

	if (!names || !words)
		flexos__die(FLEXOS_EXIT_SETUP, "out of memory reading the "
			    "sharing policy");
	for (size_t i = 0; i < nentries; i++)
		if (entries[i].kind != SHARED_AT)
			names[count++] = (struct function_name){
				entries[i].word, entries[i].kind, false
			};
	qsort(names, count, sizeof(*names), by_name);
	for (size_t i = 0; i < count; i++) {
		if (unique && !strcmp(names[unique - 1].word, names[i].word))
			names[unique - 1].kinds |= names[i].kinds;
		else
			names[unique++] = names[i];
	}
	for (size_t i = 0; i < unique; i++)
		words[i] = names[i].word;
	if (unique)
		flexos__functions_code(words, unique, function_found, names);
	for (size_t i = 0; i < nentries; i++) {
		struct function_name key = { entries[i].word, 0, false };
		const struct function_name *name;

		if (entries[i].kind == SHARED_AT) {
			share_site(path, &entries[i]);
			continue;
		}
		name = bsearch(&key, names, unique, sizeof(*names), by_name);
		if (!name->found)
			stale(path, entries[i].number, entries[i].word);
	}
	__libc_free(names);
	__libc_free(words);
}

/* Reads the file FLEXOS_POLICY names, whole: a regular file of text. */
static char *read_policy_file(const char *path)
{
	struct stat st;
	char *text;
	FILE *file = fopen(path, "r");

	if (!file)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot read the sharing policy "
			    "'%s': %s", path, strerror(errno));
	if (fstat(fileno(file), &st) || !S_ISREG(st.st_mode))
		flexos__die(FLEXOS_EXIT_SETUP, "the sharing policy '%s' is not "
			    "a regular file", path);
	if (st.st_size > POLICY_MAX_BYTES)
		flexos__die(FLEXOS_EXIT_SETUP, "the sharing policy '%s' is "
			    "%lld bytes, more than a policy's %u", path,
			    (long long)st.st_size, POLICY_MAX_BYTES);
	text = __libc_malloc((size_t)st.st_size + 1);
	if (!text || fread(text, 1, (size_t)st.st_size, file) !=
			     (size_t)st.st_size)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot read the sharing policy "
			    "'%s'", path);
	fclose(file);
	text[st.st_size] = '\0';
	if (strlen(text) != (size_t)st.st_size)
		flexos__die(FLEXOS_EXIT_SETUP, "the sharing policy '%s' is not "
			    "text (a NUL byte at offset %zu)", path,
			    strlen(text));
	return text;
}

/* `linked`: the text is the image's own policy, whose share-data lines the
 * build applied.  `text` is cut into lines and words where it lies; the
 * code entries point into it until they are resolved. */
static void parse_text(const char *name, char *text, bool linked)
{
	unsigned number = 0;

	while (*text) {
		size_t length = strcspn(text, "\n");
		bool last = !text[length];

		if (length >= POLICY_MAX_LINE)
			flexos__die(FLEXOS_EXIT_SETUP, "policy %s:%u: a line "
				    "longer than %u bytes", name, number + 1,
				    POLICY_MAX_LINE - 1);
		text[length] = '\0';
		parse(name, ++number, text, linked);
		text += length + !last;
	}
	resolve(name);
	__libc_free(entries);
	entries = NULL;
	nentries = entries_capacity = 0;
}

void flexos__policy_load(void)
{
	const char *path = getenv("FLEXOS_POLICY");
	const char *own = flexos__rt.image->policy_text;
	char *text;

	if (path && *path) {
		text = read_policy_file(path);
		bool linked = own && !strcmp(text, own);
		parse_text(path, text, linked);
	} else if (own) {
		text = __libc_malloc(strlen(own) + 1);
		if (!text)
			flexos__die(FLEXOS_EXIT_SETUP, "out of memory reading "
				    "the sharing policy");
		parse_text(flexos__rt.image->policy, strcpy(text, own), true);
	} else {
		return;
	}
	__libc_free(text);
}

bool flexos__policy_shares_heap(void)
{
	return nheap_sites != 0;
}

bool flexos__policy_shared_site(uintptr_t code)
{
	for (size_t i = 0; i < nheap_sites; i++)
		if (code >= heap_sites[i].start && code < heap_sites[i].end)
			return true;
	return false;
}
