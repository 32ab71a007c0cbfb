/* The sharing policy: what an image shares beyond FLEXOS_SHARED and the
 * shared heap, decided by the build (written by hand, or by a learning run)
 * rather than by the source.  One directive a line, '#' starts a comment:
 *
 *   share-heap-at FILE:LINE...  memory allocated by the call at FILE:LINE
 *                               comes from the shared heap (FILE may be a
 *                               trailing part of the path)
 *   share-heap FUNCTION...      memory allocated by FUNCTION's own calls
 *                               comes from the shared heap
 *   share-data SYMBOL...        SYMBOL lives in the shared region (placed
 *                               when the image is linked, see flexos-gen)
 *   share-stacks                every compartment's thread stacks are
 *                               shared memory
 *
 * The same file feeds flexos-gen (docs/porting.md).  The image carries its
 * own policy's text, read when it was built; FLEXOS_POLICY names a file to
 * read instead.  A malformed line stops
 * the image (FLEXOS_EXIT_SETUP); an entry that names no code any more
 * (stale: the source moved or changed) is a warning naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

struct range {
	uintptr_t start, end;
};

/* A policy is a few hundred lines at most; these bound what a file given
 * at run time can make the runtime read. */
#define POLICY_MAX_BYTES (1u << 20)
#define POLICY_MAX_LINE 1024

static struct range *heap_sites;
static size_t nheap_sites, heap_capacity;

bool flexos__policy_shared_stacks;

static void add_site(uintptr_t start, uintptr_t end, void *unused)
{
	(void)unused;
	if (nheap_sites == heap_capacity) {
		heap_capacity = heap_capacity ? 2 * heap_capacity : 16;
		heap_sites = __libc_realloc(heap_sites,
					    heap_capacity * sizeof(*heap_sites));
		if (!heap_sites)
			flexos__die(FLEXOS_EXIT_SETUP, "out of memory reading "
				    "the sharing policy");
	}
	heap_sites[nheap_sites++] = (struct range){ start, end };
}

static void stale(const char *path, unsigned number, const char *what)
{
	fprintf(stderr, "flexos: warning: policy %s:%u: no code for '%s'; "
		"stale entry? (the source moved or changed)\n", path, number,
		what);
}

static bool share_site(const char *path, unsigned number, char *site)
{
	char *colon = strrchr(site, ':'), *end;
	long line;

	if (!colon || colon == site)
		return false;
	*colon = '\0';
	line = strtol(colon + 1, &end, 10);
	if (*end || line <= 0)
		return false;
	if (flexos__line_code(site, (int)line, add_site, NULL) == 0) {
		*colon = ':';
		stale(path, number, site);
	}
	return true;
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
			if (!share_site(path, number, word))
				goto malformed;
		} else if (!strcmp(directive, "share-heap")) {
			uintptr_t start, end;
			if (flexos__function_code(word, &start, &end))
				add_site(start, end, NULL);
			else
				stale(path, number, word);
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
		    "FILE:LINE, share-heap FUNCTION, share-data SYMBOL or "
		    "share-stacks", path, number);
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
 * build applied. */
static void parse_text(const char *name, const char *text, bool linked)
{
	char line[POLICY_MAX_LINE];
	unsigned number = 0;

	while (*text) {
		size_t length = strcspn(text, "\n");
		if (length >= sizeof(line))
			flexos__die(FLEXOS_EXIT_SETUP, "policy %s:%u: a line "
				    "longer than %zu bytes", name, number + 1,
				    sizeof(line) - 1);
		memcpy(line, text, length);
		line[length] = '\0';
		parse(name, ++number, line, linked);
		text += length + (text[length] == '\n');
	}
}

void flexos__policy_load(void)
{
	const char *path = getenv("FLEXOS_POLICY");
	const char *own = flexos__rt.image->policy_text;

	if (path && *path) {
		char *text = read_policy_file(path);
		parse_text(path, text, own && !strcmp(text, own));
		__libc_free(text);
	} else if (own) {
		parse_text(flexos__rt.image->policy, own, true);
	}
}

bool flexos__policy_shared_site(uintptr_t return_address)
{
	for (size_t i = 0; i < nheap_sites; i++)
		if (return_address - 1 >= heap_sites[i].start &&
		    return_address - 1 < heap_sites[i].end)
			return true;
	return false;
}
