// seiguard serve: the admission webhook. Options go through Validate (every
// problem reported at once) -> Complete (typed values) -> Run.
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "webhook/admission_server.h"
#include "webhook/commands.h"
#include "webhook/health_server.h"
#include "webhook/log.h"
#include "webhook/metrics.h"
#include "webhook/net.h"
#include "webhook/policy_file.h"

#ifndef SEIGUARD_VERSION
#define SEIGUARD_VERSION "dev"
#endif

namespace seiguard {
namespace {

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

struct ServeFlags {
  std::string tls_cert_file;
  std::string tls_private_key_file;
  std::string client_ca_file;
  std::string tls_min_version = "1.2";
  std::string listen_address = "0.0.0.0:9443";
  std::string public_listen_address = "0.0.0.0:8080";
  std::string policy_file;
  std::string log_level = "info";
  std::string log_format = "json";
  std::string max_request_bytes = "8388608";
  std::string shutdown_delay = "5s";
  std::string shutdown_timeout = "25s";
  std::string tls_reload_interval = "2s";
  std::string max_connections = "1024";
};

struct ServeConfig {
  AdmissionServerOptions server;
  std::string public_listen_address;
  std::shared_ptr<const Policy> policy;
  std::string log_level, log_format;
  Ms shutdown_delay, shutdown_timeout, tls_reload_interval;
};

bool Readable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Validate + Complete: every bad flag is reported, not just the first.
StatusOr<ServeConfig> Complete(const ServeFlags& f) {
  std::vector<std::string> errors;
  ServeConfig c;
  auto need_file = [&](const char* flag, const std::string& path, bool required) {
    if (path.empty()) {
      if (required) errors.push_back(std::string(flag) + " is required");
    } else if (!Readable(path)) {
      errors.push_back(std::string(flag) + ": " + path + " is not a readable file");
    }
  };
  need_file("--tls-cert-file", f.tls_cert_file, true);
  need_file("--tls-private-key-file", f.tls_private_key_file, true);
  need_file("--client-ca-file", f.client_ca_file, false);
  if (f.tls_min_version != "1.2" && f.tls_min_version != "1.3") {
    errors.push_back("--tls-min-version: must be 1.2 or 1.3, got \"" + f.tls_min_version + "\"");
  }
  for (auto [flag, value] : {std::pair{"--listen-address", &f.listen_address},
                             std::pair{"--public-listen-address", &f.public_listen_address}}) {
    if (auto hp = ParseHostPort(*value); !hp.ok()) errors.push_back(std::string(flag) + ": " + hp.status().message());
  }
  if (f.listen_address == f.public_listen_address && !f.listen_address.ends_with(":0")) {
    errors.push_back("--listen-address and --public-listen-address must differ");
  }
  if (f.log_level != "debug" && f.log_level != "info" && f.log_level != "warn" && f.log_level != "error") {
    errors.push_back("--log-level: must be debug, info, warn or error, got \"" + f.log_level + "\"");
  }
  if (f.log_format != "json" && f.log_format != "text") {
    errors.push_back("--log-format: must be json or text, got \"" + f.log_format + "\"");
  }
  auto number = [&](const char* flag, const std::string& text, uint64_t lo, uint64_t hi, uint64_t* out) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < lo || v > hi) {
      errors.push_back(std::string(flag) + ": must be an integer from " + std::to_string(lo) + " to " +
                       std::to_string(hi) + ", got \"" + text + "\"");
    }
    *out = v;
  };
  uint64_t max_bytes = 0, max_conns = 0;
  number("--max-request-bytes", f.max_request_bytes, 1024, 1ull << 30, &max_bytes);
  number("--max-connections", f.max_connections, 16, 65536, &max_conns);
  auto duration = [&](const char* flag, const std::string& text, Ms* out) {
    if (!ParseGoDuration(text, out)) errors.push_back(std::string(flag) + ": not a duration like 5s or 500ms: \"" + text + "\"");
  };
  duration("--shutdown-delay", f.shutdown_delay, &c.shutdown_delay);
  duration("--shutdown-timeout", f.shutdown_timeout, &c.shutdown_timeout);
  duration("--tls-reload-interval", f.tls_reload_interval, &c.tls_reload_interval);
  if (c.shutdown_timeout <= c.shutdown_delay && errors.empty()) {
    errors.push_back("--shutdown-timeout must be longer than --shutdown-delay");
  }
  if (c.tls_reload_interval < 100ms && errors.empty()) {
    errors.push_back("--tls-reload-interval: at least 100ms");
  }
  StatusOr<Policy> policy = LoadPolicyFile(f.policy_file);
  if (!policy.ok()) errors.push_back("--policy-file: " + policy.status().message());

