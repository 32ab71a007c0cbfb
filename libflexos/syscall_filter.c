/* The rules of the system-call policy that libseccomp cannot express,
 * as a second seccomp filter in classic BPF:
 *
 * - a memory-management call (mprotect, munmap, madvise, mseal, mmap with
 *   MAP_FIXED, mremap) may not touch a protected span: whether
 *   [start, start + length) overlaps one relates two arguments, and
 *   libseccomp compares each argument with a constant only;
 * - the runtime's own mprotect, sigaltstack and rt_sigaction (arch/x86_64/
 *   runtime_syscall.S) are told apart by the instruction's address, which
 *   libseccomp cannot see; from there, mprotect may change exactly the
 *   ranges the runtime switches (a compartment's static data or arena,
 *   the sealed page), so that a jump to that instruction gains no more
 *   than calling the backend's grant;
 * - rt_sigreturn only from the runtime's restorer (flexos__sigreturn),
 *   and rt_sigaction from elsewhere traps, so that the runtime installs
 *   every handler with that restorer (signal.c);
 * - set_tid_address is refused: the kernel clears the word it names when
 *   the thread ends, with the rights of whichever compartment it ends in
 *   (glibc's threads name theirs through clone, and a program an execve
 *   started names its own at start);
 * - personality() may not turn on READ_IMPLIES_EXEC (every readable
 *   mapping executable), but may be queried with 0xffffffff: two tests of
 *   one argument;
 * - no new executable memory (mmap, mprotect with PROT_EXEC; shmat with
 *   SHM_EXEC or SHM_REMAP), and the runtime's signals (SIGSEGV, SIGSYS,
 *   with hardware keys SIGILL) keep their handlers.
 * Every one of these rules is about the image's own address space, so
 * each applies to calls made from the image's code only: all of it is
 * known when the filter is built (W^X: no code comes after), and a call
 * from elsewhere is a program's that an execve put in the image's place —
 * a shell system() started, which maps its libraries executable and sets
 * its own handlers.  Filters outlive execve; the rules that keep a
 * process from reaching another's memory (libseccomp's) hold there too.
 *
 * Classic BPF has 32-bit registers, so each 64-bit value is handled as two
 * halves; conditional jumps reach 255 instructions at most, so every far
 * target is a `ja`, and every jump goes forward. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef SYS_mseal
#define SYS_mseal 462 /* Linux 6.10; older kernels answer ENOSYS */
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

extern const char flexos__runtime_syscall_return[];
extern const char flexos__sigreturn_return[];

#define DATA_LO(field) (offsetof(struct seccomp_data, field))
#define DATA_HI(field) (offsetof(struct seccomp_data, field) + 4)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

/* Scratch words: the range under test and its end. */
enum { START_LO, START_HI, END_LO, END_HI, CARRY };

enum { LABEL_ALLOW, LABEL_TRAP, LABEL_MPROTECT, LABEL_SIMPLE,
       LABEL_MMAP, LABEL_MREMAP, LABEL_ALTSTACK, LABEL_PERSONALITY,
       LABEL_SIGACTION, LABEL_SIGRETURN, LABEL_SHMAT, LABEL_FROM_IMAGE,
       LABEL_RULES, NLABELS };

struct program {
	struct sock_filter *code;
	unsigned len, cap;
	unsigned label_at[NLABELS];
	struct fixup {
		unsigned at, label;
	} *fixups;
	unsigned nfixups;
};

static void emit(struct program *p, struct sock_filter insn)
{
	if (p->len == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->code = realloc(p->code, p->cap * sizeof(*p->code));
		p->fixups = realloc(p->fixups, p->cap * sizeof(*p->fixups));
		if (!p->code || !p->fixups)
			flexos__die(FLEXOS_EXIT_SETUP, "out of memory building "
				    "the system-call policy");
	}
	p->code[p->len++] = insn;
}

