// kernels/ops/linalg.h — matrix products in the op table: mm and bmm
// (kernels: kernels/cpu/gemm.cpp, kernels/cuda/gemm.cu), plus matmul and
// linear composed from them (see kernels/ops/begin.h for how this file is read).
//
//   C = A @ B   =>   dA = dC @ B^T,   dB = A^T @ dC
// The transposes are views; the GEMM kernels read them without copying.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name attrs    in out flags
GANTRY_OP(mm,  NoAttrs, 2, 1,  kNoFlags)  // [M,K] @ [K,N]
GANTRY_OP(bmm, NoAttrs, 2, 1,  kNoFlags)  // [B,M,K] @ [B,K,N]

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
Tensor mm(const Tensor& a, const Tensor& b);   // [M,K] @ [K,N] -> [M,N]
Tensor bmm(const Tensor& a, const Tensor& b);  // [B,M,K] @ [B,K,N] -> [B,M,N]
// NumPy matmul: 1-D operands are promoted, batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
// x [..., in] @ w[out, in]^T + b[out] -> [..., out]; b may be undefined.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = Tensor());
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
namespace gantry {

Tensor mm(const Tensor& a, const Tensor& b) {
  detail::check_same("mm", a, b);
  GANTRY_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expects 2-D operands, got ",
               shape_str(a.shape()), " @ ", shape_str(b.shape()));
  GANTRY_CHECK(a.size(1) == b.size(0), "mm: ", shape_str(a.shape()), " @ ", shape_str(b.shape()),
               ": inner sizes ", a.size(1), " and ", b.size(0), " differ");
  Tensor out = detail::new_output(a, {a.size(0), b.size(1)}, a.dtype());
  kernels::run(kernels::OpId::mm, {a, b}, {out});
  record("MmBackward", {a, b}, {out},
         [sa = save_if(will_need_grad(b), a, "self"), sb = save_if(will_need_grad(a), b, "mat2")](
             const Tensors& g, const NeedMask& n) {
           return Tensors{n[0] ? mm(g[0], transpose(sb.unpack(), 0, 1)) : Tensor(),
                          n[1] ? mm(transpose(sa.unpack(), 0, 1), g[0]) : Tensor()};
         });
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  detail::check_same("bmm", a, b);
  GANTRY_CHECK(a.dim() == 3 && b.dim() == 3, "bmm: expects 3-D operands, got ",
               shape_str(a.shape()), " @ ", shape_str(b.shape()));
  GANTRY_CHECK(a.size(0) == b.size(0), "bmm: ", shape_str(a.shape()), " @ ",
               shape_str(b.shape()), ": batch sizes ", a.size(0), " and ", b.size(0), " differ");
  GANTRY_CHECK(a.size(2) == b.size(1), "bmm: ", shape_str(a.shape()), " @ ",
               shape_str(b.shape()), ": inner sizes ", a.size(2), " and ", b.size(1), " differ");
  Tensor out = detail::new_output(a, {a.size(0), a.size(1), b.size(2)}, a.dtype());
  kernels::run(kernels::OpId::bmm, {a, b}, {out});
  record("BmmBackward", {a, b}, {out},
         [sa = save_if(will_need_grad(b), a, "self"), sb = save_if(will_need_grad(a), b, "mat2")](
             const Tensors& g, const NeedMask& n) {
           return Tensors{n[0] ? bmm(g[0], transpose(sb.unpack(), 1, 2)) : Tensor(),
                          n[1] ? bmm(transpose(sa.unpack(), 1, 2), g[0]) : Tensor()};
         });
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_same("matmul", a, b);
  GANTRY_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: operands must have at least 1 dim, got ",
               shape_str(a.shape()), " @ ", shape_str(b.shape()));
  const int64_t ka = a.size(-1), kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  GANTRY_CHECK(ka == kb, "matmul: ", shape_str(a.shape()), " @ ", shape_str(b.shape()),
               ": inner sizes ", ka, " and ", kb, " differ");
  if (a.dim() == 1 && b.dim() == 1) return sum(mul(a, b));
  if (a.dim() == 2 && b.dim() == 2) return mm(a, b);
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  if (b.dim() == 2) {
    // [..., M, K] @ [K, N]: fold the batch into M, one GEMM.
    Shape out_shape = a.shape();
    out_shape.back() = b.size(1);
    return reshape(mm(reshape(a, {-1, ka}), b), out_shape);
  }
  // General case: broadcast the batch dims, then bmm.
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes("matmul", ba, bb);
  const int64_t M = a.size(-2), N = b.size(-1), B = shape_numel(batch);
  Shape ea = batch, eb = batch;
  ea.insert(ea.end(), {M, ka});
  eb.insert(eb.end(), {kb, N});
  Tensor r = bmm(reshape(expand(a, ea), {B, M, ka}), reshape(expand(b, eb), {B, kb, N}));
  Shape out_shape = batch;
  out_shape.insert(out_shape.end(), {M, N});
  return reshape(r, out_shape);
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  detail::check_same("linear", x, w);
  GANTRY_CHECK(w.dim() == 2, "linear: weight must be [out, in], got ", shape_str(w.shape()));
  GANTRY_CHECK(x.dim() >= 1 && x.size(-1) == w.size(1), "linear: input ", shape_str(x.shape()),
               " has ", (x.dim() ? x.size(-1) : 0), " features but weight ", shape_str(w.shape()),
               " expects ", w.size(1));
  Tensor y = matmul(x, transpose(w, 0, 1));
  if (!b.defined()) return y;
  detail::check_same("linear", x, b);
  GANTRY_CHECK(b.dim() == 1 && b.size(0) == w.size(0), "linear: bias ", shape_str(b.shape()),
               " does not match weight ", shape_str(w.shape()), " (expected [", w.size(0), "])");
  return add(y, b);
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
