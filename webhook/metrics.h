// Prometheus metrics for the server. Every label takes values from a fixed,
// small set (no object names, no free text), and the hot path touches only
// relaxed atomics.
#ifndef SEIGUARD_WEBHOOK_METRICS_H_
#define SEIGUARD_WEBHOOK_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/catalog.h"
#include "rules/finding.h"
#include "webhook/admission.h"

namespace seiguard {

class Metrics {
 public:
  // One answered AdmissionReview.
  void CountReview(Endpoint endpoint, std::string_view operation, std::string_view kind,
                   Decision decision, double seconds, const std::vector<Finding>& findings);
  // A request refused before it reached the engine (HTTP status).
  void CountRefusal(int status);
  void AddInFlight(int delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }
  void CountTlsReload(bool ok);
  void SetCertificateExpiry(int64_t unix_seconds) { cert_expiry_.store(unix_seconds); }
  void SetReady(bool ready) { ready_.store(ready); }

  std::string Render(std::string_view version) const;

 private:
  static constexpr size_t kEndpoints = 2, kOperations = 5, kKinds = 9, kDecisions = 5;
  static constexpr std::array<double, 14> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                      0.0025,  0.005,  0.01,    0.025,  0.05,
                                                      0.1,     0.25,   0.5,     1.0};
  static constexpr std::array<int, 9> kRefusalCodes = {400, 404, 405, 411, 413, 415, 500, 503, 504};

  std::array<std::atomic<uint64_t>, kEndpoints * kOperations * kKinds * kDecisions> requests_{};
  std::array<std::atomic<uint64_t>, kEndpoints*(kBuckets.size() + 1)> latency_buckets_{};
  std::array<std::atomic<uint64_t>, kEndpoints> latency_count_{};
  std::array<std::atomic<uint64_t>, kEndpoints> latency_sum_ns_{};
  std::array<std::atomic<uint64_t>, kRuleCount * 2> findings_{};
  std::array<std::atomic<uint64_t>, kRefusalCodes.size()> refusals_{};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> tls_reload_ok_{0}, tls_reload_error_{0};
  std::atomic<int64_t> cert_expiry_{0};
  std::atomic<bool> ready_{false};
};

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_METRICS_H_
