/* e1000.c: a second converted device's DMA through the unit: the e1000 NIC's transmit descriptor
 * fetch and buffer read (and its receive path) through translated IOVAs, and a fault naming its
 * requester ID. Registers and descriptors: Intel PCI/PCI-X Family of Gigabit Ethernet Controllers
 * Software Developer's Manual (8254x), 3.2.3 legacy receive and 3.3.3 legacy transmit descriptors,
 * 13.4 registers. The frame sent is an ARP request to the project's Bochs `ethmod=vnet` server
 * (192.168.10.1), which answers it: the reply exists only if the request's bytes were read, and it
 * carries the request's sender address back. */
#include "test.h"

#define E1000_CTRL 0x0000
#define E1000_ICR 0x00c0            /* Interrupt Cause Read (read clears) */
#define E1000_IMC 0x00d8            /* Interrupt Mask Clear */
#define E1000_RCTL 0x0100
#define RCTL_EN BIT(1)
#define RCTL_UPE BIT(3)             /* unicast promiscuous: the unit's RA table is never loaded */
#define RCTL_BAM BIT(15)
#define RCTL_SECRC BIT(26)          /* strip the CRC; BSIZE 00: 2048-byte buffers */
#define E1000_TCTL 0x0400
#define TCTL_EN BIT(1)
#define TCTL_PSP BIT(3)
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818

#define TXD_CMD_EOP BIT(0)          /* legacy transmit descriptor CMD byte */
#define TXD_CMD_IFCS BIT(1)
#define TXD_CMD_RS BIT(3)           /* report status: write DD back */
#define DESC_DD BIT(0)              /* STA / status: descriptor done */
#define RXD_EOP BIT(1)

struct txd { u64 addr; u16 len; u8 cso, cmd, sta, css; u16 special; };
struct rxd { u64 addr; u16 len, csum; u8 status, errors; u16 special; };
_Static_assert(sizeof(struct txd) == 16, "legacy transmit descriptor");
_Static_assert(sizeof(struct rxd) == 16, "legacy receive descriptor");

#define NDESC 8                     /* TDLEN/RDLEN 128 bytes: a multiple of 128 (13.4.38) */
/* Host pages (below 128 MiB, apart from main.c's) and the IOVAs they are mapped at; the identity
 * pages of the IOVAs hold a sentinel, so an untranslated access is seen. */
#define H_TXR 0x06300000UL
#define H_TXB 0x06301000UL
#define H_RXR 0x06302000UL
#define H_RXB 0x06304000UL          /* 4 pages: NDESC 2 KiB buffers */
#define V_TXR 0x08105000UL
#define V_TXB 0x08100000UL
#define V_RXR 0x08103000UL
#define V_RXB 0x08108000UL
#define V_HOLE 0x0810e000UL         /* never mapped */
#define SENT 0x5a
#define ARP_LEN 42

static const u8 MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };   /* the harness's e1000 mac= */
static const u8 MY_IP[4] = { 192, 168, 10, 77 };
static const u8 SRV_IP[4] = { 192, 168, 10, 1 };                     /* vnet's server */

static struct { bool found; u8 devfn; u64 mmio; } N;
static struct dom ND;
static unsigned tx_tail;

static u32 rd(u32 r) { return mmio_r32(N.mmio + r); }
static void wr(u32 r, u32 v) { mmio_w32(N.mmio + r, v); }
static u16 nic_sid(void) { return N.devfn; }    /* bus 0 */

static bool nic_find(void)
{
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		if (pci_r32(0, (u8)devfn, 0) != 0x100e8086)
			continue;
		N.devfn = (u8)devfn;
		N.mmio = pci_r32(0, (u8)devfn, 0x10) & ~0xfUL;
		pci_w16(0, (u8)devfn, 4, pci_r16(0, (u8)devfn, 4) | 0x6);   /* memory, bus master */
		return N.found = true;
	}
	return false;
}

