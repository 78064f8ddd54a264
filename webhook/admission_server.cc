#include "webhook/admission_server.h"

#include <malloc.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "webhook/admission.h"
#include "webhook/elastic_pool.h"
#include "webhook/log.h"
#include "webhook/net.h"

namespace seiguard {
namespace {

using Clock = std::chrono::steady_clock;
using HttpRequest = httplib::Request;
using HttpResponse = httplib::Response;
using HandlerResponse = httplib::Server::HandlerResponse;

// Per worker thread: the JSON parser's buffers are reused across requests,
// and the clock starts when a request's head is complete.
thread_local AdmissionHandler t_handler;
thread_local Clock::time_point t_start;
thread_local size_t t_length;  // the request's Content-Length, checked at the edge

// Past one request this large, a worker gives its parser memory back.
constexpr size_t kKeepParserBytes = 1u << 20;

bool EqualsAsciiIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(a[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + ('a' - 'A'));
    if (c != static_cast<unsigned char>(lower[i])) return false;
  }
  return true;
}

bool ParseLength(const std::string& text, size_t* out) {
  if (text.empty() || text.size() > 19) return false;
  size_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

std::string RuleNames(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) {
    std::string_view name = Rule(f.rule).name;
    if (out.find(name) != std::string::npos) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

}  // namespace

void InstallErrorHandling(httplib::Server& server, Metrics* metrics) {
  server.set_exception_handler([metrics](const HttpRequest&, HttpResponse& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    Log(spdlog::level::err, "internal error", {{"error", what}});
    res.headers.clear();
    res.status = 500;
    res.set_content("internal error\n", "text/plain; charset=utf-8");
    res.set_header("Connection", "close");
    if (metrics != nullptr) metrics->CountRefusal(500);
  });
}

EdgeHeaders ReadEdgeHeaders(const httplib::Headers& headers) {
  EdgeHeaders h;
  for (const auto& [name, value] : headers) {
    if (EqualsAsciiIgnoreCase(name, "content-type")) {
      if (h.content_type == nullptr) h.content_type = &value;
    } else if (EqualsAsciiIgnoreCase(name, "content-length")) {
      if (h.content_length == nullptr) h.content_length = &value;
    } else if (EqualsAsciiIgnoreCase(name, "transfer-encoding")) {
      h.transfer_encoding = true;
    }
  }
  return h;
}

bool IsJsonMediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!t.empty() && blank(t.front())) t.remove_prefix(1);
  while (!t.empty() && blank(t.back())) t.remove_suffix(1);
  return EqualsAsciiIgnoreCase(t, "application/json");
}

bool ParseGoDuration(std::string_view text, std::chrono::milliseconds* out) {
  if (text.empty()) return false;
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return false;
    double value = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = unit == "ms" ? 1 : unit == "s" ? 1e3 : unit == "m" ? 6e4 : unit == "h" ? 3.6e6
                 : unit == "us" || unit == "µs" ? 1e-3 : unit == "ns" ? 1e-6 : -1;
    if (scale < 0) return false;
    total_ms += value * scale;
  }
  *out = std::chrono::milliseconds(static_cast<int64_t>(total_ms));
  return true;
}

AdmissionServer::AdmissionServer(AdmissionServerOptions options, std::shared_ptr<const Policy> policy,
                                 Metrics* metrics)
    : options_(std::move(options)), policy_(std::move(policy)), metrics_(metrics),
      certs_(options_.tls.cert_file, options_.tls.key_file) {
  registry_.max_header_time = options_.request_timeout;
}

AdmissionServer::~AdmissionServer() { Stop(); }

void AdmissionServer::Refuse(HttpResponse& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(message + "\n", "text/plain; charset=utf-8");
  // Whatever the client still sends must never be read as a next request.
  res.set_header("Connection", "close");
  metrics_->CountRefusal(status);
}

