#include "webhook/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/sink.h>

#include <atomic>
#include <charconv>
#include <memory>
#include <mutex>

#include "webhook/json_text.h"
#include "webhook/log_queue.h"

namespace seiguard {
namespace {

std::atomic<bool> g_json{false};

// spdlog's front end (levels, patterns, the default logger) over a LogQueue:
// each thread formats its own lines with its own copy of the pattern
// formatter (they cache the formatted second and are not thread-safe), so the
// queue only ever sees finished bytes.
class QueueSink final : public spdlog::sinks::sink {
 public:
  explicit QueueSink(LogQueueOptions options)
      : queue_(options), formatter_(std::make_unique<spdlog::pattern_formatter>()) {}

  void log(const spdlog::details::log_msg& msg) override {
    struct Local {
      const QueueSink* sink = nullptr;
      uint64_t generation = 0;
      std::unique_ptr<spdlog::formatter> formatter;
      spdlog::memory_buf_t buffer;
    };
    thread_local Local local;
    if (local.sink != this || local.generation != generation_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(mu_);
      local.formatter = formatter_->clone();
      local.generation = generation_.load(std::memory_order_relaxed);
      local.sink = this;
    }
    local.buffer.clear();
    local.formatter->format(msg, local.buffer);
    queue_.Push(std::string_view(local.buffer.data(), local.buffer.size()), msg.level >= spdlog::level::warn);
  }
  void flush() override { queue_.Flush(std::chrono::seconds(1)); }
  void set_pattern(const std::string& pattern) override {
    set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    std::lock_guard<std::mutex> lock(mu_);
    formatter_ = std::move(formatter);
    generation_.fetch_add(1, std::memory_order_release);
  }
  uint64_t dropped() const { return queue_.dropped(); }

 private:
  LogQueue queue_;
  std::mutex mu_;
  std::unique_ptr<spdlog::formatter> formatter_;  // guarded by mu_
  std::atomic<uint64_t> generation_{1};
};

std::mutex g_sink_mu;
std::shared_ptr<QueueSink> g_sink;  // guarded by g_sink_mu

}  // namespace

Status SetUpLogging(const std::string& format, const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (level != "off" && lvl == spdlog::level::off) return Status::Error("unknown log level " + level);
  // Lines go through a LogQueue to one writer thread: no request ever waits
  // on stderr, so a slow log reader (a stalled container log pipe) cannot
  // stall admission, and request threads do not wake the writer for every
  // line. When the queue is full new lines are dropped and counted
  // (seiguard_log_lines_dropped_total), never blocked on.
  auto sink = std::make_shared<QueueSink>(LogQueueOptions{});
  auto logger = std::make_shared<spdlog::logger>("seiguard", sink);
  spdlog::set_default_logger(logger);
  {
    std::lock_guard<std::mutex> lock(g_sink_mu);
    g_sink = sink;
  }
  g_json = format == "json";
  spdlog::set_pattern(g_json ? "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",%v}"
                             : "%Y-%m-%dT%H:%M:%S.%fZ %-5l %v",
                      spdlog::pattern_time_type::utc);
  spdlog::set_level(lvl);
  return Status();
}

void FlushLogs() { spdlog::default_logger()->flush(); }

void ShutdownLogging() {
  FlushLogs();
  // Later Log calls find a logger without sinks: a no-op, not a null logger.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("seiguard"));
  std::lock_guard<std::mutex> lock(g_sink_mu);
  g_sink.reset();  // the last owner: writes what is left and stops the writer
}

uint64_t LogLinesDropped() {
  std::lock_guard<std::mutex> lock(g_sink_mu);
  return g_sink ? g_sink->dropped() : 0;
}

LogField Num(std::string_view key, double v) {
  LogField f(key, {});
  f.quoted_ = false;
  // to_chars with a precision prints exactly what printf's "%.6g" would.
  auto [end, ec] = std::to_chars(f.number_, f.number_ + sizeof f.number_, v, std::chars_format::general, 6);
  f.number_size_ = static_cast<unsigned char>(ec == std::errc() ? end - f.number_ : 0);
  return f;
}

LogField Bool(std::string_view key, bool v) {
  LogField f(key, v ? "true" : "false");
  f.quoted_ = false;
  return f;
}

void Log(spdlog::level::level_enum level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!spdlog::should_log(level)) return;
  // Built in a per-thread buffer and handed to spdlog as the message itself
  // (not a format string): no allocation per line once the buffer has grown.
  thread_local std::string line;
  line.clear();
  if (g_json) {
    line += "\"msg\":";
    AppendJsonString(line, msg);
    for (const LogField& f : fields) {
      line += ',';
      AppendJsonString(line, f.key());
      line += ':';
      if (f.quoted()) {
        AppendJsonString(line, f.value());
      } else {
        line += f.value();
      }
    }
  } else {
    line += msg;
    for (const LogField& f : fields) {
      std::string_view value = f.value();
      line += ' ';
      line += f.key();
      line += '=';
      bool plain = !value.empty() && value.find_first_of(" \"=\n") == std::string_view::npos;
      if (plain || !f.quoted()) {
        line += value;
      } else {
        AppendJsonString(line, value);
      }
    }
  }
  spdlog::default_logger_raw()->log(level, spdlog::string_view_t(line.data(), line.size()));
  if (line.capacity() > (64u << 10)) std::string().swap(line);  // one huge line is not kept per thread
}

}  // namespace seiguard
