// Structured logs through spdlog: one line per event, as `msg key=value ...`
// (text) or one JSON object (json). Never whole objects at info level.
#ifndef SEIGUARD_WEBHOOK_LOG_H_
#define SEIGUARD_WEBHOOK_LOG_H_

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "rules/status.h"

namespace seiguard {

// Configures the default logger (stderr). `format` is "json" or "text";
// `level` is debug, info, warn or error.
Status SetUpLogging(const std::string& format, const std::string& level);

// One key=value of a log line. It refers to its key and value, never copies
// them: fields live only for the Log call they are written in (temporaries
// included). Numbers are kept as text inside the field.
class LogField {
 public:
  LogField(std::string_view key, std::string_view value) : key_(key), value_(value) {}

  std::string_view key() const { return key_; }
  std::string_view value() const { return number_size_ > 0 ? std::string_view(number_, number_size_) : value_; }
  bool quoted() const { return quoted_; }  // false for numbers and booleans

 private:
  friend LogField Num(std::string_view key, double v);
  friend LogField Bool(std::string_view key, bool v);
  std::string_view key_;
  std::string_view value_;
  bool quoted_ = true;
  unsigned char number_size_ = 0;
  char number_[30];
};
LogField Num(std::string_view key, double v);  // as %.6g
LogField Bool(std::string_view key, bool v);

void Log(spdlog::level::level_enum level, std::string_view msg,
         std::initializer_list<LogField> fields = {});

// Waits (up to a second) until every line logged so far is written; decision
// lines are otherwise written in batches, at least every 200 ms, and
// warnings and errors at once.
void FlushLogs();

// Flushes, then stops the writer thread; call once no other thread logs.
// Logging after this is a no-op.
void ShutdownLogging();

// Lines dropped because the queue to the writer thread was full (or the
// write failed).
uint64_t LogLinesDropped();

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_LOG_H_
