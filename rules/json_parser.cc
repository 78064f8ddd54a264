// JsonParser (declared in decode.h): simdjson's DOM parser set up for
// untrusted input, reusing its buffers across documents.
#include <algorithm>
#include <cstring>
#include <string>

#include "rules/decode.h"

namespace seiguard {

using simdjson::dom::element;

JsonParser::JsonParser() = default;

StatusOr<element> JsonParser::Parse(std::string_view text) {
  if (!ready_) {
    if (parser_.allocate(std::max<size_t>(text.size(), 64 * 1024), kMaxJsonDepth)) {
      return Status::Error("out of memory allocating the JSON parser");
    }
    ready_ = true;
  }
  element root;
  simdjson::error_code err = parser_.parse(Padded(text), text.size(), false).get(root);
  if (err == simdjson::DEPTH_ERROR) {
    return Status::Error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  if (err == simdjson::EMPTY) return Status::Error("empty document");
  if (err) return Status::Error(std::string("invalid JSON: ") + simdjson::error_message(err));
  return root;
}

simdjson::error_code JsonParser::Iterate(std::string_view text, simdjson::ondemand::document* doc) {
  if (!on_demand_ready_) {
    if (simdjson::error_code err = on_demand_.allocate(std::max<size_t>(text.size(), 64 * 1024), kMaxJsonDepth)) {
      return err;
    }
    on_demand_ready_ = true;
  }
  const char* padded = Padded(text);
  return on_demand_.iterate(padded, text.size(), buffer_size_).get(*doc);
}

// Copy into a reused, padded buffer (simdjson reads a little past the end)
// rather than let simdjson allocate a fresh one for every document; no copy
// at all when the caller wrote the document into that buffer (Buffer()).
const char* JsonParser::Padded(std::string_view text) {
  bool in_place = text.data() == buffer_.get() && text.size() + simdjson::SIMDJSON_PADDING <= buffer_size_;
  if (!in_place) std::memcpy(Buffer(text.size()), text.data(), text.size());
  // The padding is read: On-Demand looks at its first byte to tell whether a
  // document that ends in '}' is balanced. Zeros, not what a previous, longer
  // body left there.
  std::memset(buffer_.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  return buffer_.get();
}

char* JsonParser::Buffer(size_t size) {
  if (buffer_size_ < size + simdjson::SIMDJSON_PADDING) {
    buffer_size_ = size + simdjson::SIMDJSON_PADDING;
    buffer_.reset(new char[buffer_size_]);
  }
  return buffer_.get();
}

void JsonParser::Trim(size_t keep_bytes) {
  if (buffer_size_ > keep_bytes) {
    buffer_.reset();
    buffer_size_ = 0;
  }
  if (parser_.capacity() > keep_bytes) {
    parser_ = simdjson::dom::parser();
    ready_ = false;
  }
  if (on_demand_.capacity() > keep_bytes) {
    on_demand_ = simdjson::ondemand::parser();
    on_demand_ready_ = false;
  }
}

}  // namespace seiguard
