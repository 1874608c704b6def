/* Test-only: the x86 intrinsics of any ISA, emulated. Put first on the include path of an ISA's kernel
 * files (tests/emu/x86, see the Makefile's emulated build), it brings the compiler's real header, then SIMDe
 * (Debian libsimde-dev) with its native aliases, so _mm512_* names compile with the flags of an older ISA,
 * then the few intrinsics SIMDe 0.7.4 lacks (simde_shim.h). Never part of the library. */
#ifndef RTJ_EMU_IMMINTRIN_H
#define RTJ_EMU_IMMINTRIN_H
#include_next <immintrin.h>
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include "simde_shim.h"
#endif
