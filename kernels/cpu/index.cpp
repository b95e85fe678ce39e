// kernels/cpu/index.cpp — indexing kernels.
//
//   gather       in {x, idx int64}            out {y: idx's shape}
//                y[..i_d..] = x[..idx[..i..] at dim..]       ints = {dim}
//   scatter_add  in {x, idx int64, src}       out {y: x's shape}
//                y = x;  y[..idx[..i..] at dim..] += src[..i..]  ints = {dim}
//   max_pool2d_indices  in {x [N,C,H,W]}      out {idx int64 [N,C,OH,OW]}
//                flat index (h*W + w) of the first maximum of each window;
//                padding never wins; NaN wins.  ints = {kh,kw,sh,sw,ph,pw,dh,dw}
// Gather and scatter_add are the two halves every indexing op's derivative
// needs (index_select, embedding, max pooling, cross-entropy's pick).
// Index values are checked against the indexed size before any write.
#include <cmath>
#include <limits>
#include <vector>

#include "core/strided.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

// Every index value in [0, limit). A broadcast index (index_select's: one
// row expanded over every other dim, stride 0) is checked once per stored
// value, not once per element of its view.
void check_indices(const char* op, const Tensor& idx, int64_t limit) {
  Tensor c = idx;
  for (int64_t d = 0; d < c.dim(); ++d)
    if (c.stride(d) == 0 && c.size(d) > 1) c = core::slice(c, d, 0, 1, 1);
  c = core::contiguous(c);
  const int64_t* p = c.data<int64_t>();
  for (int64_t i = 0; i < c.numel(); ++i)
    GANTRY_CHECK(p[i] >= 0 && p[i] < limit, op, ": index ", p[i], " is out of range for size ",
                 limit);
}

template <typename T>
void gather(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<DimAttrs>();
  const Tensor &x = in[0], &idx = in[1], &y = out[0];
  const int64_t dim = a.dim;
  check_indices("gather", idx, x.size(dim));
  Shape xst = x.strides();
  xst.resize(idx.dim());
  const int64_t xdim_stride = x.stride(dim);
  xst[dim] = 0;
  StridedLayout<3> L(idx.shape(), {y.strides(), idx.strides(), xst});
  T* py = static_cast<T*>(y.raw_data());
  const int64_t* pi = static_cast<const int64_t*>(idx.raw_data());
  const T* px = static_cast<const T*>(x.raw_data());
  for_each_row(L, [&](std::array<int64_t, 3> off, int64_t n, std::array<int64_t, 3> s) {
    for (int64_t i = 0; i < n; ++i)
      py[off[0] + i * s[0]] = px[off[2] + i * s[2] + pi[off[1] + i * s[1]] * xdim_stride];
  });
}

template <typename T>
void scatter_add(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<DimAttrs>();
  const Tensor &x = in[0], &idx = in[1], &src = in[2], &y = out[0];
  const int64_t dim = a.dim;
  check_indices("scatter_add", idx, y.size(dim));
  core::copy_(y, x);
  // Two source elements can only meet in one target when they differ in
  // `dim` alone. So the work splits over the other coordinates ("lines"),
  // which run in parallel, and each line adds its K = idx.size(dim)
  // elements in order k = 0, 1, ..: every target's sum has one fixed order,
  // whatever the thread count (deterministic).
  const int64_t D = idx.dim(), K = idx.size(dim);
  if (idx.numel() == 0) return;
  const int64_t lines = idx.numel() / K;
  T* py = static_cast<T*>(y.raw_data());
  const int64_t* pi = static_cast<const int64_t*>(idx.raw_data());
  const T* ps = static_cast<const T*>(src.raw_data());
  const int64_t ydim = y.stride(dim), idim = idx.stride(dim), sdim = src.stride(dim);
  // The other dims, innermost first: their sizes and the three strides.
  std::vector<int64_t> sz, sty, sti, sts;
  for (int64_t d = D - 1; d >= 0; --d) {
    if (d == dim) continue;
    sz.push_back(idx.size(d));
    sty.push_back(y.stride(d));
    sti.push_back(idx.stride(d));
    sts.push_back(src.stride(d));
  }
  const int64_t tasks = idx.numel() >= kParallelGrain && lines > 1 ? std::min<int64_t>(lines, 64) : 1;
#pragma omp parallel for schedule(static) if (tasks > 1)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t l0 = lines * t / tasks, l1 = lines * (t + 1) / tasks;
    // Line l0's coordinates, then an odometer over the following lines.
    std::vector<int64_t> c(sz.size(), 0);
    int64_t rest = l0, oy = 0, oi = 0, os = 0;
    for (size_t j = 0; j < sz.size(); ++j) {
      c[j] = rest % sz[j];
      rest /= sz[j];
      oy += c[j] * sty[j];
      oi += c[j] * sti[j];
      os += c[j] * sts[j];
    }
    for (int64_t l = l0; l < l1; ++l) {
      for (int64_t k = 0; k < K; ++k) py[oy + pi[oi + k * idim] * ydim] += ps[os + k * sdim];
      for (size_t j = 0; j < sz.size(); ++j) {  // next line
        oy += sty[j];
        oi += sti[j];
        os += sts[j];
        if (++c[j] < sz[j]) break;
        oy -= sz[j] * sty[j];
        oi -= sz[j] * sti[j];
        os -= sz[j] * sts[j];
        c[j] = 0;
      }
    }
  }
}

template <typename T>
void max_pool2d_indices(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<PoolAttrs>();
  const Tensor x = core::contiguous(in[0]);
  const Tensor& idx = out[0];
  const int64_t kh = a.kh, kw = a.kw, sh = a.sh, sw = a.sw, ph = a.ph, pw = a.pw, dh = a.dh,
                dw = a.dw;
  const int64_t NC = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  const int64_t OH = idx.size(2), OW = idx.size(3);
  const T* px = x.data<T>();
  int64_t* pi = idx.data<int64_t>();
#pragma omp parallel for schedule(static) if (NC * OH * OW * kh * kw > kParallelGrain)
  for (int64_t c = 0; c < NC; ++c) {
    const T* xc = px + c * H * W;
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t best = -1;
        T bv = -std::numeric_limits<T>::infinity();
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= H) continue;
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t iw = ow * sw - pw + j * dw;
            if (iw < 0 || iw >= W) continue;
            const T v = xc[ih * W + iw];
            if (best < 0 || v > bv || (std::isnan(v) && !std::isnan(bv))) {
              best = ih * W + iw;
              bv = v;
            }
          }
        }
        pi[(c * OH + oh) * OW + ow] = best;
      }
  }
}

}  // namespace

GANTRY_KERNEL(gather, DeviceType::CPU, kFloat32, "loop", gather<float>);
GANTRY_KERNEL(gather, DeviceType::CPU, kFloat64, "loop", gather<double>);
GANTRY_KERNEL(scatter_add, DeviceType::CPU, kFloat32, "lines", scatter_add<float>);
GANTRY_KERNEL(scatter_add, DeviceType::CPU, kFloat64, "lines", scatter_add<double>);
GANTRY_KERNEL(max_pool2d_indices, DeviceType::CPU, kFloat32, "direct", max_pool2d_indices<float>);
GANTRY_KERNEL(max_pool2d_indices, DeviceType::CPU, kFloat64, "direct", max_pool2d_indices<double>);

}  // namespace kernels
}  // namespace gantry
