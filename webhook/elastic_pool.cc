#include "webhook/elastic_pool.h"

#include <sched.h>

namespace seiguard {

ElasticPool::ElasticPool(size_t min_threads, size_t max_threads, std::chrono::seconds idle_timeout)
    : min_threads_(min_threads), max_threads_(std::max(max_threads, min_threads)),
      idle_timeout_(idle_timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < min_threads_; ++i) SpawnLocked();
}

ElasticPool::~ElasticPool() { shutdown(); }

void ElasticPool::SpawnLocked() {
  ++threads_;
  ++idle_;
  // Detached: a thread's exit is counted under mu_, and shutdown() waits for
  // the count to reach zero.
  std::thread([this] { Work(); }).detach();
}

void ElasticPool::enqueue(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  queue_.push_back(std::move(fn));
  if (idle_ < queue_.size() && threads_ < max_threads_) SpawnLocked();
  cv_.notify_one();
}

void ElasticPool::Work() {
  // Connection workers are SCHED_BATCH: a worker woken by its connection's
  // next request no longer preempts the one in the middle of answering, so on
  // a busy core requests finish in arrival order instead of being cut up.
  // Measured (BENCHMARKS.md): p99 at 32 connections ~18 ms -> ~8-10 ms, same
  // throughput. Unprivileged (priority 0); if refused, the default stays.
  sched_param param{};
  sched_setscheduler(0, SCHED_BATCH, &param);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    bool woke = cv_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !queue_.empty(); });
    if (!woke && threads_ > min_threads_) break;  // idle too long: shrink
    if (queue_.empty()) {
      if (stopping_) break;
      continue;
    }
    std::function<void()> fn = std::move(queue_.front());
    queue_.pop_front();
    --idle_;
    lock.unlock();
    fn();
    lock.lock();
    ++idle_;
  }
  --idle_;
  --threads_;
  exited_.notify_all();
}

void ElasticPool::shutdown() {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  exited_.wait(lock, [this] { return threads_ == 0; });
}

size_t ElasticPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_;
}

size_t ElasticPool::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_ - idle_;
}

}  // namespace seiguard
