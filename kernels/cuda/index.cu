// kernels/cuda/index.cu — indexing kernels on the GPU, the contract of
// kernels/cpu/index.cpp:
//   gather       in {x, idx int64}        out {y: idx's shape}   ints {dim}
//                y[..i..] = x[..idx[..i..] at dim..]
//   scatter_add  in {x, idx int64, src}   out {y: x's shape}     ints {dim}
//                y = x;  y[..idx[..i..] at dim..] += src[..i..]
//   max_pool2d_indices  in {x [N,C,H,W]}  out {idx int64 [N,C,OH,OW]}
//                flat index h*W + w of each window's first maximum; padding
//                never wins, NaN wins.  ints {kh,kw,sh,sw,ph,pw,dh,dw}
//
// Out-of-range indices: the kernel skips them and records them on the device
// (IndexErrors, common.cuh); the host throws at the next synchronization,
// naming the op, the bad value and the size (with GANTRY_CUDA_SYNC=1, right
// after the kernel). No per-call synchronization, so the ops can be captured
// in a CUDA graph. y holds no out-of-range access either way.
//
// scatter_add has two algorithms:
//   scan    one thread per element of y, walking idx's `dim` in order and
//           adding the matching src values: no atomics, the CPU's summation
//           order, deterministic. Chosen while the walk is short
//           (idx.size(dim) <= 32, or y.numel * idx.size(dim) <= 2^24).
//   atomic  one thread per src element, atomicAdd into y: O(src) work, but the
//           order of additions into one target is not fixed, so results may
//           differ in the last bits run to run when indices collide (with
//           no collisions, e.g. max-pool backward, it is exact).
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/half.cuh"

namespace gantry {
namespace cuda {
namespace {

// After an index op's launch: with GANTRY_CUDA_SYNC=1, find a bad index now
// (naming this op at once); otherwise at the next synchronization.
void maybe_check_now(int dev) {
  if (sync_after_launch()) synchronize(dev);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    gather_kernel(Geometry<3> geo, int64_t n, T* __restrict__ y, const int64_t* __restrict__ idx,
                  const T* __restrict__ x, int64_t xdim_stride, int64_t limit, IndexErrors bad) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    geo.offsets(i, off);
    const int64_t k = idx[off[1]];
    if (k < 0 || k >= limit) {
      bad.report(IndexOp::gather, k, limit);
      continue;
    }
    y[off[0]] = x[off[2] + k * xdim_stride];
  }
}

template <typename T>
void gather(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const int dev = check_same_cuda_device("gather", in, out);
  DeviceGuard guard(dev);
  const Tensor &x = in[0], &idx = in[1], &y = out[0];
  const int64_t dim = attrs.as<kernels::DimAttrs>().dim;
  if (idx.numel() == 0) return;
  Shape xst = x.strides();
  xst.resize(idx.dim());
  xst[dim] = 0;
  const Geometry<3> geo = make_geometry<3>(idx.shape(), {y.strides(), idx.strides(), xst}, "gather");
  launch<gather_kernel<T>>(
      loop_config(idx.numel(), current_stream(dev)), geo, idx.numel(),
      static_cast<T*>(y.raw_data()), static_cast<const int64_t*>(idx.raw_data()),
      static_cast<const T*>(x.raw_data()), x.stride(dim), x.size(dim), index_errors(dev));
  maybe_check_now(dev);
}

// ---------------------------------------------------------------- scatter_add
template <typename T>
__device__ __forceinline__ void atomic_add(T* p, T v) {
  atomicAdd(p, v);  // float, double, __half (sm_70+), __nv_bfloat16 (sm_80+)
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    scatter_atomic_kernel(Geometry<3> geo, int64_t n, T* __restrict__ y,
                          const int64_t* __restrict__ idx, const T* __restrict__ src,
                          int64_t ydim_stride, int64_t limit, IndexErrors bad) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    geo.offsets(i, off);
    const int64_t k = idx[off[1]];
    if (k < 0 || k >= limit) {
      bad.report(IndexOp::scatter_add, k, limit);
      continue;
    }
    atomic_add(y + off[0] + k * ydim_stride, src[off[2]]);
  }
}

// Per-dim sizes and strides, uncoalesced (the scan needs real coordinates).
struct Dims {
  int nd;
  int64_t ysize[kMaxDims], isize[kMaxDims], istride[kMaxDims], sstride[kMaxDims];
};

// y contiguous; thread per y element: y = x + sum over k of src[.., k, ..]
// where idx[.., k, ..] equals this element's coordinate at dim.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    scatter_scan_kernel(Dims d, int dim, int64_t n, T* __restrict__ y,
                        const int64_t* __restrict__ idx, const T* __restrict__ src, int64_t limit,
                        IndexErrors bad) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rest = i, ioff = 0, soff = 0, target = 0;
    bool inside = true;
    for (int k = d.nd - 1; k >= 0; --k) {
      const int64_t c = rest % d.ysize[k];
      rest /= d.ysize[k];
      if (k == dim) {
        target = c;
        continue;
      }
      if (c >= d.isize[k]) inside = false;
      ioff += c * d.istride[k];
      soff += c * d.sstride[k];
    }
    if (!inside) continue;
    acc_t<T> acc = to_acc(y[i]);
    for (int64_t k = 0; k < d.isize[dim]; ++k) {
      const int64_t v = idx[ioff + k * d.istride[dim]];
      if (v == target) acc += to_acc(src[soff + k * d.sstride[dim]]);
      // Each bad index is reported once: by the thread whose target is 0.
      if (target == 0 && (v < 0 || v >= limit)) bad.report(IndexOp::scatter_add, v, limit);
    }
    y[i] = from_acc<T>(acc);
  }
}

