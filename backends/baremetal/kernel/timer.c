/* Time: the PIT ticks at 100 Hz (sleeping waits for ticks), and the TSC,
 * calibrated against the PIT once at boot, tells the time in between.
 * Under TCG the TSC follows the host's, so guest time is wall time. */
#include "kernel.h"

#define PIT_HZ 1193182u
#define TICK_HZ 100u
#define CALIBRATION_MS 5u

uint64_t boot_tsc, tsc_hz, user_entry_ns;
static volatile uint64_t ticks;
static uint64_t ns_mult; /* ns = tsc * ns_mult >> 32 */

void timer_init(void)
{
	uint16_t count = PIT_HZ * CALIBRATION_MS / 1000;

	/* Channel 2, one shot, gate on, speaker off: count down once. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t start = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	tsc_hz = (rdtsc() - start) * 1000 / CALIBRATION_MS;
	if (!tsc_hz)
		tsc_hz = 1000000000;
	ns_mult = (1000000000ul << 32) / tsc_hz;

	/* Channel 0, rate generator: the tick. */
	uint16_t divisor = PIT_HZ / TICK_HZ;
	outb(0x43, 0x34);
	outb(0x40, divisor & 0xff);
	outb(0x40, divisor >> 8);
}

void timer_tick(void)
{
	ticks++;
}

uint64_t time_ns(void)
{
	return (uint64_t)((unsigned __int128)(rdtsc() - boot_tsc) * ns_mult >> 32);
}

/* Sleeps with interrupts on, waking at each tick. */
void time_sleep_ns(uint64_t ns)
{
	uint64_t until = time_ns() + ns;

	while (time_ns() < until)
		__asm__ volatile("sti; hlt; cli");
}
