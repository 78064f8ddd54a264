#include "webhook/net.h"

#include <cstdlib>

namespace seiguard {

StatusOr<HostPort> ParseHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Status::Error("\"" + address + "\" is not HOST:PORT");
  HostPort hp;
  hp.host = address.substr(0, colon);
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  std::string port = address.substr(colon + 1);
  char* end = nullptr;
  long p = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
  if (p < 0 || p > 65535 || (end != nullptr && *end != '\0')) {
    return Status::Error("\"" + address + "\": port must be 0-65535");
  }
  hp.port = static_cast<int>(p);
  return hp;
}

}  // namespace seiguard