#define INSN(stmt) ((struct sock_filter)stmt)
#define LD(offset) INSN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (offset)))
#define LD_MEM(slot) INSN(BPF_STMT(BPF_LD | BPF_MEM, (slot)))
#define LD_IMM(k) INSN(BPF_STMT(BPF_LD | BPF_IMM, (k)))
#define ST(slot) INSN(BPF_STMT(BPF_ST, (slot)))
#define TAX INSN(BPF_STMT(BPF_MISC | BPF_TAX, 0))
#define ADD_X INSN(BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0))
#define RET(action) INSN(BPF_STMT(BPF_RET | BPF_K, (action)))
#define JA(k) INSN(BPF_STMT(BPF_JMP | BPF_JA, (k)))
#define JUMP(op, k, jt, jf)                                                   \
	INSN(BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), (jt), (jf)))
#define JGE_X(jt, jf) INSN(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, (jt), (jf)))

static void label(struct program *p, unsigned name)
{
	p->label_at[name] = p->len;
}

/* An unconditional jump to a label, fixed up once every label is known. */
static void jump_to(struct program *p, unsigned name)
{
	p->fixups[p->nfixups++] = (struct fixup){ p->len, name };
	emit(p, JA(0));
}

/* if (A == k) goto name */
static void jump_if(struct program *p, unsigned k, unsigned name)
{
	emit(p, JUMP(BPF_JEQ, k, 0, 1));
	jump_to(p, name);
}

/* if (args[arg] == 0) goto name */
static void jump_if_zero(struct program *p, unsigned arg, unsigned name)
{
	emit(p, LD(ARG_LO(arg)));
	emit(p, JUMP(BPF_JEQ, 0, 0, 3));
	emit(p, LD(ARG_HI(arg)));
	emit(p, JUMP(BPF_JEQ, 0, 0, 1));
	jump_to(p, name);
}

/* Loads (start, length) from two arguments: the range START..END, or a
 * trap when the end wraps around. */
static void load_range(struct program *p, unsigned start, unsigned length)
{
	emit(p, LD(ARG_HI(start)));
	emit(p, ST(START_HI));
	emit(p, LD(ARG_LO(length)));
	emit(p, TAX);
	emit(p, LD(ARG_LO(start)));
	emit(p, ST(START_LO));
	emit(p, ADD_X);
	emit(p, ST(END_LO));
	emit(p, JGE_X(2, 0)); /* low sum >= addend: no carry */
	emit(p, LD_IMM(1));
	emit(p, JA(1));
	emit(p, LD_IMM(0));
	emit(p, ST(CARRY));
	emit(p, LD(ARG_HI(length)));
	emit(p, TAX);
	emit(p, LD_MEM(START_HI));
	emit(p, ADD_X);
	emit(p, JGE_X(1, 0));
	jump_to(p, LABEL_TRAP);
	emit(p, TAX);
	emit(p, LD_MEM(CARRY));
	emit(p, ADD_X);
	emit(p, JGE_X(1, 0)); /* carry into a high word of all ones */
	jump_to(p, LABEL_TRAP);
	emit(p, ST(END_HI));
}

/* Traps when START..END overlaps span: START < span.end && END >
 * span.start, each a comparison of high words, then of low words. */
static void check_span(struct program *p, const struct flexos__span *span)
{
	uint32_t end_hi = (uint32_t)(span->end >> 32), end_lo = (uint32_t)span->end;
	uint32_t start_hi = (uint32_t)(span->start >> 32);
	uint32_t start_lo = (uint32_t)span->start;

	emit(p, LD_MEM(START_HI));           /* 0 */
	emit(p, JUMP(BPF_JGT, end_hi, 9, 0)); /* 1: above: next span */
	emit(p, JUMP(BPF_JEQ, end_hi, 0, 2)); /* 2: below: test the end */
	emit(p, LD_MEM(START_LO));           /* 3 */
	emit(p, JUMP(BPF_JGE, end_lo, 6, 0)); /* 4: at or after its end */
	emit(p, LD_MEM(END_HI));             /* 5 */
	emit(p, JUMP(BPF_JGT, start_hi, 3, 0)); /* 6: overlap */
	emit(p, JUMP(BPF_JEQ, start_hi, 0, 3)); /* 7: ends before it */
	emit(p, LD_MEM(END_LO));             /* 8 */
	emit(p, JUMP(BPF_JGT, start_lo, 0, 1)); /* 9 */
	emit(p, RET(SECCOMP_RET_TRAP));      /* 10 */
}

