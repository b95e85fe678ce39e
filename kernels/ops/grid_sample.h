// kernels/ops/grid_sample.h — bilinear sampling of images at arbitrary
// points, the differentiable warp behind adaptive discriminator augmentation
// (rotation, scaling, fractional translation) and spatial transformers
// (kernels: kernels/cpu/grid_sample.cpp, kernels/cuda/grid_sample.cu;
// attributes: GridSampleAttrs). See kernels/ops/begin.h for how this file is
// read.
//
// x [N,C,H,W], grid [N,OH,OW,2] holding (gx, gy) per output pixel, in [-1, 1]
// across the image (gx along W, gy along H) -> y [N,C,OH,OW]:
//   ix = gx * s_W + (W - 1) / 2,   s_W = W / 2 (or (W - 1) / 2 with align_corners)
//   x0 = floor(ix), tx = ix - x0   (the same for iy, y0, ty along H)
//   y = (1-ty)(1-tx) x[y0,x0] + (1-ty) tx x[y0,x0+1] + ty (1-tx) x[y0+1,x0] + ty tx x[y0+1,x0+1]
// A corner outside the image reads 0 (GridPadding::Zeros); with Border the
// coordinates are first clamped to [0, S-1] (the nearest edge pixel), and a
// point on the last pixel takes it as its right corner (x0 = S-2, tx = 1).
//
// Derivatives. y is linear in x, so dx scatters g back through the same four
// weights; y is bilinear in (tx, ty), so
//   dy/dgx = s_W [(1-ty)(x[y0,x0+1] - x[y0,x0]) + ty (x[y0+1,x0+1] - x[y0+1,x0])]
// (0 where the Border clamp cut the coordinate, as clamp's own derivative).
// The first-order backward is one fused kernel (grid_sample_backward) when no
// graph is built. Under create_graph (a gradient penalty through an
// augmentation) the same formulas are built from gather, scatter_add and
// elementwise ops instead, so every higher derivative follows from theirs.
// The float64 reference (tests/reference_nn.h) is the definition above.
//
// affine_grid(theta [N,2,3], H, W) -> grid [N,H,W,2]: each output pixel's
// normalized centre (x, y) mapped to theta (x, y, 1)^T, as PyTorch's.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name                  attrs            in out flags
GANTRY_OP(grid_sample,          GridSampleAttrs, 2, 1,  kNoFlags)            // (x, grid) -> y
GANTRY_OP(grid_sample_backward, GridSampleAttrs, 3, 2,  kNotDifferentiable)  // (g, grid, x) -> (dx, dgrid)

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
#include "kernels/attrs.h"

