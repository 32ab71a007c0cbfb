/* The system-call policy must stay cheap for the calls it always allows.
 * Since Linux 5.11 the kernel decides at load time, for each system call
 * number, whether a filter allows it whatever the arguments, and then
 * skips that filter for that number ("constant action bitmap",
 * seccomp_cache_prepare in kernel/seccomp.c).  It finds out by running
 * the classic BPF program with only the arch and the number known: a path
 * that loads anything else (an argument, the instruction pointer) or uses
 * an instruction outside a small set is not constant, and then the number
 * runs every filter on every call.
 *
 * This test does the kernel's walk on both of the policy's filters, as
 * built for loading, so that a filter that looks at the instruction
 * pointer or an argument before it dispatches on the number fails here
 * rather than as a slower benchmark. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

enum walk { CONST_ALLOW, CONST_OTHER, NOT_CONST };

/* The kernel's walk (seccomp_is_const_allow), written from its rules:
 * loads of nr and arch only; ja, and jeq/jge/jgt/jset against a constant;
 * and with a constant; ret of a constant. */
static enum walk walk(const struct sock_fprog *prog, uint32_t arch,
		      uint32_t nr)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *insn = &prog->filter[pc];
		bool taken;

		switch (insn->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (insn->k == offsetof(struct seccomp_data, nr))
				a = nr;
			else if (insn->k == offsetof(struct seccomp_data, arch))
				a = arch;
			else
				return NOT_CONST;
			continue;
		case BPF_RET | BPF_K:
			return insn->k == SECCOMP_RET_ALLOW ? CONST_ALLOW
							    : CONST_OTHER;
		case BPF_JMP | BPF_JA:
			pc += insn->k;
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= insn->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			taken = a == insn->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			taken = a >= insn->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			taken = a > insn->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			taken = (a & insn->k) != 0;
			break;
		default:
			return NOT_CONST;
		}
		pc += taken ? insn->jt : insn->jf;
	}
	return NOT_CONST; /* ran off the end: the kernel refuses such */
}

/* The range filter, with spans of the kind the runtime passes. */
static struct sock_fprog range_filter(void)
{
	static const struct flexos__span spans[] = {
		{ 0x400000, 0x800000 },
		{ 0x7f0000000000, 0x7f0000100000 },
	};
	static const struct flexos__span switched[] = {
		{ 0x7f0000000000, 0x7f0000001000 },
	};
	static const struct flexos__span code[] = {
		{ 0x400000, 0x500000 },
		{ 0x7f1000000000, 0x7f1000200000 },
	};
	struct sock_fprog prog;

	flexos__range_filter_build(&(struct flexos__range_rules){
		.protected = spans,
		.nprotected = 2,
		.code = code,
		.ncode = 2,
		.switched = switched,
		.nswitched = 1,
		.mediate_altstack = true,
	}, &prog);
	return prog;
}

/* libseccomp's filter, as it would load it. */
static struct sock_fprog rules_filter(void)
{
	void *ctx = flexos__policy_rules_build();
	int fd = memfd_create("policy-bpf", 0);
	struct sock_fprog prog = { 0 };
	off_t size;

	cr_assert_geq(fd, 0);
	cr_assert_eq(seccomp_export_bpf(ctx, fd), 0);
	seccomp_release(ctx);
	size = lseek(fd, 0, SEEK_END);
	cr_assert_gt(size, 0);
	cr_assert_eq(size % sizeof(struct sock_filter), 0);
	prog.filter = malloc((size_t)size);
	cr_assert_eq(pread(fd, prog.filter, (size_t)size, 0), size);
	prog.len = (unsigned short)(size / sizeof(struct sock_filter));
	close(fd);
	return prog;
}

/* What the policy looks at, in either filter: every other number must be
 * allowed on the arch and the number alone.  A number added to the policy
 * belongs here. */
static const int mediated[] = {
	SYS_mprotect, SYS_mmap, SYS_munmap, SYS_madvise, SYS_mremap, 462,
	SYS_remap_file_pages, SYS_process_madvise, SYS_shmat,
	SYS_pkey_mprotect, SYS_pkey_alloc, SYS_pkey_free,
	SYS_process_vm_readv, SYS_process_vm_writev, SYS_ptrace,
	SYS_userfaultfd, SYS_pidfd_getfd, SYS_perf_event_open, SYS_bpf,
	SYS_init_module, SYS_finit_module, SYS_kexec_load, SYS_kexec_file_load,
	SYS_personality, SYS_sigaltstack, SYS_rt_sigaction, SYS_rt_sigreturn,
	SYS_seccomp, SYS_prctl, SYS_io_uring_setup, SYS_set_tid_address,
	SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo, SYS_pidfd_send_signal,
};

static bool is_mediated(int nr)
{
	for (size_t i = 0; i < sizeof(mediated) / sizeof(mediated[0]); i++)
		if (mediated[i] == nr)
			return true;
	return false;
}

static const char *walk_name(enum walk w)
{
	return w == CONST_ALLOW ? "allowed" : w == CONST_OTHER ? "refused"
							      : "not constant";
}

static void assert_cacheable(const char *which, const struct sock_fprog *prog)
{
	/* Beyond the last number of the table, up to where x86_64 has
	 * none: the kernel's bitmap has a bit for each. */
	for (int nr = 0; nr < 512; nr++) {
		enum walk w = walk(prog, AUDIT_ARCH_X86_64, (uint32_t)nr);
		if (is_mediated(nr))
			continue;
		cr_assert_eq(w, CONST_ALLOW,
			     "%s filter: system call %d is %s on the arch and "
			     "the number alone; the kernel will run the filter "
			     "on each such call", which, nr, walk_name(w));
	}
}

Test(seccomp_cache, range_filter_allows_the_rest_on_the_number_alone)
{
	struct sock_fprog prog = range_filter();

	assert_cacheable("range", &prog);
	free(prog.filter);
}

Test(seccomp_cache, libseccomp_filter_allows_the_rest_on_the_number_alone)
{
	struct sock_fprog prog = rules_filter();

	assert_cacheable("libseccomp", &prog);
	free(prog.filter);
}

/* The walk itself: calls that need an argument or the instruction pointer
 * are not constant, refused ones are refused, another arch is refused;
 * else the test above would pass with any walk. */
Test(seccomp_cache, the_walk_tells_mediated_calls_apart)
{
	struct sock_fprog range = range_filter(), rules = rules_filter();

	cr_assert_eq(walk(&range, AUDIT_ARCH_X86_64, SYS_mprotect), NOT_CONST);
	cr_assert_eq(walk(&range, AUDIT_ARCH_X86_64, SYS_rt_sigreturn),
		     NOT_CONST);
	cr_assert_eq(walk(&range, AUDIT_ARCH_I386, SYS_getpid), CONST_OTHER);
	cr_assert_eq(walk(&range, AUDIT_ARCH_X86_64,
			  __X32_SYSCALL_BIT | SYS_getpid), CONST_OTHER);
	cr_assert_eq(walk(&rules, AUDIT_ARCH_X86_64, SYS_ptrace), CONST_OTHER);
	cr_assert_eq(walk(&rules, AUDIT_ARCH_X86_64, SYS_prctl), NOT_CONST);
	cr_assert_eq(walk(&rules, AUDIT_ARCH_I386, SYS_getpid), CONST_OTHER);
	free(range.filter);
	free(rules.filter);
}
