// kernels/cpu/reduce.cpp — CPU reductions over any set of dims.
//
// Ops: sum mean var{unbiased} max min (values)  argmax argmin (int64 indices)
// ReduceAttrs.dims: sorted, non-negative dims to reduce (kernels/ops/reduce.h
// normalizes them). The output is contiguous with the kept dims in order (the
// same memory order with or without keepdim). argmax/argmin return the index
// within the flattened reduced dims (one dim, or all dims).
//
// float32 accumulates in double ("wide accumulator"); var is two-pass (mean,
// then squared deviations) so it is accurate for data with a large mean.
//
// Determinism: the reduced range is cut into fixed-size pieces that do not
// depend on the thread count, partial results are merged in piece order, so
// the same input gives the same bits with 1 or 16 threads.
#include <cmath>
#include <limits>
#include <vector>

#include "core/strided.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

constexpr int64_t kPiece = 4096;  // elements per reduction piece

// Geometry of one reduction: where output element o starts in x, and how to
// walk the reduced elements from there.
struct ReducePlan {
  Shape kept_sizes, kept_strides;  // row-major over kept dims
  StridedLayout<1> red;            // reduced dims (coalesced)
  int64_t O = 1, R = 1;

  ReducePlan(const Tensor& x, const std::vector<int64_t>& dims)
      : red(sub(x.shape(), dims, true), {sub(x.strides(), dims, true)}) {
    kept_sizes = sub(x.shape(), dims, false);
    kept_strides = sub(x.strides(), dims, false);
    O = shape_numel(kept_sizes);
    R = shape_numel(sub(x.shape(), dims, true));
  }
  static Shape sub(const Shape& v, const std::vector<int64_t>& dims, bool reduced) {
    Shape r;
    for (int64_t d = 0; d < static_cast<int64_t>(v.size()); ++d) {
      bool in = false;
      for (int64_t k : dims) in |= (k == d);
      if (in == reduced) r.push_back(v[d]);
    }
    return r;
  }
  int64_t base(int64_t o) const {
    int64_t off = 0;
    for (int64_t d = static_cast<int64_t>(kept_sizes.size()) - 1; d >= 0; --d) {
      off += (o % kept_sizes[d]) * kept_strides[d];
      o /= kept_sizes[d];
    }
    return off;
  }
  // Number of pieces the reduced range is cut into.
  int64_t pieces_per_row() const { return (red.inner() + kPiece - 1) / kPiece; }
  int64_t units() const { return red.rows() * pieces_per_row(); }
};

// Runs a reduction. Ops provide:
//   Acc init() ; void step(Acc&, T v, int64_t idx) ; void merge(Acc& into, const Acc& later)
//   void finish(int64_t o, const Acc&)
template <typename T, typename Ops>
void reduce_run(const Tensor& x, const std::vector<int64_t>& dims, Ops& ops) {
  using Acc = decltype(ops.init());
  ReducePlan P(x, dims);
  const T* px = static_cast<const T*>(x.raw_data());
  const int64_t inner = P.red.inner(), ppr = P.pieces_per_row(), units = P.units();
  const int64_t st = P.red.strides[0].back();
  // Accumulates units [u0, u1) of output o.
  auto walk = [&](int64_t o_base, int64_t u0, int64_t u1, Acc& acc) {
    for (int64_t u = u0; u < u1; ++u) {
      int64_t row = u / ppr, i0 = (u % ppr) * kPiece, i1 = std::min(inner, i0 + kPiece);
      const T* p = px + o_base + P.red.row_offsets(row)[0];
      int64_t idx = row * inner;
      for (int64_t i = i0; i < i1; ++i) ops.step(acc, p[i * st], idx + i);
    }
  };
  const bool many_outputs = P.O >= 64 || P.O * P.R < kParallelGrain;
  if (many_outputs) {
#pragma omp parallel for schedule(static) if (P.O * P.R >= kParallelGrain && P.O > 1)
    for (int64_t o = 0; o < P.O; ++o) {
      Acc acc = ops.init();
      // Same piece structure as the parallel path, merged in order.
      for (int64_t u = 0; u < units; ++u) {
        Acc part = ops.init();
        walk(P.base(o), u, u + 1, part);
        ops.merge(acc, part);
      }
      ops.finish(o, acc);
    }
    return;
  }
  // Few outputs, long reductions: parallel over pieces, merged in order.
  std::vector<Acc> parts(units, ops.init());
  for (int64_t o = 0; o < P.O; ++o) {
    const int64_t b = P.base(o);
#pragma omp parallel for schedule(static)
    for (int64_t u = 0; u < units; ++u) walk(b, u, u + 1, parts[u]);
    Acc acc = ops.init();
    for (int64_t u = 0; u < units; ++u) {
      ops.merge(acc, parts[u]);
      parts[u] = ops.init();
    }
    ops.finish(o, acc);
  }
}

template <typename T>
using Wide = std::conditional_t<std::is_same_v<T, float>, double, T>;

template <typename T>
struct SumOps {
  T* out;
  double scale;  // 1 for sum, 1/R for mean
  Wide<T> init() const { return 0; }
  void step(Wide<T>& a, T v, int64_t) const { a += v; }
  void merge(Wide<T>& a, const Wide<T>& b) const { a += b; }
  void finish(int64_t o, const Wide<T>& a) const { out[o] = static_cast<T>(a * scale); }
};

template <typename T>
void sum(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<ReduceAttrs>();
  SumOps<T> ops{out[0].data<T>(), 1.0};
  reduce_run<T>(in[0], a.dims, ops);
}

