// tests/reference.h — independent float64 reference implementations.
//
// Plain loops over a tiny value type (shape + doubles), written for the tests
// and sharing no code with the kernels: broadcasting by explicit index
// arithmetic, reductions by gathering each output's values, matrix products
// by triple loops. The conformance suite compares every backend against them.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace ref {

using Shape = std::vector<int64_t>;

struct Ref {
  Shape shape;
  std::vector<double> v;  // row-major
};

inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

// Multi-index of flat index i in shape s.
inline std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

// Flat index in `s` of a multi-index of a (possibly larger) broadcast shape:
// right-aligned, size-1 dims of s read index 0.
inline int64_t ravel_broadcast(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t off = 0, lead = static_cast<int64_t>(idx.size() - s.size());
  for (size_t d = 0; d < s.size(); ++d) off = off * s[d] + (s[d] == 1 ? 0 : idx[d + lead]);
  return off;
}

inline Shape broadcast(const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape r(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    r[i] = std::max(da, db);
  }
  return r;
}

inline Ref map1(const Ref& a, const std::function<double(double)>& f) {
  Ref r{a.shape, a.v};
  for (auto& x : r.v) x = f(x);
  return r;
}

inline Ref map2(const Ref& a, const Ref& b, const std::function<double(double, double)>& f) {
  Ref r;
  r.shape = broadcast(a.shape, b.shape);
  r.v.resize(numel(r.shape));
  for (int64_t i = 0; i < numel(r.shape); ++i) {
    auto idx = unravel(i, r.shape);
    r.v[i] = f(a.v[ravel_broadcast(idx, a.shape)], b.v[ravel_broadcast(idx, b.shape)]);
  }
  return r;
}

inline Ref map3(const Ref& a, const Ref& b, const Ref& c,
                const std::function<double(double, double, double)>& f) {
  Ref r;
  r.shape = broadcast(broadcast(a.shape, b.shape), c.shape);
  r.v.resize(numel(r.shape));
  for (int64_t i = 0; i < numel(r.shape); ++i) {
    auto idx = unravel(i, r.shape);
    r.v[i] = f(a.v[ravel_broadcast(idx, a.shape)], b.v[ravel_broadcast(idx, b.shape)],
               c.v[ravel_broadcast(idx, c.shape)]);
  }
  return r;
}

// Reduces dims (empty = all) with f over each output's values (in row-major
// order of the reduced dims).
inline Ref reduce(const Ref& a, std::vector<int64_t> dims, bool keepdim,
                  const std::function<double(const std::vector<double>&)>& f) {
  const int64_t nd = static_cast<int64_t>(a.shape.size());
  if (dims.empty())
    for (int64_t d = 0; d < nd; ++d) dims.push_back(d);
  for (auto& d : dims) d = d < 0 ? d + nd : d;
  auto reduced = [&](int64_t d) { return std::find(dims.begin(), dims.end(), d) != dims.end(); };
  Shape out_keep, out;
  for (int64_t d = 0; d < nd; ++d) {
    out_keep.push_back(reduced(d) ? 1 : a.shape[d]);
    if (!reduced(d)) out.push_back(a.shape[d]);
    else if (keepdim) out.push_back(1);
  }
  std::vector<std::vector<double>> groups(numel(out_keep));
  for (int64_t i = 0; i < numel(a.shape); ++i) {
    auto idx = unravel(i, a.shape);
    int64_t o = 0;
    for (int64_t d = 0; d < nd; ++d) o = o * out_keep[d] + (reduced(d) ? 0 : idx[d]);
    groups[o].push_back(a.v[i]);
  }
  Ref r{out, {}};
  for (auto& g : groups) r.v.push_back(f(g));
  return r;
}

inline double r_sum(const std::vector<double>& g) {
  double s = 0;
  for (double x : g) s += x;
  return s;
}
inline double r_mean(const std::vector<double>& g) { return r_sum(g) / g.size(); }
inline double r_var(const std::vector<double>& g, bool unbiased) {
  double m = r_mean(g), s = 0;
  for (double x : g) s += (x - m) * (x - m);
  return s / (g.size() - (unbiased ? 1 : 0));
}
inline double r_max(const std::vector<double>& g) { return *std::max_element(g.begin(), g.end()); }
inline double r_min(const std::vector<double>& g) { return *std::min_element(g.begin(), g.end()); }
inline double r_argmax(const std::vector<double>& g) {
  return static_cast<double>(std::max_element(g.begin(), g.end()) - g.begin());
}
inline double r_argmin(const std::vector<double>& g) {
  return static_cast<double>(std::min_element(g.begin(), g.end()) - g.begin());
}

// [.., M, K] @ [.., K, N] for equal batch dims (or none).
inline Ref matmul(const Ref& a, const Ref& b) {
  const size_t na = a.shape.size();
  const int64_t M = a.shape[na - 2], K = a.shape[na - 1], N = b.shape.back();
  const int64_t B = numel(a.shape) / (M * K);
  Ref r;
  r.shape = a.shape;
  r.shape.back() = N;
  r.v.assign(B * M * N, 0.0);
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += a.v[bi * M * K + i * K + k] * b.v[(b.shape.size() > 2 ? bi * K * N : 0) + k * N + j];
        r.v[bi * M * N + i * N + j] = s;
      }
  return r;
}

// Transpose of the last two dims.
inline Ref transpose_last(const Ref& a) {
  const size_t n = a.shape.size();
  const int64_t R = a.shape[n - 2], C = a.shape[n - 1], B = numel(a.shape) / (R * C);
  Ref r{a.shape, std::vector<double>(a.v.size())};
  std::swap(r.shape[n - 2], r.shape[n - 1]);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < C; ++j) r.v[b * R * C + j * R + i] = a.v[b * R * C + i * C + j];
  return r;
}

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace ref
