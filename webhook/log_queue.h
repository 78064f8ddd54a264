// LogQueue: formatted log lines from any thread to one writer thread, which
// writes them to a file descriptor in batches.
//
// Why not spdlog's async logger: it signals its writer for every line, and at
// ~11,000 decisions a second those wake-ups and context switches cost ~5 % of
// the one core the server runs on. Here a line is appended to a buffer under a
// mutex and nobody is woken, unless the buffer passes `wake_bytes`, the line
// is urgent (a warning or an error) or someone waits in Flush; otherwise the
// writer comes by every `interval`.
//
// Push never waits on the descriptor: a log reader that stalls (a stuck
// container log pipe) stalls only the writer. While it does, the buffer fills
// to `max_bytes` and further lines are dropped and counted (dropped()).
#ifndef SEIGUARD_WEBHOOK_LOG_QUEUE_H_
#define SEIGUARD_WEBHOOK_LOG_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace seiguard {

struct LogQueueOptions {
  int fd = 2;
  size_t max_bytes = 256 * 1024;  // queued and not yet written
  size_t wake_bytes = 32 * 1024;  // write as soon as this much is queued
  std::chrono::milliseconds interval{200};  // ...or at least this often
};

class LogQueue {
 public:
  explicit LogQueue(LogQueueOptions options);
  // Writes what is queued (bounded by one write pass), then stops the writer.
  ~LogQueue();
  LogQueue(const LogQueue&) = delete;
  LogQueue& operator=(const LogQueue&) = delete;

  // Queues `line` (which should end in a newline). Urgent lines wake the
  // writer at once. Returns false when the line was dropped.
  bool Push(std::string_view line, bool urgent);

  // Waits until every line pushed before the call is written, up to
  // `timeout`. Returns false on timeout (a stalled reader).
  bool Flush(std::chrono::milliseconds timeout);

  uint64_t dropped() const;

 private:
  void Run();
  // Writes `data` to the descriptor; returns the lines it could not write.
  uint64_t WriteAll(std::string_view data, bool stopping);

  const LogQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;     // the writer waits here
  std::condition_variable written_;  // Flush waits here
  std::string pending_;              // guarded by mu_
  uint64_t pushed_ = 0;              // lines accepted so far
  uint64_t done_ = 0;                // lines written (or lost to a write error)
  uint64_t dropped_ = 0;
  bool urgent_ = false;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_LOG_QUEUE_H_
