// kernels/cpu/shuffle.cpp — pixel_shuffle and pixel_unshuffle on the CPU
// (the op table entries and the index map: kernels/ops/shuffle.h).
//
// One loop serves both directions: it walks the large tensor [N, C, H*r, W*r]
// row by row (rows split over OpenMP threads; each output element is written
// by exactly one thread, so the result does not depend on the thread count)
// and copies each element to or from its place in the small tensor
// [N, C*r*r, H, W]. The output is contiguous; the input is made so.
#include "core/tensor.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

// ToLarge: small -> large (pixel_shuffle); otherwise large -> small.
template <typename T, bool ToLarge>
void shuffle(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const int64_t r = attrs.as<ShuffleAttrs>().factor;
  const Tensor x = core::contiguous(in[0]);
  const Tensor& large = ToLarge ? out[0] : x;
  const int64_t NC = large.size(0) * large.size(1), H = large.size(2) / r, W = large.size(3) / r;
  const T* src = x.data<T>();
  T* dst = out[0].data<T>();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t nc = 0; nc < NC; ++nc)
    for (int64_t row = 0; row < H * r; ++row) {
      const int64_t h = row / r, i = row % r;
      const int64_t lrow = (nc * H * r + row) * W * r;      // large [nc, row, :]
      for (int64_t col = 0; col < W * r; ++col) {
        const int64_t w = col / r, j = col % r;
        const int64_t s = ((nc * r * r + i * r + j) * H + h) * W + w;  // small [nc*r*r + i*r + j, h, w]
        if (ToLarge) dst[lrow + col] = src[s];
        else dst[s] = src[lrow + col];
      }
    }
}

GANTRY_KERNEL(pixel_shuffle, DeviceType::CPU, kFloat32, "loop", shuffle<float, true>);
GANTRY_KERNEL(pixel_shuffle, DeviceType::CPU, kFloat64, "loop", shuffle<double, true>);
GANTRY_KERNEL(pixel_unshuffle, DeviceType::CPU, kFloat32, "loop", shuffle<float, false>);
GANTRY_KERNEL(pixel_unshuffle, DeviceType::CPU, kFloat64, "loop", shuffle<double, false>);

}  // namespace
}  // namespace kernels
}  // namespace gantry