  if (!errors.empty()) {
    std::string all;
    for (const std::string& e : errors) all += (all.empty() ? "" : "\n") + e;
    return Status::Error(all);
  }
  c.server.listen_address = f.listen_address;
  c.server.tls = {f.tls_cert_file, f.tls_private_key_file, f.client_ca_file, f.tls_min_version};
  c.server.max_request_bytes = max_bytes;
  c.server.max_connections = max_conns;
  c.public_listen_address = f.public_listen_address;
  c.policy = std::make_shared<const Policy>(std::move(*policy));
  c.log_level = f.log_level;
  c.log_format = f.log_format;
  return c;
}

// Reloads the serving certificate when its files change, until stopped.
class CertReloader {
 public:
  CertReloader(CertStore* store, Metrics* metrics, Ms interval)
      : store_(store), metrics_(metrics), interval_(interval), thread_([this] { Loop(); }) {}
  ~CertReloader() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    auto last_trim = std::chrono::steady_clock::now();
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      // Housekeeping on the same clock: hand free heap pages back, so memory
      // used by a burst (many connections, large bodies) does not stay.
      if (std::chrono::steady_clock::now() - last_trim > std::chrono::seconds(10)) {
        malloc_trim(0);
        last_trim = std::chrono::steady_clock::now();
      }
      std::string error;
      switch (store_->Reload(&error)) {
        case CertStore::ReloadResult::kUnchanged: break;
        case CertStore::ReloadResult::kOk: {
          auto pair = store_->Current();
          metrics_->CountTlsReload(true);
          metrics_->SetCertificateExpiry(pair->not_after);
          Log(spdlog::level::info, "serving certificate reloaded",
              {{"serial", pair->serial}, Num("not_after", double(pair->not_after))});
          FlushLogs();
          break;
        }
        case CertStore::ReloadResult::kError:
          metrics_->CountTlsReload(false);
          Log(spdlog::level::warn, "serving certificate not reloaded; keeping the current one",
              {{"error", error}});
          break;
      }
    }
  }

  CertStore* store_;
  Metrics* metrics_;
  Ms interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

int WaitForSignal(const sigset_t& set, Ms timeout) {
  if (timeout.count() < 0) {
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
  }
  timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000000};
  return sigtimedwait(&set, nullptr, &ts);
}

