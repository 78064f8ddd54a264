// The worker pool for cpp-httplib. Its stock pool has a fixed number of
// threads, and a connection holds its thread for as long as it stays open
// (keep-alive included), so 8 idle or slow clients stall everyone. This pool
// grows a thread whenever every thread is busy, up to `max_threads`, and lets
// threads beyond `min_threads` go after `idle_timeout` without work: an idle
// or trickling connection costs one mostly-sleeping thread, never a well-formed
// request's turn. Past `max_threads` connections wait in the queue.
#ifndef SEIGUARD_WEBHOOK_ELASTIC_POOL_H_
#define SEIGUARD_WEBHOOK_ELASTIC_POOL_H_

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace seiguard {

class ElasticPool : public httplib::TaskQueue {
 public:
  ElasticPool(size_t min_threads, size_t max_threads, std::chrono::seconds idle_timeout);
  ~ElasticPool() override;

  void enqueue(std::function<void()> fn) override;
  // Stops taking work, finishes what is queued and running, joins threads.
  void shutdown() override;

  size_t threads() const;
  size_t busy() const;

 private:
  void Work();
  void SpawnLocked();

  const size_t min_threads_, max_threads_;
  const std::chrono::seconds idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable exited_;
  std::deque<std::function<void()>> queue_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_ELASTIC_POOL_H_
