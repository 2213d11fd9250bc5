#pragma once

#include <cstdint>

// Max pooling of float planes with 2x2 windows at stride 2, in AVX2: the
// pooling of most CNNs, whose output rows (7 to 112 wide) are too short for
// the compiler's loop vectorizer to leave its scalar prologue and epilogue.
// No autograd, no tensors.
namespace ember::detail {

// Whether max_pool_2x2_plane takes rows out_w wide (at least 4) of planes
// up to in_plane elements (window offsets must fit in int32).
bool max_pool_2x2_vectorizes(int64_t out_w, int64_t in_plane);

// y [out_h, out_w] = the max of each 2x2 window of plane x [>= 2 out_h, width]
// (width >= 2 out_w), and index, when not null, its flat position in x. The
// window is scanned row by row; a strictly greater element wins, so the first
// of tied maxima stays, and a NaN always wins (the last NaN of the window),
// as in the general kernel.
void max_pool_2x2_plane(const float* x, int64_t width, int64_t out_h, int64_t out_w, float* y,
                        int64_t* index);

}  // namespace ember::detail