int RunServe(const ServeFlags& flags) {
  // Signals are taken by sigwait on this thread only. Blocked before any
  // thread exists (spdlog's flusher included): every thread inherits the
  // mask, so SIGTERM/SIGINT can never hit a thread with the default action.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Every connection has its own worker thread; without a cap glibc gives
  // many of them their own malloc arena, and memory freed there is kept.
  mallopt(M_ARENA_MAX, 2);
  StatusOr<ServeConfig> config = Complete(flags);
  if (!config.ok()) {
    std::cerr << "seiguard serve: invalid flags:\n" << config.status().message() << "\n";
    return kExitUsage;
  }
  if (Status s = SetUpLogging(config->log_format, config->log_level); !s.ok()) {
    std::cerr << "seiguard serve: " << s.message() << "\n";
    return kExitUsage;
  }

  Metrics metrics;
  std::atomic<bool> ready{false};
  AdmissionServer admission(config->server, config->policy, &metrics);
  HealthServer health([&](std::string_view path) -> HealthReply {
    if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/readyz") {
      return ready.load() ? HealthReply{200, "text/plain; charset=utf-8", "ready\n"}
                          : HealthReply{503, "text/plain; charset=utf-8", "not ready\n"};
    }
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics.Render(SEIGUARD_VERSION)};
  });
  StatusOr<int> public_port = health.Listen(config->public_listen_address);
  if (!public_port.ok()) {
    Log(spdlog::level::err, "cannot start", {{"error", public_port.status().message()}});
    FlushLogs();
    return kExitUsage;
  }
  health.Start();
  StatusOr<int> port = admission.Start();
  if (!port.ok()) {
    Log(spdlog::level::err, "cannot start", {{"error", port.status().message()}});
    FlushLogs();
    return kExitUsage;
  }
  auto pair = admission.certs().Current();
  metrics.SetCertificateExpiry(pair->not_after);
  auto reloader = std::make_unique<CertReloader>(&admission.certs(), &metrics, config->tls_reload_interval);
  ready = true;
  metrics.SetReady(true);
  Log(spdlog::level::info, "serving",
      {Num("port", *port), Num("public_port", *public_port), {"version", SEIGUARD_VERSION},
       {"certificate_serial", pair->serial}, Bool("client_certificates", !flags.client_ca_file.empty())});
  FlushLogs();

  int sig = WaitForSignal(signals, Ms(-1));
  auto signalled = std::chrono::steady_clock::now();
  ready = false;  // /readyz answers 503 from now on: endpoints drop this pod
  metrics.SetReady(false);
  Log(spdlog::level::info, "shutting down: not ready, still serving",
      {Num("signal", sig), Num("shutdown_delay_ms", double(config->shutdown_delay.count()))});
  FlushLogs();
  // Keep serving while the endpoint removal propagates; a second signal cuts
  // the delay short.
  WaitForSignal(signals, config->shutdown_delay);

  // Stop accepting and drain, within what is left of the shutdown timeout.
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  std::thread stopper([&] {
    admission.Stop();
    std::lock_guard<std::mutex> lock(mu);
    stopped = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_until(lock, signalled + config->shutdown_timeout, [&] { return stopped; });
  }
  if (!stopped) {
    Log(spdlog::level::warn, "shutdown timeout reached; exiting with connections still open");
    FlushLogs();  // request threads may still log: nothing is torn down
    std::_Exit(kExitOk);
  }
  stopper.join();
  health.Stop();
  reloader.reset();
  Log(spdlog::level::info, "stopped");
  ShutdownLogging();
  return kExitOk;
}

}  // namespace

Runner SetupServe(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the admission webhook: POST /validate and /mutate over HTTPS, and a plain\n"
      "listener for GET /healthz, /readyz and /metrics. SIGTERM/SIGINT: /readyz turns\n"
      "503 at once, serving continues for --shutdown-delay, then in-flight requests\n"
      "finish and the process exits 0 within --shutdown-timeout.");
  cmd->add_option("--tls-cert-file", f->tls_cert_file, "serving certificate (PEM, chain allowed); reloaded when it changes");
  cmd->add_option("--tls-private-key-file", f->tls_private_key_file, "its private key (PEM)");
  cmd->add_option("--client-ca-file", f->client_ca_file, "require client certificates signed by this CA (PEM)");
  cmd->add_option("--tls-min-version", f->tls_min_version, "1.2 or 1.3")->capture_default_str();
  cmd->add_option("--listen-address", f->listen_address, "HTTPS admission listener")->capture_default_str();
  cmd->add_option("--public-listen-address", f->public_listen_address, "plain health and metrics listener")->capture_default_str();
  cmd->add_option("--policy-file", f->policy_file, "policy file (YAML or JSON); default: the embedded policy");
  cmd->add_option("--log-level", f->log_level, "debug, info, warn or error")->capture_default_str();
  cmd->add_option("--log-format", f->log_format, "json or text")->capture_default_str();
  cmd->add_option("--max-request-bytes", f->max_request_bytes, "largest request body accepted")->capture_default_str();
  cmd->add_option("--max-connections", f->max_connections, "connections served at once; more wait")->capture_default_str();
  cmd->add_option("--shutdown-delay", f->shutdown_delay, "keep serving this long after a signal")->capture_default_str();
  cmd->add_option("--shutdown-timeout", f->shutdown_timeout, "exit within this long after a signal")->capture_default_str();
  cmd->add_option("--tls-reload-interval", f->tls_reload_interval, "how often certificate files are checked")->capture_default_str();
  return [cmd, f] { return cmd->parsed() ? RunServe(*f) : -1; };
}

}  // namespace seiguard
