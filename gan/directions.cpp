// gan/directions.cpp — SeFa and PCA directions, and the edit sheet (see
// gan/directions.h). The eigendecompositions are Eigen's self-adjoint solver
// in float64 on the CPU.
#include "gan/directions.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/style_control.h"

namespace gantry {
namespace gan {

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Mat to_mat(const Tensor& t) {  // [r, c] -> r x c
  const Tensor c = to(contiguous(t.to(kCPU)), kFloat64);
  Mat m(c.size(0), c.size(1));
  const std::vector<double> v = c.to_vector<double>();
  std::copy(v.begin(), v.end(), m.data());
  return m;
}

// The top-k eigenpairs of a symmetric matrix, largest first; each vector's
// sign fixed so its largest-magnitude entry is positive (deterministic output).
void top_eigen(const Mat& S, int64_t k, Mat* vecs, std::vector<double>* vals) {
  Eigen::SelfAdjointEigenSolver<Mat> es(S);
  GANTRY_CHECK(es.info() == Eigen::Success, "directions: the eigendecomposition did not converge");
  const int64_t n = S.rows();
  *vecs = Mat(k, n);
  vals->clear();
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = n - 1 - i;  // ascending order from Eigen
    Eigen::VectorXd v = es.eigenvectors().col(j);
    Eigen::Index at = 0;
    v.cwiseAbs().maxCoeff(&at);
    if (v(at) < 0) v = -v;
    vecs->row(i) = v.transpose();
    vals->push_back(es.eigenvalues()(j));
  }
}

Tensor from_mat(const Mat& m) {
  std::vector<float> v(m.data(), m.data() + m.size());
  return from_vector<float>(v, {static_cast<int64_t>(m.rows()), static_cast<int64_t>(m.cols())});
}

// Latents in the directions' space: w (style) or z, [n, dim], float64.
Mat sample_latents(GeneratorNet& G, StyleNet* S, int64_t n, uint64_t seed) {
  RandomState g(seed);
  const Tensor z = randn({n, G.config.latent}, {}, &g);
  if (!S) return to_mat(z);
  return to_mat(select(S->mapping(z), 1, 0));
}

}  // namespace

Directions find_directions(GeneratorNet& G, const std::string& model, const std::string& method, int64_t k,
                           int64_t samples, uint64_t seed) {
  GANTRY_CHECK(method == "sefa" || method == "pca", "directions: method '", method, "' is not sefa or pca");
  GANTRY_CHECK(samples >= 2, "directions: samples ", samples, " must be at least 2");
  StyleNet* S = as_style(G);
  const Tensor first = S ? Tensor() : G.first_layer_weight();
  GANTRY_CHECK(S || first.defined(), "directions: model '", model,
               "' has neither a W space nor a first layer linear in z (stylegan2 and the DCGAN family's "
               "unconditional models have)");
  const int64_t dim = S ? S->w_dim() : G.config.latent;
  GANTRY_CHECK(k >= 1 && k <= dim, "directions: k ", k, " must be in [1, ", dim, "]");
  NoGradGuard ng;
  nn::EvalGuard eg(G);
  Directions d;
  d.method = method;
  d.space = S ? "w" : "z";
  Mat vecs;
  const Mat lat = sample_latents(G, S, samples, seed);  // [n, dim]
  const Eigen::RowVectorXd mu = lat.colwise().mean();
  const Mat centred = lat.rowwise() - mu;
  if (method == "sefa") {
    Mat A = to_mat(S ? S->first_style_weight() : first);  // [features, dim]
    // As SeFa's code: each output's weight vector to unit norm first, so no
    // single style (or feature) dominates by its scale alone.
    for (Eigen::Index r = 0; r < A.rows(); ++r) {
      const double n = A.row(r).norm();
      if (n > 0) A.row(r) /= n;
    }
    top_eigen(A.transpose() * A, k, &vecs, &d.values);
  } else if (S) {
    top_eigen(centred.transpose() * centred / static_cast<double>(samples - 1), k, &vecs, &d.values);
  } else {
    // GANSpace for an isotropic z: PCA of the first block's activations, each
    // axis carried back to z by regressing the samples' coordinates on z.
    RandomState g(seed);
    const Tensor z = randn({samples, G.config.latent}, {}, &g);
    const Mat F = to_mat(G.first_features(z));
    const Mat Fc = F.rowwise() - F.colwise().mean();
    Mat axes;
    top_eigen(Fc.transpose() * Fc / static_cast<double>(samples - 1), k, &axes, &d.values);
    const Mat coords = Fc * axes.transpose();  // [n, k]
    vecs = Mat(k, dim);
    // Least squares: coords_j ~ centred z u_j, u_j = (Z^T Z)^-1 Z^T coords_j.
    const Eigen::LDLT<Eigen::MatrixXd> zz((centred.transpose() * centred).eval());
    for (int64_t j = 0; j < k; ++j) {
      Eigen::VectorXd u = zz.solve(centred.transpose() * coords.col(j));
      vecs.row(j) = u.transpose() / u.norm();
    }
  }
  for (int64_t j = 0; j < k; ++j) {
    const Eigen::VectorXd proj = centred * vecs.row(j).transpose();
    d.sigma.push_back(std::sqrt(proj.squaredNorm() / static_cast<double>(samples - 1)));
  }
  d.vectors = from_mat(vecs);
  return d;
}

Tensor direction_sheet(GeneratorNet& G, const Directions& d, const std::vector<uint64_t>& seeds, int64_t rows,
                       const std::vector<double>& strengths) {
  GANTRY_CHECK(!seeds.empty() && !strengths.empty(), "direction sheet: give seeds and strengths");
  GANTRY_CHECK(rows >= 1 && rows <= d.vectors.size(0), "direction sheet: rows ", rows, " must be in [1, ",
               d.vectors.size(0), "]");
  NoGradGuard ng;
  nn::EvalGuard eg(G);
  StyleNet* S = as_style(G);
  std::vector<Tensor> cells;
  for (uint64_t seed : seeds) {
    const Tensor z = seed_latent(G, seed);  // [1, latent]
    const Tensor base = S ? S->mapping(z) : z;  // [1, L, w_dim] or [1, latent]
    for (int64_t r = 0; r < rows; ++r) {
      const Tensor n = select(d.vectors, 0, r);  // [dim]
      std::vector<Tensor> lat;
      for (double s : strengths) {
        const Tensor step = mul(n, s * d.sigma[static_cast<size_t>(r)]);
        lat.push_back(add(base, S ? reshape(step, {1, 1, n.size(0)}) : reshape(step, {1, n.size(0)})));
      }
      const Tensor batch = cat(lat, 0);
      cells.push_back(clamp(S ? S->synthesis(batch, NoiseMode::Const) : G.generate(batch, Tensor()), -1.0, 1.0));
    }
  }
  return cat(cells, 0);
}

}  // namespace gan
}  // namespace gantry