namespace gantry {
using GridPadding = kernels::GridPadding;

// x [N,C,H,W], grid [N,OH,OW,2] (same dtype and device) -> [N,C,OH,OW].
// Differentiable in x and grid, to any order.
Tensor grid_sample(const Tensor& x, const Tensor& grid, GridPadding padding = GridPadding::Zeros,
                   bool align_corners = false);
// theta [N,2,3] -> grid [N,H,W,2] for grid_sample; differentiable in theta.
Tensor affine_grid(const Tensor& theta, int64_t H, int64_t W, bool align_corners = false);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
namespace gantry {

namespace {

using kernels::GridSampleAttrs;

// The four corners of every sample point, built from the grid with ops: the
// weights are differentiable in the grid, the indices and masks are not
// (they are piecewise constant). Corner c is (y0 + c / 2, x0 + c % 2).
struct Corners {
  Tensor idx[4];        // int64 [N, C, OH*OW]: y * W + x (clamped into the image)
  Tensor valid[4];      // [N, 1, OH, OW]: 1 where the corner is inside the image
  Tensor tx[2], ty[2];  // [N, 1, OH, OW]: (1 - tx, tx), (1 - ty, ty)
  Tensor sx, sy;        // [N, 1, OH, OW]: d ix / d gx, d iy / d gy (0 where clamped)
};

Corners corners(const Tensor& grid, int64_t C, int64_t H, int64_t W, const GridSampleAttrs& a) {
  const int64_t N = grid.size(0), OH = grid.size(1), OW = grid.size(2), P = OH * OW;
  const Options o = Options(grid.dtype()).device(grid.device());
  Corners k;
  // The coordinates in float32 at least (as the kernels compute them): 16-bit
  // floats hold integers exactly only up to 256 (bfloat16) or 2048, too few
  // for pixel indices, and a coordinate rounded across a pixel edge would
  // change its corners.
  const DType d = grid.dtype(), wd = d == kFloat64 ? kFloat64 : kFloat32;
  auto axis = [&](int64_t dim, int64_t S, Tensor* i, Tensor* s) {
    const double scale = a.align_corners ? (S - 1) / 2.0 : S / 2.0;
    const Tensor g = to(unsqueeze(select(grid, 3, dim), 1), wd);  // [N,1,OH,OW]
    *i = add(mul(g, scale), (S - 1) / 2.0);
    NoGradGuard ng;
    if (a.padding == GridPadding::Border) {
      *s = to(mul(mul(to(ge(*i, 0.0), wd), to(le(*i, S - 1.0), wd)), scale), d);
    } else {
      *s = full({N, 1, OH, OW}, scale, o);
    }
  };
  Tensor ix, iy;
  axis(0, W, &ix, &k.sx);
  axis(1, H, &iy, &k.sy);
  if (a.padding == GridPadding::Border) {
    ix = clamp(ix, 0.0, W - 1.0);
    iy = clamp(iy, 0.0, H - 1.0);
  }
  Tensor x0, y0;
  {
    NoGradGuard ng;
    x0 = floor(detach(ix));
    y0 = floor(detach(iy));
    // Border: a point on the last pixel takes it as its right corner (x0 =
    // S - 2, tx = 1), so its slope is the left one, as clamp's derivative.
    if (a.padding == GridPadding::Border) {
      if (W >= 2) x0 = clamp(x0, 0.0, W - 2.0);
      if (H >= 2) y0 = clamp(y0, 0.0, H - 2.0);
    }
  }
  k.tx[1] = to(sub(ix, x0), d);
  k.tx[0] = sub(1.0, k.tx[1]);
  k.ty[1] = to(sub(iy, y0), d);
  k.ty[0] = sub(1.0, k.ty[1]);
  NoGradGuard ng;
  for (int c = 0; c < 4; ++c) {
    const Tensor cx = add(x0, static_cast<double>(c % 2)), cy = add(y0, static_cast<double>(c / 2));
    k.valid[c] = to(mul(mul(to(ge(cx, 0.0), wd), to(le(cx, W - 1.0), wd)),
                        mul(to(ge(cy, 0.0), wd), to(le(cy, H - 1.0), wd))),
                    d);
    const Tensor flat = add(mul(clamp(cy, 0.0, H - 1.0), static_cast<double>(W)), clamp(cx, 0.0, W - 1.0));
    k.idx[c] = core::expand(core::reshape(contiguous(to(flat, kInt64)), {N, 1, P}), {N, C, P});
  }
  return k;
}

// dx and dgrid written with differentiable ops (see the opening comment).
Tensors grid_sample_grads(const Tensor& g, const Tensor& x, const Tensor& grid, const Shape& xs,
                          const GridSampleAttrs& a, const NeedMask& n) {
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  const int64_t OH = grid.size(1), OW = grid.size(2), P = OH * OW;
  const Corners k = corners(grid, C, H, W, a);
  Tensor dx, dgrid;
  if (n[0]) {
    Tensor acc = zeros({N, C, H * W}, Options(g.dtype()).device(g.device()));
    for (int c = 0; c < 4; ++c) {
      const Tensor w = mul(mul(k.tx[c % 2], k.ty[c / 2]), k.valid[c]);  // [N,1,OH,OW]
      acc = scatter_add(acc, 2, k.idx[c], reshape(mul(g, w), {N, C, P}));
    }
    dx = reshape(acc, xs);
  }
  if (n[1]) {
    const Tensor xf = reshape(x, {N, C, H * W});
    Tensor v[4];
    for (int c = 0; c < 4; ++c) v[c] = mul(reshape(gather(xf, 2, k.idx[c]), {N, C, OH, OW}), k.valid[c]);
    const Tensor dix = add(mul(sub(v[1], v[0]), k.ty[0]), mul(sub(v[3], v[2]), k.ty[1]));  // dy/dix
    const Tensor diy = add(mul(sub(v[2], v[0]), k.tx[0]), mul(sub(v[3], v[1]), k.tx[1]));  // dy/diy
    const Tensor gx = reshape(mul(sum(mul(g, dix), {1}, true), k.sx), {N, OH, OW});
    const Tensor gy = reshape(mul(sum(mul(g, diy), {1}, true), k.sy), {N, OH, OW});
    dgrid = stack({gx, gy}, 3);  // [N,OH,OW,2]
  }
  return Tensors{dx, dgrid};
}

// The fused first-order backward: dx (n[0]) and dgrid (n[1]) in one kernel.
Tensors grid_sample_backward_fused(const Tensor& g, const Tensor& grid, const Tensor& x, const Shape& xs,
                                   const GridSampleAttrs& a, const NeedMask& n) {
  Tensor dx = n[0] ? detail::new_output(g, xs, g.dtype()) : Tensor();
  Tensor dgrid = n[1] ? detail::new_output(g, grid.shape(), g.dtype()) : Tensor();
  kernels::run(kernels::OpId::grid_sample_backward, {g, grid, n[1] ? x : Tensor()}, {dx, dgrid}, a);
  return Tensors{dx, dgrid};
}

}  // namespace

Tensor grid_sample(const Tensor& x, const Tensor& grid, GridPadding padding, bool align_corners) {
  const char* op = "grid_sample";
  detail::check_same(op, x, grid);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() == 4 && x.size(2) > 0 && x.size(3) > 0, op,
               ": input must be [N,C,H,W] with H, W > 0, got ", shape_str(x.shape()));
  GANTRY_CHECK(grid.dim() == 4 && grid.size(3) == 2 && grid.size(0) == x.size(0), op, ": grid must be [",
               x.size(0), ", OH, OW, 2] for input ", shape_str(x.shape()), ", got ", shape_str(grid.shape()));
  const GridSampleAttrs a{padding, align_corners};
  const Shape xs = x.shape();
  Tensor y = detail::new_output(x, {xs[0], xs[1], grid.size(1), grid.size(2)}, x.dtype());
  kernels::run(kernels::OpId::grid_sample, {x, grid}, {y}, a);
  // dx reads only the grid; dgrid reads x as well.
  record("GridSampleBackward", {x, grid}, {y},
         [sg = save(grid, "grid"), sx = save_if(will_need_grad(grid), x, "input"), xs, a](const Tensors& g,
                                                                                        const NeedMask& n) {
           const Tensor gr = sg.unpack(), in = n[1] ? sx.unpack() : Tensor();
           if (!GradMode::is_enabled()) return grid_sample_backward_fused(g[0], gr, in, xs, a, n);
           return grid_sample_grads(g[0], in, gr, xs, a, n);
         });
  return y;
}

Tensor affine_grid(const Tensor& theta, int64_t H, int64_t W, bool align_corners) {
  detail::check_defined("affine_grid", theta);
  detail::check_floating("affine_grid", theta);
  GANTRY_CHECK(theta.dim() == 3 && theta.size(1) == 2 && theta.size(2) == 3,
               "affine_grid: theta must be [N, 2, 3], got ", shape_str(theta.shape()));
  GANTRY_CHECK(H > 0 && W > 0, "affine_grid: size ", H, "x", W, " must be positive");
  const int64_t N = theta.size(0);
  // The normalized centres of the output pixels along one axis.
  auto centres = [&](int64_t S) {
    Tensor c = empty({S}, kFloat64);
    for (int64_t i = 0; i < S; ++i)
      c.data<double>()[i] = align_corners ? (S > 1 ? -1.0 + 2.0 * i / (S - 1) : 0.0) : (2.0 * i + 1) / S - 1.0;
    return c.to(theta.dtype()).to(theta.device());
  };
  const Tensor bx = reshape(centres(W), {1, 1, W}), by = reshape(centres(H), {1, H, 1});
  auto t = [&](int64_t r, int64_t c) { return reshape(select(select(theta, 1, r), 1, c), {N, 1, 1}); };
  const Tensor gx = add(add(mul(t(0, 0), bx), mul(t(0, 1), by)), t(0, 2));  // [N,H,W]
  const Tensor gy = add(add(mul(t(1, 0), bx), mul(t(1, 1), by)), t(1, 2));
  return stack({gx, gy}, 3);  // [N,H,W,2]
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
