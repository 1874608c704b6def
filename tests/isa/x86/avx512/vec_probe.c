/* The avx512 vector layer, probed (tests/vec_probe.inc). */
#include "../../../../arch/x86/avx512/vec.h"
#include "../../../vec_probe.inc"