template <typename T>
void mean(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<ReduceAttrs>();
  int64_t R = shape_numel(ReducePlan::sub(in[0].shape(), a.dims, true));
  SumOps<T> ops{out[0].data<T>(), R ? 1.0 / static_cast<double>(R) : std::nan("")};
  reduce_run<T>(in[0], a.dims, ops);
}

// var: pass 1 computes means (wide), pass 2 sums squared deviations from them.
template <typename T>
void var(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<ReduceAttrs>();
  const Tensor& x = in[0];
  ReducePlan P(x, a.dims);
  std::vector<double> means(P.O);
  struct MeanOps {
    std::vector<double>* m;
    double inv;
    double init() const { return 0; }
    void step(double& s, T v, int64_t) const { s += v; }
    void merge(double& s, const double& b) const { s += b; }
    void finish(int64_t o, const double& s) const { (*m)[o] = s * inv; }
  } mops{&means, 1.0 / static_cast<double>(P.R)};
  reduce_run<T>(x, a.dims, mops);
  // The second pass needs the output index in step(): walk per output directly.
  const double denom = static_cast<double>(P.R) - (a.unbiased ? 1.0 : 0.0);
  T* po = out[0].data<T>();
  const T* px = static_cast<const T*>(x.raw_data());
  const int64_t inner = P.red.inner(), st = P.red.strides[0].back(), rows = P.red.rows();
#pragma omp parallel for schedule(static) if (P.O * P.R >= kParallelGrain && P.O > 1)
  for (int64_t o = 0; o < P.O; ++o) {
    const double m = means[o];
    double acc = 0;
    const int64_t b = P.base(o);
    for (int64_t r = 0; r < rows; ++r) {
      const T* p = px + b + P.red.row_offsets(r)[0];
      for (int64_t i = 0; i < inner; ++i) {
        double d = static_cast<double>(p[i * st]) - m;
        acc += d * d;
      }
    }
    po[o] = static_cast<T>(denom > 0 ? acc / denom : std::numeric_limits<double>::quiet_NaN());
  }
}

// max/min/argmax/argmin share one accumulator: best value and its first index.
// NaN wins (as in PyTorch): once seen, it stays.
template <typename T, bool IsMax>
struct ExtremumOps {
  T* vals;           // null for arg-ops
  int64_t* idxs;     // null for value ops
  struct Acc {
    T v;
    int64_t i;
    bool any;
  };
  Acc init() const { return {T(0), -1, false}; }
  static bool better(T cand, T cur) {
    if (std::isnan(cur)) return false;
    if (std::isnan(cand)) return true;
    return IsMax ? cand > cur : cand < cur;
  }
  void step(Acc& a, T v, int64_t i) const {
    if (!a.any || better(v, a.v)) a = {v, i, true};
  }
  void merge(Acc& a, const Acc& b) const {
    if (b.any && (!a.any || better(b.v, a.v))) a = b;
  }
  void finish(int64_t o, const Acc& a) const {
    if (vals) vals[o] = a.v;
    if (idxs) idxs[o] = a.i;
  }
};

template <typename T, bool IsMax>
void extremum(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<ReduceAttrs>();
  GANTRY_CHECK(in[0].numel() > 0, IsMax ? "max" : "min", ": reduction of an empty tensor");
  ExtremumOps<T, IsMax> ops{out[0].data<T>(), nullptr};
  reduce_run<T>(in[0], a.dims, ops);
}

template <typename T, bool IsMax>
void arg_extremum(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<ReduceAttrs>();
  GANTRY_CHECK(in[0].numel() > 0, IsMax ? "argmax" : "argmin", ": reduction of an empty tensor");
  ExtremumOps<T, IsMax> ops{nullptr, out[0].data<int64_t>()};
  reduce_run<T>(in[0], a.dims, ops);
}

GANTRY_KERNEL(sum, DeviceType::CPU, kFloat32, "loop", sum<float>);
GANTRY_KERNEL(mean, DeviceType::CPU, kFloat32, "loop", mean<float>);
GANTRY_KERNEL(var, DeviceType::CPU, kFloat32, "two_pass", var<float>);
GANTRY_KERNEL(max, DeviceType::CPU, kFloat32, "loop", extremum<float, true>);
GANTRY_KERNEL(min, DeviceType::CPU, kFloat32, "loop", extremum<float, false>);
GANTRY_KERNEL(argmax, DeviceType::CPU, kFloat32, "loop", arg_extremum<float, true>);
GANTRY_KERNEL(argmin, DeviceType::CPU, kFloat32, "loop", arg_extremum<float, false>);
GANTRY_KERNEL(sum, DeviceType::CPU, kFloat64, "loop", sum<double>);
GANTRY_KERNEL(mean, DeviceType::CPU, kFloat64, "loop", mean<double>);
GANTRY_KERNEL(var, DeviceType::CPU, kFloat64, "two_pass", var<double>);
GANTRY_KERNEL(max, DeviceType::CPU, kFloat64, "loop", extremum<double, true>);
GANTRY_KERNEL(min, DeviceType::CPU, kFloat64, "loop", extremum<double, false>);
GANTRY_KERNEL(argmax, DeviceType::CPU, kFloat64, "loop", arg_extremum<double, true>);
GANTRY_KERNEL(argmin, DeviceType::CPU, kFloat64, "loop", arg_extremum<double, false>);

}  // namespace

}  // namespace kernels
}  // namespace gantry
