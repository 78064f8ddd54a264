// Small socket helpers shared by the listeners.
#ifndef SEIGUARD_WEBHOOK_NET_H_
#define SEIGUARD_WEBHOOK_NET_H_

#include <string>

#include "rules/status.h"

namespace seiguard {

struct HostPort {
  std::string host;  // "" means every address
  int port = 0;
};

// "0.0.0.0:9443", ":8080", "[::1]:0", "localhost:9443".
StatusOr<HostPort> ParseHostPort(const std::string& address);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_NET_H_
