/* Exit handlers run with the rights of the compartment that registered
 * them, or not at all (the image's link wraps atexit and __cxa_atexit,
 * at_quick_exit, and the destructors of keys, pthread_key_create's; on
 * Linux also on_exit, __cxa_at_quick_exit and the handlers of a thread's
 * exit: __cxa_thread_atexit_impl, the C library's, and
 * __cxa_thread_atexit, which C++ compilers call for thread_local
 * objects).
 *
 * The C library runs exit handlers on the thread that calls exit, with
 * that thread's rights: a compromised library's atexit(f) had f read the
 * host's private memory when the host returned from main
 * (exit-handler-in-host).  Here a handler registered by an isolated
 * compartment is kept in a record of that compartment's own heap, and the
 * C library runs the runtime's trampoline, which calls it only where the
 * exit runs in that same compartment, and otherwise says it skipped it.
 * Whose a record is, is read from the sealed heap ranges, not from the
 * record, which another compartment cannot write either.  The C
 * library's own list is in key 0, where a compromised compartment can
 * still forge an entry (threat-model.md). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "gate_frame.h"
#include "internal.h"

struct exit_handler {
	void (*fn)(void *);		/* atexit's, __cxa_atexit's */
	void (*with_status)(int, void *); /* on_exit's: the status first */
	void *arg;
	/* A thread-exit handler kept for the end of a thread the runtime
	 * started with every compartment closed: the next one the same
	 * compartment registered on that thread. */
	struct exit_handler *next;
};

/* Weak: a program linked without the image's wraps (a tool, a unit test)
 * has none, and registers the runtime's handlers with atexit itself. */
int __real___cxa_atexit(void (*fn)(void *), void *arg, void *dso)
	__attribute__((weak));
int __real_on_exit(void (*fn)(int, void *), void *arg)
	__attribute__((weak));
int __real___cxa_thread_atexit_impl(void (*fn)(void *), void *arg, void *dso)
	__attribute__((weak));
int __real___cxa_thread_atexit(void (*fn)(void *), void *arg, void *dso)
	__attribute__((weak));
int __real_pthread_key_create(pthread_key_t *key, void (*fn)(void *))
	__attribute__((weak));
int __real_pthread_key_delete(pthread_key_t key) __attribute__((weak));
int __real___cxa_at_quick_exit(void (*fn)(void *), void *dso)
	__attribute__((weak));
int __real_at_quick_exit(void (*fn)(void)) __attribute__((weak));

/* What a handler is, and when it would run, for the message that says it
 * is not run. */
struct handler_kind {
	const char *what, *when;
};
static const struct handler_kind at_exit = { "an exit handler", "the exit" };
static const struct handler_kind at_thread_exit = {
	"a thread's exit handler", "the thread's end"
};
static const struct handler_kind at_quick_exit_kind = {
	"a quick-exit handler", "quick_exit"
};

/* Whether the handler whose record is `h` may run here: the record lies
 * in the memory of the compartment the thread runs in, or in memory no
 * compartment owns (registered before start-up).  Else says it is not
 * run; `what` names it, `when` the moment. */
static void say_not_run(unsigned owner, const char *what, const char *when)
{
	unsigned here = flexos__accessor_now();

	if (here >= flexos__rt.ncompartments)
		fprintf(stderr, "flexos: %s compartment '%s' registered is "
			"not run: %s runs with no compartment's rights\n",
			what, flexos__rt.compartments[owner].name, when);
	else
		fprintf(stderr, "flexos: %s compartment '%s' registered is "
			"not run: %s runs in compartment '%s', whose rights "
			"it would have\n",
			what, flexos__rt.compartments[owner].name, when,
			flexos__rt.compartments[here].name);
}

static bool runs_here(const void *h, const char *what, const char *when)
{
	unsigned owner, here = flexos__accessor_now();
	enum flexos_memory_kind kind;

	if (!flexos__classify((uintptr_t)h, &owner, &kind) || owner == here)
		return true;
	/* The record is out of reach here: only its owner named. */
	say_not_run(owner, what, when);
	return false;
}

/* `status`: the exit's, for on_exit's handlers; `kind`: what the record,
 * out of reach, cannot say. */
