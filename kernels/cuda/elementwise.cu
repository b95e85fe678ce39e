// kernels/cuda/elementwise.cu — the CUDA kernels of every elementwise op.
//
// As on the CPU (kernels/cpu/elementwise.cpp) there is no list of ops here:
// every GANTRY_ELEMENTWISE entry of the op table (kernels/ops/elementwise.h)
// is instantiated with its functor from kernels/math.h — the very formula the
// CPU runs — for the entry's dtypes plus bfloat16 and float16 (GPU only:
// computed in float32 and rounded once, elementwise.cuh), and registered.
// `where` (three operands, one uint8) is the one hand-written kernel.
// Launch paths: elementwise.cuh.
#include <cmath>

#include "kernels/cuda/elementwise.cuh"

namespace gantry {
namespace cuda {
namespace {

// where: Geometry operands are {out, cond, a, b}.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    where_kernel(int64_t n, Geometry<4> g, T* out, const uint8_t* cond, const T* a, const T* b) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[4];
    g.offsets(i, off);
    out[off[0]] = cond[off[1]] ? a[off[2]] : b[off[3]];
  }
}

// in = {a, b, cond (uint8)}: the condition comes last so the registry
// dispatches on the dtype of the values.
template <typename T>
void where(const Tensors& in, const Tensors& out, const kernels::OpAttrs&) {
  GANTRY_CHECK(in.size() == 3, "where: expects {a, b, cond}, got ", in.size(), " inputs");
  const Tensor &a = in[0], &b = in[1], &c = in[2], &o = out.at(0);
  const int dev = check_same_cuda_device("where", in, out);
  GANTRY_CHECK(c.dtype() == kUInt8, "where: condition must be uint8, got ", tensor_desc(c));
  for (const Tensor* t : {&a, &b, &c})
    GANTRY_CHECK(t->shape() == o.shape(), "where: operand ", tensor_desc(*t),
                 " does not have the output's shape ", shape_str(o.shape()));
  const int64_t n = o.numel();
  if (n == 0) return;
  DeviceGuard guard(dev);
  Geometry<4> g =
      make_geometry<4>(o.shape(), {o.strides(), c.strides(), a.strides(), b.strides()}, "where");
  launch<where_kernel<T>>(loop_config(n, current_stream(dev)), n, g, static_cast<T*>(o.raw_data()),
                          static_cast<const uint8_t*>(c.raw_data()),
                          static_cast<const T*>(a.raw_data()), static_cast<const T*>(b.raw_data()));
}

// One elementwise entry on one dtype: the kernel shape follows the entry's
// arity and types (Compare: uint8 output).
template <typename T, kernels::OpId Op, template <typename> class F, typename A, int NIn,
          kernels::EwTypes Types>
void add_elementwise(kernels::Registry& r, DType d) {
  kernels::KernelFn fn;
  if constexpr (Types == kernels::EwTypes::Compare) {
    fn = compare_entry<Op, T, F, A>;
  } else if constexpr (NIn == 1) {
    fn = unary_entry<Op, T, F, A>;
  } else {
    fn = binary_entry<Op, T, F, A>;
  }
  r.add(Op, DeviceType::CUDA, d, "cuda", fn);
}

// Floating: float32, float64, bfloat16, float16; Arith and Compare add int64, int32.
template <kernels::OpId Op, template <typename> class F, typename A, int NIn,
          kernels::EwTypes Types>
void add_entry(kernels::Registry& r) {
  static_assert(NIn == 1 || NIn == 2, "elementwise entries take 1 or 2 inputs");
  for_each_floating_type([&](auto t) {
    using T = decltype(t);
    add_elementwise<T, Op, F, A, NIn, Types>(r, floating_dtype<T>());
  });
  if constexpr (Types != kernels::EwTypes::Floating) {
    add_elementwise<int64_t, Op, F, A, NIn, Types>(r, kInt64);
    add_elementwise<int32_t, Op, F, A, NIn, Types>(r, kInt32);
  }
}

}  // namespace
}  // namespace cuda

namespace kernels {
GANTRY_KERNEL(where, DeviceType::CUDA, kFloat32, "cuda", cuda::where<float>);
GANTRY_KERNEL(where, DeviceType::CUDA, kFloat64, "cuda", cuda::where<double>);
GANTRY_KERNEL(where, DeviceType::CUDA, kInt64, "cuda", cuda::where<int64_t>);
GANTRY_KERNEL(where, DeviceType::CUDA, kInt32, "cuda", cuda::where<int32_t>);
GANTRY_KERNEL(where, DeviceType::CUDA, kBFloat16, "cuda", cuda::where<cuda::bf16>);
GANTRY_KERNEL(where, DeviceType::CUDA, kFloat16, "cuda", cuda::where<cuda::f16>);

// Every GANTRY_ELEMENTWISE entry of the op table, with its functor.
GANTRY_REGISTER_KERNELS(r) {
#define GANTRY_ELEMENTWISE(name, Functor, Attrs, n_in, types, flags) \
  cuda::add_entry<OpId::name, math::Functor, Attrs, n_in, EwTypes::types>(r);
#include "kernels/ops/all.h"
#undef GANTRY_ELEMENTWISE
}
}  // namespace kernels
}  // namespace gantry