/* Goes to `name` when the call was made from span.  Seccomp reports the
 * address after the system-call instruction, so that is span.start < IP
 * <= span.end: a `syscall` in the last two bytes of a span reports its
 * end.  Each a comparison of high words, then of low words. */
static void jump_if_from(struct program *p, const struct flexos__span *span,
			 unsigned name)
{
	uint32_t end_hi = (uint32_t)(span->end >> 32), end_lo = (uint32_t)span->end;
	uint32_t start_hi = (uint32_t)(span->start >> 32);
	uint32_t start_lo = (uint32_t)span->start;

	emit(p, LD(DATA_HI(instruction_pointer)));  /* 0 */
	emit(p, JUMP(BPF_JGT, end_hi, 9, 0));        /* 1: above: next span */
	emit(p, JUMP(BPF_JEQ, end_hi, 0, 2));        /* 2: below its end */
	emit(p, LD(DATA_LO(instruction_pointer)));  /* 3 */
	emit(p, JUMP(BPF_JGT, end_lo, 6, 0));        /* 4: after it */
	emit(p, LD(DATA_HI(instruction_pointer)));  /* 5 */
	emit(p, JUMP(BPF_JGT, start_hi, 3, 0));      /* 6: inside */
	emit(p, JUMP(BPF_JEQ, start_hi, 0, 3));      /* 7: before it */
	emit(p, LD(DATA_LO(instruction_pointer)));  /* 8 */
	emit(p, JUMP(BPF_JGT, start_lo, 0, 1));      /* 9 */
	jump_to(p, name);                           /* 10 */
}

/* if (args[arg] & bits) goto name */
static void jump_if_set(struct program *p, unsigned arg, uint32_t bits,
			unsigned name)
{
	emit(p, LD(ARG_LO(arg)));
	emit(p, JUMP(BPF_JSET, bits, 0, 1));
	jump_to(p, name);
}

/* The runtime's signals keep its handlers: trap when args[0], read as an
 * int, is one and args[1] (the new action) is not NULL. */
static void trap_runtime_signal(struct program *p, int sig)
{
	emit(p, LD(ARG_LO(0)));
	emit(p, JUMP(BPF_JEQ, (uint32_t)sig, 0, 5));
	emit(p, LD(ARG_LO(1)));
	emit(p, JUMP(BPF_JEQ, 0, 0, 2));
	emit(p, LD(ARG_HI(1)));
	emit(p, JUMP(BPF_JEQ, 0, 1, 0));
	jump_to(p, LABEL_TRAP);
}

/* if (instruction pointer != site) goto name */
static void jump_unless_site(struct program *p, const void *site_,
			     unsigned name)
{
	uint64_t site = (uintptr_t)site_;

	emit(p, LD(DATA_LO(instruction_pointer)));
	emit(p, JUMP(BPF_JEQ, (uint32_t)site, 0, 2));
	emit(p, LD(DATA_HI(instruction_pointer)));
	emit(p, JUMP(BPF_JEQ, (uint32_t)(site >> 32), 1, 0));
	jump_to(p, name);
}

/* if (instruction pointer != the runtime's site) goto name */
static void jump_unless_runtime_site(struct program *p, unsigned name)
{
	jump_unless_site(p, flexos__runtime_syscall_return, name);
}

/* if (args[0], args[1]) == (span->start, its length) allow */
static void allow_exactly(struct program *p, const struct flexos__span *span)
{
	uint64_t len = span->end - span->start;

	emit(p, LD(ARG_LO(0)));
	emit(p, JUMP(BPF_JEQ, (uint32_t)span->start, 0, 7));
	emit(p, LD(ARG_HI(0)));
	emit(p, JUMP(BPF_JEQ, (uint32_t)(span->start >> 32), 0, 5));
	emit(p, LD(ARG_LO(1)));
	emit(p, JUMP(BPF_JEQ, (uint32_t)len, 0, 3));
	emit(p, LD(ARG_HI(1)));
	emit(p, JUMP(BPF_JEQ, (uint32_t)(len >> 32), 0, 1));
	emit(p, RET(SECCOMP_RET_ALLOW));
}

