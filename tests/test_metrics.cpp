// tests/test_metrics.cpp — the sample-quality metrics of gan/metrics/:
// the float64 matrix square root against independent references, the
// Frechet distance (zero for a set with itself, growing with noise and blur),
// KID's unbiasedness, k-NN precision/recall, class coverage, SHA-256 test
// vectors, and the committed Fashion-MNIST classifier (its checksum, its test
// accuracy), skipped where the data set or the weights are missing.
#include <catch2/catch.hpp>

#include "tests/test_skip.h"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <filesystem>

#include "core/rng.h"
#include "gan/data/idx.h"
#include "gan/metrics/evaluator.h"
#include "gan/metrics/sha256.h"

using namespace gantry;
using namespace gantry::gan;
using namespace gantry::gan::metrics;
namespace fs = std::filesystem;

namespace {

// Gaussian rows [n, d] with a fixed seed (through Gantry's Philox generator).
Matrix gaussian_rows(int64_t n, int64_t d, uint64_t seed, double shift = 0.0, double scale = 1.0) {
  RandomState g(seed);
  std::vector<double> v = to(randn({n, d}, {}, &g), kFloat64).to_vector<double>();
  Matrix m(n, d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) m(i, j) = v[i * d + j] * scale + shift;
  return m;
}

// A random symmetric positive-definite matrix and its known square root:
// B = Q diag(s) Q^T with s > 0, A = B B.
std::pair<Matrix, Matrix> spd_with_root(int64_t d, uint64_t seed) {
  Matrix G = gaussian_rows(d, d, seed);
  Eigen::HouseholderQR<Matrix> qr(G);
  Matrix Q = qr.householderQ();
  Vector s(d);
  for (int64_t i = 0; i < d; ++i) s(i) = 0.1 + 0.3 * i;
  Matrix B = Q * s.asDiagonal() * Q.transpose();
  return {B * B, B};
}

const char* kFmnist = "/usr/share/datasets/fashion-mnist";
const std::string kWeights = std::string(GANTRY_SOURCE_DIR) + "/assets/fmnist_classifier.safetensors";

}  // namespace

TEST_CASE("sqrtm_psd: float64 square root against known roots and Denman-Beavers", "[metrics]") {
  for (int64_t d : {1, 5, 40}) {
    INFO("d = " << d);
    auto [A, B] = spd_with_root(d, 10 + d);
    Matrix R = sqrtm_psd(A);
    CHECK((R - B).cwiseAbs().maxCoeff() < 1e-10 * (1 + B.cwiseAbs().maxCoeff()));
    // An independent reference: the Denman-Beavers iteration Y -> (Y + Z^-1)/2,
    // Z -> (Z + Y^-1)/2, Y -> A^1/2 (no eigendecomposition involved).
    Matrix Y = A, Z = Matrix::Identity(d, d);
    for (int it = 0; it < 60; ++it) {
      Matrix Yn = 0.5 * (Y + Z.inverse());
      Z = 0.5 * (Z + Y.inverse());
      Y = Yn;
    }
    CHECK((R - Y).cwiseAbs().maxCoeff() < 1e-9 * (1 + Y.cwiseAbs().maxCoeff()));
  }
  // Singular PSD matrices (rank-deficient covariances) come out finite.
  Matrix X = gaussian_rows(3, 8, 1);
  Matrix S = X.transpose() * X;  // rank 3 of 8
  Matrix R = sqrtm_psd(S);
  CHECK(R.allFinite());
  CHECK((R * R - S).cwiseAbs().maxCoeff() < 1e-8 * S.cwiseAbs().maxCoeff());
}

TEST_CASE("Frechet distance: closed forms, zero for a set with itself, grows with noise", "[metrics]") {
  // Non-commuting covariances: tr((S1 S2)^1/2) = sum of sqrt(eigenvalues of S1 S2).
  auto [S1, r1] = spd_with_root(6, 3);
  auto [S2, r2] = spd_with_root(6, 4);
  (void)r1;
  (void)r2;
  Gaussian a{Vector::Constant(6, 0.5), S1}, b{Vector::Zero(6), S2};
  Eigen::EigenSolver<Matrix> es(S1 * S2);
  double tr = 0;
  for (int i = 0; i < 6; ++i) tr += std::sqrt(es.eigenvalues()(i).real());
  const double want = 6 * 0.25 + S1.trace() + S2.trace() - 2 * tr;
  CHECK(frechet_distance(a, b) == Approx(want).epsilon(1e-10));
  CHECK(frechet_distance(b, a) == Approx(want).epsilon(1e-10));

  Matrix X = gaussian_rows(2000, 16, 5);
  CHECK(frechet_distance(fit_gaussian(X), fit_gaussian(X)) < 1e-9);
  double prev = 0;
  for (double sigma : {0.1, 0.3, 0.6, 1.0, 2.0}) {
    Matrix Y = X + sigma * gaussian_rows(2000, 16, 6);
    const double fd = frechet_distance(fit_gaussian(X), fit_gaussian(Y));
    INFO("noise " << sigma << ": FD " << fd);
    CHECK(fd > prev);
    prev = fd;
  }
}

