// gan/metrics/stats.h — sample-quality statistics on feature vectors, all in
// float64 with Eigen (rows are samples: X [n, d]).
//
//   frechet_distance   ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2)
//                      (Heusel et al. 2017; the trace term equals tr((S1 S2)^1/2),
//                      computed from two symmetric eigendecompositions, so no
//                      complex square roots of a non-symmetric matrix appear)
//   kid                unbiased MMD^2 with the cubic polynomial kernel
//                      k(x, y) = (x.y / d + 1)^3, averaged over random subsets
//                      (Binkowski et al. 2018); ~0 for two samples of one distribution
//   precision_recall   k-NN manifolds (Kynkaenniemi et al. 2019): precision = share
//                      of fakes inside some real k-NN ball, recall = share of reals
//                      inside some fake k-NN ball (k = 3 by default)
//   class_coverage     entropy of the predicted-class histogram / log(K), in [0, 1]
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

namespace gantry {
namespace gan {
namespace metrics {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

struct Gaussian {
  Vector mu;     // [d]
  Matrix sigma;  // [d, d], unbiased (n - 1) covariance
};
Gaussian fit_gaussian(const Matrix& X);

// The symmetric positive semi-definite square root of a symmetric A (negative
// eigenvalues from round-off are clipped to 0).
Matrix sqrtm_psd(const Matrix& A);
double frechet_distance(const Gaussian& a, const Gaussian& b);

struct KID {
  double mean = 0, std = 0;  // over the subsets
};
// subsets of min(subset_size, n_x, n_y) rows drawn without replacement (seeded).
KID kernel_inception_distance(const Matrix& X, const Matrix& Y, int subsets = 100,
                              int64_t subset_size = 1000, uint64_t seed = 0);
// The unbiased estimator on all rows (one subset).
double mmd2_unbiased(const Matrix& X, const Matrix& Y);

struct PrecisionRecall {
  double precision = 0, recall = 0;
};
PrecisionRecall precision_recall(const Matrix& real, const Matrix& fake, int k = 3);

// labels in [0, num_classes); 1 = every class equally often, 0 = one class.
double class_coverage(const std::vector<int64_t>& predicted, int64_t num_classes);

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
