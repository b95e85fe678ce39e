// kernels/cuda/conv.cu — 2-D convolution on the GPU, three ways per op:
//
//   conv2d             in {x [N,C,H,W], w [O,C/G,KH,KW]}   out {y [N,O,OH,OW]}
//   conv2d_input_grad  in {g [N,O,OH,OW], w}               out {dx [N,C,H,W]}
//   conv2d_weight_grad in {x [N,C,H,W], g [N,O,OH,OW]}     out {dw [O,C/G,KH,KW]}
//   ConvAttrs {stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups}
// (the CPU's contract, kernels/cpu/conv.cpp; a transposed convolution is
// conv2d_input_grad, so it gets the same three algorithms).
//
// Algorithms, registered in this order for float32/float64/bfloat16/float16:
//   auto         the first call of each shape (op, dtype, operand shapes,
//                attrs) runs each applicable algorithm below once to warm up
//                and three times under CUDA events, keeps the fastest, and
//                uses it for every later call of that shape. Under CUDA-graph
//                capture nothing is timed: an untimed shape uses im2col_gemm.
//                conv_algorithm_choices() lists the decisions.
//   cudnn        cuDNN's legacy convolution API (cudnn.cuh: loaded at run
//                time), the heuristics' first deterministic algorithm whose
//                workspace fits conv_workspace_limit()
//   im2col_gemm  Gantry's own: for a chunk of nb samples, im2col writes
//                cols[g][r][s*P + p] (r = (c*KH + kh)*KW + kw over the group's
//                input channels, s the sample in the chunk, p = oh*OW + ow),
//                and cuBLAS multiplies (blas.cuh):
//                  y[s, g]   = W_g [O/G, R] @ cols[g][:, s*P : s*P+P]     (batched over s)
//                  dcols     = W_g^T @ g[s, g]; col2im sums each input
//                              pixel's taps in a fixed order (no atomics)
//                  dW_g     += g2[g] [O/G, nb*P] @ cols[g]^T  (g2: g regrouped
//                              as [G][O/G][s*P + p]; one GEMM per chunk, K = nb*P)
// Force one with Registry::force_algorithm("conv2d", "cudnn") (or gantry
// bench --force). Every algorithm is deterministic for a given GPU model.
// Half types: storage bf16/f16, float32 accumulation (cuBLAS CUBLAS_COMPUTE_32F,
// cuDNN's float compute type, col2im sums in float).
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <sstream>

#include "kernels/cuda/blas.cuh"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cudnn.cuh"
#include "kernels/cuda/half.cuh"

