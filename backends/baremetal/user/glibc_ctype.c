/* glibc's character-class tables, for prebuilt archives compiled against
 * glibc (Debian's libbz2.a and libpcre2-8.a call __ctype_b_loc, whose
 * isalpha() & co. are inline table lookups) and linked over musl, which
 * has none.  Built from musl's own classification for the "C" locale, the
 * only one a baremetal image has, in glibc's layout: 384 entries, for
 * every value of a signed or an unsigned char and EOF, the pointer at
 * entry 128; class bits as <ctype.h> of glibc defines them (little
 * endian: bits 0-7 of the class number in the high byte). */
#include <ctype.h>
#include <stdint.h>

#define ENTRIES 384
#define ZERO 128 /* the index of value 0 */

/* glibc's _ISbit(n) on a little-endian machine. */
#define IS_BIT(n) ((n) < 8 ? (1u << (n)) << 8 : (1u << (n)) >> 8)

/* The classes in glibc's order: class n is bit IS_BIT(n). */
static int (*const classifiers[])(int) = {
	isupper, islower, isalpha, isdigit, isxdigit, isspace,
	isprint, isgraph, isblank, iscntrl, ispunct, isalnum,
};

static unsigned short classes[ENTRIES];
static int32_t lower[ENTRIES], upper[ENTRIES];
static const unsigned short *classes_at = classes + ZERO;
static const int32_t *lower_at = lower + ZERO, *upper_at = upper + ZERO;

__attribute__((constructor)) static void fill(void)
{
	for (int i = 0; i < ENTRIES; i++) {
		int c = i - ZERO;
		/* Negative values stand for chars 128..255, which the "C"
		 * locale leaves unclassified; -1 is EOF. */
		unsigned bits = 0;

		for (unsigned n = 0; c >= 0 && c < 128 &&
				     n < sizeof(classifiers) / sizeof(*classifiers);
		     n++)
			if (classifiers[n](c))
				bits |= IS_BIT(n);
		classes[i] = (unsigned short)bits;
		lower[i] = c >= 0 && c < 128 ? tolower(c) : c;
		upper[i] = c >= 0 && c < 128 ? toupper(c) : c;
	}
}

const unsigned short **__ctype_b_loc(void);
const int32_t **__ctype_tolower_loc(void);
const int32_t **__ctype_toupper_loc(void);

const unsigned short **__ctype_b_loc(void)
{
	return &classes_at;
}

const int32_t **__ctype_tolower_loc(void)
{
	return &lower_at;
}

const int32_t **__ctype_toupper_loc(void)
{
	return &upper_at;
}
