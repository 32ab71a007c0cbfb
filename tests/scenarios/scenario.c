/* Backend-independent scenarios: the default compartment ("scenario") and
 * a library in its own compartment ("peer").  Each scenario prints what it
 * saw; isolation scenarios succeed under fcall and must stop with the fault
 * report under an isolating backend.  Usage: scenario <name>. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "check.h"
#include "errors.h"
#include "exploit.h"
#include "signals.h"
#include "peer.h"


static int secret = 1234;
FLEXOS_SHARED static int shared_counter = 5;

static int abi(void)
{
	long sum;
	double mixed;
	struct pair pair;
	int64_t big;

	flexos_gate_r(sum, peer, peer_sum6, 1, 2, 3, 4, 5, 6);
	CHECK(sum == 21);
	flexos_gate_r(sum, peer, peer_sum10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
	CHECK(sum == 385);
	flexos_gate_r(mixed, peer, peer_mix, 1, 0.5, 0.25f, 2, 0.125, 3, 1.0,
		      2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
	CHECK(mixed == 1 + 0.5 + 0.25 + 2 + 0.125 + 3 + 1 + 2 + 3 + 4 + 5 +
			       12 + 21);
	flexos_gate_r(pair, peer, peer_pair, ((struct pair){ 3, 1.5 }),
		      ((struct small){ 7, 4 }));
	CHECK(pair.a == 21 && pair.b == 6.0);
	flexos_gate_r(big, peer, peer_big, ((struct big){ { 1, 2, 3, 4, 5 } }));
	CHECK(big == 54321);
	int none;
	flexos_gate_r(none, peer, peer_nothing);
	CHECK(none == 0);
	printf("abi ok\n");
	return 0;
}

static int depth;

static int back_in_scenario(int x);

/* scenario -> peer -> scenario -> peer -> scenario: each hop must run in
 * the compartment of its code. */
static int back_in_scenario(int x)
{
	int in_peer;

	CHECK(flexos_current_compartment() == 0);
	secret++; /* private data of the default compartment */
	if (++depth == 3)
		return x;
	/* fcall does not track compartments: every call stays in 0. */
	flexos_gate_r(in_peer, peer, peer_compartment);
	CHECK(in_peer == (strcmp(flexos_backend_name(), "fcall") ? 1 : 0));
	return flexos_gate(peer, peer_call_back,
			   flexos_callback(scenario, back_in_scenario), x * 2);
}

/* Called back by the peer with the address of one of its locals. */
static int read_peer_local(const int *local)
{
	return *local;
}

static int nested(void)
{
	int result;
	int isolated = strcmp(flexos_backend_name(), "fcall") != 0;

	result = flexos_gate(peer, peer_call_back,
			     flexos_callback(scenario, back_in_scenario), 5);
	CHECK(result == 5 * 2 * 2 + 3);
	CHECK(depth == 3 && secret == 1234 + 3);
	CHECK(flexos_current_compartment() == 0);
	printf("nested ok (%s)\n", isolated ? "isolated" : "not isolated");
	return 0;
}

static int touch_secret(int x);

/* A callback the program calls itself: a gate into its own compartment
 * (a table of function pointers that the library and the program share). */
static int self_callback(void)
{
	int (*triple)(int) = flexos_callback(scenario, touch_secret);
	int result = triple(8);

	CHECK(result == secret + 8);
	CHECK(flexos_current_compartment() == 0);
	printf("self callback ok: %d\n", result);
	return 0;
}

static int touch_secret(int x)
{
	return secret + x;
}

static int undeclared_callback(void)
{
	/* peer calls touch_secret directly, without a gate: it runs in peer's
	 * compartment and reads scenario's private data. */
	int result = flexos_gate(peer, peer_call_back, touch_secret, 1);
	printf("undeclared callback returned %d\n", result);
	return 0;
}