TEST_CASE("KID: unbiased (mean ~0) for two samples of one distribution, positive otherwise", "[metrics]") {
  // Over many independent pairs the unbiased MMD^2 averages to 0 within its
  // standard error; a biased (V-statistic) estimate would sit at ~+2*E k(x,x)/n.
  std::vector<double> v;
  for (int r = 0; r < 40; ++r) v.push_back(mmd2_unbiased(gaussian_rows(100, 8, 100 + r), gaussian_rows(100, 8, 500 + r)));
  double m = 0, ss = 0;
  for (double x : v) m += x / v.size();
  for (double x : v) ss += (x - m) * (x - m);
  const double se = std::sqrt(ss / (v.size() - 1) / v.size());
  INFO("mean " << m << " standard error " << se);
  CHECK(std::abs(m) < 4 * se);
  // Identical sets: ~0 as well (only the diagonal terms differ).
  Matrix X = gaussian_rows(500, 8, 7);
  KID same = kernel_inception_distance(X, X, 20, 200, 1);
  KID shifted = kernel_inception_distance(X, gaussian_rows(500, 8, 8, 0.5), 20, 200, 1);
  INFO("same " << same.mean << " shifted " << shifted.mean);
  CHECK(std::abs(same.mean) < 0.05 * shifted.mean);
  CHECK(shifted.mean > 5 * shifted.std / std::sqrt(20.0));
}

TEST_CASE("precision/recall: k-NN manifolds", "[metrics]") {
  Matrix R = gaussian_rows(400, 4, 1);
  PrecisionRecall same = precision_recall(R, R, 3);
  CHECK(same.precision == 1.0);
  CHECK(same.recall == 1.0);
  PrecisionRecall far = precision_recall(R, gaussian_rows(400, 4, 2, 50.0), 3);
  CHECK(far.precision == 0.0);
  CHECK(far.recall == 0.0);
  // Mode collapse: fakes crowd around a small region of the real data -> high
  // precision, low recall.
  Matrix F = gaussian_rows(400, 4, 3, 0.0, 0.05);
  PrecisionRecall collapsed = precision_recall(R, F, 3);
  INFO("precision " << collapsed.precision << " recall " << collapsed.recall);
  CHECK(collapsed.precision > 0.9);
  CHECK(collapsed.recall < 0.2);
  // Same distribution, independent draws: both high.
  PrecisionRecall fresh = precision_recall(R, gaussian_rows(400, 4, 4), 3);
  CHECK(fresh.precision > 0.6);
  CHECK(fresh.recall > 0.6);
}

TEST_CASE("class coverage: normalized entropy of the predicted classes", "[metrics]") {
  std::vector<int64_t> all(1000);
  for (int i = 0; i < 1000; ++i) all[i] = i % 10;
  CHECK(class_coverage(all, 10) == Approx(1.0));
  CHECK(class_coverage(std::vector<int64_t>(50, 3), 10) == Approx(0.0).margin(1e-12));
  CHECK(class_coverage({0, 1, 0, 1}, 10) == Approx(std::log(2.0) / std::log(10.0)));
  CHECK_THROWS_WITH(class_coverage({0, 12}, 10), Catch::Contains("outside [0, 10)"));
}

TEST_CASE("sha256: FIPS 180-4 test vectors", "[metrics]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("the committed classifier: checksum, test accuracy >= 90%, FID grows with blur and noise",
          "[metrics][classifier][slow]") {
  if (!fs::exists(std::string(kFmnist) + "/t10k-images-idx3-ubyte.gz") || !fs::exists(kWeights)) {
    GANTRY_SKIP(std::string("Fashion-MNIST or ") + kWeights + " missing (gantry train-classifier writes it)");
  }
  auto c = load_classifier(kWeights);  // checks the .sha256 file
  ImageDataset test = load_fashion_mnist(kFmnist, false);
  const double acc = accuracy(*c, test);
  INFO("test accuracy " << acc);
  CHECK(acc >= 0.90);

  // 1000 test images as the reference, 1000 others as "samples".
  Tensor ref = core::contiguous(core::slice(test.images, 0, 0, 1000, 1));
  Tensor other = core::contiguous(core::slice(test.images, 0, 1000, 2000, 1));
  Evaluator ev(c, ref);
  CHECK(ev.evaluate(ref).fid < 1e-6);  // a set with itself
  const Report base = ev.evaluate(other);
  CHECK(base.coverage > 0.95);
  double prev = base.fid;
  for (double sigma : {0.2, 0.5, 1.0}) {  // Gaussian pixel noise, clamped to [-1, 1]
    RandomState g(1);
    Tensor noisy = clamp(add(other, mul(randn(other.shape(), {}, &g), sigma)), -1.0, 1.0);
    const double fid = ev.evaluate(noisy).fid;
    INFO("noise " << sigma << ": FID " << fid);
    CHECK(fid > prev);
    prev = fid;
  }
  prev = base.fid;
  for (int k : {3, 5, 7}) {  // box blur of growing size (same-size output)
    Tensor blurred = avg_pool2d(pad(other, {k / 2, k / 2, k / 2, k / 2}, PadMode::Replicate), {k, k}, {1, 1});
    const double fid = ev.evaluate(blurred).fid;
    INFO("blur " << k << "x" << k << ": FID " << fid);
    CHECK(fid > prev);
    prev = fid;
  }
}
