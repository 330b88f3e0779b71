/* unit.h: driving one VT-d remapping unit and the edu test devices for the model tests. */
#ifndef VTDM_UNIT_H
#define VTDM_UNIT_H
#include "vtd.h"

struct unit {
	u64 base, cap, ecap;
	u64 fro, iro;                /* byte offsets of the FRCD and IOTLB register blocks */
	unsigned nfr;
	struct root_entry *root;
	struct inv_desc *iq;         /* invalidation queue when QI is on */
	unsigned iq_n, iq_tail;      /* entries, next free index */
	bool qi;
};
extern struct unit U;

u32 r32(u32 off);
u64 r64(u32 off);
void w32(u32 off, u32 v);
void w64(u32 off, u64 v);
bool gcmd(u32 bit, bool on);                   /* one GCMD change, waits for GSTS to follow */
void unit_reset(void);                         /* TE/QIE off, faults cleared, empty root table */
void set_root(void *root);
struct context_entry *ctx_slot(u8 bus, u8 devfn);
void set_ctx(u8 bus, u8 devfn, u64 lo, u64 hi);

struct dom { u64 *top; int levels; u16 did; };
void dom_init(struct dom *d, int levels, u16 did);
u64 *dom_map(struct dom *d, u64 iova, u64 hpa, u64 size, u64 flags); /* returns the leaf entry */
void attach(const struct dom *d, u8 bus, u8 devfn);                 /* TT=00 context entry */

u64 inv_ctx(int g, u16 did, u16 sid);              /* returns CAIG (register path) or g */
u64 inv_iotlb(int g, u16 did, u64 addr, unsigned am); /* returns IAIG (register path) or g */
u64 reg_inv_ctx(int g, u16 did, u16 sid);
u64 reg_inv_iotlb(int g, u16 did, u64 addr, unsigned am);
bool qi_enable(unsigned qs);
void qi_disable(void);
void qi_put(u64 lo, u64 hi);                   /* writes a descriptor at the tail (not yet submitted) */
void qi_kick(void);                            /* IQT = tail */
bool qi_wait(void);                            /* wait descriptor with status write; true when done */
bool qi_sync(u64 lo, u64 hi);                  /* one descriptor then a wait */

/* Fault recording */
void faults_clear(void);
int faults_find(u64 *lo, u64 *hi);             /* number of FRCDs with F set; first one returned */
u64 frcd_hi(unsigned i);
u64 frcd_lo(unsigned i);

/* edu test devices (QEMU docs/specs/edu.rst interface) */
#define EDU_BUF 0x40000
struct edu { u8 bus, devfn; u64 mmio; };
extern struct edu EDU[4];
extern int n_edu;
u16 edu_sid(const struct edu *e);
#define EDU_CMD_RUN 1            /* command register 0x98 */
#define EDU_CMD_TO_RAM 2
#define EDU_CMD_IRQ 4            /* interrupt status bit 0x100 when done */
#define EDU_IRQ_DMA 0x100
bool edu_cmd(const struct edu *e, u64 src, u64 dst, u32 len, u32 cmd); /* false on timeout */
bool edu_dma(const struct edu *e, u64 addr, u32 off, u32 len, bool to_ram); /* false on timeout */
bool edu_to_ram(const struct edu *e, u32 off, u64 dst, u32 len);
bool edu_from_ram(const struct edu *e, u64 src, u32 off, u32 len);
void edu_find(void);

#endif
