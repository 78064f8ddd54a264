#include "webhook/json_text.h"

#include <algorithm>
#include <cstdint>

#include "rules/bytes.h"

namespace seiguard {

namespace {

struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr EscapeTable kEscape;

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  const char* p = s.data();
  const size_t n = s.size();
  size_t run = 0;  // start of the pending run of characters needing no escape
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {  // eight clean bytes at a time (almost all of them)
      uint64_t w = bytes::Load8(p + i);
      if ((bytes::AnyBelow(w, 0x20) | bytes::AnyEqual(w, '"') | bytes::AnyEqual(w, '\\')) == 0) {
        i += 8;
        continue;
      }
    }
    for (size_t end = std::min(n, i + 8); i < end; ++i) {
      unsigned char c = static_cast<unsigned char>(p[i]);
      if (!kEscape.needs[c]) continue;
      out.append(p + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
      }
    }
  }
  out.append(p + run, n - run);
  out += '"';
}

std::string JsonPatchText(const std::vector<PatchOp>& ops) {
  std::string out;
  out.reserve(64 * ops.size() + 2);
  out += '[';
  for (const PatchOp& op : ops) {
    if (out.size() > 1) out += ',';
    out += "{\"op\":";
    AppendJsonString(out, op.op);
    out += ",\"path\":";
    AppendJsonString(out, op.path.Pointer());
    out += ",\"value\":";
    out += op.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace seiguard
