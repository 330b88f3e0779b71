/* IN/OUT exits: qualification decode and dispatch to the registered port devices (SDM Vol. 3C 28.2.1 table 28-5). */
#include "exit_io.h"
#include "exits.h"
#include "emulate.h"
#include "lib/log.h"

#define PIO_MAX 16
#define IO_QUAL_SIZE(q) (((q) & 7) + 1) /* size of access minus one, bits 2:0 */
#define IO_QUAL_IN BIT(3)               /* direction: 1 = IN */
#define IO_QUAL_STRING BIT(4)           /* INS/OUTS */
#define IO_QUAL_PORT(q) ((u16)((q) >> 16))

struct pio_device {
	const char *name;
	u16 first, count;
	pio_fn fn;
	void *ctx;
};

static struct pio_device devices[PIO_MAX];
static u32 nr_devices;

status_t pio_register(const char *name, u16 first, u16 count, pio_fn fn, void *ctx)
{
	if (!count || (u32)first + count > 0x10000)
		return E_INVAL;
	for (u32 i = 0; i < nr_devices; i++)
		if (first < devices[i].first + devices[i].count && devices[i].first < first + count) {
			LOG("io", "%s at ports 0x%x-0x%x overlaps %s", name, first, first + count - 1,
			    devices[i].name);
			return E_BUSY;
		}
	if (nr_devices == PIO_MAX) {
		LOG("io", "no room for %s: raise PIO_MAX (%u)", name, PIO_MAX);
		return E_NOSPC;
	}
	devices[nr_devices++] = (struct pio_device){ name, first, count, fn, ctx };
	return OK;
}

static bool claims(const struct pio_device *dev, u16 port)
{
	return (u16)(port - dev->first) < dev->count;
}

/* A guest tends to hit the same device many times in a row: the last one found is tried first.
 * Devices register before any guest runs and never move, so a stale hint only costs the walk. */
static const struct pio_device *last_found;

static const struct pio_device *find(u16 port)
{
	const struct pio_device *hint = __atomic_load_n(&last_found, __ATOMIC_RELAXED);
	if (hint && claims(hint, port))
		return hint;
	for (u32 i = 0; i < nr_devices; i++)
		if (claims(&devices[i], port)) {
			__atomic_store_n(&last_found, &devices[i], __ATOMIC_RELAXED);
			return &devices[i];
		}
	return NULL;
}

bool exit_io(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 size = IO_QUAL_SIZE(q);
	u16 port = IO_QUAL_PORT(q);
	bool in = q & IO_QUAL_IN;
	if (q & IO_QUAL_STRING) {
		domain_stop(v->dom, -1, "string I/O (INS/OUTS) to port 0x%x is not supported, guest RIP 0x%lx",
			    port, vmread(GUEST_RIP));
		return false;
	}
	const struct pio_device *dev = find(port);
	u32 val = in ? 0xffffffffu : (u32)emul_reg_operand(v->regs.rax, size, false); /* nothing decodes: the bus floats high */
	if (dev && !dev->fn(v, port, size, in, &val, dev->ctx))
		return false;
	if (in) /* an IN to AL/AX merges, an IN to EAX zero-extends into RAX (SDM Vol. 1 3.4.1.1) */
		v->regs.rax = emul_reg_merge(v->regs.rax, val, size, false);
	return exit_skip_instruction();
}