HandlerResponse AdmissionServer::CheckEdge(const HttpRequest& req, HttpResponse& res) {
  t_start = Clock::now();
  if (Connection* c = ConnectionRegistry::Of(req.ssl)) c->in_request = true;
  ConnectionRegistry::BufferWrites(req.ssl);
  if (req.path != "/validate" && req.path != "/mutate") {
    Refuse(res, 404, "not found: POST AdmissionReviews to /validate or /mutate");
    return HandlerResponse::Handled;
  }
  if (req.method != "POST") {
    res.set_header("Allow", "POST");
    Refuse(res, 405, "method not allowed: use POST");
    return HandlerResponse::Handled;
  }
  const EdgeHeaders headers = ReadEdgeHeaders(req.headers);
  if (headers.content_type == nullptr || !IsJsonMediaType(*headers.content_type)) {
    Refuse(res, 415, "unsupported media type: send Content-Type: application/json");
    return HandlerResponse::Handled;
  }
  if (headers.transfer_encoding || headers.content_length == nullptr) {
    Refuse(res, 411, "length required: send the body with a Content-Length (no chunked encoding)");
    return HandlerResponse::Handled;
  }
  if (!ParseLength(*headers.content_length, &t_length)) {
    Refuse(res, 400, "malformed Content-Length");
    return HandlerResponse::Handled;
  }
  if (t_length > options_.max_request_bytes) {
    Refuse(res, 413, "request body larger than " + std::to_string(options_.max_request_bytes) +
                         " bytes (--max-request-bytes)");
    return HandlerResponse::Handled;
  }
  return HandlerResponse::Unhandled;
}

void AdmissionServer::Admit(const HttpRequest& req, HttpResponse& res, const httplib::ContentReader& reader,
                            bool mutate) {
  metrics_->AddInFlight(1);
  struct Done {
    Metrics* m;
    ~Done() { m->AddInFlight(-1); }
  } done{metrics_};

  // The API server's ?timeout= is how long it will wait; past it nobody reads
  // the answer. The body must also arrive within the request timeout.
  std::chrono::milliseconds budget = options_.request_timeout;
  if (auto it = req.params.find("timeout"); it != req.params.end()) {
    std::chrono::milliseconds t;
    if (ParseGoDuration(it->second, &t) && t > std::chrono::milliseconds(0)) budget = t;
  }
  Clock::time_point deadline = t_start + budget;

  // The body goes straight into the parser's padded buffer: no copy between
  // the socket and simdjson. Content-Length was checked against the limit by
  // CheckEdge before any of it was read, and nothing beyond it is accepted.
  const size_t length = t_length;
  char* body = t_handler.BodyBuffer(length);
  ConnectionRegistry::FlushWrites(req.ssl);  // a "100 Continue" must leave before we wait for the body
  size_t got = 0;
  bool too_large = false, too_slow = false;
  bool read = reader([&](const char* data, size_t n) {
    if (n > length - got) return !(too_large = true);
    if (Clock::now() > deadline) return !(too_slow = true);
    std::memcpy(body + got, data, n);
    got += n;
    return true;
  });
  if (too_large) return Refuse(res, 413, "request body larger than Content-Length allows");
  if (too_slow || Clock::now() > deadline) {
    return Refuse(res, 504, "deadline exceeded before the request was read (?timeout=)");
  }
  if (!read || got != length) return Refuse(res, 400, "could not read the request body");

  Endpoint endpoint = mutate ? Endpoint::kMutate : Endpoint::kValidate;
  StatusOr<ReviewResult> result = t_handler.Review(std::string_view(body, length), endpoint, *policy_);
  if (length > kKeepParserBytes) {
    t_handler = AdmissionHandler();  // give the parser's buffers back...
    malloc_trim(0);  // ...and the heap's free pages to the system
  }
  double seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  if (!result.ok()) {
    Log(spdlog::level::info, "refused", {{"endpoint", mutate ? "mutate" : "validate"},
                                         {"reason", result.status().message()}});
    return Refuse(res, 400, result.status().message());
  }
  res.status = 200;
  res.set_content(std::move(result->body), "application/json");
  // Decided when the answer is ready: a request that was in flight when
  // draining began must still learn that this connection is ending.
  if (draining_) res.set_header("Connection", "close");
  metrics_->CountReview(endpoint, result->operation, result->kind, result->decision, seconds,
                        result->findings);
  Log(spdlog::level::info, "admission",
      {{"endpoint", mutate ? "mutate" : "validate"},
       {"uid", result->uid},
       {"kind", result->kind},
       {"namespace", result->namespace_},
       {"name", result->name},
       {"operation", result->operation},
       Bool("dryRun", result->dry_run),
       {"decision", std::string(DecisionName(result->decision))},
       {"rules", RuleNames(result->findings)},
       Num("latency_ms", seconds * 1e3)});
}