namespace gantry {
namespace cuda {
namespace {

std::atomic<size_t> g_workspace_limit{size_t(512) << 20};  // set_conv_workspace_limit

// ------------------------------------------------------------ geometry
struct Geom {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, ph, pw, dh, dw, G;
  int64_t Cg, Og, R, P;  // C/G, O/G, rows of a group's im2col (Cg*KH*KW), OH*OW
};

// x: [N,C,H,W], w: [O,C/G,KH,KW], y: [N,O,OH,OW] (shapes only).
// The attributes as the 7 integers geometry() reads.
std::vector<int64_t> conv_ints(const kernels::OpAttrs& a) {
  const kernels::ConvAttrs& c = a.as<kernels::ConvAttrs>();
  return {c.stride_h, c.stride_w, c.pad_h, c.pad_w, c.dil_h, c.dil_w, c.groups};
}

Geom geometry(const char* op, const Shape& x, const Shape& w, const Shape& y,
              const std::vector<int64_t>& a) {
  GANTRY_CHECK(a.size() == 7, op, ": expected 7 ints {sh, sw, ph, pw, dh, dw, groups}, got ",
               a.size());
  GANTRY_CHECK(x.size() == 4 && w.size() == 4 && y.size() == 4, op,
               ": operands must be 4-D, got x", shape_str(x), " w", shape_str(w), " y",
               shape_str(y));
  Geom g{x[0], x[1], x[2], x[3], w[0], w[2], w[3], y[2], y[3],
         a[0], a[1], a[2], a[3], a[4], a[5], a[6], 0, 0, 0, 0};
  GANTRY_CHECK(g.G >= 1 && g.C % g.G == 0 && g.O % g.G == 0 && w[1] == g.C / g.G, op,
               ": groups ", g.G, " do not fit C=", g.C, ", O=", g.O, ", w", shape_str(w));
  g.Cg = g.C / g.G;
  g.Og = g.O / g.G;
  g.R = g.Cg * g.KH * g.KW;
  g.P = g.OH * g.OW;
  return g;
}

// ------------------------------------------------------------ kernels
template <typename T>
__global__ void __launch_bounds__(kThreads)
    im2col_kernel(const T* __restrict__ x, T* __restrict__ cols, Geom g, int64_t nb) {
  const int64_t total = g.G * g.R * nb * g.P;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i % g.P;
    int64_t t = i / g.P;
    const int64_t s = t % nb;
    t /= nb;
    const int64_t r = t % g.R, grp = t / g.R;
    const int64_t kw = r % g.KW, kh = (r / g.KW) % g.KH, c = r / (g.KH * g.KW);
    const int64_t ih = (p / g.OW) * g.sh - g.ph + kh * g.dh;
    const int64_t iw = (p % g.OW) * g.sw - g.pw + kw * g.dw;
    T v = from_acc<T>(acc_t<T>(0));
    if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
      v = x[((s * g.C + grp * g.Cg + c) * g.H + ih) * g.W + iw];
    cols[i] = v;
  }
}

// dx[s, c, ih, iw] = sum over the taps (kh, kw) whose window covers (ih, iw)
// of dcols[g][r][s*P + oh*OW + ow]; taps in a fixed order, float accumulation.
// dcols is acc_t<T> (float for the 16-bit types), so dx is rounded once.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    col2im_kernel(const acc_t<T>* __restrict__ dcols, T* __restrict__ dx, Geom g, int64_t nb) {
  const int64_t total = nb * g.C * g.H * g.W;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t iw = i % g.W;
    int64_t t = i / g.W;
    const int64_t ih = t % g.H;
    t /= g.H;
    const int64_t cf = t % g.C, s = t / g.C;
    const int64_t grp = cf / g.Cg, c = cf % g.Cg;
    acc_t<T> acc = 0;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t th = ih + g.ph - kh * g.dh;
      if (th < 0 || th % g.sh != 0) continue;
      const int64_t oh = th / g.sh;
      if (oh >= g.OH) continue;
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t tw = iw + g.pw - kw * g.dw;
        if (tw < 0 || tw % g.sw != 0) continue;
        const int64_t ow = tw / g.sw;
        if (ow >= g.OW) continue;
        const int64_t r = (c * g.KH + kh) * g.KW + kw;
        acc += dcols[((grp * g.R + r) * nb + s) * g.P + oh * g.OW + ow];
      }
    }
    dx[i] = from_acc<T>(acc);
  }
}

// g2[(oc*nb + s)*P + p] = gy[((s*O + oc)*P + p]: the chunk's output gradient
// with samples moved inside each channel's row, so dW is one GEMM per group.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    regroup_kernel(const T* __restrict__ gy, T* __restrict__ g2, int64_t O, int64_t nb, int64_t P) {
  const int64_t total = O * nb * P;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i % P;
    const int64_t t = i / P;
    const int64_t s = t % nb, oc = t / nb;
    g2[i] = gy[(s * O + oc) * P + p];
  }
}

// Samples per chunk so that `per_sample` elements of T stay within the limit.
int64_t chunk_samples(int64_t N, int64_t per_sample, size_t elem) {
  const size_t bytes = std::max<size_t>(1, per_sample * elem);
  const int64_t cap = std::max<int64_t>(1, int64_t(g_workspace_limit.load() / bytes));
  return std::min(N, cap);
}

Tensor workspace(int64_t elems, const Tensor& like) {
  return empty({std::max<int64_t>(elems, 1)}, Options().dtype(like.dtype()).device(like.device()));
}

