// The scalar elementwise functions now live in math/scalar.h, shared with the CUDA kernels.
#pragma once
#include "../../math/scalar.h"