static void build(struct program *p, const struct flexos__range_rules *rules)
{
	const struct flexos__span *spans = rules->protected;
	unsigned nspans = rules->nprotected;

	/* The arch, then the number, and nothing else until the number has
	 * chosen a label: the kernel skips a filter for every number it
	 * allows on those two alone (decision 27); one load of an argument
	 * or of the instruction pointer on the way would make every call
	 * run this program (tests/unit/test_seccomp_cache.c). */
	emit(p, LD(DATA_LO(arch)));
	emit(p, JUMP(BPF_JEQ, AUDIT_ARCH_X86_64, 1, 0));
	emit(p, RET(SECCOMP_RET_KILL_PROCESS));
	emit(p, LD(DATA_LO(nr)));
	emit(p, JUMP(BPF_JSET, __X32_SYSCALL_BIT, 0, 1));
	emit(p, RET(SECCOMP_RET_KILL_PROCESS));
	static const unsigned ruled[] = {
		SYS_mprotect, SYS_munmap, SYS_madvise, SYS_mseal, SYS_mmap,
		SYS_mremap, SYS_personality, SYS_rt_sigaction, SYS_rt_sigreturn,
		SYS_shmat, SYS_sigaltstack, SYS_set_tid_address,
	};
	for (size_t i = 0; i < sizeof(ruled) / sizeof(ruled[0]); i++)
		if (ruled[i] != SYS_sigaltstack || rules->mediate_altstack)
			jump_if(p, ruled[i], LABEL_FROM_IMAGE);
	jump_to(p, LABEL_ALLOW);

	/* From the image's code, the rules; from no code of the image, a
	 * program's an execve put in its place. */
	label(p, LABEL_FROM_IMAGE);
	for (unsigned i = 0; i < rules->ncode; i++)
		jump_if_from(p, &rules->code[i], LABEL_RULES);
	jump_to(p, LABEL_ALLOW);

	label(p, LABEL_RULES);
	emit(p, LD(DATA_LO(nr)));
	jump_if(p, SYS_mprotect, LABEL_MPROTECT);
	jump_if(p, SYS_munmap, LABEL_SIMPLE);
	jump_if(p, SYS_madvise, LABEL_SIMPLE);
	jump_if(p, SYS_mseal, LABEL_SIMPLE);
	jump_if(p, SYS_mmap, LABEL_MMAP);
	jump_if(p, SYS_mremap, LABEL_MREMAP);
	jump_if(p, SYS_personality, LABEL_PERSONALITY);
	jump_if(p, SYS_sigaltstack, LABEL_ALTSTACK);
	jump_if(p, SYS_rt_sigaction, LABEL_SIGACTION);
	jump_if(p, SYS_rt_sigreturn, LABEL_SIGRETURN);
	jump_if(p, SYS_set_tid_address, LABEL_TRAP);
	jump_to(p, LABEL_SHMAT);

	/* Handlers are the runtime's to install (a trap it answers: signal.c),
	 * with its restorer; queries too, which must see the program's
	 * handler, not the runtime's entry.  Its own signals, nobody's. */
	label(p, LABEL_SIGACTION);
	trap_runtime_signal(p, SIGSYS);
	trap_runtime_signal(p, SIGSEGV);
	if (rules->mediate_altstack) /* hardware keys: a disarmed WRPKRU */
		trap_runtime_signal(p, SIGILL);
	jump_unless_runtime_site(p, LABEL_TRAP);
	jump_to(p, LABEL_ALLOW);

	/* A frame the kernel loads comes back through the runtime. */
	label(p, LABEL_SIGRETURN);
	jump_unless_site(p, flexos__sigreturn_return, LABEL_TRAP);
	jump_to(p, LABEL_ALLOW);

	/* A signal stack is where the kernel writes signal frames, with every
	 * key open (Linux 6.12 and later): only the runtime sets one. */
	label(p, LABEL_ALTSTACK);
	jump_if_zero(p, 0, LABEL_ALLOW); /* a query */
	jump_unless_runtime_site(p, LABEL_TRAP);
	jump_to(p, LABEL_ALLOW);

	/* Shared memory: not executable, and not over a mapping. */
	label(p, LABEL_SHMAT);
	jump_if_set(p, 2, SHM_EXEC | SHM_REMAP, LABEL_TRAP);
	jump_to(p, LABEL_ALLOW);

	label(p, LABEL_PERSONALITY);
	emit(p, LD(ARG_LO(0)));
	emit(p, JUMP(BPF_JEQ, 0xffffffff, 0, 1));
	jump_to(p, LABEL_ALLOW);
	emit(p, JUMP(BPF_JSET, READ_IMPLIES_EXEC, 0, 1));
	jump_to(p, LABEL_TRAP);
	jump_to(p, LABEL_ALLOW);

	label(p, LABEL_MMAP);
	jump_if_set(p, 2, PROT_EXEC, LABEL_TRAP); /* W^X */
	emit(p, LD(ARG_LO(3)));
	emit(p, JUMP(BPF_JSET, MAP_FIXED | MAP_FIXED_NOREPLACE, 1, 0));
	jump_to(p, LABEL_ALLOW);
	jump_to(p, LABEL_SIMPLE);

	/* mremap: the new range when its place is given, then the old one.
	 * An old size of 0 duplicates a shared mapping, whatever it
	 * overlaps. */
	label(p, LABEL_MREMAP);
	jump_if_zero(p, 1, LABEL_TRAP);
	emit(p, LD(ARG_LO(3)));
	emit(p, JUMP(BPF_JSET, MREMAP_FIXED, 1, 0));
	jump_to(p, LABEL_SIMPLE);
	load_range(p, 4, 2); /* the new range: (args[4], args[2]) */
	for (unsigned i = 0; i < nspans; i++)
		check_span(p, &spans[i]);
	jump_to(p, LABEL_SIMPLE);

	label(p, LABEL_MPROTECT);
	jump_if_set(p, 2, PROT_EXEC, LABEL_TRAP); /* W^X */
	jump_unless_runtime_site(p, LABEL_SIMPLE);
	for (unsigned i = 0; i < rules->nswitched; i++)
		allow_exactly(p, &rules->switched[i]);
	jump_to(p, LABEL_TRAP);

	label(p, LABEL_SIMPLE);
	load_range(p, 0, 1);
	for (unsigned i = 0; i < nspans; i++)
		check_span(p, &spans[i]);
	label(p, LABEL_ALLOW);
	emit(p, RET(SECCOMP_RET_ALLOW));
	label(p, LABEL_TRAP);
	emit(p, RET(SECCOMP_RET_TRAP));
}