// ------------------------------------------------------------ im2col_gemm
template <typename T>
void conv2d_im2col(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  const int dev = check_same_cuda_device("conv2d", in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]), w = core::contiguous(in[1]);
  const Tensor& y = out[0];
  const Geom g = geometry("conv2d", x.shape(), w.shape(), y.shape(), conv_ints(a));
  if (y.numel() == 0) return;
  cudaStream_t st = current_stream(dev);
  if (g.R == 0) {  // no input channels: an empty sum (cuBLAS is not asked for k = 0)
    GANTRY_CUDA_CHECK(cudaMemsetAsync(y.raw_data(), 0, y.numel() * sizeof(T), st));
    return;
  }
  const int64_t nb = chunk_samples(g.N, g.G * g.R * g.P, sizeof(T));
  Tensor cols = workspace(g.G * g.R * nb * g.P, x);
  const T* px = static_cast<const T*>(x.raw_data());
  const T* pw = static_cast<const T*>(w.raw_data());
  T* pc = static_cast<T*>(cols.raw_data());
  T* py = static_cast<T*>(y.raw_data());
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t cnt = std::min(nb, g.N - n0);
    launch<im2col_kernel<T>>(loop_config(g.G * g.R * cnt * g.P, st), px + n0 * g.C * g.H * g.W, pc,
                             g, cnt);
    // Y_s,g^T [P, Og] = cols_s,g^T [P, R] @ W_g^T [R, Og], batched over s.
    for (int64_t grp = 0; grp < g.G; ++grp)
      gemm_strided_batched<T>("conv2d", dev, CUBLAS_OP_N, CUBLAS_OP_N, g.P, g.Og, g.R,
                              pc + grp * g.R * cnt * g.P, cnt * g.P, g.P, pw + grp * g.Og * g.R,
                              g.R, 0, 0.0, py + (n0 * g.O + grp * g.Og) * g.P, g.P, g.O * g.P,
                              cnt);
  }
}

template <typename T>
void conv2d_input_grad_im2col(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  const int dev = check_same_cuda_device("conv2d_input_grad", in, out);
  DeviceGuard guard(dev);
  const Tensor gy = core::contiguous(in[0]), w = core::contiguous(in[1]);
  const Tensor& dx = out[0];
  const Geom g = geometry("conv2d_input_grad", dx.shape(), w.shape(), gy.shape(), conv_ints(a));
  if (dx.numel() == 0) return;
  cudaStream_t st = current_stream(dev);
  // The columns stay in acc_t<T>: for 16-bit T the GEMM's float sums are not
  // rounded to 16 bits before col2im adds the taps (one rounding, not two).
  using C = acc_t<T>;
  const int64_t nb = chunk_samples(g.N, g.G * g.R * g.P, sizeof(C));
  Tensor dcols = empty({std::max<int64_t>(g.G * g.R * nb * g.P, 1)},
                       Options().dtype(floating_dtype<C>()).device(dx.device()));
  const T* pg = static_cast<const T*>(gy.raw_data());
  const T* pw = static_cast<const T*>(w.raw_data());
  C* pc = static_cast<C*>(dcols.raw_data());
  T* pdx = static_cast<T*>(dx.raw_data());
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t cnt = std::min(nb, g.N - n0);
    if (g.P > 0 && g.Og > 0) {
      // dcols_s,g^T [P, R] = g_s,g^T [P, Og] @ W_g [Og, R], batched over s.
      for (int64_t grp = 0; grp < g.G; ++grp)
        gemm_strided_batched<T, C>("conv2d_input_grad", dev, CUBLAS_OP_N, CUBLAS_OP_T, g.P, g.R,
                                g.Og, pg + (n0 * g.O + grp * g.Og) * g.P, g.P, g.O * g.P,
                                pw + grp * g.Og * g.R, g.R, 0, 0.0, pc + grp * g.R * cnt * g.P,
                                cnt * g.P, g.P, cnt);
    } else {
      GANTRY_CUDA_CHECK(cudaMemsetAsync(pc, 0, dcols.numel() * sizeof(C), st));
    }
    launch<col2im_kernel<T>>(loop_config(cnt * g.C * g.H * g.W, st), pc, pdx + n0 * g.C * g.H * g.W,
                             g, cnt);
  }
}

