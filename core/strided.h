// core/strided.h — walking N operands that share one shape but have their own
// strides (broadcast dims have stride 0). Used by core's copy/cast and by every
// CPU elementwise kernel.
//
// The walk first coalesces dimensions (drops size-1 dims, merges a dim into
// the next when every operand is contiguous across the pair), then visits rows
// of the innermost dim: f(offsets[N], n, inner_strides[N]) with offsets in
// elements. Rows are split across OpenMP threads in fixed contiguous ranges;
// every element is computed by exactly one thread, so results never depend on
// the thread count.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gantry {

template <int N>
struct StridedLayout {
  std::vector<int64_t> sizes;                      // coalesced shape (at least 1 dim)
  std::array<std::vector<int64_t>, N> strides;     // per operand, same rank as sizes

  StridedLayout(const std::vector<int64_t>& shape, const std::array<std::vector<int64_t>, N>& st) {
    // Drop size-1 dims (their stride never matters).
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      sizes.push_back(shape[d]);
      for (int k = 0; k < N; ++k) strides[k].push_back(st[k][d]);
    }
    // Merge dim d into d+1 when every operand has stride[d] == stride[d+1]*size[d+1].
    std::vector<int64_t> s2;
    std::array<std::vector<int64_t>, N> t2;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (!s2.empty()) {
        bool merge = true;
        for (int k = 0; k < N; ++k)
          if (t2[k].back() != strides[k][d] * sizes[d]) merge = false;
        if (merge) {
          s2.back() *= sizes[d];
          for (int k = 0; k < N; ++k) t2[k].back() = strides[k][d];
          continue;
        }
      }
      s2.push_back(sizes[d]);
      for (int k = 0; k < N; ++k) t2[k].push_back(strides[k][d]);
    }
    if (s2.empty()) {
      s2.push_back(1);
      for (int k = 0; k < N; ++k) t2[k].push_back(0);
    }
    sizes = std::move(s2);
    strides = std::move(t2);
  }

  int64_t inner() const { return sizes.back(); }
  int64_t rows() const {
    int64_t r = 1;
    for (size_t d = 0; d + 1 < sizes.size(); ++d) r *= sizes[d];
    return r;
  }

  // Offsets (in elements) of the start of row `row` for each operand.
  std::array<int64_t, N> row_offsets(int64_t row) const {
    std::array<int64_t, N> off{};
    for (int d = static_cast<int>(sizes.size()) - 2; d >= 0; --d) {
      int64_t i = row % sizes[d];
      row /= sizes[d];
      for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
    }
    return off;
  }
};

// Below this many elements a loop runs on one thread (thread start-up costs more).
constexpr int64_t kParallelGrain = 32768;

// Calls f(offsets, n, inner_strides) for every row of the layout. When there
// are few long rows (a large contiguous tensor is one row), rows are cut into
// fixed-size pieces so both cores still get work.
template <int N, typename F>
void for_each_row(const StridedLayout<N>& L, F&& f) {
  const int64_t rows = L.rows(), n = L.inner();
  if (rows == 0 || n == 0) return;  // an empty tensor: nothing to visit
  std::array<int64_t, N> inner_st;
  for (int k = 0; k < N; ++k) inner_st[k] = L.strides[k].back();
  const int64_t piece = rows >= 16 ? n : std::max<int64_t>(kParallelGrain / 2, 1);
  const int64_t pieces_per_row = (n + piece - 1) / piece;
  const int64_t tasks = rows * pieces_per_row;
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t r = t / pieces_per_row, p = t % pieces_per_row;
      int64_t i0 = p * piece, len = std::min(piece, n - i0);
      auto off = L.row_offsets(r);
      for (int k = 0; k < N; ++k) off[k] += i0 * inner_st[k];
      f(off, len, inner_st);
    }
  };
#ifdef _OPENMP
  if (rows * n >= kParallelGrain && tasks > 1 && !omp_in_parallel()) {
#pragma omp parallel
    {
      int nt = omp_get_num_threads(), t = omp_get_thread_num();
      run(tasks * t / nt, tasks * (t + 1) / nt);
    }
    return;
  }
#endif
  run(0, tasks);
}

}  // namespace gantry
