/* Internals shared by the DMAR parser's files (dmar.c, dmar_scope.c, dmar_check.c); not for callers. */
#ifndef PASSAGE_IOMMU_DMAR_WALK_H
#define PASSAGE_IOMMU_DMAR_WALK_H

#include "dmar.h"
#include "lib/string.h"

#define DMAR_PAGE 4096u           /* VT-d 8.3/8.4: register sets and RMRRs are 4 KiB granular */
#define DMAR_MIN_HAW 12           /* fewer address bits than a page offset cannot be right */
#define DMAR_MAX_HAW 64
#define DMAR_MAX_DEVICE 31        /* PCI device number, 5 bits */
#define DMAR_MAX_FUNCTION 7       /* PCI function number, 3 bits */

/* How many of each output entry a pass has seen (pass 1) or written (pass 2). */
struct dmar_counts {
	u32 units, rmrrs, atsrs, rhsas, andds, satcs, sidps, unusable;
	u32 scopes, paths;
	u32 name_bytes;
};

/* The arrays of pass 2, inside the allocated block. */
struct dmar_arrays {
	struct dmar_unit *units;
	struct dmar_rmrr_info *rmrrs;
	struct dmar_atsr_info *atsrs;
	struct dmar_rhsa_info *rhsas;
	struct dmar_andd_info *andds;
	struct dmar_satc_info *satcs;
	struct dmar_sidp_info *sidps;
	struct dmar_unit *unusable;
	struct dmar_scope *scopes;
	struct dmar_path *paths;
	char *names;
};

struct dmar_walk {
	const u8 *t;              /* the table */
	u32 len;                  /* its header length, checked against the buffer */
	struct dmar_info *out;
	bool fill;                /* false: pass 1 validates, reports, counts; true: pass 2 copies */
	struct dmar_counts n;     /* pass 1: counted; pass 2: written so far */
	struct dmar_counts cap;   /* pass 2: what pass 1 counted */
	struct dmar_arrays a;
};

/* Diagnostics (dmar.c): counted, the first DMAR_MAX_MSGS stored. */
void dmar_add_msg(struct dmar_info *out, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A problem of the structure at off; said in pass 1 only, so nothing is said twice. */
void dmar_struct_msg(struct dmar_walk *w, bool error, u32 off, u16 type, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Pass bookkeeping (dmar.c). */
bool dmar_claim(const struct dmar_walk *w, u32 *used, u32 cap, u32 n, u32 *first);
void dmar_lost(struct dmar_walk *w, u32 off, u16 type);

/* Device scopes, VT-d 8.3.1 (dmar_scope.c). */
bool dmar_scopes_walkable(struct dmar_walk *w, u32 off, u16 type, u32 start, u32 end);
bool dmar_take_scopes(struct dmar_walk *w, u32 off, u16 type, u32 start, u32 end, struct dmar_scopes *out);

/* Checks across structures and the firmware-fact classification, after pass 2 (dmar_check.c). */
void dmar_cross_checks(struct dmar_info *o);

#endif
