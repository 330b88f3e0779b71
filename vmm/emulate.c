/* Decoder for MOV loads and stores to emulated memory (SDM Vol. 2A chapter 2, Vol. 2B "MOV"). */
#include "emulate.h"

#define REX_W 8
#define REX_R 4

u64 emul_reg_merge(u64 old, u64 val, u32 size, bool high8)
{
	if (high8)
		return (old & ~0xff00ULL) | ((val & 0xff) << 8);
	switch (size) {
	case 1: return (old & ~0xffULL) | (val & 0xff);
	case 2: return (old & ~0xffffULL) | (val & 0xffff);
	case 4: return val & 0xffffffffULL;     /* 3.4.1.1: zero-extended to 64 bits */
	default: return val;
	}
}

u64 emul_reg_operand(u64 reg, u32 size, bool high8)
{
	if (high8)
		return (reg >> 8) & 0xff;
	return size >= 8 ? reg : reg & ((1ULL << (size * 8)) - 1);
}

/* Bytes of ModRM, SIB and displacement after the opcode (Vol. 2A 2.1.5 tables 2-1, 2-2), or 0
 * for a register operand (mod = 3), which is not a memory access. */
static u32 modrm_len(const u8 *p, u32 avail, u32 addr_size)
{
	if (avail < 1)
		return 0;
	u8 mod = p[0] >> 6, rm = p[0] & 7;
	if (mod == 3)
		return 0;
	if (addr_size == 2) /* 16-bit addressing: no SIB; mod 0 rm 6 is disp16 */
		return 1 + (mod == 1 ? 1 : mod == 2 ? 2 : rm == 6 ? 2 : 0);
	u32 n = 1;
	if (rm == 4) {
		if (avail < 2)
			return 0;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;                 /* SIB with no base: disp32 */
		n++;
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		n += 4;                         /* disp32 (RIP-relative in 64-bit mode) */
	return n;
}

static u64 read_imm(const u8 *p, u32 size)
{
	u64 v = 0;
	for (u32 i = 0; i < size; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static bool is_prefix(u8 b)
{
	switch (b) {
	case 0x66: case 0x67:                   /* operand size, address size */
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: /* segments */
		return true;
	}
	return false;
}

status_t emul_decode(const u8 *code, u32 avail, enum emul_mode mode, struct emul_insn *out)
{
	u32 i = 0, opsize = mode == EMUL_MODE_16 ? 2 : 4, addr = mode == EMUL_MODE_64 ? 8 : opsize;
	u8 rex = 0;
	*out = (struct emul_insn){ 0 };
	avail = avail < EMUL_MAX_INSN ? avail : EMUL_MAX_INSN;
	for (; i < avail && is_prefix(code[i]); i++) {
		if (code[i] == 0x66)
			opsize = mode == EMUL_MODE_16 ? 4 : 2;
		else if (code[i] == 0x67)
			addr = mode == EMUL_MODE_64 ? 4 : mode == EMUL_MODE_32 ? 2 : 4;
	}
	if (mode == EMUL_MODE_64 && i < avail && (code[i] & 0xf0) == 0x40)
		rex = code[i++];                /* REX must come last, right before the opcode */
	if (i >= avail)
		return E_INVAL;
	if (rex & REX_W)
		opsize = 8;
	u8 op = code[i++];
	u32 n;
	switch (op) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		if (i >= avail)
			return E_INVAL;
		if (!(n = modrm_len(code + i, avail - i, addr)))
			return (code[i] >> 6) == 3 ? E_NOTSUP : E_INVAL;
		out->size = (op & 1) ? (u8)opsize : 1;
		out->store = op <= 0x89;
		out->reg = (u8)(((code[i] >> 3) & 7) | ((rex & REX_R) ? 8 : 0));
		if (out->size == 1 && !rex && out->reg >= 4) /* AH, CH, DH, BH without REX */
			out->reg -= 4, out->high8 = true;
		i += n;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: /* MOV AL/rAX <-> moffs (an address-size offset) */
		out->size = (op & 1) ? (u8)opsize : 1;
		out->store = op >= 0xa2;
		out->reg = 0;
		i += addr;
		break;
	case 0xc6: case 0xc7: {
		if (i >= avail)
			return E_INVAL;
		if (((code[i] >> 3) & 7) != 0)
			return E_NOTSUP;        /* only /0 is MOV */
		if (!(n = modrm_len(code + i, avail - i, addr)))
			return (code[i] >> 6) == 3 ? E_NOTSUP : E_INVAL;
		out->size = op == 0xc6 ? 1 : (u8)opsize;
		u32 isz = out->size == 8 ? 4 : out->size; /* imm32 sign-extended to 64 bits */
		i += n;
		if (i + isz > avail)
			return E_INVAL;
		u64 imm = read_imm(code + i, isz);
		if (out->size == 8 && (imm & 0x80000000ULL))
			imm |= 0xffffffff00000000ULL;
		out->imm = imm;
		out->has_imm = true;
		out->store = true;
		i += isz;
		break;
	}
	default:
		return E_NOTSUP;
	}
	if (i > avail)
		return E_INVAL;
	out->len = (u8)i;
	return OK;
}