template <typename T>
void conv2d_weight_grad_im2col(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  const int dev = check_same_cuda_device("conv2d_weight_grad", in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]), gy = core::contiguous(in[1]);
  const Tensor& dw = out[0];
  const Geom g = geometry("conv2d_weight_grad", x.shape(), dw.shape(), gy.shape(), conv_ints(a));
  if (dw.numel() == 0) return;
  cudaStream_t st = current_stream(dev);
  T* pdw = static_cast<T*>(dw.raw_data());
  if (g.N == 0 || g.P == 0) {
    GANTRY_CUDA_CHECK(cudaMemsetAsync(pdw, 0, dw.numel() * sizeof(T), st));
    return;
  }
  const int64_t nb = chunk_samples(g.N, (g.G * g.R + g.O) * g.P, sizeof(T));
  Tensor cols = workspace(g.G * g.R * nb * g.P, x);
  Tensor g2 = workspace(g.O * nb * g.P, x);
  const T* px = static_cast<const T*>(x.raw_data());
  const T* pg = static_cast<const T*>(gy.raw_data());
  T* pc = static_cast<T*>(cols.raw_data());
  T* pg2 = static_cast<T*>(g2.raw_data());
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t cnt = std::min(nb, g.N - n0), K = cnt * g.P;
    launch<im2col_kernel<T>>(loop_config(g.G * g.R * K, st), px + n0 * g.C * g.H * g.W, pc, g, cnt);
    launch<regroup_kernel<T>>(loop_config(g.O * K, st), pg + n0 * g.O * g.P, pg2, g.O, cnt, g.P);
    // dW_g^T [R, Og] (+)= cols_g [R, K] @ g2_g^T [K, Og], batched over groups.
    gemm_strided_batched<T>("conv2d_weight_grad", dev, CUBLAS_OP_T, CUBLAS_OP_N, g.R, g.Og, K, pc,
                            K, g.R * K, pg2, K, g.Og * K, n0 == 0 ? 0.0 : 1.0, pdw, g.R,
                            g.Og * g.R, g.G);
  }
}

// ------------------------------------------------------------ cuDNN
template <typename T> cudnnDataType_t dnn_type();
template <> cudnnDataType_t dnn_type<float>() { return CUDNN_DATA_FLOAT; }
template <> cudnnDataType_t dnn_type<double>() { return CUDNN_DATA_DOUBLE; }
template <> cudnnDataType_t dnn_type<bf16>() { return CUDNN_DATA_BFLOAT16; }
template <> cudnnDataType_t dnn_type<f16>() { return CUDNN_DATA_HALF; }

