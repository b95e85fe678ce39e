// gan/losses.cpp — the GAN objectives (see losses.h for the table).
#include "gan/losses.h"

namespace gantry {
namespace gan {

LossKind parse_loss(const std::string& n) {
  if (n == "nonsaturating" || n == "ns" || n == "bce") return LossKind::NonSaturating;
  if (n == "minimax") return LossKind::Minimax;
  if (n == "lsgan" || n == "least_squares") return LossKind::LeastSquares;
  if (n == "hinge") return LossKind::Hinge;
  if (n == "wasserstein" || n == "wgan") return LossKind::Wasserstein;
  throw Error("unknown GAN loss '" + n +
              "' (expected nonsaturating, minimax, lsgan, hinge or wasserstein)");
}

std::string loss_name(LossKind k) {
  switch (k) {
    case LossKind::NonSaturating: return "nonsaturating";
    case LossKind::Minimax: return "minimax";
    case LossKind::LeastSquares: return "lsgan";
    case LossKind::Hinge: return "hinge";
    case LossKind::Wasserstein: return "wasserstein";
  }
  return "?";
}

namespace {
Tensor targets_or(const Tensor& t, const Tensor& like, double v) {
  if (t.defined()) {
    GANTRY_CHECK(t.shape() == like.shape(), "discriminator_loss: real targets ",
                 shape_str(t.shape()), " do not match the logits ", shape_str(like.shape()));
    return t;
  }
  return full_like(like, v);
}
}  // namespace

Tensor discriminator_loss(LossKind k, const Tensor& real, const Tensor& fake, const Tensor& t) {
  GANTRY_CHECK(real.defined() && fake.defined(), "discriminator_loss: undefined logits");
  switch (k) {
    case LossKind::NonSaturating:
    case LossKind::Minimax:
      return add(binary_cross_entropy_with_logits(real, targets_or(t, real, 1.0)),
                 binary_cross_entropy_with_logits(fake, zeros_like(fake)));
    case LossKind::LeastSquares:
      return add(mul(mean(square(sub(real, targets_or(t, real, 1.0)))), 0.5),
                 mul(mean(square(fake)), 0.5));
    case LossKind::Hinge:
      return add(mean(relu(sub(1.0, real))), mean(relu(add(fake, 1.0))));
    case LossKind::Wasserstein:
      return sub(mean(fake), mean(real));
  }
  return Tensor();
}

Tensor generator_loss(LossKind k, const Tensor& fake) {
  GANTRY_CHECK(fake.defined(), "generator_loss: undefined logits");
  switch (k) {
    case LossKind::NonSaturating:
      return binary_cross_entropy_with_logits(fake, ones_like(fake));
    case LossKind::Minimax:
      return neg(binary_cross_entropy_with_logits(fake, zeros_like(fake)));
    case LossKind::LeastSquares:
      return mul(mean(square(sub(fake, 1.0))), 0.5);
    case LossKind::Hinge:
    case LossKind::Wasserstein:
      return neg(mean(fake));
  }
  return Tensor();
}

namespace {
void check_relativistic(const char* who, const Tensor& real, const Tensor& fake) {
  GANTRY_CHECK(real.defined() && fake.defined(), who, ": undefined logits");
  GANTRY_CHECK(real.shape() == fake.shape(), who, ": real logits ", shape_str(real.shape()),
               " and fake logits ", shape_str(fake.shape()), " differ in shape");
}
}  // namespace

Tensor relativistic_d_loss(const Tensor& real, const Tensor& fake) {
  check_relativistic("relativistic_d_loss", real, fake);
  const Tensor r = sub(real, mean(fake)), f = sub(fake, mean(real));
  return mul(add(binary_cross_entropy_with_logits(r, ones_like(r)),
                 binary_cross_entropy_with_logits(f, zeros_like(f))),
             0.5);
}

Tensor relativistic_g_loss(const Tensor& real, const Tensor& fake) {
  check_relativistic("relativistic_g_loss", real, fake);
  const Tensor r = sub(real, mean(fake)), f = sub(fake, mean(real));
  return mul(add(binary_cross_entropy_with_logits(r, zeros_like(r)),
                 binary_cross_entropy_with_logits(f, ones_like(f))),
             0.5);
}

}  // namespace gan
}  // namespace gantry
