// kernels/cuda/elementwise.cu — CUDA kernels for arithmetic, comparisons and
// where (the floating-point functions are in activation.cu). Same ops, dtypes
// and semantics as kernels/cpu/elementwise.cpp:
//
//   unary   neg abs                                 float32 float64 int64 int32
//   binary  add sub mul maximum minimum             float32 float64 int64 int32
//           div pow                                 float32 float64
//   compare eq ne lt le gt ge -> uint8              float32 float64 int64 int32
//   where(a, b, cond uint8) = cond ? a : b          float32 float64 int64 int32
// and every one of them in bfloat16 and float16 (GPU only: the CPU has no
// half kernels), computed in float32 and rounded once (elementwise.cuh).
//
// maximum/minimum propagate NaN (as PyTorch). Launch paths: elementwise.cuh.
#include <cmath>

#include "kernels/cuda/elementwise.cuh"

namespace gantry {
namespace cuda {
namespace {

__device__ __forceinline__ float m_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double m_pow(double a, double b) { return ::pow(a, b); }

template <typename T>
__device__ __forceinline__ bool is_nan(T v) {
  if constexpr (std::is_floating_point<T>::value) {
    return isnan(v);
  } else {
    return false;
  }
}

template <typename T> struct Neg {
  static constexpr const char* name = "neg";
  __device__ T operator()(T a) const { return -a; }
};
template <typename T> struct Abs {
  static constexpr const char* name = "abs";
  __device__ T operator()(T a) const { return a < T(0) ? T(-a) : a; }
};
template <typename T> struct Add {
  static constexpr const char* name = "add";
  __device__ T operator()(T a, T b) const { return a + b; }
};
template <typename T> struct Sub {
  static constexpr const char* name = "sub";
  __device__ T operator()(T a, T b) const { return a - b; }
};
template <typename T> struct Mul {
  static constexpr const char* name = "mul";
  __device__ T operator()(T a, T b) const { return a * b; }
};
template <typename T> struct Div {
  static constexpr const char* name = "div";
  __device__ T operator()(T a, T b) const { return a / b; }
};
template <typename T> struct Pow {
  static constexpr const char* name = "pow";
  __device__ T operator()(T a, T b) const { return m_pow(a, b); }
};
template <typename T> struct Maximum {
  static constexpr const char* name = "maximum";
  __device__ T operator()(T a, T b) const {
    if (is_nan(a) || is_nan(b)) return a + b;  // NaN either way
    return a > b ? a : b;
  }
};
template <typename T> struct Minimum {
  static constexpr const char* name = "minimum";
  __device__ T operator()(T a, T b) const {
    if (is_nan(a) || is_nan(b)) return a + b;
    return a < b ? a : b;
  }
};
template <typename T> struct Eq {
  static constexpr const char* name = "eq";
  __device__ uint8_t operator()(T a, T b) const { return a == b; }
};
template <typename T> struct Ne {
  static constexpr const char* name = "ne";
  __device__ uint8_t operator()(T a, T b) const { return a != b; }
};
template <typename T> struct Lt {
  static constexpr const char* name = "lt";
  __device__ uint8_t operator()(T a, T b) const { return a < b; }
};
template <typename T> struct Le {
  static constexpr const char* name = "le";
  __device__ uint8_t operator()(T a, T b) const { return a <= b; }
};
template <typename T> struct Gt {
  static constexpr const char* name = "gt";
  __device__ uint8_t operator()(T a, T b) const { return a > b; }
};
template <typename T> struct Ge {
  static constexpr const char* name = "ge";
  __device__ uint8_t operator()(T a, T b) const { return a >= b; }
};

// where: Geometry operands are {out, cond, a, b}.
template <typename T>
__global__ void where_kernel(int64_t n, Geometry<4> g, T* out, const uint8_t* cond, const T* a,
                             const T* b) {
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
void where(const Tensors& in, const Tensors& out, const kernels::Attrs&) {
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
  where_kernel<T><<<grid_for(n), kThreads, 0, current_stream(dev)>>>(
      n, g, static_cast<T*>(o.raw_data()), static_cast<const uint8_t*>(c.raw_data()),
      static_cast<const T*>(a.raw_data()), static_cast<const T*>(b.raw_data()));
  GANTRY_CUDA_LAUNCH_CHECK();
}

template <typename T>
void register_arith(kernels::Registry& r, DType d) {
  const auto C = DeviceType::CUDA;
  r.add("neg", C, d, "cuda", unary_entry<T, Neg>);
  r.add("abs", C, d, "cuda", unary_entry<T, Abs>);
  r.add("add", C, d, "cuda", binary_entry<T, Add>);
  r.add("sub", C, d, "cuda", binary_entry<T, Sub>);
  r.add("mul", C, d, "cuda", binary_entry<T, Mul>);
  r.add("maximum", C, d, "cuda", binary_entry<T, Maximum>);
  r.add("minimum", C, d, "cuda", binary_entry<T, Minimum>);
  r.add("eq", C, d, "cuda", compare_entry<T, Eq>);
  r.add("ne", C, d, "cuda", compare_entry<T, Ne>);
  r.add("lt", C, d, "cuda", compare_entry<T, Lt>);
  r.add("le", C, d, "cuda", compare_entry<T, Le>);
  r.add("gt", C, d, "cuda", compare_entry<T, Gt>);
  r.add("ge", C, d, "cuda", compare_entry<T, Ge>);
  r.add("where", C, d, "cuda", where<T>);
}

template <typename T>
void register_float_binary(kernels::Registry& r, DType d) {
  r.add("div", DeviceType::CUDA, d, "cuda", binary_entry<T, Div>);
  r.add("pow", DeviceType::CUDA, d, "cuda", binary_entry<T, Pow>);
}

}  // namespace
}  // namespace cuda

namespace kernels {
void register_cuda_elementwise(Registry& r) {
  cuda::register_arith<float>(r, kFloat32);
  cuda::register_arith<double>(r, kFloat64);
  cuda::register_arith<int64_t>(r, kInt64);
  cuda::register_arith<int32_t>(r, kInt32);
  cuda::register_arith<cuda::bf16>(r, kBFloat16);
  cuda::register_arith<cuda::f16>(r, kFloat16);
  cuda::register_float_binary<float>(r, kFloat32);
  cuda::register_float_binary<double>(r, kFloat64);
  cuda::register_float_binary<cuda::bf16>(r, kBFloat16);
  cuda::register_float_binary<cuda::f16>(r, kFloat16);
  register_cuda_activation(r);
}
}  // namespace kernels
}  // namespace gantry
