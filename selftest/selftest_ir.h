/* selftest=ir: interrupt remapping with QEMU edu devices (the IR self-test's entry point). */
#ifndef PASSAGE_SELFTEST_SELFTEST_IR_H
#define PASSAGE_SELFTEST_SELFTEST_IR_H

#include "lib/types.h"

/* Runs the IR self-test; prints PASS/FAIL/SKIP lines and "ir: N passed, M failed". */
void selftest_ir(u32 rounds);

#endif
