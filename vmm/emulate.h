/* Instruction decoder for the MOV forms that touch emulated memory (loads and stores), pure C. */
#ifndef PASSAGE_VMM_EMULATE_H
#define PASSAGE_VMM_EMULATE_H

#include "lib/types.h"
#include "lib/status.h"

#define EMUL_MAX_INSN 15            /* SDM Vol. 2A 2.3.11: an instruction is at most 15 bytes */

/* Default operand/address size of the code the guest runs (CS.L, CS.D, CR0.PE). */
enum emul_mode { EMUL_MODE_16, EMUL_MODE_32, EMUL_MODE_64 };

/* One decoded MOV between a register (or an immediate) and memory. */
struct emul_insn {
	u8 len;                     /* bytes, prefixes included */
	u8 size;                    /* operand size in bytes: 1, 2, 4 or 8 */
	bool store;                 /* register/immediate -> memory; else memory -> register */
	bool has_imm;               /* a store of imm (C6/C7), already sign-extended to size */
	u8 reg;                     /* general register, SDM encoding 0 RAX .. 15 R15 */
	bool high8;                 /* byte operand AH/CH/DH/BH: bits 15:8 of register reg */
	u64 imm;
};

/*
 * Decodes the MOV at code[0..avail) in mode. Supported: 88/89/8A/8B with a
 * memory ModRM operand, A0-A3 (moffs), C6 /0 and C7 /0, with operand-size,
 * address-size, segment and REX prefixes. E_NOTSUP for anything else (other
 * opcodes, a register operand, LOCK/REP), E_INVAL when avail is too short.
 */
status_t emul_decode(const u8 *code, u32 avail, enum emul_mode mode, struct emul_insn *out)
	MUST_CHECK;

/*
 * The new value of a general register after writing val with an operand of
 * size bytes (SDM Vol. 1 3.4.1.1): 8- and 16-bit writes keep the other bits,
 * a 32-bit write zero-extends to 64 bits, a 64-bit write replaces all.
 * high8 writes bits 15:8 (AH..BH).
 */
u64 emul_reg_merge(u64 old, u64 val, u32 size, bool high8);

/* The size-byte operand a register holds (bits 15:8 for high8). */
u64 emul_reg_operand(u64 reg, u32 size, bool high8);

#endif