static const u64 ident[] = { V_TXR, V_TXB, V_RXR, V_RXB, V_RXB + PAGE, V_RXB + 2 * PAGE, V_RXB + 3 * PAGE, V_HOLE };
static bool ident_ok(void)
{
	for (unsigned i = 0; i < sizeof ident / sizeof *ident; i++)
		for (unsigned j = 0; j < PAGE; j++)
			if (((u8 *)ident[i])[j] != SENT)
				return false;
	return true;
}

/* A fresh unit, the NIC in a domain of its own (DID 3) with the four regions mapped, transmit and
 * receive rings at their IOVAs, every receive descriptor free, interrupts masked, TE on. */
static bool nic_setup(void)
{
	unit_reset();
	for (unsigned i = 0; i < sizeof ident / sizeof *ident; i++)
		memset((void *)ident[i], SENT, PAGE);
	memset((void *)H_TXR, 0, PAGE);
	memset((void *)H_TXB, 0, PAGE);
	memset((void *)H_RXR, 0, PAGE);
	memset((void *)H_RXB, 0, 4 * PAGE);
	dom_init(&ND, 3, 3);
	dom_map(&ND, V_TXR, H_TXR, PAGE, SL_RW);
	dom_map(&ND, V_TXB, H_TXB, PAGE, SL_R);      /* the device only reads it */
	dom_map(&ND, V_RXR, H_RXR, PAGE, SL_RW);
	for (unsigned i = 0; i < 4; i++)
		dom_map(&ND, V_RXB + i * PAGE, H_RXB + i * PAGE, PAGE, SL_RW);
	attach(&ND, 0, N.devfn);
	struct rxd *rx = (struct rxd *)H_RXR;
	for (unsigned i = 0; i < NDESC; i++)
		rx[i] = (struct rxd){ .addr = V_RXB + i * 2048 };
	wr(E1000_IMC, ~0u);
	(void)rd(E1000_ICR);
	wr(E1000_TCTL, 0);
	wr(E1000_RCTL, 0);
	wr(E1000_TDBAL, (u32)V_TXR);
	wr(E1000_TDBAH, 0);
	wr(E1000_TDLEN, NDESC * 16);
	wr(E1000_TDH, 0);
	wr(E1000_TDT, 0);
	tx_tail = 0;
	wr(E1000_RDBAL, (u32)V_RXR);
	wr(E1000_RDBAH, 0);
	wr(E1000_RDLEN, NDESC * 16);
	wr(E1000_RDH, 0);
	wr(E1000_RDT, 0);
	barrier();
	if (!gcmd(GCMD_TE, true))
		return false;
	wr(E1000_RCTL, RCTL_EN | RCTL_UPE | RCTL_BAM | RCTL_SECRC);
	wr(E1000_RDT, NDESC - 1);
	wr(E1000_TCTL, TCTL_EN | TCTL_PSP);
	return true;
}

static void nic_stop(void)
{
	wr(E1000_TCTL, 0);
	wr(E1000_RCTL, 0);
	(void)rd(E1000_ICR);
}

/* An ARP request (RFC 826) from MAC / MY_IP for SRV_IP, broadcast. */
static void arp_request(u8 *f)
{
	static const u8 hdr[8] = { 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 };
	memset(f, 0xff, 6);
	memcpy(f + 6, MAC, 6);
	f[12] = 0x08, f[13] = 0x06;
	memcpy(f + 14, hdr, 8);
	memcpy(f + 22, MAC, 6);
	memcpy(f + 28, MY_IP, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, SRV_IP, 4);
}

/* Queues one frame of LEN bytes at device address BUF and waits for the descriptor's DD (written
 * back through the ring's IOVA). */
static bool tx_dd(void *d) { return ((volatile struct txd *)d)->sta & DESC_DD; }
static bool nic_send(u64 buf, u16 len, struct txd **out)
{
	struct txd *d = (struct txd *)H_TXR + tx_tail;
	*d = (struct txd){ .addr = buf, .len = len, .cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS };
	*out = d;
	barrier();
	tx_tail = (tx_tail + 1) % NDESC;
	wr(E1000_TDT, tx_tail);
	return wait_for(tx_dd, d, 200);
}

