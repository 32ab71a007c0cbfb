#include "kvstore.h"
#include "kvmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;
	char *key, *value;
};

struct kv_store {
	const struct kv_config *config;
	const struct kv_hash_ops *ops;
	struct entry **buckets;
	struct kv_stats stats;
};

static uint32_t fnv1a(const char *key)
{
	uint32_t h = 2166136261u;
	while (*key)
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h;
}

static uint32_t djb2(const char *key)
{
	uint32_t h = 5381;
	while (*key)
		h = h * 33 + (unsigned char)*key++;
	return h;
}

const struct kv_hash_ops kv_hashes[] = {
	{ "fnv1a", fnv1a },
	{ "djb2", djb2 },
	{ NULL, NULL },
};

static struct entry **slot(const struct kv_store *store, const char *key)
{
	size_t i = store->ops->hash(key) & (store->stats.buckets - 1);
	struct entry **e = &store->buckets[i];
	while (*e && strcmp((*e)->key, key) != 0)
		e = &(*e)->next;
	return e;
}

struct kv_store *kv_open(const struct kv_config *config)
{
	const struct kv_hash_ops *ops = kv_hashes;
	while (ops->name && strcmp(ops->name, config->hash) != 0)
		ops++;
	if (!ops->name || config->buckets == 0 ||
	    (config->buckets & (config->buckets - 1))) {
		errno = EINVAL;
		return NULL;
	}
	struct kv_store *store = calloc(1, sizeof *store);
	if (!store)
		return NULL;
	store->buckets = calloc(config->buckets, sizeof *store->buckets);
	if (!store->buckets) {
		free(store);
		return NULL;
	}
	store->config = config;
	store->ops = ops;
	store->stats.buckets = config->buckets;
	config->log("kvstore: %zu buckets, hash %s\n", config->buckets, ops->name);
	return store;
}

/* Doubles the table once it holds as many entries as buckets, so chains
 * stay short. */
static void grow(struct kv_store *store)
{
	size_t n = store->stats.buckets * 2;
	struct entry **old = store->buckets;
	struct entry **buckets = calloc(n, sizeof *buckets);
	if (!buckets)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < store->stats.buckets; i++) {
		for (struct entry *e = old[i], *next; e; e = next) {
			next = e->next;
			size_t j = store->ops->hash(e->key) & (n - 1);
			e->next = buckets[j];
			buckets[j] = e;
		}
	}
	free(old);
	store->buckets = buckets;
	store->stats.buckets = n;
	store->config->log("kvstore: grew to %zu buckets for %zu entries\n", n,
			   store->stats.entries);
}

int kv_set(struct kv_store *store, const char *key, const char *value)
{
	size_t len = strlen(value);
	if (len > store->config->max_value) {
		store->config->log("kvstore: value of '%s' too long: %zu > %zu\n",
				   key, len, store->config->max_value);
		errno = E2BIG;
		return -1;
	}
	char *copy = kv_memdup(value, len + 1);
	if (!copy)
		return -1;
	struct entry **e = slot(store, key);
	if (*e) {
		free((*e)->value);
		(*e)->value = copy;
	} else {
		struct entry *n = malloc(sizeof *n);
		char *k = n ? strdup(key) : NULL;
		if (!k) {
			free(n);
			free(copy);
			return -1;
		}
		*n = (struct entry){ .key = k, .value = copy };
		*e = n;
		if (++store->stats.entries > store->stats.buckets)
			grow(store);
	}
	store->stats.sets++;
	return 0;
}

const char *kv_get(struct kv_store *store, const char *key)
{
	struct entry *e = *slot(store, key);
	store->stats.gets++;
	if (!e) {
		store->stats.misses++;
		errno = ENOENT;
		return NULL;
	}
	return e->value;
}

int kv_del(struct kv_store *store, const char *key)
{
	struct entry **e = slot(store, key);
	struct entry *gone = *e;
	if (!gone) {
		errno = ENOENT;
		return -1;
	}
	*e = gone->next;
	free(gone->key);
	free(gone->value);
	free(gone);
	store->stats.entries--;
	return 0;
}

struct kv_stats kv_stats(const struct kv_store *store)
{
	return store->stats;
}

void kv_foreach(const struct kv_store *store,
		void (*fn)(const char *key, const char *value, void *arg),
		void *arg)
{
	for (size_t i = 0; i < store->stats.buckets; i++)
		for (const struct entry *e = store->buckets[i]; e; e = e->next)
			fn(e->key, e->value, arg);
}

void kv_close(struct kv_store *store)
{
	for (size_t i = 0; i < store->stats.buckets; i++) {
		for (struct entry *e = store->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e->value);
			free(e);
		}
	}
	free(store->buckets);
	free(store);
}