// The descriptors of one call (x, w, y in NCHW, contiguous), destroyed at scope end.
struct Descriptors {
  const CudnnApi& api;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  template <typename T>
  Descriptors(const CudnnApi& a, const Geom& g, T) : api(a) {
    try {
      GANTRY_CUDNN_CHECK(api.cudnnCreateTensorDescriptor(&x));
      GANTRY_CUDNN_CHECK(api.cudnnCreateTensorDescriptor(&y));
      GANTRY_CUDNN_CHECK(api.cudnnCreateFilterDescriptor(&w));
      GANTRY_CUDNN_CHECK(api.cudnnCreateConvolutionDescriptor(&conv));
      for (int64_t v : {g.N, g.C, g.H, g.W, g.O, g.OH, g.OW, g.C * g.H * g.W, g.O * g.OH * g.OW})
        GANTRY_CHECK(v <= INT32_MAX, "conv (cudnn): size ", v, " exceeds cuDNN's int range");
      const int C = int(g.C), H = int(g.H), W = int(g.W), O = int(g.O);
      GANTRY_CUDNN_CHECK(api.cudnnSetTensor4dDescriptorEx(x, dnn_type<T>(), int(g.N), C, H, W,
                                                          C * H * W, H * W, W, 1));
      GANTRY_CUDNN_CHECK(api.cudnnSetTensor4dDescriptorEx(y, dnn_type<T>(), int(g.N), O, int(g.OH),
                                                          int(g.OW), int(g.O * g.OH * g.OW),
                                                          int(g.OH * g.OW), int(g.OW), 1));
      GANTRY_CUDNN_CHECK(api.cudnnSetFilter4dDescriptor(w, dnn_type<T>(), CUDNN_TENSOR_NCHW, O,
                                                        int(g.Cg), int(g.KH), int(g.KW)));
      GANTRY_CUDNN_CHECK(api.cudnnSetConvolution2dDescriptor(
          conv, int(g.ph), int(g.pw), int(g.sh), int(g.sw), int(g.dh), int(g.dw),
          CUDNN_CROSS_CORRELATION, std::is_same_v<T, double> ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT));
      GANTRY_CUDNN_CHECK(api.cudnnSetConvolutionGroupCount(conv, int(g.G)));
      // float32: tensor cores (TF32) only when allowed, as for cuBLAS; half: tensor cores.
      const cudnnMathType_t math = is_half_v<T> ? CUDNN_TENSOR_OP_MATH
                                   : (std::is_same_v<T, float> && !allow_tf32()) ? CUDNN_FMA_MATH
                                                                                 : CUDNN_DEFAULT_MATH;
      GANTRY_CUDNN_CHECK(api.cudnnSetConvolutionMathType(conv, math));
    } catch (...) {
      release();
      throw;
    }
  }
  ~Descriptors() { release(); }
  void release() {
    if (conv) api.cudnnDestroyConvolutionDescriptor(conv);
    if (w) api.cudnnDestroyFilterDescriptor(w);
    if (y) api.cudnnDestroyTensorDescriptor(y);
    if (x) api.cudnnDestroyTensorDescriptor(x);
    conv = nullptr, w = nullptr, y = nullptr, x = nullptr;
  }
};

// The heuristics' first deterministic algorithm with a workspace under the
// limit (the query is cached per shape: it costs more than small convolutions).
struct DnnChoice {
  int algo = -1;
  size_t workspace = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;  // applied to the descriptor before the call
};

enum class Pass { Forward, InputGrad, WeightGrad };
const char* op_name(Pass p) {
  return p == Pass::Forward ? "conv2d" : p == Pass::InputGrad ? "conv2d_input_grad"
                                                              : "conv2d_weight_grad";
}

// What a cached choice depends on: pass, dtype, device, workspace limit, the
// TF32 setting (it changes which math cuDNN may pick), every operand's shape,
// the attrs. Built on every call, so plain integers (no text).
using ShapeKey = std::vector<int64_t>;
ShapeKey shape_key(Pass p, DType t, const Tensors& in, const Tensors& out,
                   const kernels::OpAttrs& a, int dev) {
  ShapeKey k = {int64_t(p), int64_t(t), dev, int64_t(g_workspace_limit.load()),
                int64_t(allow_tf32())};
  for (const Tensors* ts : {&in, &out})
    for (const Tensor& v : *ts) {
      k.push_back(v.dim());
      k.insert(k.end(), v.shape().begin(), v.shape().end());
    }
  const kernels::ConvAttrs& c = a.as<kernels::ConvAttrs>();
  k.insert(k.end(), {c.stride_h, c.stride_w, c.pad_h, c.pad_w, c.dil_h, c.dil_w, c.groups});
  return k;
}

// The same, readable, for conv_algorithm_choices() (built once per shape).
std::string shape_text(Pass p, DType t, const Tensors& in, const Tensors& out,
                       const kernels::OpAttrs& a, int dev) {
  std::ostringstream k;
  k << op_name(p) << " " << dtype_name(t) << " cuda:" << dev;
  for (const Tensor& v : in) k << " " << shape_str(v.shape());
  for (const Tensor& v : out) k << " ->" << shape_str(v.shape());
  const kernels::ConvAttrs& c = a.as<kernels::ConvAttrs>();
  k << " ws" << (g_workspace_limit.load() >> 10) << "k s" << c.stride_h << "," << c.stride_w
    << " p" << c.pad_h << "," << c.pad_w << " d" << c.dil_h << "," << c.dil_w << " g"
    << c.groups;
  return k.str();
}

