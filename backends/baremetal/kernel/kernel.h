/* The baremetal kernel's internal interfaces: one small module per file
 * (console.c, memory.c, paging.c, trap.c, syscall.c, sched.c, futex.c,
 * loader.c, timer.c, machine.c), all in ring 0, one CPU, one program and
 * its threads. */
#ifndef FLEXOS_BAREMETAL_KERNEL_H
#define FLEXOS_BAREMETAL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../abi.h"
#include "pkru.h" /* arch/x86_64: the protection-key register */

#define PAGE_SIZE 4096ul
#define PAGE_DOWN(x) ((uint64_t)(x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x) PAGE_DOWN((uint64_t)(x) + PAGE_SIZE - 1)

/* Exit statuses of the machine besides the program's own (docs/baremetal.md). */
#define EXIT_FAULT 86          /* FLEXOS_EXIT_FAULT: an isolation fault */
#define EXIT_SETUP 87          /* FLEXOS_EXIT_SETUP: cannot start the image */
#define EXIT_DEADLOCK 88       /* every thread waits, none can be woken */
#define EXIT_KERNEL_TRAP 96    /* + vector: exception in the kernel itself */
#define EXIT_SIGNAL 128        /* + Linux signal number, as a shell shows it */

/* Linux error numbers, returned negated by system calls. */
#define EPERM 1
#define ENOENT 2
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOTTY 25
#define ENOSPC 28
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ETIMEDOUT 110

/* Selectors (baremetal_boot.S sets up the first three, trap.c the rest). */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS 0x1b
#define USER_CS 0x23
#define TSS_SEL 0x28

/* Layout of baremetal_entry.S, lowest address first. */
struct trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "baremetal_entry.S");

/* machine.c: the CPU and the machine around it. */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}
static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
void machine_init(void);
/* 64 random bits from the CPU (RDRAND, which machine_init requires). */
uint64_t random64(void);
/* Kernel option flexos.times: machine_exit reports when the program
 * started and ended (benchmarks). */
extern bool report_times;
/* Hands `status` to the host and stops; never returns. */
__attribute__((noreturn)) void machine_exit(int status);
/* Report a fatal setup error and stop with EXIT_SETUP. */
__attribute__((noreturn, format(printf, 1, 2))) void panic_setup(const char *fmt,
								  ...);

/* console.c: serial port COM1. */
void console_init(void);
void console_write(const char *s, size_t n);
extern bool console_crlf;
__attribute__((format(printf, 1, 2))) void kprintf(const char *fmt, ...);
int kvsnprintf(char *out, size_t size, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4))) int ksnprintf(char *out, size_t size,
						    const char *fmt, ...);

/* lib.c: what the compiler may call even in a freestanding kernel. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* memory.c: physical frames below 1 GiB, which the boot page tables
 * identity-map, so a frame's address is also where the kernel reaches it. */
#define PHYS_LIMIT (1ul << 30)
void memory_init(uint32_t multiboot_info);
void memory_reserve(uint64_t start, uint64_t end);
uint64_t frame_alloc(void); /* zeroed; 0 when none is left */
void frame_free(uint64_t frame);
uint64_t frames_free(void);
uint64_t memory_total(void);

/* paging.c: the program's half of the address space. */
#define PROT_R 1
#define PROT_W 2
#define PROT_X 4
#define USER_START (1ul << 30)
#define USER_END (1ul << 39)
void paging_init(void);
int vm_map(uint64_t va, uint64_t len, int prot, int key, bool populate);
int vm_protect(uint64_t va, uint64_t len, int prot, int key);
int vm_unmap(uint64_t va, uint64_t len);
/* Whether a page is mapped at va, and with which protection and key. */
bool vm_page(uint64_t va, int *prot, int *key);
/* Makes the access possible if the mapping allows it (fills a page on
 * demand); else returns the FLEXOS_BAREMETAL_FAULT_* reason. */
int vm_fault(uint64_t va, bool write, uint64_t *key);
/* Whether the kernel may touch [va, va+len) on the program's behalf, with
 * the program's own rights (its PKRU); fills pages on demand. */
bool vm_user_ok(uint64_t va, uint64_t len, bool write);
/* The length of the program's string at va, readable with its rights up to
 * its NUL; -EFAULT if not, -ENAMETOOLONG if it holds no NUL below max
 * bytes.  The kernel is never preempted: it may then read it in place. */
int64_t vm_user_string(uint64_t va, uint64_t max);
bool vm_out_of_memory(void);
/* Where the kernel reaches the byte of the program at va (0: no frame). */
uint64_t vm_frame_of(uint64_t va);
/* Copies into mapped, populated pages of the program (the loader). */
void vm_write(uint64_t va, const void *src, uint64_t n);

/* trap.c */
void trap_init(void);
void trap(struct trap_frame *frame);
__attribute__((noreturn)) void trap_return(struct trap_frame *frame);
extern uint64_t kernel_stack_top;
extern uint64_t user_fault_handler, user_fault_stack;
const char *symbol_of(uint64_t address, char *out, size_t size);
/* Resumes the program in the fault handler the runtime registered, with
 * `info` (its registers filled in from `f`); false when there is none or
 * it is busy. */
bool trap_to_user_handler(struct trap_frame *f,
			  struct flexos_baremetal_fault *info);

/* syscall.c */
#define NKEYS 16
void syscall_init(void);
void syscall_dispatch(struct trap_frame *frame);
extern bool syscall_trace; /* kernel option flexos.trace */
extern uint16_t keys_used; /* protection keys handed out; key 0 always */

