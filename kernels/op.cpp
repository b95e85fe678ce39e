// kernels/op.cpp — the constant table behind op_info(), built from the family
// files (kernels/ops/*.h) by the same X-macros as the OpId enum, so the two
// cannot disagree.
#include "kernels/op.h"

#include <algorithm>
#include <cstring>

namespace gantry {
namespace kernels {

namespace {

// "…/kernels/ops/conv.h" -> "conv" (the family is the file the entry is in).
constexpr const char* family_of(const char* path) {
  const char* base = path;
  for (const char* p = path; *p; ++p)
    if (*p == '/' || *p == '\\') base = p + 1;
  return base;
}

const OpInfo kOps[] = {
#define GANTRY_OP(name, Attrs, n_in, n_out, flags) \
  {#name, family_of(__FILE__), AttrKind::Attrs, n_in, n_out, flags, EwTypes::None},
#define GANTRY_ELEMENTWISE(name, Functor, Attrs, n_in, types, flags) \
  {#name, family_of(__FILE__), AttrKind::Attrs, n_in, 1, flags, EwTypes::types},
#include "kernels/ops/all.h"
#undef GANTRY_OP
#undef GANTRY_ELEMENTWISE
};
static_assert(sizeof(kOps) / sizeof(kOps[0]) == kNumOps, "op table and OpId disagree");

// Levenshtein distance, for "did you mean" in errors.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}

}  // namespace

const char* attr_kind_name(AttrKind k) {
  switch (k) {
#define GANTRY_X(A) \
  case AttrKind::A: return #A;
    GANTRY_ATTRS_LIST(GANTRY_X)
#undef GANTRY_X
  }
  return "?";
}

const OpInfo& op_info(OpId id) {
  const int i = op_index(id);
  GANTRY_CHECK(i >= 0 && i < kNumOps, "op_info: op id ", i, " is outside the table (", kNumOps,
               " ops)");
  return kOps[i];
}

bool is_op(std::string_view name) {
  for (const auto& o : kOps)
    if (name == o.name) return true;
  return false;
}

OpId op_id(std::string_view name) {
  for (int i = 0; i < kNumOps; ++i)
    if (name == kOps[i].name) return static_cast<OpId>(i);
  const char* best = kOps[0].name;
  size_t best_d = edit_distance(name, best);
  for (const auto& o : kOps) {
    const size_t d = edit_distance(name, o.name);
    if (d < best_d) best = o.name, best_d = d;
  }
  throw Error(str("no op named '", std::string(name), "' in the op table (did you mean '", best,
                  "'?)"));
}

}  // namespace kernels
}  // namespace gantry
