// core/device.h — where a tensor's memory lives: `cpu` or `cuda:N`.
#pragma once
#include <ostream>
#include <string>

#include "core/error.h"

namespace gantry {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  Device() = default;
  Device(DeviceType t, int i = 0) : type(t), index(i) {}
  // Parses "cpu", "cuda", "cuda:1".
  explicit Device(const std::string& s);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && (is_cpu() || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

inline const Device kCPU{DeviceType::CPU, 0};

inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

inline Device::Device(const std::string& s) {
  if (s == "cpu") {
    type = DeviceType::CPU;
  } else if (s == "cuda") {
    type = DeviceType::CUDA;
  } else if (s.rfind("cuda:", 0) == 0 && s.size() > 5 &&
             s.find_first_not_of("0123456789", 5) == std::string::npos) {
    type = DeviceType::CUDA;
    index = std::stoi(s.substr(5));
  } else {
    throw Error(gantry::str("Device: cannot parse '", s, "' (expected cpu, cuda or cuda:N)"));
  }
}

}  // namespace gantry
