/* Time: the PIT ticks at 100 Hz (the scheduler's time slice; a sleeping
 * thread wakes at the first tick past its time), and the TSC, calibrated
 * against the PIT once at boot, tells the time in between.  Under TCG the
 * TSC follows the host's, so guest time is wall time. */
#include "kernel.h"

#define PIT_HZ 1193182u
#define TICK_HZ 100u
#define CALIBRATION_MS 5u
#define CALIBRATION_ROUNDS 3u

uint64_t boot_tsc, tsc_hz, user_entry_ns;
static uint64_t ns_mult; /* ns = tsc * ns_mult >> 32 */

/* TSC ticks while the PIT's channel 2 counts down CALIBRATION_MS once. */
static uint64_t tsc_ticks_in_calibration(void)
{
	uint16_t count = PIT_HZ * CALIBRATION_MS / 1000;

	/* Channel 2, one shot, gate on, speaker off. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t start = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	return rdtsc() - start;
}

void timer_init(void)
{
	/* The least of a few rounds: under a loaded host, QEMU's CPU thread
	 * may be descheduled while the count runs out, and the poll then
	 * sees the end late (one 5 ms round once read 3.7 GHz for 2.1). */
	uint64_t ticks = UINT64_MAX;
	for (unsigned i = 0; i < CALIBRATION_ROUNDS; i++) {
		uint64_t t = tsc_ticks_in_calibration();
		if (t < ticks)
			ticks = t;
	}
	tsc_hz = ticks * 1000 / CALIBRATION_MS;
	if (!tsc_hz)
		tsc_hz = 1000000000;
	ns_mult = (1000000000ul << 32) / tsc_hz;

	/* Channel 0, rate generator: the tick. */
	uint16_t divisor = PIT_HZ / TICK_HZ;
	outb(0x43, 0x34);
	outb(0x40, divisor & 0xff);
	outb(0x40, divisor >> 8);
}

uint64_t time_ns(void)
{
	return (uint64_t)((unsigned __int128)(rdtsc() - boot_tsc) * ns_mult >> 32);
}

/* A Linux timespec (seconds, nanoseconds) in nanoseconds; false if it is
 * not a valid one.  More than a century counts as a century, so that adding
 * it to the time since boot cannot wrap around. */
bool timespec_ns(const int64_t t[2], uint64_t *ns)
{
	const int64_t century = 100 * 366 * 86400l;

	if (t[0] < 0 || t[1] < 0 || t[1] >= 1000000000)
		return false;
	*ns = (uint64_t)(t[0] < century ? t[0] : century) * 1000000000 +
	      (uint64_t)t[1];
	return true;
}
