// gan/models/sr/upscale.cpp — tiled super-resolution inference with a
// cross-fade in the overlaps (see upscale.h).
#include "gan/models/sr/upscale.h"

#include <algorithm>
#include <vector>

#include "autograd/ops.h"
#include "core/error.h"

namespace gantry {
namespace gan {

std::vector<int64_t> tile_starts(int64_t n, int64_t tile, int64_t overlap) {
  GANTRY_CHECK(tile >= 1 && overlap >= 0 && overlap < tile, "upscale: the tile overlap (", overlap,
               ") must be smaller than the tile (", tile, ") and >= 0");
  if (n <= tile) return {0};
  std::vector<int64_t> s;
  for (int64_t p = 0; p + tile < n; p += tile - overlap) s.push_back(p);
  s.push_back(n - tile);  // the last tile is flush with the edge
  return s;
}

namespace {

// The weight of a tile covering LR [a, b) of a side of n pixels, at output
// pixel Y (LR coordinate u = (Y + 0.5) / scale): 1 inside, ramping to 0 over
// the middle half of each overlap with a neighbour (none at the image's edges).
double tile_weight(double u, int64_t a, int64_t b, int64_t n, int64_t overlap) {
  if (overlap == 0) return 1.0;  // tiles meet edge to edge
  double w = 1.0;
  const double q = overlap / 4.0, half = overlap / 2.0;
  if (a > 0) w = std::min(w, std::max(0.0, std::min(1.0, (u - (a + q)) / half)));
  if (b < n) w = std::min(w, std::max(0.0, std::min(1.0, ((b - q) - u) / half)));
  return w;
}

}  // namespace

Tensor upscale(nn::Module& net, const Tensor& x, int64_t scale, const TileOptions& t) {
  GANTRY_CHECK(x.defined() && x.dim() == 4, "upscale: expected images [N,C,H,W], got ",
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  GANTRY_CHECK(scale >= 1, "upscale: scale must be >= 1, got ", scale);
  GANTRY_CHECK(t.tile >= 0, "upscale: the tile must be >= 0 (0: no tiling), got ", t.tile);
  GANTRY_CHECK(t.multiple >= 1, "upscale: the size multiple must be >= 1, got ", t.multiple);
  GANTRY_CHECK(t.tile == 0 || (t.overlap >= 0 && t.overlap < t.tile), "upscale: the tile overlap (", t.overlap,
               ") must be smaller than the tile (", t.tile, ") and >= 0");
  NoGradGuard ng;
  if (t.multiple > 1) {  // pad to the net's multiple, run, crop
    const int64_t m = t.multiple, H = x.size(2), W = x.size(3);
    const int64_t ph = (m - H % m) % m, pw = (m - W % m) % m;
    TileOptions inner = t;
    inner.multiple = 1;
    inner.tile = (t.tile + m - 1) / m * m;
    const Tensor in = ph || pw ? pad(x, {0, pw, 0, ph}, PadMode::Replicate) : x;
    const Tensor y = upscale(net, in, scale, inner);
    if (!ph && !pw) return y;
    return core::contiguous(core::slice(core::slice(y, 2, 0, H * scale, 1), 3, 0, W * scale, 1));
  }
  nn::EvalGuard eval_mode(net);  // the caller's training flag comes back afterwards
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  auto run = [&](const Tensor& in) {
    const Tensor y = net.forward(in);
    GANTRY_CHECK(y.dim() == 4 && y.size(0) == in.size(0) && y.size(2) == in.size(2) * scale &&
                     y.size(3) == in.size(3) * scale,
                 "upscale: the net maps ", shape_str(in.shape()), " to ", shape_str(y.shape()), ", not to x",
                 scale, " its size (a checkpoint trained for another scale?)");
    return y;
  };
  if (t.tile == 0 || (H <= t.tile && W <= t.tile)) return run(x);

  const std::vector<int64_t> ys = tile_starts(H, t.tile, t.overlap), xs = tile_starts(W, t.tile, t.overlap);
  const int64_t OH = H * scale, OW = W * scale;
  int64_t OC = -1;
  // Float accumulators (the weights are at most 1 and few tiles meet at a
  // pixel): the output's size plus one plane of weights.
  Tensor result;
  float* acc = nullptr;
  std::vector<float> wsum(static_cast<size_t>(OH * OW), 0.0f);
  for (int64_t y0 : ys)
    for (int64_t x0 : xs) {
      const int64_t y1 = std::min(H, y0 + t.tile), x1 = std::min(W, x0 + t.tile);
      const Tensor tile = core::contiguous(core::slice(core::slice(x, 2, y0, y1, 1), 3, x0, x1, 1));
      const Tensor out = core::contiguous(core::cast(core::to_device(run(tile), kCPU), kFloat32));  // [N,OC,th*s,tw*s]
      if (OC < 0) {
        OC = out.size(1);
        result = zeros({N, OC, OH, OW}, Options(kFloat32));
        acc = result.data<float>();
      }
      const int64_t th = out.size(2), tw = out.size(3);
      std::vector<double> wy(static_cast<size_t>(th)), wx(static_cast<size_t>(tw));
      for (int64_t i = 0; i < th; ++i)
        wy[i] = tile_weight((y0 * scale + i + 0.5) / scale, y0, y1, H, t.overlap);
      for (int64_t j = 0; j < tw; ++j)
        wx[j] = tile_weight((x0 * scale + j + 0.5) / scale, x0, x1, W, t.overlap);
      const float* o = out.data<float>();
      for (int64_t i = 0; i < th; ++i)
        for (int64_t j = 0; j < tw; ++j) {
          const float w = static_cast<float>(wy[i] * wx[j]);
          if (w == 0.0f) continue;
          const int64_t Y = y0 * scale + i, X = x0 * scale + j;
          wsum[static_cast<size_t>(Y * OW + X)] += w;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t c = 0; c < OC; ++c)
              acc[static_cast<size_t>(((n * OC + c) * OH + Y) * OW + X)] +=
                  w * o[((n * OC + c) * th + i) * tw + j];
        }
    }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < OC; ++c)
      for (int64_t p = 0; p < OH * OW; ++p) acc[(n * OC + c) * OH * OW + p] /= wsum[static_cast<size_t>(p)];
  return x.device().is_cpu() ? result : core::to_device(result, x.device());
}

}  // namespace gan
}  // namespace gantry