static bool run_handler(struct exit_handler *h, int status,
			const struct handler_kind *kind)
{
	if (!runs_here(h, kind->what, kind->when))
		return false;
	if (h->with_status)
		h->with_status(status, h->arg);
	else
		h->fn(h->arg);
	return true;
}

static void trampoline(void *h)
{
	run_handler(h, 0, &at_exit);
}

/* One record per registration, each run once: freed by its owner. */
static void trampoline_thread(void *h)
{
	if (run_handler(h, 0, &at_thread_exit))
		free(h);
}

/* The runtime's own, past the records. */
static void trampoline_plain(void *fn)
{
	((void (*)(void))fn)();
}

static void trampoline_on_exit(int status, void *h)
{
	run_handler(h, status, &at_exit);
}

/* A record in the calling compartment's heap: malloc serves it from
 * there. */
static struct exit_handler *record(struct exit_handler handler)
{
	struct exit_handler *h = malloc(sizeof(*h));

	if (h)
		*h = handler;
	return h;
}

int flexos__at_exit(void (*fn)(void))
{
	if (!__real___cxa_atexit)
		return atexit(fn);
	return __real___cxa_atexit(trampoline_plain, (void *)fn, NULL);
}

int __wrap___cxa_atexit(void (*fn)(void *), void *arg, void *dso)
{
	struct exit_handler *h;

	if (!flexos__rt.isolating)
		return __real___cxa_atexit(fn, arg, dso);
	h = record((struct exit_handler){ .fn = fn, .arg = arg });
	return h ? __real___cxa_atexit(trampoline, h, dso) : -1;
}

/* musl's atexit registers with __cxa_atexit inside its own file, past
 * the wrap: the handler is one of __cxa_atexit's, its argument unused. */
int __wrap_atexit(void (*fn)(void))
{
	return __wrap___cxa_atexit((void (*)(void *))fn, NULL, NULL);
}

int __wrap_on_exit(void (*fn)(int, void *), void *arg)
{
	struct exit_handler *h;

	if (!flexos__rt.isolating)
		return __real_on_exit(fn, arg);
	h = record((struct exit_handler){ .with_status = fn, .arg = arg });
	return h ? __real_on_exit(trampoline_on_exit, h) : -1;
}

/* A thread's exit handler, in the registering compartment's heap like
 * the others; `real` registers the trampoline with the C library. */
static int thread_exit_handler(int (*real)(void (*)(void *), void *, void *),
			       void (*fn)(void *), void *arg, void *dso)
{
	struct exit_handler *h;

	if (!flexos__rt.isolating)
		return real(fn, arg, dso);
	h = record((struct exit_handler){ .fn = fn, .arg = arg });
	if (!h)
		return -1;
	if (flexos__self.starts_closed && flexos__sealed.pkru_gate) {
		unsigned c = flexos__current();

		h->next = flexos__self.exit_records[c];
		flexos__self.exit_records[c] = h;
		return 0;
	}
	return real(trampoline_thread, h, dso);
}

int __wrap___cxa_thread_atexit_impl(void (*fn)(void *), void *arg, void *dso)
{
	return thread_exit_handler(__real___cxa_thread_atexit_impl, fn, arg,
				   dso);
}

int __wrap___cxa_thread_atexit(void (*fn)(void *), void *arg, void *dso)
{
	return thread_exit_handler(__real___cxa_thread_atexit, fn, arg, dso);
}

/* Quick-exit handlers: the C library hands them nothing (at_quick_exit's
 * take no argument), so every registration of an isolated image registers
 * the same runner, and a stack of the runtime's, in key 0 like the C
 * library's own list, keeps the records.  The C library calls the runner
 * once per registration, the latest first: each call takes the record on
 * top, so every handler keeps its place among the others. */
static struct exit_handler **quick_exit_records;
static size_t quick_exit_count, quick_exit_room;
static pthread_mutex_t quick_exit_lock = PTHREAD_MUTEX_INITIALIZER;

