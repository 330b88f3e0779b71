/* Unit tests of the MOV load/store decoder and the register-write rule the exit handlers use. */
/* host-srcs: vmm/emulate.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/emulate.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RSI 6
#define R9 9
#define R12 12

static struct emul_insn dec(const u8 *code, u32 n, enum emul_mode m)
{
	struct emul_insn in;
	assert_int_equal(emul_decode(code, n, m, &in), OK);
	return in;
}

/* A 32-bit register write (IN EAX, MOV r32) zero-extends: SDM Vol. 1 3.4.1.1 (D13). */
static void test_reg_merge_32bit_zero_extends(void **state)
{
	(void)state;
	assert_int_equal(emul_reg_merge(0xdeadbeef00000000ULL, 0x12345678, 4, false), 0x12345678ULL);
	assert_int_equal(emul_reg_merge(0xffffffffffffffffULL, 0xffffffffULL, 4, false), 0xffffffffULL);
}

static void test_reg_merge_narrow_keeps_the_rest(void **state)
{
	(void)state;
	assert_int_equal(emul_reg_merge(0x1122334455667788ULL, 0xaa, 1, false), 0x11223344556677aaULL);
	assert_int_equal(emul_reg_merge(0x1122334455667788ULL, 0xbbcc, 2, false), 0x112233445566bbccULL);
	assert_int_equal(emul_reg_merge(0x1122334455667788ULL, 0xdd, 1, true), 0x112233445566dd88ULL);
	assert_int_equal(emul_reg_merge(0x1122334455667788ULL, 0x0102030405060708ULL, 8, false),
			 0x0102030405060708ULL);
	assert_int_equal(emul_reg_operand(0x1122334455667788ULL, 2, false), 0x7788);
	assert_int_equal(emul_reg_operand(0x1122334455667788ULL, 1, true), 0x77);
	assert_int_equal(emul_reg_operand(0x1122334455667788ULL, 8, false), 0x1122334455667788ULL);
}

/* Loads: 8B /r with each displacement form, REX.R/REX.W, moffs. */
static void test_decode_loads(void **state)
{
	(void)state;
	static const u8 a[] = { 0x8b, 0x00 };                         /* mov eax, [rax] */
	struct emul_insn in = dec(a, sizeof a, EMUL_MODE_64);
	assert_int_equal(in.len, 2);
	assert_int_equal(in.size, 4);
	assert_false(in.store);
	assert_int_equal(in.reg, RAX);
	static const u8 b[] = { 0x44, 0x8b, 0x4f, 0x20 };             /* mov r9d, [rdi+0x20] */
	in = dec(b, sizeof b, EMUL_MODE_64);
	assert_int_equal(in.len, 4);
	assert_int_equal(in.reg, R9);
	assert_int_equal(in.size, 4);
	static const u8 c[] = { 0x48, 0x8b, 0x94, 0x24, 0x00, 0x03, 0x00, 0x00 }; /* mov rdx, [rsp+0x300] */
	in = dec(c, sizeof c, EMUL_MODE_64);
	assert_int_equal(in.len, 8);
	assert_int_equal(in.size, 8);
	assert_int_equal(in.reg, RDX);
	static const u8 d[] = { 0x8b, 0x1d, 0x90, 0x03, 0xe0, 0xfe };  /* mov ebx, [0xfee00390] (32-bit) */
	in = dec(d, sizeof d, EMUL_MODE_32);
	assert_int_equal(in.len, 6);
	assert_int_equal(in.reg, RBX);
	static const u8 e[] = { 0x8b, 0x04, 0x25, 0x90, 0x03, 0xe0, 0xfe }; /* mov eax, [disp32] via SIB */
	assert_int_equal(dec(e, sizeof e, EMUL_MODE_64).len, 7);
	static const u8 f[] = { 0xa1, 0x90, 0x03, 0xe0, 0xfe };       /* mov eax, moffs32 */
	in = dec(f, sizeof f, EMUL_MODE_32);
	assert_int_equal(in.len, 5);
	assert_int_equal(in.reg, RAX);
	static const u8 g[] = { 0xa1, 0x90, 0x03, 0xe0, 0xfe, 0, 0, 0, 0 }; /* moffs64 */
	assert_int_equal(dec(g, sizeof g, EMUL_MODE_64).len, 9);
	static const u8 h[] = { 0x8a, 0x66, 0x04 };                   /* mov ah, [rsi+4] */
	in = dec(h, sizeof h, EMUL_MODE_64);
	assert_int_equal(in.size, 1);
	assert_true(in.high8);
	assert_int_equal(in.reg, RAX);
	static const u8 i[] = { 0x66, 0x8b, 0x0e };                   /* mov cx, [rsi] */
	in = dec(i, sizeof i, EMUL_MODE_64);
	assert_int_equal(in.size, 2);
	assert_int_equal(in.len, 3);
	assert_int_equal(in.reg, RCX);
}

