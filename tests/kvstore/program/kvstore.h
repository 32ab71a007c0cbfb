/* kvstore: an in-memory key-value store, a hash table on the heap. */
#ifndef KVSTORE_H
#define KVSTORE_H

#include <stddef.h>
#include <stdint.h>

/* A hash function the store can use, chosen by name. */
struct kv_hash_ops {
	const char *name;
	uint32_t (*hash)(const char *key);
};

/* The caller's settings.  The store keeps the pointer and reads it on
 * every call, so the caller may change the limits while it runs. */
struct kv_config {
	size_t buckets;   /* initial bucket count, a power of two */
	size_t max_value; /* longest value accepted, in bytes */
	const char *hash; /* name of one of kv_hashes[] */
	void (*log)(const char *fmt, ...);
};

struct kv_stats {
	size_t entries, buckets, sets, gets, misses;
};

extern const struct kv_hash_ops kv_hashes[];

struct kv_store;

/* NULL with errno EINVAL for an unknown hash, ENOMEM without memory. */
struct kv_store *kv_open(const struct kv_config *config);
/* 0, or -1 with errno E2BIG (value too long) or ENOMEM. */
int kv_set(struct kv_store *store, const char *key, const char *value);
/* The value, owned by the store, or NULL with errno ENOENT. */
const char *kv_get(struct kv_store *store, const char *key);
/* 0, or -1 with errno ENOENT. */
int kv_del(struct kv_store *store, const char *key);
struct kv_stats kv_stats(const struct kv_store *store);
/* Calls fn once per entry, in no particular order. */
void kv_foreach(const struct kv_store *store,
		void (*fn)(const char *key, const char *value, void *arg),
		void *arg);
void kv_close(struct kv_store *store);

#endif