static int peer_reads(const int *p, const char *what)
{
	int value = flexos_gate(peer, peer_read, p);
	printf("peer read %s: %d\n", what, value);
	return 0;
}

/* An allocator wrapper of the kind most libraries have: the block it
 * returns is its caller's.  Learning mode takes it for one by its name. */
__attribute__((noinline)) static void *scenario_xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		perror("scenario_xmalloc");
		exit(1);
	}
	return p;
}

/* Two callers of the wrapper: a policy learned from the first shares its
 * blocks by its name and leaves the second's private. */
__attribute__((noinline)) static int wrapped_record(void)
{
	int *record = scenario_xmalloc(sizeof(*record));

	*record = 66;
	peer_reads(record, "wrapped heap");
	free(record);
	return 0;
}

__attribute__((noinline)) static int other_wrapped_record(void)
{
	int *record = scenario_xmalloc(sizeof(*record));

	*record = 67;
	peer_reads(record, "other wrapped heap");
	free(record);
	return 0;
}

/* A static function of the same name as one of peer.c's: a sharing
 * policy's share-heap twin_object names both (docs/porting.md). */
__attribute__((noinline)) static int *twin_object(void)
{
	int *p = malloc(sizeof(*p));

	*p = 31;
	return p;
}

/* Each compartment reads what the other's twin_object allocated. */
static int twin_heaps(void)
{
	int *mine = twin_object();
	int *theirs = flexos_gate(peer, peer_twin_object);

	peer_reads(mine, "twin heap");
	fflush(stdout);
	printf("host read peer twin heap: %d\n", *theirs);
	return 0;
}

/* A call to a function no gate names, made the way a compromised
 * compartment could: a stub of its own, straight into the trampoline. */
__asm__(".text\n"
	"forged_stub:\n\t"
	"lea flexos_lib_peer(%rip), %r10\n\t"
	"lea peer_not_an_entry(%rip), %r11\n\t"
	"jmp flexos__gate\n");
extern int forged_stub(void);

static int forged_gate(void)
{
	printf("forged gate returned %d\n", forged_stub());
	return 0;
}

/* The callee dies in the middle of a call. */
static int callee_killed(void)
{
	int pid = flexos_gate(peer, peer_pid);
	int result = flexos_gate(peer, peer_kill, pid);

	printf("gate to a dead callee returned %d (%s)\n", result,
	       strerror(errno));
	result = flexos_gate(peer, peer_nothing);
	printf("next gate returned %d\n", result);
	return 0;
}

/* The caller dies in the middle of a call; its callee must not survive. */
static int caller_killed(void)
{
	printf("peer process %d\n", flexos_gate(peer, peer_pid));
	fflush(stdout);
	flexos_gate(peer, peer_kill, (int)getpid());
	return 0;
}

static int shared(void)
{
	int *on_heap = flexos_shared_malloc(sizeof(*on_heap));

	CHECK(on_heap);
	flexos_gate(peer, peer_write, &shared_counter, 6);
	flexos_gate(peer, peer_write, on_heap, 7);
	printf("shared static %d, shared heap %d\n", shared_counter, *on_heap);
	flexos_shared_free(on_heap);
	return 0;
}

/* For memory debuggers on fcall (tests: debug.valgrind.*, debug.asan.*):
 * a block of the host's heap that only a shared block points to is not
 * lost, and a write past a heap block is found. */
static int shared_holds_private(void)
{
	static void **volatile box;

	box = flexos_shared_malloc(sizeof(*box));
	CHECK(box);
	*box = malloc(100);
	CHECK(*box);
	memset(*box, 1, 100);
	printf("a shared block holds the only pointer to a private one\n");
	return 0;
}

static int heap_overflow(void)
{
	volatile char *block = malloc(8);

	CHECK(block);
	block[8] = 1;
	printf("wrote one byte past a heap block\n");
	free((char *)block);
	return 0;
}

