// The HTTPS admission listener: POST /validate and /mutate, answered by the
// same AdmissionHandler as `seiguard review`, behind edge checks made before
// the body is read (cpp-httplib 0.11.4 makes none of them itself):
//
//   Content-Type not application/json        415
//   chunked, or no Content-Length            411
//   Content-Length over --max-request-bytes  413
//   unknown path 404, other method 405
//
// Each refusal closes the connection, so an unread body is never parsed as a
// next request. The body is read through our own capped receiver; JSON deeper
// than 64 levels is refused (400) before anything copies or dumps it; an
// internal error is a generic 500 (never the exception's text).
#ifndef SEIGUARD_WEBHOOK_ADMISSION_SERVER_H_
#define SEIGUARD_WEBHOOK_ADMISSION_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "rules/policy.h"
#include "rules/status.h"
#include "webhook/metrics.h"
#include "webhook/tls.h"

namespace seiguard {

struct AdmissionServerOptions {
  std::string listen_address = "0.0.0.0:9443";
  TlsOptions tls;
  size_t max_request_bytes = 8u << 20;
  // Connections served at once (one worker thread each); beyond, they queue.
  size_t max_connections = 1024;
  std::chrono::seconds keep_alive_timeout{60};
  std::chrono::seconds read_timeout{10};
  // A request's head must arrive within this, and its body within
  // max(this, the request's ?timeout=).
  std::chrono::seconds request_timeout{10};
};

class AdmissionServer {
 public:
  AdmissionServer(AdmissionServerOptions options, std::shared_ptr<const Policy> policy,
                  Metrics* metrics);
  ~AdmissionServer();

  // Loads the certificate (fails fast), configures TLS, binds and starts
  // serving on a thread. Returns the bound port.
  StatusOr<int> Start();

  // From now on every answer carries Connection: close.
  void SetDraining() { draining_ = true; }
  // Stops accepting, closes idle keep-alive connections, lets in-flight
  // requests finish. Blocks until the listener's workers are done.
  void Stop();

  CertStore& certs() { return certs_; }
  bool Running() const { return running_.load(); }

 private:
  void Route();
  httplib::Server::HandlerResponse CheckEdge(const httplib::Request& req, httplib::Response& res);
  void Admit(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader& reader, bool mutate);
  void Refuse(httplib::Response& res, int status, const std::string& message);

  AdmissionServerOptions options_;
  std::shared_ptr<const Policy> policy_;
  Metrics* metrics_;
  CertStore certs_;
  ConnectionRegistry registry_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int listen_fd_ = -1;
  std::atomic<bool> draining_{false};
  std::atomic<bool> running_{false};
};

// Makes any exception that escapes a handler a generic 500 ("internal
// error", detail only in the log) instead of cpp-httplib's default, which
// echoes the exception's text in an EXCEPTION_WHAT header.
void InstallErrorHandling(httplib::Server& server, Metrics* metrics);

// The request headers the edge checks read, found in one pass over the
// header map (each of cpp-httplib's keyed lookups compares names case-
// insensitively a character at a time). Repeated headers: the first counts,
// as with cpp-httplib's get_header_value.
struct EdgeHeaders {
  const std::string* content_type = nullptr;
  const std::string* content_length = nullptr;
  bool transfer_encoding = false;
};
EdgeHeaders ReadEdgeHeaders(const httplib::Headers& headers);

// Whether a Content-Type names application/json, parameters (";
// charset=utf-8") and surrounding blanks aside, in any letter case.
bool IsJsonMediaType(std::string_view content_type);

// Go-style durations as the API server writes ?timeout= ("10s", "500ms",
// "1m30s"); false when malformed.
bool ParseGoDuration(std::string_view text, std::chrono::milliseconds* out);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_ADMISSION_SERVER_H_
