/* The avx2 vector layer, probed (tests/vec_probe.inc). */
#include "../../../../arch/x86/avx2/vec.h"
#include "../../../vec_probe.inc"