static int shared_exhaust(void)
{
	void *blocks[4096];
	size_t n = 0;

	errno = 0;
	while (n < 4096 && (blocks[n] = flexos_shared_malloc(1 << 20)))
		n++;
	CHECK(n > 0 && n < 4096);
	CHECK(errno == ENOMEM);
	while (n)
		flexos_shared_free(blocks[--n]);
	CHECK((blocks[0] = flexos_shared_malloc(1 << 20)) != NULL);
	printf("shared heap exhausted cleanly: NULL, ENOMEM\n");
	return 0;
}

/* Each worker's own catch, which the peer raises errors into. */
FLEXOS_SHARED static jmp_buf worker_catch[4];

static int worker_callback(int x)
{
	return flexos_gate(peer, peer_sum6, x, 0, 0, 0, 0, 0);
}

/* Threads cross at once: plain gates, nested callbacks (worker -> peer ->
 * worker -> peer) and errors raised by the peer into the worker's setjmp;
 * then the image ends with no thread left waiting. */
static void *worker(void *arg)
{
	long id = (long)arg;

	for (long i = 0; i < 2000; i++) {
		long sum = flexos_gate(peer, peer_sum6, id, i, 1, 1, 1, 1);
		CHECK(sum == id + i + 4);
		int nested = flexos_gate(peer, peer_call_back,
					 flexos_callback(scenario, worker_callback),
					 (int)i);
		CHECK(nested == i + 1);
		if (i % 10 == 0) {
			int code = setjmp(worker_catch[id]);
			if (!code) {
				flexos_gate(peer, peer_raise, &worker_catch[id],
					    (int)i + 1);
				CHECK(!"peer_raise returned");
			}
			CHECK(code == i + 1);
		}
		CHECK(flexos_current_compartment() == 0);
	}
	return (void *)(id * 10);
}

static int threads(void);

static void *gate_then_exit(void *arg)
{
	CHECK(flexos_gate(peer, peer_sum6, 1, 2, 3, 4, 5, 6) == 21);
	pthread_exit(arg);
}

/* More threads, one after another, than there are stack slots, each
 * ending with pthread_exit outside any gate: each slot comes back. */
static int thread_churn(void)
{
	for (int i = 0; i < 100; i++) {
		pthread_t t;

		CHECK(pthread_create(&t, NULL, gate_then_exit, NULL) == 0);
		CHECK(pthread_join(t, NULL) == 0);
	}
	printf("100 threads came and went\n");
	return 0;
}

static void *exit_in_peer(void *arg)
{
	flexos_gate(peer, peer_exit_thread);
	return arg;
}

/* A thread ends inside a gate; threads after it still cross gates. */
static int exit_inside_gate(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, exit_in_peer, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	printf("a thread ended inside a gate\n");
	return threads();
}

