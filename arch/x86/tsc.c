/* TSC calibration with PIT channel 2 (8254 datasheet; port 0x61 gate and output bits). */
#include "tsc.h"
#include "cpu.h"
#include "lib/log.h"

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61              /* bit 0: ch2 gate, bit 1: speaker, bit 5: ch2 output */
#define CALIBRATE_MS 10

static u64 khz = 1000000;        /* 1 GHz until calibrated */

static MUST_CHECK status_t measure(u64 *out_khz)
{
	u16 count = (u16)(PIT_HZ * CALIBRATE_MS / 1000);
	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_CMD, 0xb0);     /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	u64 start = rdtsc();
	u64 limit = 1ULL << 33;  /* tens of seconds at any plausible rate */
	while (!(inb(PORT_B) & 0x20))
		if (rdtsc() - start > limit)
			return E_TIMEDOUT;
	*out_khz = (rdtsc() - start) / CALIBRATE_MS;
	return OK;
}

status_t tsc_calibrate(void)
{
	u64 best = ~0ULL, k;
	for (int i = 0; i < 3; i++) {
		if (measure(&k))
			return E_TIMEDOUT;
		best = MIN(best, k);
	}
	if (best == 0)
		return E_IO;
	khz = best;
	LOG("tsc", "%lu.%03lu MHz (PIT calibration)", khz / 1000, khz % 1000);
	return OK;
}

u64 tsc_khz(void)
{
	return khz;
}

u64 tsc_now_us(void)
{
	return rdtsc() * 1000 / khz;
}

void udelay(u64 us)
{
	u64 end = rdtsc() + us * khz / 1000;
	while (rdtsc() < end)
		cpu_relax();
}