static void quick_exit_runner(void)
{
	struct exit_handler *h = NULL;

	pthread_mutex_lock(&quick_exit_lock);
	if (quick_exit_count)
		h = quick_exit_records[--quick_exit_count];
	pthread_mutex_unlock(&quick_exit_lock);
	if (h)
		run_handler(h, 0, &at_quick_exit_kind);
}

/* Registers with glibc's __cxa_at_quick_exit where the image has it (what
 * its at_quick_exit calls), else with musl's at_quick_exit. */
static int register_quick_exit(void (*fn)(void), void *dso)
{
	return __real___cxa_at_quick_exit
		       ? __real___cxa_at_quick_exit((void (*)(void *))fn, dso)
		       : __real_at_quick_exit(fn);
}

static int quick_exit_handler(void (*fn)(void), void *dso)
{
	struct exit_handler *h;
	int err = -1;

	if (!flexos__rt.isolating)
		return register_quick_exit(fn, dso);
	h = record((struct exit_handler){ .fn = (void (*)(void *))fn });
	if (!h)
		return -1;
	/* Held across the C library's call: the record's place on the
	 * stack must be its registration's among the C library's. */
	pthread_mutex_lock(&quick_exit_lock);
	if (quick_exit_count == quick_exit_room) {
		size_t room = quick_exit_room ? 2 * quick_exit_room : 32;
		struct exit_handler **grown = __libc_realloc(
			quick_exit_records, room * sizeof(*grown));
		if (grown) {
			quick_exit_records = grown;
			quick_exit_room = room;
		}
	}
	if (quick_exit_count < quick_exit_room) {
		quick_exit_records[quick_exit_count++] = h;
		err = register_quick_exit(quick_exit_runner, dso);
		if (err)
			quick_exit_count--;
	}
	pthread_mutex_unlock(&quick_exit_lock);
	if (err)
		free(h);
	return err;
}

int __wrap_at_quick_exit(void (*fn)(void))
{
	return quick_exit_handler(fn, NULL);
}

int __wrap___cxa_at_quick_exit(void (*fn)(void *), void *dso)
{
	return quick_exit_handler((void (*)(void))fn, dso);
}

/* Key destructors: the C library hands one only the thread's value, so
 * each key an isolated compartment creates with a destructor takes a slot
 * of its own, whose entry (key_destructor_slots.S) names it.  The slot
 * holds a record in the creating compartment's heap, an exit handler's.
 * The table is the runtime's, in key 0, like the C library's own key
 * table: a compartment that rewrites it can point a slot at a record in
 * memory no compartment owns, which then runs with the rights of the
 * compartment that ends the thread (threat-model.md). */
static struct exit_handler *key_destructors[GATE_KEY_SLOTS];
static unsigned short slot_of_key[GATE_KEY_SLOTS]; /* 1 + slot, or 0 */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;

void flexos__key_destructor_run(void *value, unsigned slot);
void flexos__key_destructor_run(void *value, unsigned slot)
{
	struct exit_handler *d = key_destructors[slot];

	if (d && runs_here(d, "a key destructor", "the thread's end"))
		d->fn(value);
}

int __wrap_pthread_key_create(pthread_key_t *key, void (*fn)(void *))
{
	extern const unsigned char flexos__key_destructor_slots[];
	struct exit_handler *d;
	unsigned slot = 0;
	int err;

	if (!flexos__rt.isolating || !fn)
		return __real_pthread_key_create(key, fn);
	d = record((struct exit_handler){ .fn = fn });
	if (!d)
		return ENOMEM;
	/* Held across the C library's call: a key deleted meanwhile comes
	 * back at the same index, and its slot must be the new one's. */
	pthread_mutex_lock(&key_lock);
	while (slot < GATE_KEY_SLOTS && key_destructors[slot])
		slot++;
	if (slot == GATE_KEY_SLOTS) {
		err = EAGAIN; /* as many as the C library's keys */
	} else {
		err = __real_pthread_key_create(
			key, (void (*)(void *))(flexos__key_destructor_slots +
						slot * GATE_KEY_SLOT_BYTES));
		if (!err) {
			key_destructors[slot] = d;
			if (*key < GATE_KEY_SLOTS)
				slot_of_key[*key] =
					(unsigned short)(slot + 1);
		}
	}
	pthread_mutex_unlock(&key_lock);
	if (err)
		free(d);
	return err;
}

