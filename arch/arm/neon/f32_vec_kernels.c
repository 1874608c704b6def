/* NEON build of the shared row and elementwise kernels. */
#include "vec.h"
#include "../../../kernels/kernel_list.h"
#include "../../../kernels/f32_vec_kernels.inc"
