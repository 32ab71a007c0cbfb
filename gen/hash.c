/* A string-keyed open-addressing hash table: symbol names to indices.
 * Keys are borrowed, not copied: they live as long as the inputs. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static size_t slot(const struct gen_hash *h, const char *key)
{
	size_t i = hash(key) & (h->cap - 1);

	while (h->keys[i] && strcmp(h->keys[i], key))
		i = (i + 1) & (h->cap - 1);
	return i;
}

long gen_hash_get(const struct gen_hash *h, const char *key)
{
	if (!h->cap)
		return -1;
	size_t i = slot(h, key);

	return h->keys[i] ? h->vals[i] : -1;
}

static void grow(struct gen_hash *h)
{
	struct gen_hash n = { 0 };

	n.cap = h->cap ? h->cap * 2 : 64;
	n.keys = gen_xcalloc(n.cap, sizeof(*n.keys));
	n.vals = gen_xcalloc(n.cap, sizeof(*n.vals));
	for (size_t i = 0; i < h->cap; i++) {
		if (!h->keys[i])
			continue;
		size_t j = slot(&n, h->keys[i]);

		n.keys[j] = h->keys[i];
		n.vals[j] = h->vals[i];
	}
	n.len = h->len;
	free(h->keys);
	free(h->vals);
	*h = n;
}

long gen_hash_put(struct gen_hash *h, const char *key, long val)
{
	if ((h->len + 1) * 2 > h->cap)
		grow(h);
	size_t i = slot(h, key);

	if (h->keys[i])
		return h->vals[i];
	h->keys[i] = (char *)key;
	h->vals[i] = val;
	h->len++;
	return val;
}

void gen_hash_free(struct gen_hash *h)
{
	free(h->keys);
	free(h->vals);
	*h = (struct gen_hash){ 0 };
}