/* The range filter as a program, for flexos__range_filter_load and for
 * the unit test that walks it (tests/unit/test_seccomp_cache.c); the
 * caller frees prog->filter. */
void flexos__range_filter_build(const struct flexos__range_rules *rules,
				struct sock_fprog *prog)
{
	struct program p = { 0 };

	build(&p, rules);
	for (unsigned i = 0; i < p.nfixups; i++) {
		const struct fixup *f = &p.fixups[i];
		if (p.label_at[f->label] <= f->at)
			flexos__die(FLEXOS_EXIT_SETUP, "the system-call "
				    "policy's filter jumps backwards");
		p.code[f->at].k = p.label_at[f->label] - f->at - 1;
	}
	if (p.len > BPF_MAXINSNS)
		flexos__die(FLEXOS_EXIT_SETUP, "the system-call policy needs "
			    "%u BPF instructions for %u protected spans; the "
			    "kernel takes %u", p.len, rules->nprotected,
			    BPF_MAXINSNS);
	free(p.fixups);
	*prog = (struct sock_fprog){ .len = (unsigned short)p.len,
				     .filter = p.code };
}

void flexos__range_filter_load(const struct flexos__range_rules *rules)
{
	struct sock_fprog prog;

	flexos__range_filter_build(rules, &prog);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
		flexos__die(FLEXOS_EXIT_SETUP, "the kernel refuses the "
			    "system-call policy's range filter: %s",
			    strerror(errno));
	free(prog.filter);
}
