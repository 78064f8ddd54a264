#include "webhook/metrics.h"

#include <cstdio>

#include "webhook/log.h"

namespace seiguard {
namespace {

constexpr std::array<std::string_view, 2> kEndpointNames = {"validate", "mutate"};
constexpr std::array<std::string_view, 5> kOperationNames = {"CREATE", "UPDATE", "DELETE",
                                                             "CONNECT", "other"};
constexpr std::array<std::string_view, 10> kKindNames = {
    "Pod",     "Deployment",            "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
    "CronJob", "ReplicationController", "Service",     "other"};
constexpr std::array<Decision, 5> kDecisionValues = {Decision::kSkipped, Decision::kAllowed,
                                                     Decision::kPatched, Decision::kDenied,
                                                     Decision::kError};

template <size_t N>
size_t IndexOf(const std::array<std::string_view, N>& names, std::string_view v) {
  for (size_t i = 0; i + 1 < N; ++i) {
    if (names[i] == v) return i;
  }
  return N - 1;  // "other"
}

void Line(std::string& out, std::string_view name, std::string_view labels, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += buf;
  out += '\n';
}

void Head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
  out += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
}

}  // namespace

void Metrics::CountReview(Endpoint endpoint, std::string_view operation, std::string_view kind,
                          Decision decision, double seconds, const std::vector<Finding>& findings) {
  size_t e = endpoint == Endpoint::kMutate ? 1 : 0;
  size_t o = IndexOf(kOperationNames, operation);
  size_t k = IndexOf(kKindNames, kind);
  size_t d = static_cast<size_t>(decision);
  requests_[((e * kOperations + o) * kKinds + k) * kDecisions + d].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  latency_buckets_[e * (kBuckets.size() + 1) + b].fetch_add(1, std::memory_order_relaxed);
  latency_count_[e].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_[e].fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  for (const Finding& f : findings) {
    findings_[f.rule.index() * 2 + (f.severity == Severity::kDeny ? 0 : 1)].fetch_add(
        1, std::memory_order_relaxed);
  }
}

void Metrics::CountRefusal(int status) {
  for (size_t i = 0; i < kRefusalCodes.size(); ++i) {
    if (kRefusalCodes[i] == status) {
      refusals_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  refusals_[0].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CountTlsReload(bool ok) { (ok ? tls_reload_ok_ : tls_reload_error_).fetch_add(1); }

std::string Metrics::Render(std::string_view version) const {
  std::string out;
  out.reserve(8192);
  Head(out, "seiguard_admission_requests_total", "counter",
       "AdmissionReviews answered, by endpoint, operation, kind and decision.");
  for (size_t e = 0; e < kEndpoints; ++e) {
    for (size_t o = 0; o < kOperations; ++o) {
      for (size_t k = 0; k < kKinds; ++k) {
        for (size_t d = 0; d < kDecisions; ++d) {
          uint64_t v = requests_[((e * kOperations + o) * kKinds + k) * kDecisions + d].load();
          if (v == 0) continue;
          std::string labels = "endpoint=\"" + std::string(kEndpointNames[e]) + "\",operation=\"" +
                               std::string(kOperationNames[o]) + "\",kind=\"" +
                               std::string(kKindNames[k]) + "\",decision=\"" +
                               std::string(DecisionName(kDecisionValues[d])) + "\"";
          Line(out, "seiguard_admission_requests_total", labels, double(v));
        }
      }
    }
  }
  Head(out, "seiguard_admission_duration_seconds", "histogram",
       "Time from request headers to answer, by endpoint.");
  for (size_t e = 0; e < kEndpoints; ++e) {
    std::string ep = "endpoint=\"" + std::string(kEndpointNames[e]) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += latency_buckets_[e * (kBuckets.size() + 1) + b].load();
      char le[32];
      if (b < kBuckets.size()) {
        std::snprintf(le, sizeof le, "%g", kBuckets[b]);
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      Line(out, "seiguard_admission_duration_seconds_bucket", ep + ",le=\"" + le + "\"", double(cumulative));
    }
    Line(out, "seiguard_admission_duration_seconds_sum", ep, latency_sum_ns_[e].load() / 1e9);
    Line(out, "seiguard_admission_duration_seconds_count", ep, double(latency_count_[e].load()));
  }
  Head(out, "seiguard_findings_total", "counter", "Findings reported, by rule and action.");
  for (const RuleInfo& r : Rules()) {
    for (size_t a = 0; a < 2; ++a) {
      Line(out, "seiguard_findings_total",
           "rule=\"" + std::string(r.name) + "\",action=\"" + (a == 0 ? "deny" : "warn") + "\"",
           double(findings_[r.id.index() * 2 + a].load()));
    }
  }
  Head(out, "seiguard_http_refusals_total", "counter",
       "Requests refused at the edge, before the engine, by HTTP status.");
  for (size_t i = 0; i < kRefusalCodes.size(); ++i) {
    Line(out, "seiguard_http_refusals_total", "code=\"" + std::to_string(kRefusalCodes[i]) + "\"",
         double(refusals_[i].load()));
  }
  Head(out, "seiguard_admission_in_flight", "gauge", "AdmissionReviews being answered now.");
  Line(out, "seiguard_admission_in_flight", "", double(in_flight_.load()));
  Head(out, "seiguard_tls_reloads_total", "counter", "Serving certificate reloads, by result.");
  Line(out, "seiguard_tls_reloads_total", "result=\"ok\"", double(tls_reload_ok_.load()));
  Line(out, "seiguard_tls_reloads_total", "result=\"error\"", double(tls_reload_error_.load()));
  Head(out, "seiguard_tls_certificate_expiry_timestamp_seconds", "gauge",
       "notAfter of the serving certificate in use, in unix seconds.");
  Line(out, "seiguard_tls_certificate_expiry_timestamp_seconds", "", double(cert_expiry_.load()));
  Head(out, "seiguard_log_lines_dropped_total", "counter",
       "Log lines dropped because the log writer fell behind (admission never waits for it).");
  Line(out, "seiguard_log_lines_dropped_total", "", double(LogLinesDropped()));
  Head(out, "seiguard_ready", "gauge", "1 when /readyz answers 200.");
  Line(out, "seiguard_ready", "", ready_.load() ? 1 : 0);
  Head(out, "seiguard_build_info", "gauge", "Build information.");
  Line(out, "seiguard_build_info", "version=\"" + std::string(version) + "\"", 1);
  return out;
}

}  // namespace seiguard
