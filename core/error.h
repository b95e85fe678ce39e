// core/error.h — Gantry's one exception type and the checks that raise it.
//
// Every op validates its inputs and, on failure, throws gantry::Error with a
// message that names the op and the shapes/dtypes/devices involved, e.g.
//   "matmul: [64,100] @ [128,256]: inner sizes 100 and 128 differ".
// Library code never calls abort() or exit().
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace gantry {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  append(os, rest...);
}
}  // namespace detail

// Concatenates any streamable values into a string: str("x=", 3, " y=", v).
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  detail::append(os, args...);
  return os.str();
}

}  // namespace gantry

// GANTRY_CHECK(cond, parts...): throw gantry::Error(str(parts...)) unless cond.
#define GANTRY_CHECK(cond, ...)                          \
  do {                                                   \
    if (!(cond)) throw ::gantry::Error(::gantry::str(__VA_ARGS__)); \
  } while (0)
