/* The library the scenarios put into a compartment of its own. */
#ifndef PEER_H
#define PEER_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

struct pair {
	int64_t a;
	double b;
};

struct small {
	int32_t x, y;
};

struct big {
	int64_t v[5];
};

int peer_nothing(void);
long peer_sum6(long a, long b, long c, long d, long e, long f);
long peer_sum10(long a, long b, long c, long d, long e, long f, long g,
		long h, long i, long j);
double peer_mix(int a, double b, float c, long d, double e, char f,
		double g, double h, double i, double j, double k, double l,
		double m);
struct pair peer_pair(struct pair p, struct small s);
int64_t peer_big(struct big b);
int peer_compartment(void);

/* Callbacks: calls cb(x) and returns the result plus one. */
int peer_call_back(int (*cb)(int), int x);
/* Allocates private_bytes from its heap and shared_bytes from the shared
 * heap, and keeps both; uses stack_bytes of its stack.  Returns 6. */
int peer_hold_memory(size_t private_bytes, size_t shared_bytes,
		     size_t stack_bytes);
/* Allocates MiB blocks from its heap until `most` or ENOMEM, frees them:
 * -1 when its heap ran out first, else `most`. */
int peer_exhaust_heap(int most);
/* Calls cb with the address of a local of its own stack. */
int peer_call_back_with_local(int (*cb)(const int *));

/* Touching memory handed over. */
int peer_read(const int *p);
void peer_write(int *p, int value);
/* Memory that belongs to the peer. */
int *peer_static_object(void);
/* Ends its process (the whole image but on proc) with `status`. */
void peer_exit(int status);
/* Returns the errno it found, and leaves `value` in errno. */
int peer_swap_errno(int value);
struct peer_ops {
	int (*read)(const int *p);
	const char *name;
};
/* A const table of pointers of the peer's: readable by everybody. */
const struct peer_ops *peer_const_table(void);
int *peer_heap_object(void);
/* From the peer's static twin_object (scenario.c has one of that name). */
int *peer_twin_object(void);
char *peer_strdup(const char *s);
/* strdup(s), reached by a jump (a tail call). */
char *peer_dup(const char *s);
/* A block from the peer's code by allocator `how` (malloc, calloc, realloc,
 * reallocarray, posix_memalign, aligned_alloc, memalign, strdup, strndup,
 * asprintf, getline), holding the text "peer"; NULL for an unknown
 * allocator. */
char *peer_alloc(const char *how);

/* Process control, for the fault scenarios of the proc backend. */
int peer_pid(void);
/* Sends SIGKILL to `pid` and waits to die with it; returns 0 otherwise. */
int peer_kill(int pid);
/* Ends the calling thread (pthread_exit) in the middle of a gate. */
void peer_exit_thread(void);
/* No gate names it: not an entry point of the peer's compartment. */
int peer_not_an_entry(void);

/* The peer compromised (peer_exploit.c). */
int peer_clobber_registers(void);
int peer_scribble_above(long words);
int peer_return_into(void (*target)(void));
int peer_write_runtime_state(void);
/* A thread of the peer's, reading key[0], started after the peer claimed
 * the host's compartment: returns what it read. */
int peer_thread_in_host(const char *key);
/* Points every return address on the calling thread's stack from the C
 * library (the 64 KiB below its descriptor) into the image's code at
 * `target`: how many. */
int peer_hijack_thread_return(void (*target)(void));
/* Rewrites the state of the host's heap (or, without one, host_block). */
int peer_corrupt_host_heap(char *host_block);
/* Registers a hook that reads host_key[0]: flexos_hooks_register's
 * result. */
int peer_register_hook(char *host_key);
/* Jumps into the gate's WRPKRU with every key open in %eax; returns
 * host_key[0] where there is no such gate to jump into. */
int peer_jump_into_gate(const char *host_key);
/* Calls the backend's thread_start (op 0) or grant (op 1) for the host's
 * compartment, then returns key[0]. */
int peer_call_backend(const char *key, int op);
/* musl (baremetal): points stderr's write function at code of the peer's
 * that reads key[0] and ends the image, then faults on key[0]: the fault
 * report writes to stderr. */
int peer_hijack_fault_report(const char *key);
/* Moves the thread pointer (FS base) to a thread control block of the
 * peer's, where the host's thread-local word, `word_offset` bytes from the
 * thread pointer, says "peer-tls"; returns 0, or -errno. */
long peer_move_thread_pointer(long word_offset);
/* Opens the host's key with glibc's pkey_set (hardware keys only), then
 * returns key[0]. */
int peer_call_pkey_set(const char *key);
/* Points the shared heap's next 100-byte block at `target`. */
int peer_forge_shared_free_list(void *target);
/* Instructions outside the runtime's gate that write PKRU, each printed. */
unsigned peer_count_pkru_writers(void);

