/* The Linux system calls a static musl program makes, served for the one
 * program the machine runs and its threads, plus the kernel's own few
 * (abi.h).  Every pointer the program passes is checked with the calling
 * thread's own rights, its PKRU included, before the kernel touches it: a
 * compartment cannot make the kernel read or write memory it may not
 * touch itself. */
#include "kernel.h"

#define TIMER_ABSTIME 1
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MMAP_BASE 0x4000000000ul
#define MMAP_END 0x7000000000ul
#define MSR_FS_BASE 0xc0000100

bool syscall_trace;
static uint64_t brk_start, brk_end, mmap_next = MMAP_BASE;
uint16_t keys_used = 1; /* key 0: everybody's */

struct iovec {
	uint64_t base, len;
};

static int64_t do_write(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (fd != 1 && fd != 2)
		return -EBADF;
	if (!vm_user_ok(buf, len, false))
		return -EFAULT;
	console_write((const char *)buf, len);
	return (int64_t)len;
}

/* readv and writev: `transfer` over each buffer of the vector in turn,
 * stopping at an error or a short transfer (the end of a file). */
static int64_t transfer_vector(uint64_t fd, uint64_t iov, uint64_t count,
			       int64_t (*transfer)(uint64_t fd, uint64_t buf,
						   uint64_t len))
{
	int64_t total = 0;

	if (count > 1024 || !vm_user_ok(iov, count * sizeof(struct iovec), false))
		return -EINVAL;
	const struct iovec *v = (const struct iovec *)iov;
	for (uint64_t i = 0; i < count; i++) {
		int64_t n = transfer(fd, v[i].base, v[i].len);
		if (n < 0)
			return n;
		total += n;
		if ((uint64_t)n < v[i].len)
			break;
	}
	return total;
}

static int64_t do_mmap(struct trap_frame *f, uint64_t addr, uint64_t len,
		       uint64_t prot, uint64_t flags)
{
	int page_prot, key;

	len = PAGE_UP(len);
	if (!len || !(flags & MAP_ANONYMOUS))
		return len ? -ENOSYS : -EINVAL; /* no files to map */
	if (!(flags & MAP_FIXED)) {
		int64_t refused = policy_replace(f, 0, 0, (int)prot & 7);
		if (refused)
			return refused;
		/* Past any page a MAP_FIXED call put there: a new mapping
		 * must not inherit another's key or contents. */
		addr = mmap_next;
		for (uint64_t p = addr; p < addr + len && p < MMAP_END;
		     p += PAGE_SIZE)
			if (vm_page(p, &page_prot, &key))
				addr = p + PAGE_SIZE;
		if (len > MMAP_END - addr)
			return -ENOMEM;
		/* An unmapped page between mappings, as on Linux by chance. */
		mmap_next = addr + len + PAGE_SIZE;
	} else if (addr % PAGE_SIZE) {
		return -EINVAL;
	} else {
		int64_t refused = policy_replace(f, addr, len, (int)prot & 7);
		if (refused)
			return refused;
		vm_unmap(addr, len);
	}
	int err = vm_map(addr, len, (int)prot & 7, 0, false);
	return err < 0 ? err : (int64_t)addr;
}

static int64_t do_brk(uint64_t addr)
{
	if (addr <= brk_end || addr >= brk_start + (1ul << 32))
		return (int64_t)brk_end;
	if (PAGE_UP(addr) > PAGE_UP(brk_end) &&
	    vm_map(PAGE_UP(brk_end), PAGE_UP(addr) - PAGE_UP(brk_end),
		   PROT_R | PROT_W, 0, false) < 0)
		return (int64_t)brk_end;
	brk_end = addr;
	return (int64_t)brk_end;
}

static int64_t pkey_alloc(uint64_t flags, uint64_t rights)
{
	if (policy_started())
		return -EPERM; /* keys are handed out at start-up */
	if (flags || rights > 3)
		return -EINVAL;
	for (int key = 1; key < NKEYS; key++) {
		if (keys_used & (1u << key))
			continue;
		keys_used |= (uint16_t)(1u << key);
		flexos__wrpkru((flexos__rdpkru() & ~PKRU_KEY_BITS(key)) |
			       (uint32_t)rights << 2 * key);
		return key;
	}
	return -ENOSPC;
}

static int64_t do_mprotect(struct trap_frame *f, uint64_t addr, uint64_t len,
			   uint64_t prot, int64_t key)
{
	if (key != -1 && (key < 0 || key >= NKEYS || !(keys_used & (1u << key))))
		return -EINVAL;
	int64_t refused = policy_protect(f, addr, len, (int)prot & 7, (int)key);
	if (refused)
		return refused;
	return vm_protect(addr, PAGE_UP(len), (int)prot & 7, (int)key);
}

