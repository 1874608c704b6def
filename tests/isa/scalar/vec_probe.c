/* The scalar vector layer, probed (tests/vec_probe.inc). */
#include "../../../arch/scalar/vec.h"
#include "../../vec_probe.inc"