// tensor_ops: whether tensor-core math is acceptable (not for float32 with
// TF32 off: its results would differ from the float32 reference).
template <typename Perf, typename Query>
DnnChoice pick(const char* op, bool tensor_ops, Query query) {
  Perf perf[16];
  int found = 0;
  GANTRY_CUDNN_CHECK(query(perf, 16, &found));
  for (int i = 0; i < found; ++i) {
    const bool tc = perf[i].mathType == CUDNN_TENSOR_OP_MATH ||
                    perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC &&
        perf[i].memory <= g_workspace_limit.load() && (tensor_ops || !tc))
      return {static_cast<int>(perf[i].algo), perf[i].memory, perf[i].mathType};
  }
  throw Error(str(op, " (cudnn): no deterministic cuDNN algorithm within ",
                  g_workspace_limit.load() >> 20, " MiB of workspace for this shape"));
}

std::mutex g_dnn_mutex;
std::map<ShapeKey, DnnChoice> g_dnn_choices;

template <typename T>
void run_cudnn(Pass pass, const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  const char* op = op_name(pass);
  const int dev = check_same_cuda_device(op, in, out);
  DeviceGuard guard(dev);
  const CudnnApi* api = cudnn_api();
  GANTRY_CHECK(api, op, " (cudnn): ", cudnn_status());
  const Tensor i0 = core::contiguous(in[0]), i1 = core::contiguous(in[1]);
  const Tensor& o = out[0];
  const Shape& xs = pass == Pass::InputGrad ? o.shape() : i0.shape();
  const Shape& ws = pass == Pass::WeightGrad ? o.shape() : i1.shape();
  const Shape& ys = pass == Pass::Forward ? o.shape() : pass == Pass::InputGrad ? i0.shape()
                                                                                 : i1.shape();
  const Geom g = geometry(op, xs, ws, ys, conv_ints(a));
  if (o.numel() == 0) return;
  if (g.N == 0 || g.P == 0 || g.R == 0 || g.Og == 0) {  // empty sums: zeros (cuDNN rejects size 0)
    GANTRY_CUDA_CHECK(cudaMemsetAsync(o.raw_data(), 0, o.numel() * sizeof(T), current_stream(dev)));
    return;
  }
  Descriptors d(*api, g, T{});
  cudnnHandle_t h = cudnn_handle(dev);
  const ShapeKey key = shape_key(pass, floating_dtype<T>(), in, out, a, dev);
  DnnChoice c;
  {
    std::lock_guard<std::mutex> lock(g_dnn_mutex);
    auto it = g_dnn_choices.find(key);
    if (it != g_dnn_choices.end()) c = it->second;
  }
  const bool tensor_ops = !std::is_same_v<T, float> || allow_tf32();
  if (c.algo < 0) {
    if (pass == Pass::Forward)
      c = pick<cudnnConvolutionFwdAlgoPerf_t>(op, tensor_ops, [&](auto* p, int n, int* f) {
        return api->cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, n, f, p);
      });
    else if (pass == Pass::InputGrad)
      c = pick<cudnnConvolutionBwdDataAlgoPerf_t>(op, tensor_ops, [&](auto* p, int n, int* f) {
        return api->cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, n, f, p);
      });
    else
      c = pick<cudnnConvolutionBwdFilterAlgoPerf_t>(op, tensor_ops, [&](auto* p, int n, int* f) {
        return api->cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, n, f,
                                                                   p);
      });
    std::lock_guard<std::mutex> lock(g_dnn_mutex);
    g_dnn_choices[key] = c;
  }
  // The math the chosen algorithm was ranked with (cuDNN's perf results say
  // which; the descriptor must carry it for the call).
  GANTRY_CUDNN_CHECK(api->cudnnSetConvolutionMathType(d.conv, c.math));
  Tensor ws_t = empty({static_cast<int64_t>(std::max<size_t>(c.workspace, 1))},
                      Options().dtype(kUInt8).device(o.device()));
  // Scaling factors are float for float/half data and double for double.
  const double one_d = 1.0, zero_d = 0.0;
  const float one_f = 1.0f, zero_f = 0.0f;
  const void* one = std::is_same_v<T, double> ? static_cast<const void*>(&one_d) : &one_f;
  const void* zero = std::is_same_v<T, double> ? static_cast<const void*>(&zero_d) : &zero_f;
  void* wsp = ws_t.raw_data();
  if (pass == Pass::Forward)
    GANTRY_CUDNN_CHECK(api->cudnnConvolutionForward(
        h, one, d.x, i0.raw_data(), d.w, i1.raw_data(), d.conv,
        static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), wsp, c.workspace, zero, d.y, o.raw_data()));
  else if (pass == Pass::InputGrad)
    GANTRY_CUDNN_CHECK(api->cudnnConvolutionBackwardData(
        h, one, d.w, i1.raw_data(), d.y, i0.raw_data(), d.conv,
        static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), wsp, c.workspace, zero, d.x,
        o.raw_data()));
  else
    GANTRY_CUDNN_CHECK(api->cudnnConvolutionBackwardFilter(
        h, one, d.x, i0.raw_data(), d.y, i1.raw_data(), d.conv,
        static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), wsp, c.workspace, zero, d.w,
        o.raw_data()));
}