static int threads(void)
{
	pthread_t t[4];

	for (long i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (long i = 0; i < 4; i++) {
		void *result;
		CHECK(pthread_join(t[i], &result) == 0);
		CHECK((long)result == i * 10);
	}
	printf("threads ok\n");
	return 0;
}

static unsigned switches, created;

static void count_switch(unsigned from, unsigned to, void *context)
{
	(void)from;
	(void)to;
	(void)context;
	switches++;
}

static void count_thread(unsigned compartment, void *context)
{
	(void)compartment;
	(void)context;
	created++;
}

static void *idle(void *arg)
{
	return arg;
}

/* The read-static access, made by a thread of its own: each thread's
 * rights are its own. */
static void *read_secret_in_thread(void *arg)
{
	(void)arg;
	/* Late enough that main waits in pthread_join by then. */
	usleep(50 * 1000);
	peer_reads(&secret, "static");
	return NULL;
}

static int thread_reads_static(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, read_secret_in_thread, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	return 0;
}

static int hooks(void)
{
	struct flexos_hooks table = { .domain_switch = count_switch,
				      .thread_create = count_thread };
	pthread_t t;

	flexos_hooks_register(&table);
	for (int i = 0; i < 3; i++)
		flexos_gate(peer, peer_nothing);
	CHECK(pthread_create(&t, NULL, idle, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	flexos_hooks_register(NULL);
	printf("domain switches: %u, threads created: %u\n", switches, created);
	return 0;
}

/* A destructor of the program's, with a gate when the scenario asks: it is
 * the default compartment's, and runs once, in the default process (proc's
 * compartment processes end without it: they do not have this static). */
static bool gate_in_destructor;

__attribute__((destructor)) static void destructor(void)
{
	if (gate_in_destructor)
		printf("destructor gate: %ld\n",
		       flexos_gate(peer, peer_sum6, 1, 2, 3, 4, 5, 6));
}

/* A constructor of the program's, with a gate when the environment asks
 * (constructors see no arguments under every C library): it runs before
 * main, on the main thread's first stack, on no stack slot of the default
 * compartment's.  Ten arguments: four travel on the stack. */
__attribute__((constructor)) static void constructor(void)
{
	if (getenv("SCENARIO_GATE_IN_CONSTRUCTOR"))
		printf("constructor gate: %ld\n",
		       flexos_gate(peer, peer_sum10, 1, 2, 3, 4, 5, 6, 7, 8, 9,
				   10));
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "";
	int local = 99;
	/* Static: reachable until the end, so that valgrind's and
	 * LeakSanitizer's leak checks see no leak of the scenarios'. */
	static int *on_heap;
	int *peer_owned;

	on_heap = malloc(sizeof(*on_heap));
	*on_heap = 55;
	printf("backend %s, %u compartments\n", flexos_backend_name(),
	       flexos_compartment_count());
	fflush(stdout);
	if (!strcmp(name, "abi"))
		return abi();
	if (!strcmp(name, "nested"))
		return nested();
	if (!strcmp(name, "self-callback"))
		return self_callback();
	if (!strcmp(name, "undeclared-callback"))
		return undeclared_callback();
	if (!strcmp(name, "read-static"))
		return peer_reads(&secret, "static");
	if (!strcmp(name, "thread-read-static"))
		return thread_reads_static();
	if (!strcmp(name, "read-static-reentered")) {
		/* Entering peer again: baremetal's gate takes its fast path. */
		flexos_gate(peer, peer_nothing);
		return peer_reads(&secret, "static");
	}
	if (!strcmp(name, "read-heap"))
		return peer_reads(on_heap, "heap");
	if (!strcmp(name, "read-wrapped-heap"))
		return wrapped_record();
	if (!strcmp(name, "read-other-wrapped-heap"))
		return other_wrapped_record();
	if (!strcmp(name, "read-stack"))
		return peer_reads(&local, "stack");
	if (!strcmp(name, "write-static")) {
		flexos_gate(peer, peer_write, &secret, 1);
		printf("peer wrote static: %d\n", secret);
		return 0;
	}
	if (!strcmp(name, "write-stack")) {
		int out = 0;
		flexos_gate(peer, peer_write, &out, 42);
		printf("peer wrote the host's stack: %d\n", out);
		return 0;
	}
	if (!strcmp(name, "callee-exits")) {
		flexos_gate(peer, peer_exit, 0);
		printf("the gate returned\n");
		return 0;
	}
	if (!strcmp(name, "errno")) {
		errno = EINTR;
		int seen = flexos_gate(peer, peer_swap_errno, EDOM);
		int now = errno;
		printf("the callee saw errno %s, the caller sees %s\n",
		       seen == EINTR ? "EINTR" : strerror(seen),
		       now == EDOM ? "EDOM" : strerror(now));
		return 0;
	}
	if (!strcmp(name, "host-reads-peer-const-table")) {
		const struct peer_ops *ops = flexos_gate(peer, peer_const_table);
		printf("host read the peer's const table: %s, %s\n",
		       ops->name, ops->read == peer_read ? "peer_read" : "?");
		return 0;
	}
	if (!strcmp(name, "host-reads-peer-static")) {
		peer_owned = flexos_gate(peer, peer_static_object);
		printf("host read peer static: %d\n", *peer_owned);
		return 0;
	}
	if (!strcmp(name, "private-exhaust")) {
		int got = flexos_gate(peer, peer_exhaust_heap, 100);
		printf("peer's heap %s\n", got < 0 ? "ran out: NULL, ENOMEM"
						    : "served 100 MiB");
		return 0;
	}
	if (!strcmp(name, "stats")) {
		/* 100 KiB in a 104 KiB block, 10 KiB in an 11 KiB one. */
		printf("peer held memory: %d\n",
		       flexos_gate(peer, peer_hold_memory, (size_t)100 << 10,
				   (size_t)10 << 10, (size_t)96 << 10));
		return 0;
	}
	if (!strcmp(name, "host-reads-peer-stack")) {
		printf("host read peer stack: %d\n",
		       flexos_gate(peer, peer_call_back_with_local,
				   flexos_callback(scenario, read_peer_local)));
		return 0;
	}
	if (!strcmp(name, "host-reads-peer-heap")) {
		peer_owned = flexos_gate(peer, peer_heap_object);
		printf("host read peer heap: %d\n", *peer_owned);
		return 0;
	}
	if (!strcmp(name, "host-frees-peer-heap")) {
		/* As libjpeg's jpeg_mem_dest has it: the caller frees. */
		free(flexos_gate(peer, peer_heap_object));
		printf("host freed peer heap\n");
		return 0;
	}
	if (!strcmp(name, "host-reads-peer-dup")) {
		static char *copy;

		copy = flexos_gate(peer, peer_dup, "tail");
		printf("host read peer dup: %s\n", copy);
		return 0;
	}
	if (!strcmp(name, "twin-heaps"))
		return twin_heaps();
	if (!strcmp(name, "host-reads-peer-strdup")) {
		char *copy = flexos_gate(peer, peer_strdup, "dup");
		printf("host read peer strdup: %s\n", copy);
		return 0;
	}
	if (!strcmp(name, "host-reads-peer-alloc") && argc > 2) {
		char *block = flexos_gate(peer, peer_alloc, argv[2]);
		CHECK(block);
		printf("host read peer %s: %s\n", argv[2], block);
		return 0;
	}
	if (!strcmp(name, "read-heap-then-crash")) {
		peer_reads(on_heap, "heap");
		fflush(stdout);
		return *(volatile int *)NULL;
	}
	if (!strcmp(name, "gate-in-destructor")) {
		gate_in_destructor = true;
		printf("main returns 3\n");
		return 3;
	}
	if (!strcmp(name, "shared"))
		return shared();
	if (!strcmp(name, "forged-gate"))
		return forged_gate();
	if (!strcmp(name, "callee-killed"))
		return callee_killed();
	if (!strcmp(name, "caller-killed"))
		return caller_killed();
	if (!strcmp(name, "shared-holds-private"))
		return shared_holds_private();
	if (!strcmp(name, "heap-overflow"))
		return heap_overflow();
	if (!strcmp(name, "shared-exhaust"))
		return shared_exhaust();
	if (!strcmp(name, "threads"))
		return threads();
	if (!strcmp(name, "exit-inside-gate"))
		return exit_inside_gate();
	if (!strcmp(name, "thread-churn"))
		return thread_churn();
	if (!strcmp(name, "hooks"))
		return hooks();
	int status = exploit(name);
	if (status >= 0)
		return status;
	status = errors(name);
	if (status >= 0)
		return status;
	status = signals(name);
	if (status >= 0)
		return status;
	fprintf(stderr, "scenario: unknown scenario '%s'\n", name);
	return 2;
}
