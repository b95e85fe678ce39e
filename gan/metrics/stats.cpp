// gan/metrics/stats.cpp — FID, KID, precision/recall, class coverage (see stats.h).
#include "gan/metrics/stats.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace gantry {
namespace gan {
namespace metrics {

Gaussian fit_gaussian(const Matrix& X) {
  GANTRY_CHECK(X.rows() >= 2, "fit_gaussian: need at least 2 samples, got ", X.rows());
  Gaussian g;
  g.mu = X.colwise().mean().transpose();
  Matrix c = X.rowwise() - g.mu.transpose();
  g.sigma = (c.transpose() * c) / static_cast<double>(X.rows() - 1);
  return g;
}

Matrix sqrtm_psd(const Matrix& A) {
  GANTRY_CHECK(A.rows() == A.cols(), "sqrtm_psd: matrix must be square, got ", A.rows(), "x", A.cols());
  Matrix S = 0.5 * (A + A.transpose());  // symmetrize round-off
  Eigen::SelfAdjointEigenSolver<Matrix> es(S);
  GANTRY_CHECK(es.info() == Eigen::Success, "sqrtm_psd: eigendecomposition failed");
  Vector d = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * d.asDiagonal() * es.eigenvectors().transpose();
}

double frechet_distance(const Gaussian& a, const Gaussian& b) {
  GANTRY_CHECK(a.mu.size() == b.mu.size(), "frechet_distance: dimensions ", a.mu.size(), " and ",
               b.mu.size(), " differ");
  Matrix r1 = sqrtm_psd(a.sigma);
  Matrix m = sqrtm_psd(r1 * b.sigma * r1);  // (S1^1/2 S2 S1^1/2)^1/2
  const double d = (a.mu - b.mu).squaredNorm() + a.sigma.trace() + b.sigma.trace() - 2 * m.trace();
  return std::max(d, 0.0);
}

double mmd2_unbiased(const Matrix& X, const Matrix& Y) {
  GANTRY_CHECK(X.cols() == Y.cols(), "kid: dimensions ", X.cols(), " and ", Y.cols(), " differ");
  const int64_t m = X.rows(), n = Y.rows();
  GANTRY_CHECK(m >= 2 && n >= 2, "kid: need at least 2 samples per set");
  const double inv_d = 1.0 / static_cast<double>(X.cols());
  // Returns a Matrix (not an Eigen expression, which would outlive K).
  auto kern = [&](const Matrix& A, const Matrix& B) -> Matrix {
    Matrix K = (A * B.transpose()) * inv_d;
    return K.array().unaryExpr([](double v) { return (v + 1) * (v + 1) * (v + 1); }).matrix();
  };
  Matrix kxx = kern(X, X), kyy = kern(Y, Y), kxy = kern(X, Y);
  const double sxx = kxx.sum() - kxx.trace(), syy = kyy.sum() - kyy.trace();
  return sxx / (m * (m - 1.0)) + syy / (n * (n - 1.0)) - 2 * kxy.sum() / (double(m) * n);
}

namespace {
// The first k of a seeded Fisher-Yates shuffle of 0..n-1.
std::vector<int64_t> subset(int64_t n, int64_t k, uint64_t seed, uint64_t stream) {
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  RandomState g(seed * 1000003ull + stream);
  std::vector<float> u = gantry::rand({k}, {}, &g).to_vector<float>();
  for (int64_t i = 0; i < k; ++i) {
    int64_t j = i + std::min<int64_t>(n - i - 1, static_cast<int64_t>(u[i] * (n - i)));
    std::swap(idx[i], idx[j]);
  }
  idx.resize(k);
  return idx;
}
Matrix rows(const Matrix& X, const std::vector<int64_t>& idx) {
  Matrix r(idx.size(), X.cols());
  for (size_t i = 0; i < idx.size(); ++i) r.row(i) = X.row(idx[i]);
  return r;
}
}  // namespace

KID kernel_inception_distance(const Matrix& X, const Matrix& Y, int subsets, int64_t size,
                              uint64_t seed) {
  GANTRY_CHECK(subsets >= 1, "kid: subsets must be >= 1");
  const int64_t m = std::min<int64_t>({size, X.rows(), Y.rows()});
  std::vector<double> v;
  for (int s = 0; s < subsets; ++s)
    v.push_back(mmd2_unbiased(rows(X, subset(X.rows(), m, seed, 2 * s)),
                              rows(Y, subset(Y.rows(), m, seed, 2 * s + 1))));
  KID r;
  r.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double ss = 0;
  for (double x : v) ss += (x - r.mean) * (x - r.mean);
  r.std = v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : 0.0;
  return r;
}

namespace {
// Squared distances between the rows of A [m,d] and B [n,d]: [m,n].
Matrix sq_dists(const Matrix& A, const Matrix& B) {
  Vector a = A.rowwise().squaredNorm(), b = B.rowwise().squaredNorm();
  Matrix D = -2.0 * (A * B.transpose());
  D.colwise() += a;
  D.rowwise() += b.transpose();
  return D.cwiseMax(0.0);
}
// Squared distance of each row of X to its k-th nearest other row.
Vector kth_radius(const Matrix& X, int k) {
  const int64_t n = X.rows();
  Vector r(n);
  const int64_t block = 1024;
  for (int64_t s = 0; s < n; s += block) {
    const int64_t e = std::min(n, s + block);
    Matrix D = sq_dists(X.middleRows(s, e - s), X);
    for (int64_t i = s; i < e; ++i) {
      std::vector<double> row(n);
      for (int64_t j = 0; j < n; ++j) row[j] = D(i - s, j);
      // index k (0 is the point itself at distance 0)
      std::nth_element(row.begin(), row.begin() + k, row.end());
      r(i) = row[k];
    }
  }
  return r;
}
// Share of rows of Q inside some ball (centre row of P, squared radius rP).
double inside_share(const Matrix& P, const Vector& rP, const Matrix& Q) {
  int64_t inside = 0;
  const int64_t block = 1024;
  for (int64_t s = 0; s < Q.rows(); s += block) {
    const int64_t e = std::min<int64_t>(Q.rows(), s + block);
    Matrix D = sq_dists(Q.middleRows(s, e - s), P);  // [b, |P|]
    for (int64_t i = 0; i < e - s; ++i)
      if (((D.row(i).transpose() - rP).array() <= 0).any()) ++inside;
  }
  return static_cast<double>(inside) / Q.rows();
}
}  // namespace

PrecisionRecall precision_recall(const Matrix& real, const Matrix& fake, int k) {
  GANTRY_CHECK(real.cols() == fake.cols(), "precision_recall: dimensions differ");
  GANTRY_CHECK(k >= 1 && real.rows() > k && fake.rows() > k, "precision_recall: need more than k = ",
               k, " samples per set");
  PrecisionRecall pr;
  pr.precision = inside_share(real, kth_radius(real, k), fake);
  pr.recall = inside_share(fake, kth_radius(fake, k), real);
  return pr;
}

double class_coverage(const std::vector<int64_t>& pred, int64_t K) {
  GANTRY_CHECK(K >= 2 && !pred.empty(), "class_coverage: need K >= 2 classes and predictions");
  std::vector<double> h(K, 0.0);
  for (int64_t p : pred) {
    GANTRY_CHECK(p >= 0 && p < K, "class_coverage: label ", p, " outside [0, ", K, ")");
    h[p] += 1;
  }
  double e = 0;
  for (double c : h)
    if (c > 0) {
      const double q = c / pred.size();
      e -= q * std::log(q);
    }
  return e / std::log(static_cast<double>(K));
}

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
