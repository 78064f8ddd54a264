// The plain listener for /healthz, /readyz and /metrics: the same split this
// project enforces on SeiNode pods (authenticated work on TLS, health and
// metrics on a separate port for kubelet and monitoring).
//
// Written directly on poll() rather than on cpp-httplib, because it must stay
// bounded whatever reaches it: one thread, at most `kMaxConnections`
// connections, 8 KiB of request head each, 5 s per connection, no request
// bodies, one request per connection.
#ifndef SEIGUARD_WEBHOOK_HEALTH_SERVER_H_
#define SEIGUARD_WEBHOOK_HEALTH_SERVER_H_

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "rules/status.h"

namespace seiguard {

struct HealthReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HealthServer {
 public:
  // Called on the server's thread for every GET; `path` excludes the query.
  using Handler = std::function<HealthReply(std::string_view path)>;

  explicit HealthServer(Handler handler);
  ~HealthServer();

  // Binds and listens; returns the bound port (useful with port 0).
  StatusOr<int> Listen(const std::string& address);
  void Start();
  void Stop();

  static constexpr size_t kMaxConnections = 256;
  static constexpr size_t kMaxHeadBytes = 8192;

 private:
  void Loop();

  Handler handler_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_HEALTH_SERVER_H_
