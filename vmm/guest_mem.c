/* Guest memory access by linear address: walks the guest's own page tables (SDM 4.3-4.5). */
#include "guest_mem.h"

#define PTE_P 1ULL
#define PTE_PS (1ULL << 7)
#define ADDR_MASK 0x000ffffffffff000ULL

static bool read_entry(struct domain *d, u64 gpa, u64 size, u64 *out)
{
	const void *p = domain_gpa(d, gpa, size);
	if (!p)
		return false;
	*out = size == 8 ? *(const u64 *)p : *(const u32 *)p;
	return true;
}

/* Walks levels of 9-bit (PAE/4-level) or 10-bit (32-bit paging) indices. */
static bool walk(struct domain *d, u64 table, u64 lin, u32 levels, bool pae, u64 *gpa)
{
	u32 bits = pae ? 9 : 10, esize = pae ? 8 : 4;
	for (u32 l = levels; l >= 1; l--) {
		u32 shift = 12 + bits * (l - 1);
		u64 e;
		if (!read_entry(d, (table & ADDR_MASK) + ((lin >> shift) & ((1u << bits) - 1)) * esize,
				esize, &e) || !(e & PTE_P))
			return false;
		if (l == 1 || (l <= 3 && (e & PTE_PS))) {
			u64 page = (l == 1) ? (e & ADDR_MASK) : (e & ADDR_MASK & ~((1ULL << shift) - 1));
			*gpa = page + (lin & ((1ULL << shift) - 1));
			return true;
		}
		table = e;
	}
	return false;
}

bool guest_linear_to_gpa(struct domain *d, u64 lin, u64 cr0, u64 cr3, u64 cr4, u64 efer, u64 *gpa)
{
	if (!(cr0 & (1ULL << 31))) {           /* paging off: linear is physical */
		*gpa = lin;
		return true;
	}
	if (efer & (1ULL << 10))               /* IA-32e: 4-level */
		return walk(d, cr3, lin, 4, true, gpa);
	if (cr4 & (1ULL << 5)) {               /* PAE: 4 PDPTEs, then 2 levels */
		u64 pdpte;
		if (!read_entry(d, (cr3 & ~0x1fULL) + ((lin >> 30) & 3) * 8, 8, &pdpte) || !(pdpte & PTE_P))
			return false;
		return walk(d, pdpte, lin, 2, true, gpa);
	}
	return walk(d, cr3, lin, 2, false, gpa);  /* 32-bit paging */
}

u32 guest_fetch(struct domain *d, u64 lin, u8 *buf, u32 len, u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	u32 i;
	for (i = 0; i < len; i++) {            /* byte by byte: the bytes may cross a page */
		u64 gpa;
		const u8 *p;
		if (!guest_linear_to_gpa(d, lin + i, cr0, cr3, cr4, efer, &gpa) ||
		    !(p = domain_gpa(d, gpa, 1)))
			break;
		buf[i] = *p;
	}
	return i;
}

bool guest_read_linear(struct domain *d, u64 lin, void *buf, u32 len, u64 cr0, u64 cr3, u64 cr4,
		       u64 efer)
{
	return guest_fetch(d, lin, buf, len, cr0, cr3, cr4, efer) == len;
}
