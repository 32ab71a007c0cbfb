/* Learning mode's record of the program's heap blocks: malloc.c reports
 * them, learn.c names heap memory by the site that allocated it.  Apart
 * from learn.c, so that every runtime compiling malloc.c has it; only
 * learn.c turns learning mode on (the baremetal runtime refuses it).
 *
 * The live blocks are kept in a treap ordered by start address: a free, a
 * realloc, and the fault handler's "which block holds this address" each
 * cost O(log n).  A flat list searched from its end did too, while the
 * program had few blocks; a parser that builds a tree of a million nodes
 * from its callbacks made every fault on an old block, and every free in
 * allocation order, walk the whole list (tests/bench/learn.sh,
 * docs/benchmarks.md).  Nodes live in one growable array and are named by
 * index, so that growing it moves nothing the tree points to. */
#include <stdatomic.h>

#include "internal.h"

struct block {
	uintptr_t start, end;
	struct flexos__site site;
	uint32_t left, right; /* indices; 0 is no node */
	uint32_t priority;  /* heap order: a random balance */
};
static struct block *nodes; /* nodes[0] is unused: index 0 is "none" */
static uint32_t nnodes, capacity, free_nodes, root;
static uint32_t seed = 2463534242u;

/* Learning wants one thread at a time (pthread.c warns), but a second
 * thread's malloc must not tear the tree the first one is changing.  The
 * fault handler takes it too: the lock is only ever held inside this
 * file, which touches no compartment's memory, so a thread never faults
 * while holding it. */
static atomic_flag locked = ATOMIC_FLAG_INIT;

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&locked, memory_order_acquire))
		__builtin_ia32_pause();
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&locked, memory_order_release);
}

static uint32_t next_priority(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

static uint32_t new_node(uintptr_t start, uintptr_t end,
			 const struct flexos__site *site)
{
	uint32_t n;

	if (free_nodes) {
		n = free_nodes;
		free_nodes = nodes[n].left;
	} else {
		if (nnodes + 1 >= capacity) {
			uint32_t grown_capacity = capacity ? 2 * capacity : 1024;
			struct block *grown = __libc_realloc(
				nodes, grown_capacity * sizeof(*nodes));
			if (!grown)
				return 0;
			nodes = grown;
			capacity = grown_capacity;
		}
		n = ++nnodes;
	}
	nodes[n] = (struct block){ start, end, *site, 0, 0, next_priority() };
	return n;
}

static void drop_tree(uint32_t n)
{
	if (!n)
		return;
	drop_tree(nodes[n].left);
	drop_tree(nodes[n].right);
	nodes[n].left = free_nodes;
	free_nodes = n;
}

/* Splits tree t into the blocks starting below `key` and the others. */
static void split(uint32_t t, uintptr_t key, uint32_t *below, uint32_t *rest)
{
	if (!t) {
		*below = *rest = 0;
	} else if (nodes[t].start < key) {
		split(nodes[t].right, key, &nodes[t].right, rest);
		*below = t;
	} else {
		split(nodes[t].left, key, below, &nodes[t].left);
		*rest = t;
	}
}

/* Joins two trees, every start of `low` below every start of `high`. */
static uint32_t merge(uint32_t low, uint32_t high)
{
	if (!low || !high)
		return low ? low : high;
	if (nodes[low].priority > nodes[high].priority) {
		nodes[low].right = merge(nodes[low].right, high);
		return low;
	}
	nodes[high].left = merge(low, nodes[high].left);
	return high;
}

/* Takes out the blocks starting in [from, to): normally the one block at
 * `from`, or none. */
static void remove_range(uintptr_t from, uintptr_t to)
{
	uint32_t below, middle, above;

	split(root, from, &below, &middle);
	split(middle, to, &middle, &above);
	drop_tree(middle);
	root = merge(below, above);
}

/* Records [start, end).  A block we were not told was freed and that lay
 * where this one starts is forgotten, so that lookups find the new one. */
static void insert(uintptr_t start, uintptr_t end,
		   const struct flexos__site *site)
{
	uint32_t below, above, n;

	remove_range(start, end > start ? end : start + 1);
	n = new_node(start, end, site);
	if (!n)
		return; /* out of memory: the block goes unnamed */
	split(root, start, &below, &above);
	root = merge(merge(below, n), above);
}

/* The block starting closest below or at `address`, 0 if none. */
static uint32_t at_or_below(uintptr_t address)
{
	uint32_t found = 0;

	for (uint32_t t = root; t;) {
		if (nodes[t].start <= address) {
			found = t;
			t = nodes[t].right;
		} else {
			t = nodes[t].left;
		}
	}
	return found;
}

void flexos__learn_allocated(void *ptr, size_t size,
			     const struct flexos__site *site)
{
	if (!ptr)
		return;
	lock();
	insert((uintptr_t)ptr, (uintptr_t)ptr + size, site);
	unlock();
}

void flexos__learn_freed(void *ptr)
{
	lock();
	remove_range((uintptr_t)ptr, (uintptr_t)ptr + 1);
	unlock();
}

/* realloc keeps the allocation site of the block it grows. */
void flexos__learn_moved(void *from, void *to, size_t size)
{
	uint32_t n;

	lock();
	n = at_or_below((uintptr_t)from);
	if (n && nodes[n].start == (uintptr_t)from) {
		struct flexos__site site = nodes[n].site;
		remove_range((uintptr_t)from, (uintptr_t)from + 1);
		insert((uintptr_t)to, (uintptr_t)to + size, &site);
	}
	unlock();
}

/* Called from the fault handler: reads the tree, changes nothing. */
bool flexos__learn_allocation_site(uintptr_t address,
				   struct flexos__site *site)
{
	uint32_t n;
	bool found;

	lock();
	n = at_or_below(address);
	found = n && address < nodes[n].end;
	if (found)
		*site = nodes[n].site;
	unlock();
	return found;
}