/* Routes around private memory through the kernel. */
enum kernel_route {
	ROUTE_PKEY_MPROTECT,  /* retag a host page with key 0 */
	ROUTE_MPROTECT,       /* make a host page readable */
	ROUTE_MMAP_FIXED,     /* map fresh memory over a host page */
	ROUTE_MUNMAP,         /* unmap a host page */
	ROUTE_MADVISE,        /* MADV_DONTNEED: the page reverts to the file */
	ROUTE_PROC_MEM,       /* write through /proc/<pid>/mem */
	ROUTE_PROCESS_VM,     /* process_vm_writev */
	ROUTE_PTRACE,         /* PTRACE_ATTACH, then POKEDATA */
	ROUTE_EXEC_MEMORY,    /* run code written at run time */
	ROUTE_RUNTIME_SIGNAL, /* replace the runtime's SIGSEGV handler */
	ROUTE_SIGNAL_HIGH,    /* the same, SIGSEGV | 1 << 32 */
	ROUTE_PERF,           /* perf_event_open: samples of other stacks */
	ROUTE_UFFD_DEVICE,    /* /dev/userfaultfd: fills pages past keys */
	ROUTE_RUNTIME_SITE,   /* mprotect from the runtime's own instruction */
	ROUTE_SHM_EXEC,       /* run code written into shmat(SHM_EXEC) memory */
	ROUTE_RUNTIME_SEALED, /* the same, to make the sealed page writable */
	ROUTE_SET_TID_ADDRESS, /* a host word the kernel clears at thread end */
	ROUTE_FORGED_SIGSYS,  /* a SIGSYS with the policy's trap code, queued */
	ROUTE_SENT_SIGSYS,    /* kill(host, SIGSYS): not a trap */
	ROUTE_CHILD_SIGSYS,   /* a child whose exit signal is SIGSYS */
};
/* Takes `route` against host_page (page aligned, the host's) of process
 * host_pid: the byte it read, the call's result, or -errno. */
long peer_kernel_attack(int route, char *host_page, int host_pid);
/* Opens path, makes an IP socket: bit 0 the file opened, bit 1 the socket,
 * bit 2 its process is dumpable. */
int peer_reach_outside(const char *path);
/* Returns from a signal of its own with every key open in the frame's
 * saved PKRU, then returns key[0]. */
int peer_forge_signal_frame(const char *key);
/* Arms a timer whose signal runs a handler of the peer's that prints
 * host_page, on whatever thread it interrupts: 0, or -errno. */
int peer_arm_signal(char *host_page);
/* Registers an exit handler that prints host_page: a compromised
 * library's atexit, which the host's exit runs. */
int peer_arm_exit_handler(char *host_page);
int peer_arm_quick_exit_handler(char *host_page);
int peer_arm_thread_exit_handler(char *host_page);
int peer_arm_key_destructor(char *host_page);
int peer_wrong_gate_variant(const char *host_key);
/* Rewrites the sealed page through the runtime's own writer (the one hook
 * registration uses): 1 when the page then says what it wrote. */
int peer_unseal(void);

/* Signals (peer_signals.c).  Installs handlers with sigaction and
 * signal(), raises their signals: a mask of what worked. */
enum { SIGNALS_RAN = 1, SIGNALS_RESUMED = 2, SIGNALS_QUERIED = 4 };
int peer_signal_handlers(void);
/* setgid, setuid with a second thread, then, when `cancel`, cancels it:
 * 1 (ids set), 2 (cancelled), or -errno. */
int peer_library_signals(int cancel);
/* Raises a signal whose handler rewrites its frame to open every key and
 * issues rt_sigreturn itself; then returns key[0]. */
int peer_own_sigreturn(const char *key);

/* Errors across compartments (peer_errors.c): longjmp(*where, code). */
void peer_raise(jmp_buf *where, int code);
/* Calls body() under a setjmp of its own: 0, or the code peer_throw
 * raised. */
int peer_protect(void (*body)(void));
void peer_throw(int code);
/* The address of a local: where its stack stands. */
uintptr_t peer_stack_mark(void);
/* Compromised: rewrites where *where resumes to `to`, then raises. */
void peer_forge_resume(jmp_buf *where, void (*to)(void), int code);
/* Compromised: rewrites *where to resume at `to` on the stack where the
 * host's callback runs, then calls cb(1), which raises into *where. */
int peer_forge_then_call_back(jmp_buf *where, void (*to)(void),
			      int (*cb)(int));
/* Leaves the direction flag set and odd floating-point controls
 * (peer_exploit.c); the same, then longjmp(*where, code). */
void peer_dirty_controls(void);
void peer_dirty_raise(jmp_buf *where, int code);
/* Blocks SIGUSR1, then siglongjmp(*where, code). */
void peer_block_and_raise(sigjmp_buf *where, int code);
#endif
