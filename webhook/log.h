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

struct LogField {
  std::string_view key;
  std::string value;
  bool quoted = true;  // false for numbers and booleans
};
LogField Num(std::string_view key, double v);
LogField Bool(std::string_view key, bool v);

void Log(spdlog::level::level_enum level, std::string_view msg,
         std::initializer_list<LogField> fields = {});

// Writes out buffered lines soon (the writer thread flushes when it reaches
// this point; decision lines are otherwise flushed once a second). Lines
// still queued at exit are written by spdlog::shutdown().
void FlushLogs();

// Lines dropped because the queue to the writer thread was full.
uint64_t LogLinesDropped();

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_LOG_H_
