/* Small platform ports of every domain: the test exit port, reset requests, status ports that read zero. */
#include "exit_io.h"
#include "exits.h"

#define PORT_EXIT 0xf4            /* test device: a write ends the guest with that code */
#define PORT_KBC_STATUS 0x64      /* 8042 status/command; command 0xfe pulses the reset line */
#define KBC_CMD_RESET 0xfe
#define PORT_RESET_CONTROL 0xcf9  /* reset control register; bit 2 starts the reset */
#define RCR_RESET BIT(2)
#define PORT_PORT_B 0x61          /* system control port B */
#define PORT_CMOS_DATA 0x71       /* CMOS/RTC data */

/* A write ends the domain with the value written as its exit code (QEMU's isa-debug-exit convention). */
static bool test_exit(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx)
{
	(void)ctx, (void)size;
	if (in)
		return true;
	exit_skip_instruction();
	domain_stop(v->dom, (int)*val, "guest wrote %u to port 0x%x", *val, port);
	return false;
}

static bool reset(struct vcpu *v, u16 port)
{
	domain_stop(v->dom, 0, "guest requested a reset through port 0x%x", port);
	return false;
}

static bool kbc(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx)
{
	(void)ctx, (void)size;
	if (in) {
		*val = 0;         /* no data, input buffer empty */
		return true;
	}
	return (u8)*val == KBC_CMD_RESET ? reset(v, port) : true;
}

static bool reset_control(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx)
{
	(void)ctx, (void)size;
	return !in && ((u8)*val & RCR_RESET) ? reset(v, port) : true;
}

/* Reads zero, writes are dropped: port B and CMOS data, which guests poll at boot. */
static bool quiet(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx)
{
	(void)v, (void)port, (void)size, (void)ctx;
	if (in)
		*val = 0;
	return true;
}

status_t vports_register(void)
{
	status_t st;
	if ((st = pio_register("test exit", PORT_EXIT, 1, test_exit, NULL)) ||
	    (st = pio_register("keyboard controller", PORT_KBC_STATUS, 1, kbc, NULL)) ||
	    (st = pio_register("reset control", PORT_RESET_CONTROL, 1, reset_control, NULL)) ||
	    (st = pio_register("port B", PORT_PORT_B, 1, quiet, NULL)) ||
	    (st = pio_register("CMOS data", PORT_CMOS_DATA, 1, quiet, NULL)))
		return st;
	return OK;
}