template <typename T>
void conv2d_cudnn(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  run_cudnn<T>(Pass::Forward, in, out, a);
}
template <typename T>
void conv2d_input_grad_cudnn(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  run_cudnn<T>(Pass::InputGrad, in, out, a);
}
template <typename T>
void conv2d_weight_grad_cudnn(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  run_cudnn<T>(Pass::WeightGrad, in, out, a);
}

bool cudnn_applicable(const Tensors&, const kernels::OpAttrs&) { return cudnn_available(); }

// ------------------------------------------------------------ auto (timed choice)
struct Candidate {
  const char* name;
  kernels::KernelFn fn;
  bool (*applicable)(const Tensors&, const kernels::OpAttrs&);
};

struct Choice {
  int index;         // into the op's candidates
  std::string line;  // for conv_algorithm_choices()
};
std::mutex g_auto_mutex;
std::map<ShapeKey, Choice> g_auto;

// Milliseconds per call of fn (one warm-up, then the mean of 3), or a
// negative number when the algorithm throws (e.g. no cuDNN algorithm fits).
double time_call(kernels::KernelFn fn, const Tensors& in, const Tensors& out,
                 const kernels::OpAttrs& a, cudaStream_t st) {
  try {
    fn(in, out, a);
  } catch (const Error&) {
    return -1;
  }
  cudaEvent_t e0, e1;
  GANTRY_CUDA_CHECK(cudaEventCreate(&e0));
  GANTRY_CUDA_CHECK(cudaEventCreate(&e1));
  GANTRY_CUDA_CHECK(cudaEventRecord(e0, st));
  for (int i = 0; i < 3; ++i) fn(in, out, a);
  GANTRY_CUDA_CHECK(cudaEventRecord(e1, st));
  GANTRY_CUDA_CHECK(cudaEventSynchronize(e1));
  float ms = 0;
  GANTRY_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return ms / 3.0;
}

template <typename T>
void run_auto(Pass pass, const Candidate (&cands)[2], const Tensors& in, const Tensors& out,
              const kernels::OpAttrs& a) {
  const int dev = check_same_cuda_device(op_name(pass), in, out);
  const ShapeKey key = shape_key(pass, floating_dtype<T>(), in, out, a, dev);
  int chosen = -1;
  {
    std::lock_guard<std::mutex> lock(g_auto_mutex);
    auto it = g_auto.find(key);
    if (it != g_auto.end()) chosen = it->second.index;
  }
  if (chosen >= 0) return cands[chosen].fn(in, out, a);
  DeviceGuard guard(dev);
  cudaStream_t st = current_stream(dev);
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  GANTRY_CUDA_CHECK(cudaStreamIsCapturing(st, &capture));
  const Candidate& fallback = cands[1];  // im2col_gemm: always applicable
  if (capture != cudaStreamCaptureStatusNone) return fallback.fn(in, out, a);
  double best = -1;
  const Candidate* winner = &fallback;
  std::ostringstream others;
  for (const auto& c : cands) {
    if (c.applicable && !c.applicable(in, a)) continue;
    const double ms = time_call(c.fn, in, out, a, st);
    if (ms < 0) {
      others << " (" << c.name << " failed)";
      continue;
    }
    if (best < 0 || ms < best) {
      if (best >= 0) others << " (" << winner->name << " " << best << " ms)";
      best = ms;
      winner = &c;
    } else {
      others << " (" << c.name << " " << ms << " ms)";
    }
  }
  std::ostringstream line;
  line << shape_text(pass, floating_dtype<T>(), in, out, a, dev) << ": " << winner->name << " "
       << best << " ms" << others.str();
  {
    std::lock_guard<std::mutex> lock(g_auto_mutex);
    g_auto[key] = Choice{int(winner - cands), line.str()};
  }
  winner->fn(in, out, a);  // the result the caller sees comes from the chosen algorithm
}