/* policy.c: what a compartment may ask of the kernel once start-up is
 * over.  The checks return 0 when the call may go on; else its result,
 * the image having been stopped (the frame resumes in the runtime's fault
 * handler with the report of the refused call). */
int64_t policy_start(uint64_t sealed, uint64_t entries, uint64_t entries_size);
bool policy_started(void);
/* The runtime's sealed page, from start-up on; 0 before. */
uint64_t policy_sealed_page(void);

/* fault_walk.c: the report's backtrace and gates, into `info`, for a
 * fault at `sp` (the handler cannot read the compartments' stacks). */
void fault_walk(uint64_t sp, struct flexos_baremetal_fault *info);
/* mmap (a fresh mapping: an empty range), mmap MAP_FIXED, munmap and
 * madvise (prot 0): the call replaces or drops [va, va + len). */
int64_t policy_replace(struct trap_frame *f, uint64_t va, uint64_t len,
		       int prot);
/* mprotect (key -1) and pkey_mprotect. */
int64_t policy_protect(struct trap_frame *f, uint64_t va, uint64_t len,
		       int prot, int key);

/* sched.c: the program's threads on the one CPU, round robin.  A thread
 * that does not run keeps its registers, FS base, PKRU and FPU/SSE state
 * here; every entry from ring 3 builds its trap frame at the same place,
 * the top of the one kernel stack, so switching is rewriting that frame
 * before the kernel leaves through it. */
#define MAX_THREADS 64
#define WAKE_NEVER UINT64_MAX
enum thread_state {
	THREAD_FREE,
	THREAD_RUNNABLE,
	THREAD_SLEEPING, /* until wake_ns */
	THREAD_FUTEX,    /* on the word at `futex`, or until wake_ns */
};
struct thread {
	uint8_t fpu[512] __attribute__((aligned(16))); /* fxsave64 */
	struct trap_frame frame;
	uint64_t fs_base;
	uint32_t pkru;
	enum thread_state state;
	uint64_t tid;
	uint64_t clear_child_tid; /* zeroed and woken when the thread exits */
	/* The rights of whoever named clear_child_tid: the write at exit
	 * is theirs, not those of the compartment the thread ends in. */
	uint32_t clear_child_tid_pkru;
	uint64_t futex;
	uint64_t wake_ns; /* when a blocked thread runs again by itself */
};
extern struct thread threads[MAX_THREADS];
extern struct thread *current;
/* The thread in the program's fault handler, which alone runs then (trap.c). */
extern struct thread *fault_handler_thread;
void sched_init(void);
int64_t thread_clone(const struct trap_frame *f, uint64_t flags, uint64_t stack,
		     uint64_t parent_tid, uint64_t child_tid, uint64_t tls);
/* Ends the calling thread; the last one ends the machine with `status`. */
void thread_exit(int status);
int64_t thread_set_tid_address(uint64_t address);
/* Blocks the calling thread, from its system call, whose result is then
 * what sched_wake says (or 0 when a sleep ends, -ETIMEDOUT when a futex
 * wait times out). */
void sched_block(enum thread_state state, uint64_t wake_ns);
void sched_wake(struct thread *t, int64_t result);
/* The calling thread lets the others run: sched_yield, and the tick taken
 * from ring 3. */
void sched_yield(void);
/* On the way out of every entry from ring 3: if the calling thread blocked,
 * ended, yielded or was preempted, `f` becomes the next thread's frame. */
void sched_leave(struct trap_frame *f);

/* futex.c */
int64_t futex(uint64_t address, uint64_t op, uint64_t value, uint64_t timeout,
	      uint64_t address2);
/* Wakes up to `n` threads waiting on the word at `address`. */
int64_t futex_wake(uint64_t address, uint64_t n);

/* loader.c: the program, a static ELF handed over as a multiboot module. */
struct program {
	const char *name;  /* the module's command line, first word */
	const uint8_t *elf;
	uint64_t size;
	uint64_t entry;
	uint64_t start, brk; /* its segments lie in [start, brk) */
	uint64_t phdr, phnum;
};
void loader_load(struct program *program);
uint64_t loader_stack(const struct program *program, const char *args,
		      const char *env);
bool loader_symbol(uint64_t address, const char **name, uint64_t *offset);
bool loader_function(const char *name, uint64_t nth, uint64_t *start,
		     uint64_t *end);
/* Kernel option flexos.wrpkru=NAME: the program's global function NAME
 * may write PKRU too (the benchmark's floor). */
extern char loader_pkru_writer[64];
extern struct program the_program;

/* files.c: read-only files, the modules after the program. */
void files_add(const char *name, const void *data, uint64_t size);
int64_t files_open(uint64_t path, uint64_t flags);
int64_t files_read(uint64_t fd, uint64_t buf, uint64_t len);
int64_t files_seek(uint64_t fd, int64_t offset, uint64_t whence);
int64_t files_close(uint64_t fd);
int64_t files_stat(uint64_t fd, uint64_t buf);

/* timer.c: the PIT's tick (the scheduler's time slice) and the TSC,
 * calibrated against it. */
void timer_init(void);
uint64_t time_ns(void); /* since the kernel's first instruction */
bool timespec_ns(const int64_t t[2], uint64_t *ns);
extern uint64_t boot_tsc, tsc_hz, user_entry_ns;

#endif