template <typename T>
void scatter_add_prepare(const char* op, const Tensors& in, const Tensors& out, int* dev) {
  *dev = check_same_cuda_device(op, in, out);
  GANTRY_CHECK(out[0].is_contiguous(), op, ": output must be contiguous");
  copy_strided(out[0], in[0]);  // y = x
}

template <typename T>
void scatter_add_atomic(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  int dev;
  scatter_add_prepare<T>("scatter_add", in, out, &dev);
  DeviceGuard guard(dev);
  const Tensor &idx = in[1], &src = in[2], &y = out[0];
  const int64_t dim = attrs.as<kernels::DimAttrs>().dim;
  if (idx.numel() == 0) return;
  Shape yst = y.strides();
  yst.resize(idx.dim());
  yst[dim] = 0;
  const Geometry<3> geo =
      make_geometry<3>(idx.shape(), {yst, idx.strides(), src.strides()}, "scatter_add");
  launch<scatter_atomic_kernel<T>>(
      loop_config(idx.numel(), current_stream(dev)), geo, idx.numel(),
      static_cast<T*>(y.raw_data()), static_cast<const int64_t*>(idx.raw_data()),
      static_cast<const T*>(src.raw_data()), y.stride(dim), y.size(dim), index_errors(dev));
  maybe_check_now(dev);
}

template <typename T>
void scatter_add_scan(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  int dev;
  scatter_add_prepare<T>("scatter_add", in, out, &dev);
  DeviceGuard guard(dev);
  const Tensor &idx = in[1], &src = in[2], &y = out[0];
  const int64_t dim = attrs.as<kernels::DimAttrs>().dim;
  if (idx.numel() == 0 || y.numel() == 0) return;
  GANTRY_CHECK(y.dim() <= kMaxDims, "scatter_add: at most ", kMaxDims, " dims on cuda");
  Dims d{};
  d.nd = static_cast<int>(y.dim());
  for (int k = 0; k < d.nd; ++k) {
    d.ysize[k] = y.size(k);
    d.isize[k] = idx.size(k);
    d.istride[k] = idx.stride(k);
    d.sstride[k] = src.stride(k);
  }
  launch<scatter_scan_kernel<T>>(loop_config(y.numel(), current_stream(dev)), d,
                                 static_cast<int>(dim), y.numel(), static_cast<T*>(y.raw_data()),
                                 static_cast<const int64_t*>(idx.raw_data()),
                                 static_cast<const T*>(src.raw_data()), y.size(dim), index_errors(dev));
  maybe_check_now(dev);
}

bool scan_applicable(const Tensors& in, const kernels::OpAttrs& attrs) {
  const int64_t dim = attrs.as<kernels::DimAttrs>().dim;
  const int64_t walk = in[1].dim() > dim ? in[1].size(dim) : 0;
  // Every (non-dim) coordinate of idx must exist in y for the scan's thread-per-y
  // walk to meet every idx element; the op's shape check guarantees it.
  return walk <= 32 || in[0].numel() * walk <= (int64_t(1) << 24);
}

// ---------------------------------------------------------------- max pool
template <typename T>
__global__ void __launch_bounds__(kThreads)
    max_pool_indices_kernel(const T* __restrict__ x, int64_t* __restrict__ out, int64_t NC,
                            int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t kh, int64_t kw,
                            int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                            int64_t dw) {
  const int64_t total = NC * OH * OW;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ow = i % OW, oh = (i / OW) % OH, c = i / (OW * OH);
    const T* xc = x + c * H * W;
    int64_t best = -1;
    acc_t<T> bv = 0;
    for (int64_t a = 0; a < kh; ++a) {
      const int64_t ih = oh * sh - ph + a * dh;
      if (ih < 0 || ih >= H) continue;
      for (int64_t b = 0; b < kw; ++b) {
        const int64_t iw = ow * sw - pw + b * dw;
        if (iw < 0 || iw >= W) continue;
        const acc_t<T> v = to_acc(xc[ih * W + iw]);
        if (best < 0 || v > bv || (isnan(v) && !isnan(bv))) {
          best = ih * W + iw;
          bv = v;
        }
      }
    }
    out[i] = best;
  }
}

template <typename T>
void max_pool2d_indices(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const int dev = check_same_cuda_device("max_pool2d_indices", in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]);
  const Tensor& idx = out[0];
  const kernels::PoolAttrs& a = attrs.as<kernels::PoolAttrs>();
  const int64_t p[8] = {a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.dh, a.dw};
  const int64_t NC = x.size(0) * x.size(1), total = idx.numel();
  if (total == 0) return;
  launch<max_pool_indices_kernel<T>>(
      loop_config(total, current_stream(dev)), static_cast<const T*>(x.raw_data()),
      static_cast<int64_t*>(idx.raw_data()), NC, x.size(2), x.size(3), idx.size(2), idx.size(3),
      p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}

template <typename T>
void register_type(kernels::Registry& r) {
  const DeviceType D = DeviceType::CUDA;
  const DType t = floating_dtype<T>();
  r.add(kernels::OpId::gather, D, t, "direct", gather<T>);
  r.add(kernels::OpId::scatter_add, D, t, "scan", scatter_add_scan<T>, scan_applicable);
  r.add(kernels::OpId::scatter_add, D, t, "atomic", scatter_add_atomic<T>);
  r.add(kernels::OpId::max_pool2d_indices, D, t, "direct", max_pool2d_indices<T>);
}

}  // namespace
}  // namespace cuda

namespace kernels {
GANTRY_REGISTER_KERNELS(r) {
  cuda::for_each_floating_type([&](auto t) { cuda::register_type<decltype(t)>(r); });
}
}  // namespace kernels
}  // namespace gantry