int __wrap_pthread_key_delete(pthread_key_t key)
{
	int err;

	pthread_mutex_lock(&key_lock);
	err = __real_pthread_key_delete(key);
	if (!err && key < GATE_KEY_SLOTS && slot_of_key[key]) {
		/* The record stays: the deleting compartment may not own it,
		 * and a thread ending now may still be running it. */
		key_destructors[slot_of_key[key] - 1] = NULL;
		slot_of_key[key] = 0;
	}
	pthread_mutex_unlock(&key_lock);
	return err;
}

/* Whether `record` lies in `compartment`'s heap, as that compartment's
 * own state page says: a record a table in key 0 names may be anything
 * else. */
static bool in_heap_of(unsigned compartment, const void *record)
{
	const struct flexos__heap *heap = flexos__sealed.heaps[compartment];

	return (uintptr_t)record - (uintptr_t)heap->base < heap->size;
}

/* The C library runs the destructors of a thread's keys after the thread
 * leaves its start routine, which on hardware keys and baremetal is with
 * no compartment's rights: the thread runs those of the keys its
 * compartment created here, in its compartment, as the C library would
 * (each value set to NULL first, again while some destructor set one).
 * The values are taken with every compartment closed: the C library
 * reads and writes them through its thread descriptor and key table, in
 * key 0, where a compartment can point them at any word. */
struct key_values {
	unsigned n;
	pthread_key_t key[GATE_KEY_SLOTS];
	struct exit_handler *destructor[GATE_KEY_SLOTS];
	void *value[GATE_KEY_SLOTS];
};

static void *take_key_values(void *arg)
{
	struct key_values *values = arg;

	for (unsigned i = 0; i < values->n; i++) {
		values->value[i] = pthread_getspecific(values->key[i]);
		if (values->value[i])
			pthread_setspecific(values->key[i], NULL);
	}
	return NULL;
}

static void run_key_destructors_of(unsigned compartment)
{
	enum { STACK = 64 * 1024 };
	char *room = __libc_malloc(sizeof(struct key_values) + STACK);
	struct key_values *values = (struct key_values *)room;

	if (!room)
		return; /* the C library's round skips them, with a line */
	for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
		bool ran = false;

		values->n = 0;
		for (pthread_key_t key = 0; key < GATE_KEY_SLOTS; key++) {
			unsigned slot = slot_of_key[key];
			struct exit_handler *d =
				slot ? key_destructors[slot - 1] : NULL;

			if (d && in_heap_of(compartment, d)) {
				values->key[values->n] = key;
				values->destructor[values->n++] = d;
			}
		}
		flexos__pkru_call_closed(
			take_key_values, values,
			(char *)((uintptr_t)(room + sizeof(*values) + STACK) &
				 ~(uintptr_t)15));
		for (unsigned i = 0; i < values->n && i < GATE_KEY_SLOTS; i++) {
			struct exit_handler *d = values->destructor[i];
			void *value = values->value[i];

			if (value && in_heap_of(compartment, d)) {
				d->fn(value);
				ran = true;
			}
		}
		if (!ran)
			break;
	}
	__libc_free(room);
}

/* The thread-exit handlers compartments registered on this thread, the
 * latest first: those of `compartment`, and a line for each other
 * compartment that has some, which do not run. */
void flexos__thread_exit_handlers_in(unsigned compartment)
{
	void **list = flexos__self.exit_records;

	for (;;) {
		struct exit_handler *h = list[compartment];

		if (!h)
			break;
		if (!in_heap_of(compartment, h)) {
			list[compartment] = NULL; /* rewritten in key 0 */
			break;
		}
		list[compartment] = h->next;
		h->fn(h->arg);
		free(h);
	}
	for (unsigned c = 0; c < flexos__rt.ncompartments; c++) {
		if (c == compartment || !list[c])
			continue;
		list[c] = NULL;
		say_not_run(c, at_thread_exit.what, at_thread_exit.when);
	}
}

void flexos__thread_end_in(unsigned compartment)
{
	flexos__thread_exit_handlers_in(compartment);
	run_key_destructors_of(compartment);
}