static int64_t pkey_free(uint64_t key)
{
	if (policy_started())
		return -EPERM; /* a compartment's key stays its own */
	if (key == 0 || key >= NKEYS || !(keys_used & (1u << key)))
		return -EINVAL;
	keys_used &= (uint16_t)~(1u << key);
	return 0;
}

/* madvise changes nothing here, but MADV_DONTNEED empties pages on Linux:
 * held to the caller's own memory like munmap. */
static int64_t madvise(struct trap_frame *f, uint64_t addr, uint64_t len)
{
	return policy_replace(f, addr, len, 0);
}

static int64_t munmap(struct trap_frame *f, uint64_t addr, uint64_t len)
{
	int64_t refused = policy_replace(f, addr, PAGE_UP(len), 0);

	return refused ? refused : vm_unmap(addr, PAGE_UP(len));
}

static int64_t zero_user(uint64_t p, uint64_t n)
{
	if (!p)
		return 0;
	if (!vm_user_ok(p, n, true))
		return -EFAULT;
	memset((void *)p, 0, n);
	return 0;
}

static int64_t clock_gettime(uint64_t ts)
{
	uint64_t ns = time_ns();
	uint64_t v[2] = { ns / 1000000000, ns % 1000000000 };

	if (!vm_user_ok(ts, sizeof(v), true))
		return -EFAULT;
	memcpy((void *)ts, v, sizeof(v));
	return 0;
}

/* Blocks the thread until the time in the timespec at `req`, relative or
 * (clock_nanosleep's TIMER_ABSTIME) since boot, which is what every clock
 * says here. */
static int64_t sleep(uint64_t req, bool absolute)
{
	if (!vm_user_ok(req, 16, false))
		return -EFAULT;
	uint64_t ns;
	if (!timespec_ns((const int64_t *)req, &ns))
		return -EINVAL;
	sched_block(THREAD_SLEEPING, absolute ? ns : time_ns() + ns);
	return 0;
}

static int64_t uname(uint64_t buf)
{
	static const char *const fields[] = { "FlexOS", "flexos", "0.1",
					      "baremetal", "x86_64", "" };

	if (!vm_user_ok(buf, 6 * 65, true))
		return -EFAULT;
	for (int i = 0; i < 6; i++) {
		memset((char *)buf + 65 * i, 0, 65);
		memcpy((char *)buf + 65 * i, fields[i], strlen(fields[i]));
	}
	return 0;
}

/* Linux's struct sysinfo on x86-64: what a program asks to size itself
 * to the machine (the runtime's heaps, sysconf(_SC_PHYS_PAGES)). */
struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};
_Static_assert(sizeof(struct linux_sysinfo) == 112, "Linux's layout");

static int64_t sysinfo(uint64_t buf)
{
	struct linux_sysinfo *info = (struct linux_sysinfo *)buf;

	if (!vm_user_ok(buf, sizeof(*info), true))
		return -EFAULT;
	memset(info, 0, sizeof(*info));
	info->totalram = memory_total();
	info->freeram = frames_free() * PAGE_SIZE;
	info->procs = 1;
	info->mem_unit = 1;
	return 0;
}

static int64_t getrandom(uint64_t buf, uint64_t len)
{
	if (!vm_user_ok(buf, len, true))
		return -EFAULT;
	for (uint64_t i = 0; i < len; i += 8) {
		uint64_t bits = random64();

		memcpy((uint8_t *)buf + i, &bits, len - i < 8 ? len - i : 8);
	}
	return (int64_t)len;
}

static int64_t raise(uint64_t sig)
{
	if (!sig)
		return 0;
	kprintf("flexos: the program raised signal %lu (exit status %lu)\n",
		sig, 128 + sig);
	machine_exit((int)(128 + sig));
}

static int64_t symbol(uint64_t address, uint64_t buf, uint64_t size)
{
	const char *name;
	uint64_t offset;
	char text[256];

	if (!loader_symbol(address, &name, &offset))
		return -ENOENT;
	int n = ksnprintf(text, sizeof(text), "%s+0x%lx", name, offset);
	if (!size || !vm_user_ok(buf, size, true))
		return -EFAULT;
	if ((size_t)n >= sizeof(text)) /* ksnprintf says what did not fit */
		n = (int)sizeof(text) - 1;
	if ((uint64_t)n >= size)
		n = (int)size - 1;
	memcpy((void *)buf, text, (size_t)n);
	((char *)buf)[n] = '\0';
	return n;
}

static int64_t function(uint64_t name_address, uint64_t range_address,
			uint64_t nth)
{
	uint64_t range[2];
	int64_t len = vm_user_string(name_address, 256);

	if (len < 0)
		return len;
	if (!loader_function((const char *)name_address, nth, &range[0],
			     &range[1]))
		return -ENOENT;
	if (!vm_user_ok(range_address, sizeof(range), true))
		return -EFAULT;
	memcpy((void *)range_address, range, sizeof(range));
	return 0;
}

