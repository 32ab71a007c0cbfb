/* The baremetal kernel's first instructions.  A multiboot (version 1)
 * loader, QEMU's -kernel or GRUB's `multiboot`, enters in 32-bit protected
 * mode with paging off.  The header uses the address fields (flag bit 16,
 * the "a.out kludge") because loaders refuse ELF64 files otherwise; the
 * linker script keeps the kernel one contiguous segment so those addresses
 * describe it.  We build page tables that identity-map the first GiB with
 * 2 MiB supervisor pages, turn on long mode, and call kmain(magic, info). */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16)) /* align, memory, kludge */

#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

	.section .multiboot, "a"
	.balign 4
multiboot_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
	.long	multiboot_header	/* header_addr */
	.long	__kernel_start		/* load_addr */
	.long	__kernel_load_end	/* load_end_addr */
	.long	__kernel_end		/* bss_end_addr */
	.long	_start32		/* entry_addr */

	.section .boot, "ax"
	.code32
	.globl	_start32
_start32:
	cli
	movl	$boot_stack_top, %esp
	movl	%eax, %edi		/* multiboot magic, kmain's first arg */
	movl	%ebx, %esi		/* multiboot info, its second */

	/* Long mode? (CPUID 0x80000001, EDX bit 29) */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx
	jz	no_long_mode

	/* PML4[0] -> PDPT[0] -> PD: 512 pages of 2 MiB, present + writable +
	 * page size; supervisor only. */
	movl	$boot_pdpt, %eax
	orl	$0x7, %eax
	movl	%eax, boot_pml4
	movl	$boot_pd, %eax
	orl	$0x7, %eax
	movl	%eax, boot_pdpt
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax
	movl	%eax, boot_pd(, %ecx, 8)
	incl	%ecx
	cmpl	$512, %ecx
	jne	1b

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	$EFER, %ecx
	rdmsr
	orl	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	lgdt	boot_gdt_pointer
	ljmp	$0x08, $long_mode

/* Say why on the serial port, then leave QEMU with status 87 (setup). */
no_long_mode:
	movl	$no_long_mode_message, %esi
2:	movb	(%esi), %al
	testb	%al, %al
	jz	3f
	movw	$0x3f8, %dx
	outb	%al, %dx
	incl	%esi
	jmp	2b
3:	movl	$87, %eax
	movw	$0xf4, %dx
	outl	%eax, %dx
4:	hlt
	jmp	4b

	.code64
long_mode:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
	movq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	call	kmain
5:	hlt
	jmp	5b

	.section .rodata
no_long_mode_message:
	.asciz	"flexos: this CPU has no long mode (x86-64); cannot boot\n"

	.balign 8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code, ring 0 */
	.quad	0x00cf92000000ffff	/* 0x10: data, ring 0 */
boot_gdt_pointer:
	.word	boot_gdt_pointer - boot_gdt - 1
	.long	boot_gdt

	.section .bss
	.balign 4096
	.globl	boot_pml4
boot_pml4:
	.skip	4096
boot_pdpt:
	.skip	4096
boot_pd:
	.skip	4096
	.globl	boot_stack_top
boot_stack:
	.skip	32768
boot_stack_top:

	.section .note.GNU-stack,"",@progbits