void AdmissionServer::Route() {
  httplib::SSLServer& s = *server_;
  s.set_pre_routing_handler([this](const HttpRequest& req, HttpResponse& res) {
    try {
      return CheckEdge(req, res);
    } catch (...) {
      Refuse(res, 500, "internal error");
      return HandlerResponse::Handled;
    }
  });
  auto admit = [this](bool mutate) {
    return [this, mutate](const HttpRequest& req, HttpResponse& res, const httplib::ContentReader& reader) {
      try {
        Admit(req, res, reader, mutate);
      } catch (const std::exception& e) {
        Log(spdlog::level::err, "internal error", {{"error", e.what()}});
        Refuse(res, 500, "internal error");
      } catch (...) {
        Log(spdlog::level::err, "internal error", {{"error", "unknown exception"}});
        Refuse(res, 500, "internal error");
      }
    };
  };
  s.Post("/validate", admit(false));
  s.Post("/mutate", admit(true));
  InstallErrorHandling(s, metrics_);
  s.set_expect_100_continue_handler([this](const HttpRequest& req, HttpResponse& res) {
    return CheckEdge(req, res) == HandlerResponse::Handled ? res.status : 100;
  });
  // Runs after every response is written: close what must be closed, and
  // start the next request's header budget.
  s.set_logger([](const HttpRequest& req, const HttpResponse& res) {
    ConnectionRegistry::FlushWrites(req.ssl);  // before any close: the answer goes first
    if (res.get_header_value("Connection") == "close") ConnectionRegistry::Close(req.ssl);
    if (Connection* c = ConnectionRegistry::Of(req.ssl)) {
      c->header_started = false;
      c->in_request = false;
    }
  });
}

StatusOr<int> AdmissionServer::Start() {
  if (Status s = certs_.Load(); !s.ok()) return s;
  auto address = ParseHostPort(options_.listen_address);
  if (!address.ok()) return address.status();

  Status tls;
  server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    tls = ConfigureServerContext(&ctx, options_.tls, &certs_, &registry_);
    return tls.ok();
  });
  if (!tls.ok()) return tls;
  if (!server_->is_valid()) return Status::Error("TLS context could not be created: " + OpenSslError());

  // Why these numbers:
  // - TCP_NODELAY: without it Nagle + delayed ACK add ~40 ms to every answer.
  // - Workers: one per live connection (ElasticPool), up to max_connections,
  //   so 256 idle or trickling connections each hold a sleeping thread, never
  //   the turn of a well-formed request; extra threads go after 30 s idle.
  // - Keep-alive 60 s and no per-connection request cap: the API server's
  //   client keeps idle connections 90 s, and reusing them saves a handshake
  //   per admission. Idle connections are closed at once when draining.
  // - Read timeout 10 s per read, and the TLS record hook bounds a request's
  //   head to 64 KiB and request_timeout: a slow-header client is cut off.
  // - Backlog raised from cpp-httplib's 5 after bind, for connection bursts.
  server_->new_task_queue = [max = options_.max_connections] {
    return new ElasticPool(4, max, std::chrono::seconds(30));
  };
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(1u << 30);
  server_->set_keep_alive_timeout(options_.keep_alive_timeout.count());
  server_->set_read_timeout(options_.read_timeout.count(), 0);
  server_->set_write_timeout(options_.read_timeout.count(), 0);
  server_->set_payload_max_length(options_.max_request_bytes);
  server_->set_socket_options([this](int fd) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    listen_fd_ = fd;
  });
  Route();

  const char* host = address->host.empty() ? "0.0.0.0" : address->host.c_str();
  int port = address->port == 0 ? server_->bind_to_any_port(host)
                                : (server_->bind_to_port(host, address->port) ? address->port : -1);
  if (port < 0) return Status::Error(options_.listen_address + ": cannot listen: " + std::strerror(errno));
  if (listen_fd_ >= 0) ::listen(listen_fd_, 1024);
  running_ = true;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    running_ = false;
  });
  // Return only once the accept loop runs: before that, cpp-httplib's stop()
  // is a no-op, so a signal right after start-up would not stop it (and
  // /readyz must not say ready before it can serve).
  for (int i = 0; i < 5000 && !server_->is_running() && running_.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server_->is_running()) return Status::Error(options_.listen_address + ": listener did not start");
  return port;
}

void AdmissionServer::Stop() {
  if (!server_ || !thread_.joinable()) return;
  draining_ = true;
  server_->stop();
  // Idle keep-alive connections would otherwise hold their workers until
  // their timeout; connections busy with a request finish it (with
  // Connection: close) and are then closed by the post-write hook.
  while (running_.load()) {
    registry_.CloseIdle();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  thread_.join();
}

}  // namespace seiguard