static bool rx_dd(void *d) { return ((volatile struct rxd *)d)->status & DESC_DD; }

/* Fault records: exactly one, reason FR, the NIC's source-id, a read of IOVA's page. */
static int nic_fault(u64 iova, unsigned fr)
{
	u64 lo = 0, hi = 0;
	int n = faults_find(&lo, &hi);
	REQUIRE(n == 1, "%d fault records, expected 1 (first: reason 0x%x SID 0x%x FI 0x%lx)", n,
		(unsigned)FRCD_FR(hi), (unsigned)FRCD_SID(hi), lo);
	REQUIRE(FRCD_FR(hi) == fr, "fault reason 0x%x, expected 0x%x", (unsigned)FRCD_FR(hi), fr);
	REQUIRE(FRCD_SID(hi) == nic_sid(), "SID 0x%x, expected the e1000's 0x%x", (unsigned)FRCD_SID(hi),
		nic_sid());
	REQUIRE(hi & FRCD_T, "T=0: recorded as a write, the device read");
	REQUIRE((lo & ~0xfffUL) == (iova & ~0xfffUL), "FI 0x%lx, expected 0x%lx", lo & ~0xfffUL, iova & ~0xfffUL);
	faults_clear();
	return PASS_;
}

static int gate(void)
{
	if (!N.found)
		SKIPF("no e1000 (8086:100e) on bus 0%s", qemu ? " (the QEMU runs have none)" : "");
	if (!nic_setup())
		FAILF("TE not enabled");
	return PASS_;
}

/* The descriptor fetch, the buffer read and the descriptor write-back go through the ring's and
 * buffer's IOVAs; the vnet server's reply comes in through the receive ring's. */
static int t_tx_translated(void)
{
	int r = gate();
	if (r != PASS_)
		return r;
	arp_request((u8 *)H_TXB);
	struct txd *d;
	bool sent = nic_send(V_TXB, ARP_LEN, &d);
	struct rxd *rx = (struct rxd *)H_RXR;
	bool got = sent && wait_for(rx_dd, rx, 500);
	nic_stop();
	u64 lo, hi;
	int n = faults_find(&lo, &hi);
	REQUIRE(n == 0, "%d fault records (reason 0x%x SID 0x%x FI 0x%lx)", n, (unsigned)FRCD_FR(hi),
		(unsigned)FRCD_SID(hi), lo);
	REQUIRE(sent, "no DD in the transmit descriptor's host page (TDH %u, STA 0x%x)", rd(E1000_TDH), d->sta);
	REQUIRE(rd(E1000_TDH) == 1, "TDH %u after one descriptor", rd(E1000_TDH));
	REQUIRE(got, "no frame received (RDH %u): the ARP request was not read through its IOVA", rd(E1000_RDH));
	REQUIRE(rx->status & RXD_EOP, "receive status 0x%x", rx->status);
	const u8 *f = (const u8 *)H_RXB;
	REQUIRE(rx->len >= ARP_LEN && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2,
		"received %u bytes, type %02x%02x, ARP op %u: not an ARP reply", rx->len, f[12], f[13], f[21]);
	REQUIRE(!memcmp(f, MAC, 6) && !memcmp(f + 32, MAC, 6), "the reply is not addressed to the e1000's MAC");
	REQUIRE(!memcmp(f + 28, SRV_IP, 4), "the reply's sender IP is not the server's");
	REQUIRE(!memcmp(f + 38, MY_IP, 4), "the reply's target IP %u.%u.%u.%u is not the request's sender IP",
		f[38], f[39], f[40], f[41]);
	REQUIRE(ident_ok(), "a page at an IOVA's identity address changed: an untranslated access");
	return PASS_;
}

/* No frame came in through the receive ring within a wait as long as tx-translated's reply takes. */
static bool nothing_received(void)
{
	return !wait_for(rx_dd, (struct rxd *)H_RXR, 500) && rd(E1000_RDH) == 0;
}

