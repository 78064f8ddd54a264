#include "webhook/health_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "webhook/net.h"

namespace seiguard {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kConnectionTime = std::chrono::seconds(5);

struct Conn {
  int fd;
  Clock::time_point deadline;
  std::string in;
  std::string out;
  size_t sent = 0;
};

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::string Render(const HealthReply& r, bool allow_get) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (allow_get) out += "Allow: GET\r\n";
  out += "Connection: close\r\n\r\n";
  out += r.body;
  return out;
}

// Parses "GET /path?query HTTP/1.1" from a complete request head.
HealthReply Answer(std::string_view head, const HealthServer::Handler& handler, bool* allow) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
    return {400, "text/plain; charset=utf-8", "malformed request line\n"};
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view path = target.substr(0, target.find('?'));
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") {
    return {404, "text/plain; charset=utf-8", "not found: try /healthz, /readyz or /metrics\n"};
  }
  if (method != "GET" && method != "HEAD") {
    *allow = true;
    return {405, "text/plain; charset=utf-8", "method not allowed: use GET\n"};
  }
  // A request body on a GET is refused rather than read.
  std::string lower(head);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view h : {"\r\ncontent-length:", "\r\ntransfer-encoding:"}) {
    size_t at = lower.find(h);
    if (at != std::string::npos && !(h[2] == 'c' && lower.compare(at + h.size(), 2, " 0") == 0)) {
      return {400, "text/plain; charset=utf-8", "no request body expected\n"};
    }
  }
  HealthReply r = handler(path);
  if (method == "HEAD") r.body.clear();
  return r;
}

}  // namespace

HealthServer::HealthServer(Handler handler) : handler_(std::move(handler)) {}

HealthServer::~HealthServer() {
  Stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

StatusOr<int> HealthServer::Listen(const std::string& address) {
  auto hp = ParseHostPort(address);
  if (!hp.ok()) return hp.status();
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string port = std::to_string(hp->port);
  if (int rc = getaddrinfo(hp->host.empty() ? nullptr : hp->host.c_str(), port.c_str(), &hints, &res)) {
    return Status::Error(address + ": " + gai_strerror(rc));
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    std::string err = std::strerror(errno);
    freeaddrinfo(res);
    if (fd >= 0) ::close(fd);
    return Status::Error(address + ": " + err);
  }
  freeaddrinfo(res);
  sockaddr_storage bound = {};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  listen_fd_ = fd;
  if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) return Status::Error("pipe: " + std::string(std::strerror(errno)));
  return ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void HealthServer::Start() { thread_ = std::thread([this] { Loop(); }); }

void HealthServer::Stop() {
  if (stop_.exchange(true)) return;
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
}

void HealthServer::Loop() {
  std::vector<Conn> conns;
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, short(conns.size() < kMaxConnections ? POLLIN : 0), 0});
    for (const Conn& c : conns) fds.push_back({c.fd, short(c.out.empty() ? POLLIN : POLLOUT), 0});
    ::poll(fds.data(), fds.size(), 200);
    auto now = Clock::now();
    if (fds[1].revents & POLLIN) {
      for (int i = 0; i < 16 && conns.size() < kMaxConnections; ++i) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns.push_back({fd, now + kConnectionTime, {}, {}, 0});
      }
    }
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      short rev = i + 2 < fds.size() && fds[i + 2].fd == c.fd ? fds[i + 2].revents : 0;
      bool done = now > c.deadline;
      if (!done && c.out.empty() && (rev & (POLLIN | POLLHUP | POLLERR))) {
        char buf[2048];
        ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n <= 0) {
          done = n == 0 || (errno != EAGAIN && errno != EINTR);
        } else {
          c.in.append(buf, static_cast<size_t>(n));
          bool allow = false;
          if (c.in.find("\r\n\r\n") != std::string::npos) {
            c.out = Render(Answer(c.in, handler_, &allow), allow);
          } else if (c.in.size() > kMaxHeadBytes) {
            c.out = Render({431, "text/plain; charset=utf-8", "request head too large\n"}, false);
          }
        }
      }
      if (!done && !c.out.empty() && (rev & POLLOUT)) {
        ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
        done = (n < 0 && errno != EAGAIN) || c.sent == c.out.size();
      }
      if (done) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(conns, [](const Conn& c) { return c.fd < 0; });
  }
  for (Conn& c : conns) ::close(c.fd);
}

}  // namespace seiguard
