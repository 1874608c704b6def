/* The neon vector layer, probed (tests/vec_probe.inc). */
#include "../../../../arch/arm/neon/vec.h"
#include "../../../vec_probe.inc"
