/* The multiboot (version 1) information a loader hands the kernel. */
#ifndef FLEXOS_BAREMETAL_MULTIBOOT_H
#define FLEXOS_BAREMETAL_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MODS (1u << 3)
#define MULTIBOOT_INFO_MMAP (1u << 6)

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct multiboot_module {
	uint32_t start, end;
	uint32_t cmdline;
	uint32_t reserved;
} __attribute__((packed));

struct multiboot_mmap {
	uint32_t size; /* of the rest of the entry */
	uint64_t addr, len;
	uint32_t type; /* 1: available RAM */
} __attribute__((packed));

#endif