/* Stores: 89 /r, 88 /r with REX (SIL, not DH), C7/C6 immediates, A3. */
static void test_decode_stores(void **state)
{
	(void)state;
	static const u8 a[] = { 0x89, 0x30 };                         /* mov [rax], esi */
	struct emul_insn in = dec(a, sizeof a, EMUL_MODE_64);
	assert_true(in.store);
	assert_false(in.has_imm);
	assert_int_equal(in.reg, RSI);
	assert_int_equal(in.size, 4);
	static const u8 b[] = { 0x40, 0x88, 0x37 };                   /* mov [rdi], sil */
	in = dec(b, sizeof b, EMUL_MODE_64);
	assert_int_equal(in.size, 1);
	assert_false(in.high8);
	assert_int_equal(in.reg, RSI);
	static const u8 b2[] = { 0x88, 0x37 };                        /* mov [edi], dh */
	in = dec(b2, sizeof b2, EMUL_MODE_32);
	assert_true(in.high8);
	assert_int_equal(in.reg, RDX);
	static const u8 c[] = { 0x48, 0xc7, 0x40, 0x08, 0xff, 0xff, 0xff, 0xff }; /* mov qword [rax+8], -1 */
	in = dec(c, sizeof c, EMUL_MODE_64);
	assert_int_equal(in.len, 8);
	assert_int_equal(in.size, 8);
	assert_true(in.has_imm);
	assert_int_equal(in.imm, 0xffffffffffffffffULL);
	static const u8 d[] = { 0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }; /* mov [eoi], 0 */
	in = dec(d, sizeof d, EMUL_MODE_32);
	assert_int_equal(in.len, 10);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.imm, 0);
	static const u8 e[] = { 0xc6, 0x00, 0x5a };                   /* mov byte [rax], 0x5a */
	in = dec(e, sizeof e, EMUL_MODE_64);
	assert_int_equal(in.len, 3);
	assert_int_equal(in.imm, 0x5a);
	static const u8 f[] = { 0x66, 0xc7, 0x00, 0x34, 0x12 };       /* mov word [rax], 0x1234 */
	in = dec(f, sizeof f, EMUL_MODE_64);
	assert_int_equal(in.len, 5);
	assert_int_equal(in.size, 2);
	assert_int_equal(in.imm, 0x1234);
	static const u8 g[] = { 0xa3, 0x00, 0x03, 0xe0, 0xfe };       /* mov moffs32, eax */
	in = dec(g, sizeof g, EMUL_MODE_32);
	assert_true(in.store);
	assert_int_equal(in.len, 5);
	static const u8 h[] = { 0x45, 0x89, 0x64, 0x24, 0x10 };       /* mov [r12+0x10], r12d */
	in = dec(h, sizeof h, EMUL_MODE_64);
	assert_int_equal(in.reg, R12);
	assert_int_equal(in.len, 5);
}

/* 16-bit code: operand size flips with 66, 16-bit ModRM forms (no SIB, disp16). */
static void test_decode_16bit(void **state)
{
	(void)state;
	static const u8 a[] = { 0x8b, 0x06, 0x34, 0x12 };             /* mov ax, [0x1234] */
	struct emul_insn in = dec(a, sizeof a, EMUL_MODE_16);
	assert_int_equal(in.size, 2);
	assert_int_equal(in.len, 4);
	static const u8 b[] = { 0x66, 0x67, 0x8b, 0x04, 0x25, 0x00, 0x03, 0xe0, 0xfe }; /* 32-bit form */
	in = dec(b, sizeof b, EMUL_MODE_16);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.len, 9);
}

/* What the decoder must refuse rather than guess. */
static void test_decode_refuses(void **state)
{
	(void)state;
	struct emul_insn in;
	static const u8 reg[] = { 0x8b, 0xc1 };                       /* mov eax, ecx: no memory */
	assert_int_equal(emul_decode(reg, sizeof reg, EMUL_MODE_64, &in), E_NOTSUP);
	static const u8 add[] = { 0x01, 0x00 };                       /* add [rax], eax */
	assert_int_equal(emul_decode(add, sizeof add, EMUL_MODE_64, &in), E_NOTSUP);
	static const u8 lock[] = { 0xf0, 0x89, 0x00 };
	assert_int_equal(emul_decode(lock, sizeof lock, EMUL_MODE_64, &in), E_NOTSUP);
	static const u8 c7_1[] = { 0xc7, 0x08, 0, 0, 0, 0 };          /* C7 /1 is not MOV */
	assert_int_equal(emul_decode(c7_1, sizeof c7_1, EMUL_MODE_64, &in), E_NOTSUP);
	static const u8 cut[] = { 0x8b, 0x80, 0x00 };                 /* disp32 cut short */
	assert_int_equal(emul_decode(cut, sizeof cut, EMUL_MODE_64, &in), E_INVAL);
	static const u8 cut2[] = { 0xc7, 0x00, 0x01 };                /* imm32 cut short */
	assert_int_equal(emul_decode(cut2, sizeof cut2, EMUL_MODE_64, &in), E_INVAL);
	static const u8 pre[] = { 0x66, 0x66, 0x66 };
	assert_int_equal(emul_decode(pre, sizeof pre, EMUL_MODE_64, &in), E_INVAL);
	/* In 32-bit code 0x48 is DEC EAX, not REX.W. */
	static const u8 dec48[] = { 0x48, 0x8b, 0x00 };
	assert_int_equal(emul_decode(dec48, sizeof dec48, EMUL_MODE_32, &in), E_NOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reg_merge_32bit_zero_extends),
		cmocka_unit_test(test_reg_merge_narrow_keeps_the_rest),
		cmocka_unit_test(test_decode_loads),
		cmocka_unit_test(test_decode_stores),
		cmocka_unit_test(test_decode_16bit),
		cmocka_unit_test(test_decode_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