template <typename T>
void conv2d_auto(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  static const Candidate c[2] = {{"cudnn", conv2d_cudnn<T>, cudnn_applicable},
                                 {"im2col_gemm", conv2d_im2col<T>, nullptr}};
  run_auto<T>(Pass::Forward, c, in, out, a);
}
template <typename T>
void conv2d_input_grad_auto(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  static const Candidate c[2] = {{"cudnn", conv2d_input_grad_cudnn<T>, cudnn_applicable},
                                 {"im2col_gemm", conv2d_input_grad_im2col<T>, nullptr}};
  run_auto<T>(Pass::InputGrad, c, in, out, a);
}
template <typename T>
void conv2d_weight_grad_auto(const Tensors& in, const Tensors& out, const kernels::OpAttrs& a) {
  static const Candidate c[2] = {{"cudnn", conv2d_weight_grad_cudnn<T>, cudnn_applicable},
                                 {"im2col_gemm", conv2d_weight_grad_im2col<T>, nullptr}};
  run_auto<T>(Pass::WeightGrad, c, in, out, a);
}

template <typename T>
void register_type(kernels::Registry& r) {
  const DeviceType D = DeviceType::CUDA;
  const DType t = floating_dtype<T>();
  r.add(kernels::OpId::conv2d, D, t, "auto", conv2d_auto<T>);
  r.add(kernels::OpId::conv2d, D, t, "cudnn", conv2d_cudnn<T>, cudnn_applicable);
  r.add(kernels::OpId::conv2d, D, t, "im2col_gemm", conv2d_im2col<T>);
  r.add(kernels::OpId::conv2d_input_grad, D, t, "auto", conv2d_input_grad_auto<T>);
  r.add(kernels::OpId::conv2d_input_grad, D, t, "cudnn", conv2d_input_grad_cudnn<T>, cudnn_applicable);
  r.add(kernels::OpId::conv2d_input_grad, D, t, "im2col_gemm", conv2d_input_grad_im2col<T>);
  r.add(kernels::OpId::conv2d_weight_grad, D, t, "auto", conv2d_weight_grad_auto<T>);
  r.add(kernels::OpId::conv2d_weight_grad, D, t, "cudnn", conv2d_weight_grad_cudnn<T>, cudnn_applicable);
  r.add(kernels::OpId::conv2d_weight_grad, D, t, "im2col_gemm", conv2d_weight_grad_im2col<T>);
}

}  // namespace

std::vector<std::string> conv_algorithm_choices() {
  std::lock_guard<std::mutex> lock(g_auto_mutex);
  std::vector<std::string> lines;
  for (const auto& kv : g_auto) lines.push_back(kv.second.line);
  return lines;
}

void clear_conv_algorithm_choices() {
  std::lock_guard<std::mutex> lock(g_auto_mutex);
  g_auto.clear();
}

void set_conv_workspace_limit(size_t bytes) {
  g_workspace_limit = std::max<size_t>(bytes, 1);
  clear_conv_algorithm_choices();
}
size_t conv_workspace_limit() { return g_workspace_limit.load(); }

}  // namespace cuda

namespace kernels {
GANTRY_REGISTER_KERNELS(r) {
  cuda::for_each_floating_type([&](auto t) { cuda::register_type<decltype(t)>(r); });
}
}  // namespace kernels
}  // namespace gantry