/* A transmit descriptor naming an unmapped buffer IOVA: the buffer read faults (reason 6) with the
 * e1000's source-id and that IOVA, the descriptor completes, and no frame goes out (the model's
 * choice for a read the unit blocked: the bytes were never read, so nothing is sent; the device's
 * buffer still holds tx-translated's ARP request, whose reply would show a stale send). */
static int t_tx_buffer_unmapped(void)
{
	int r = gate();
	if (r != PASS_)
		return r;
	struct txd *d;
	bool sent = nic_send(V_HOLE + 0x100, ARP_LEN, &d);
	bool quiet = nothing_received();
	nic_stop();
	REQUIRE(sent, "no DD in the transmit descriptor (TDH %u)", rd(E1000_TDH));
	r = nic_fault(V_HOLE, FR_READ);
	if (r != PASS_)
		return r;
	REQUIRE(quiet, "a frame came back (RDH %u): the blocked buffer read sent stale bytes", rd(E1000_RDH));
	REQUIRE(ident_ok(), "a page at an IOVA's identity address changed: an untranslated access");
	return PASS_;
}

/* The transmit ring at an unmapped IOVA: the descriptor fetch faults (reason 6) with the ring's
 * IOVA, and the device has no descriptor to act on: TDH stays, nothing is sent or written back. */
static int t_tx_ring_unmapped(void)
{
	int r = gate();
	if (r != PASS_)
		return r;
	wr(E1000_TDBAL, (u32)V_HOLE);
	barrier();
	wr(E1000_TDT, 1);
	bool quiet = nothing_received();
	u32 tdh = rd(E1000_TDH);
	nic_stop();
	REQUIRE(tdh == 0, "TDH %u: a descriptor the unit blocked was processed", tdh);
	r = nic_fault(V_HOLE, FR_READ);
	if (r != PASS_)
		return r;
	REQUIRE(quiet, "a frame came back (RDH %u)", rd(E1000_RDH));
	REQUIRE(ident_ok(), "a page at an IOVA's identity address changed: an untranslated access");
	return PASS_;
}

/* The receive ring at an unmapped IOVA: the ARP request goes out, and the reply's descriptor fetch
 * faults (reason 6) with the ring's IOVA; the frame is dropped there: RDH stays, no buffer is
 * written, no other fault. */
static int t_rx_ring_unmapped(void)
{
	int r = gate();
	if (r != PASS_)
		return r;
	wr(E1000_RDBAL, (u32)V_HOLE);
	arp_request((u8 *)H_TXB);
	struct txd *d;
	bool sent = nic_send(V_TXB, ARP_LEN, &d);
	delay_ticks(500);
	u32 rdh = rd(E1000_RDH);
	nic_stop();
	REQUIRE(sent, "no DD in the transmit descriptor (TDH %u)", rd(E1000_TDH));
	REQUIRE(rdh == 0, "RDH %u: a receive descriptor the unit blocked was used", rdh);
	r = nic_fault(V_HOLE, FR_READ);
	if (r != PASS_)
		return r;
	for (unsigned i = 0; i < 4 * PAGE; i++)
		REQUIRE(((u8 *)H_RXB)[i] == 0, "receive buffer byte %u written", i);
	REQUIRE(ident_ok(), "a page at an IOVA's identity address changed: an untranslated access");
	return PASS_;
}

void e1000_tests(void)
{
	if (nic_find())
		printf("vtd-model: e1000 00:%02x.%x (source-id 0x%x)\n", N.devfn >> 3, N.devfn & 7, nic_sid());
	report("e1000/tx-translated", t_tx_translated());
	report("e1000/fault-6-tx-buffer-unmapped", t_tx_buffer_unmapped());
	report("e1000/fault-6-tx-ring-unmapped", t_tx_ring_unmapped());
	report("e1000/fault-6-rx-ring-unmapped", t_rx_ring_unmapped());
	unit_reset();
}
