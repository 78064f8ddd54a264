#include "webhook/log_queue.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace seiguard {
namespace {

uint64_t Lines(std::string_view data) { return std::count(data.begin(), data.end(), '\n'); }

}  // namespace

LogQueue::LogQueue(LogQueueOptions options) : options_(options) {
  pending_.reserve(options_.wake_bytes * 2);
  writer_ = std::thread([this] { Run(); });
}

LogQueue::~LogQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

bool LogQueue::Push(std::string_view line, bool urgent) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.size() + line.size() > options_.max_bytes) {
      ++dropped_;
      return false;
    }
    size_t before = pending_.size();
    pending_.append(line);
    ++pushed_;
    // Signal once, when the threshold is crossed, not for every line past it.
    wake = urgent || (before < options_.wake_bytes && pending_.size() >= options_.wake_bytes);
    urgent_ = urgent_ || urgent;
  }
  if (wake) wake_.notify_one();
  return true;
}

bool LogQueue::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = pushed_;
  if (done_ >= target) return true;
  urgent_ = true;
  wake_.notify_one();
  return written_.wait_for(lock, timeout, [&] { return done_ >= target; });
}

uint64_t LogQueue::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void LogQueue::Run() {
  std::string batch;
  batch.reserve(options_.wake_bytes * 2);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait_for(lock, options_.interval,
                   [this] { return stop_ || urgent_ || pending_.size() >= options_.wake_bytes; });
    urgent_ = false;
    if (pending_.empty()) {
      if (stop_) return;
      continue;
    }
    batch.swap(pending_);
    uint64_t end = pushed_;
    bool stopping = stop_;
    lock.unlock();
    uint64_t lost = WriteAll(batch, stopping);
    batch.clear();
    lock.lock();
    dropped_ += lost;
    done_ = end;
    written_.notify_all();
  }
}

uint64_t LogQueue::WriteAll(std::string_view data, bool stopping) {
  // At most PIPE_BUF bytes per write, each only once poll says there is room:
  // a write to a pipe with less room than asked for would block until the
  // reader makes room, and a stopping writer must not wait for that forever
  // (it gives up after a second without progress).
  using Clock = std::chrono::steady_clock;
  Clock::time_point give_up = Clock::time_point::max();
  while (!data.empty()) {
    if (stopping && give_up == Clock::time_point::max()) give_up = Clock::now() + std::chrono::seconds(1);
    pollfd p{options_.fd, POLLOUT, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return Lines(data);
    if (ready <= 0) {
      if (Clock::now() > give_up) return Lines(data);
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stop_;
      continue;
    }
    if ((p.revents & (POLLERR | POLLNVAL)) != 0) return Lines(data);
    ssize_t n = ::write(options_.fd, data.data(), std::min<size_t>(data.size(), PIPE_BUF));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Lines(data);
    }
    data.remove_prefix(static_cast<size_t>(n));
    give_up = stopping ? Clock::now() + std::chrono::seconds(1) : Clock::time_point::max();
  }
  return 0;
}

}  // namespace seiguard