static int64_t boot_times(uint64_t out)
{
	struct flexos_baremetal_times t = { time_ns(), user_entry_ns, tsc_hz };

	if (!vm_user_ok(out, sizeof(t), true))
		return -EFAULT;
	memcpy((void *)out, &t, sizeof(t));
	return 0;
}

static int64_t dispatch(struct trap_frame *f)
{
	uint64_t a = f->rdi, b = f->rsi, c = f->rdx, d = f->r10, e = f->r8;

	switch (f->rax) {
	case 0:
		return files_read(a, b, c);
	case 19:
		return transfer_vector(a, b, c, files_read);
	case 2: /* open */
		return files_open(a, b);
	case 257: /* openat: paths are whole names, the directory is moot */
		return files_open(b, c);
	case 1:
		return do_write(a, b, c);
	case 20:
		return transfer_vector(a, b, c, do_write);
	case 3:
		return files_close(a);
	case 5: /* fstat */
		return files_stat(a, b);
	case 8:
		return files_seek(a, (int64_t)b, c);
	case 9:
		return do_mmap(f, a, b, c, d);
	case 10:
		return do_mprotect(f, a, b, c, -1);
	case 11:
		return munmap(f, a, b);
	case 12:
		return do_brk(a);
	case 13: /* rt_sigaction: accepted, never delivered (the runtime
		  * gets faults through FLEXOS_BAREMETAL_SYS_FAULT_HANDLER) */
		return zero_user(c, 32);
	case 14: /* rt_sigprocmask */
		return zero_user(c, 8);
	case 16: /* ioctl: no terminal */
		return -ENOTTY;
	case 24:
		sched_yield();
		return 0;
	case 28:
		return madvise(f, a, b);
	case 72: /* fcntl */
	case 131: /* sigaltstack */
		return 0;
	case 35: /* nanosleep */
		return sleep(a, false);
	case 230: /* clock_nanosleep */
		return sleep(c, b & TIMER_ABSTIME);
	case 39: /* getpid: the first thread's tid */
		return 1;
	case 186: /* gettid */
		return (int64_t)current->tid;
	case 218:
		return thread_set_tid_address(a);
	case 56: /* clone */
		return thread_clone(f, a, b, c, d, e);
	case 202:
		return futex(a, b, c, d, e);
	case 102: case 104: case 107: case 108: case 110: /* uid, gid, ppid */
		return 0;
	case 60: /* exit: this thread */
		thread_exit((int)(a & 0xff));
		return 0;
	case 231: /* exit_group */
		machine_exit((int)(a & 0xff));
	case 62: /* kill */
	case 200: /* tkill */
		return raise(b);
	case 234: /* tgkill */
		return raise(c);
	case 63:
		return uname(a);
	case 99:
		return sysinfo(a);
	case 158: /* arch_prctl */
		if (a == 0x1002) { /* ARCH_SET_FS */
			if (b >= USER_END) /* else WRMSR faults in the kernel */
				return -EPERM;
			wrmsr(MSR_FS_BASE, b);
			return 0;
		}
		return -EINVAL;
	case 228:
		return clock_gettime(b);
	case 229: /* clock_getres: 1 ns, where the caller asks */
		if (!b)
			return 0;
		return zero_user(b, 16) ? -EFAULT : (((uint64_t *)b)[1] = 1, 0);
	case 318:
		return getrandom(a, b);
	case 329:
		return do_mprotect(f, a, b, c, (int64_t)d);
	case 330:
		return pkey_alloc(a, b);
	case 331:
		return pkey_free(a);
	case FLEXOS_BAREMETAL_SYS_FAULT_HANDLER:
		if (user_fault_handler)
			return -EINVAL;
		user_fault_handler = a;
		user_fault_stack = b;
		return 0;
	case FLEXOS_BAREMETAL_SYS_SYMBOL:
		return symbol(a, b, c);
	case FLEXOS_BAREMETAL_SYS_BOOT_TIMES:
		return boot_times(a);
	case FLEXOS_BAREMETAL_SYS_FUNCTION:
		return function(a, b, c);
	case FLEXOS_BAREMETAL_SYS_START:
		return policy_start(a, b, c);
	default:
		return -ENOSYS;
	}
}

void syscall_init(void)
{
	brk_start = brk_end = the_program.brk;
}

/* A call that blocks returns here all the same: its result is then the
 * one the thread gets should nothing else set it before it runs again
 * (sched_wake). */
void syscall_dispatch(struct trap_frame *f)
{
	int64_t r = dispatch(f);

	if (syscall_trace)
		kprintf("flexos: thread %lu: syscall %lu(0x%lx, 0x%lx, 0x%lx, "
			"0x%lx, 0x%lx) = %ld\n", current->tid, f->rax, f->rdi,
			f->rsi, f->rdx, f->r10, f->r8, r);
	f->rax = (uint64_t)r;
	sched_leave(f);
}
