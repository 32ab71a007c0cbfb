/* What the policy's range filter (libflexos/syscall_filter.c) answers, run
 * on a classic-BPF interpreter over made-up calls: the rules about the
 * image's address space hold for calls from its code, to the last byte of
 * it (seccomp reports the address after the instruction), and a call from
 * no code of the image — a program execve put in its place — is let
 * through. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "internal.h"

extern const char flexos__runtime_syscall_return[];

/* The instructions the filter builder emits, and nothing else. */
static uint32_t run(const struct sock_fprog *prog,
		    const struct seccomp_data *data)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *insn = &prog->filter[pc];
		bool taken;

		switch (insn->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_leq(insn->k + 4, sizeof(*data));
			memcpy(&a, (const char *)data + insn->k, 4);
			continue;
		case BPF_LD | BPF_MEM:
			a = mem[insn->k];
			continue;
		case BPF_LD | BPF_IMM:
			a = insn->k;
			continue;
		case BPF_ST:
			mem[insn->k] = a;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_ALU | BPF_ADD | BPF_X:
			a += x;
			continue;
		case BPF_RET | BPF_K:
			return insn->k;
		case BPF_JMP | BPF_JA:
			pc += insn->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			taken = a == insn->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			taken = a > insn->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			taken = a >= insn->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			taken = (a & insn->k) != 0;
			break;
		case BPF_JMP | BPF_JGE | BPF_X:
			taken = a >= x;
			break;
		default:
			cr_assert_fail("instruction 0x%x at %u", insn->code, pc);
		}
		pc += taken ? insn->jt : insn->jf;
	}
	cr_assert_fail("the program ran off its end");
	return 0;
}

/* Code spans on both sides of a 4 GiB line, and the runtime's own
 * instruction (whose span the rules for it need). */
static const struct flexos__span protected_spans[] = {
	{ 0x7f0000000000, 0x7f0000100000 },
};
static struct flexos__span code[3] = {
	{ 0x555500000000 - 0x1000, 0x555500000000 + 0x1000 },
	{ 0x7f1000000000, 0x7f1000200000 },
};

static uint32_t answer(int nr, uintptr_t ip, uint64_t a0, uint64_t a1,
		       uint64_t a2)
{
	uintptr_t runtime = (uintptr_t)flexos__runtime_syscall_return;
	struct sock_fprog prog;
	struct seccomp_data data = {
		.nr = nr,
		.arch = AUDIT_ARCH_X86_64,
		.instruction_pointer = ip,
		.args = { a0, a1, a2 },
	};

	code[2] = (struct flexos__span){ runtime & ~0xfffull,
					 (runtime & ~0xfffull) + 0x1000 };
	flexos__range_filter_build(&(struct flexos__range_rules){
		.protected = protected_spans,
		.nprotected = 1,
		.code = code,
		.ncode = 3,
		.mediate_altstack = true,
	}, &prog);
	uint32_t action = run(&prog, &data);
	free(prog.filter);
	return action;
}

#define EXEC_MAP(ip)                                                          \
	answer(SYS_mmap, (ip), 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)

Test(range_filter, the_image_code_gets_no_executable_memory)
{
	cr_assert_eq(EXEC_MAP(0x7f1000100000), SECCOMP_RET_TRAP);
	cr_assert_eq(answer(SYS_mprotect, 0x7f1000100000, 0x1000, 4096,
			    PROT_READ | PROT_EXEC),
		     SECCOMP_RET_TRAP);
	cr_assert_eq(answer(SYS_mmap, 0x7f1000100000, 0, 4096,
			    PROT_READ | PROT_WRITE),
		     SECCOMP_RET_ALLOW);
}

/* A `syscall` in the last two bytes of a span reports the span's end; one
 * just before a span's first byte is not in it. */
Test(range_filter, a_call_from_the_last_bytes_of_a_span_is_the_image_s)
{
	cr_assert_eq(EXEC_MAP(0x7f1000200000), SECCOMP_RET_TRAP);
	cr_assert_eq(EXEC_MAP(0x7f1000000002), SECCOMP_RET_TRAP);
	cr_assert_eq(EXEC_MAP(0x7f1000000000), SECCOMP_RET_ALLOW);
	cr_assert_eq(EXEC_MAP(0x7f1000200001), SECCOMP_RET_ALLOW);
	/* Across a 4 GiB line: high words differ at the two ends. */
	cr_assert_eq(EXEC_MAP(0x555500000000 + 0x1000), SECCOMP_RET_TRAP);
	cr_assert_eq(EXEC_MAP(0x555500000000 - 0x0ffe), SECCOMP_RET_TRAP);
	cr_assert_eq(EXEC_MAP(0x555500000000 + 0x1001), SECCOMP_RET_ALLOW);
	cr_assert_eq(EXEC_MAP(0x555500000000 - 0x1000), SECCOMP_RET_ALLOW);
}

/* A program execve put in the image's place: its code lies elsewhere. */
Test(range_filter, a_call_from_no_code_of_the_image_is_let_through)
{
	cr_assert_eq(EXEC_MAP(0x7f2000001234), SECCOMP_RET_ALLOW);
	cr_assert_eq(answer(SYS_rt_sigaction, 0x7f2000001234, SIGSEGV,
			    0x7ffd0000, 0),
		     SECCOMP_RET_ALLOW);
	cr_assert_eq(answer(SYS_munmap, 0x7f2000001234, 0x7f0000000000, 4096,
			    0),
		     SECCOMP_RET_ALLOW);
}

Test(range_filter, the_image_keeps_its_spans_and_its_signals)
{
	uintptr_t runtime = (uintptr_t)flexos__runtime_syscall_return;

	cr_assert_eq(answer(SYS_munmap, 0x7f1000100000, 0x7f0000000000, 4096,
			    0),
		     SECCOMP_RET_TRAP);
	cr_assert_eq(answer(SYS_munmap, 0x7f1000100000, 0x7e0000000000, 4096,
			    0),
		     SECCOMP_RET_ALLOW);
	/* SIGSEGV's handler: nobody's, the runtime's instruction included;
	 * a query is not a change; another signal from the image's code is
	 * trapped (and answered by the runtime), from its instruction
	 * allowed. */
	cr_assert_eq(answer(SYS_rt_sigaction, runtime, SIGSEGV, 0x7ffd0000, 0),
		     SECCOMP_RET_TRAP);
	cr_assert_eq(answer(SYS_rt_sigaction, runtime, SIGSEGV, 0, 0x7ffd0000),
		     SECCOMP_RET_ALLOW);
	cr_assert_eq(answer(SYS_rt_sigaction, 0x7f1000100000, SIGUSR1,
			    0x7ffd0000, 0),
		     SECCOMP_RET_TRAP);
	cr_assert_eq(answer(SYS_rt_sigaction, runtime, SIGUSR1, 0x7ffd0000, 0),
		     SECCOMP_RET_ALLOW);
}
