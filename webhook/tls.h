// TLS for the admission listener, configured by us rather than left to
// cpp-httplib's defaults: TLS 1.2+ (1.3 selectable), ECDHE+AEAD suites only
// for 1.2, no compression, no renegotiation, HTTP/1.1 only (no h2 in ALPN),
// optional client-certificate verification, and a serving certificate that can
// be swapped while running (CertStore) - new handshakes get the new pair.
//
// It also tracks every TLS connection (ConnectionRegistry), which is how the
// server closes a connection after a refusal, bounds what a client may send
// before a request's headers are complete, and drains idle keep-alive
// connections at shutdown: cpp-httplib 0.11.4 offers no hook for any of that.
#ifndef SEIGUARD_WEBHOOK_TLS_H_
#define SEIGUARD_WEBHOOK_TLS_H_

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "rules/status.h"

namespace seiguard {

// One certificate chain and its key, checked to belong together.
struct CertPair {
  X509* leaf = nullptr;
  STACK_OF(X509)* chain = nullptr;  // intermediates, may be empty
  EVP_PKEY* key = nullptr;
  std::string cert_pem;  // the file contents, to notice changes
  std::string key_pem;
  int64_t not_after = 0;  // unix seconds
  std::string serial;     // hex

  ~CertPair();
};

// Loads and validates a pair from PEM files.
StatusOr<std::shared_ptr<const CertPair>> LoadCertPair(const std::string& cert_file,
                                                       const std::string& key_file);

// The serving pair, swapped atomically on reload.
class CertStore {
 public:
  CertStore(std::string cert_file, std::string key_file);

  // Reads the files. The first load must succeed (fail fast at start-up).
  Status Load();
  // Re-reads the files; swaps in the new pair when the bytes changed and the
  // pair is valid. Returns "unchanged", "ok" or an error (old pair kept).
  enum class ReloadResult { kUnchanged, kOk, kError };
  ReloadResult Reload(std::string* error);

  std::shared_ptr<const CertPair> Current() const;

 private:
  std::string cert_file_, key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<const CertPair> current_;
};

class ConnectionRegistry;

// Per-connection state, kept on the SSL object.
struct Connection {
  int fd = -1;
  ConnectionRegistry* registry = nullptr;  // unregistered from here when freed
  // Set when a request's headers are complete (pre-routing), cleared when the
  // response is written.
  std::atomic<bool> in_request{false};
  bool header_started = false;
  std::chrono::steady_clock::time_point header_start;
  uint64_t header_bytes = 0;
  bool writes_buffered = false;  // BufferWrites done (touched by its worker only)
};

class ConnectionRegistry {
 public:
  // Bounds on what a client may send before a request's headers are complete.
  uint64_t max_header_bytes = 64 * 1024;
  std::chrono::milliseconds max_header_time{10000};

  // The connection of an SSL object (null before the first TLS record).
  static Connection* Of(const SSL* ssl);
  // Shuts the socket down: the peer sees the response already written, then EOF.
  static void Close(const SSL* ssl);

  // cpp-httplib writes a response's head and body with two SSL_write calls:
  // two TLS records, two write(2)s, two TCP segments, and the client woken
  // twice. BufferWrites (once per connection, after the handshake) puts a
  // buffering BIO under the connection's writes, and FlushWrites (after each
  // response, and before a request body is read, for "100 Continue") sends
  // what it holds with one write. Alerts and close_notify flush it too.
  // (cpp-httplib hands handlers a const SSL*; the object is the connection's.)
  static void BufferWrites(const SSL* ssl);
  static void FlushWrites(const SSL* ssl);

  // Shuts down every connection that is idle between requests (drain).
  size_t CloseIdle();
  size_t Count() const;

  void Add(Connection* c);
  void Remove(Connection* c);

 private:
  mutable std::mutex mu_;
  std::unordered_set<Connection*> live_;
};

struct TlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty: no client certificates asked for
  std::string min_version = "1.2";
};

// Sets up `ctx` for serving with certificates from `store`. `registry` must
// outlive the context.
Status ConfigureServerContext(SSL_CTX* ctx, const TlsOptions& options, CertStore* store,
                              ConnectionRegistry* registry);

// The last OpenSSL error as text.
std::string OpenSslError();

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_TLS_H_
