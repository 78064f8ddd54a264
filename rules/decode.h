// The one decoder: parsed JSON (simdjson DOM) -> the typed model of model.h.
// The webhook and the CI checker both come through here, which is what makes
// their verdicts identical.
//
// Semantics follow the API server's own decoding: unknown fields are ignored,
// `null` means absent, a value of the wrong type in a field seiguard reads is
// an error naming its path ("spec.containers: expected an array, got a
// string"), and so is a key that appears twice in an object seiguard reads
// (a second "args" must not hide the first).
#ifndef SEIGUARD_RULES_DECODE_H_
#define SEIGUARD_RULES_DECODE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "rules/model.h"
#include "rules/status.h"

namespace seiguard {

// Deepest nesting accepted anywhere in a document. Real Pods, templates and
// AdmissionReviews stay far below it (managedFields reach ~20).
inline constexpr size_t kMaxJsonDepth = 64;

// Decodes `root` as an object of `kind` (Pod, a workload, Service). For
// Kind::kOther only metadata is decoded. On failure, `error_pointer` (when
// given) receives the JSON Pointer of the value at fault ("" for the root).
StatusOr<Object> DecodeObject(simdjson::dom::element root, Kind kind, std::string* error_pointer = nullptr);

// The same decoder over an On-Demand value (the admission path): only what
// the rules read is parsed. A document the DOM would refuse may be accepted
// when its fault lies in a value no rule reads; anything it does read, it
// reads exactly as the DOM decoder does. Errors carry no pointer: the
// admission path answers them through the DOM reader.
StatusOr<Object> DecodeObject(simdjson::ondemand::value& root, Kind kind);

// An object member's key: a view of the document where it has no escapes,
// else unescaped into the parser's string buffer. False on malformed JSON.
bool OnDemandKey(simdjson::ondemand::field& field, std::string_view* key);

// True when an On-Demand value whose first byte is 'n' really is `null`
// (not "nul" or "nullx"); reads the token without consuming it.
bool OnDemandNull(simdjson::ondemand::value& v);

// Reads "apiVersion" and "kind" of an object and maps them to a Kind
// (kOther when absent or not judged).
Kind KindOf(simdjson::dom::element root);

// A parser configured for untrusted input: depth limited to kMaxJsonDepth.
// Reuse one per thread; parsing is the expensive part.
class JsonParser {
 public:
  JsonParser();
  // Parses `text`. The returned element lives until the next Parse call.
  StatusOr<simdjson::dom::element> Parse(std::string_view text);

  // Starts an On-Demand walk over `text` (the same buffer rules as Parse):
  // stage 1 (UTF-8, strings, structure) runs now, the rest as values are
  // read. `doc` lives until the next Iterate call.
  simdjson::error_code Iterate(std::string_view text, simdjson::ondemand::document* doc);

  // A buffer for a document of `size` bytes, padded as simdjson needs. A
  // caller that writes the document there (a request body as it arrives)
  // and then parses string_view(buffer, size) saves Parse its copy. Valid
  // until the next Buffer or Trim call.
  char* Buffer(size_t size);

  // Gives back memory held for an unusually large document; call between
  // requests so one 8 MiB body does not pin 8 MiB per thread for good.
  void Trim(size_t keep_bytes);

 private:
  const char* Padded(std::string_view text);

  simdjson::dom::parser parser_;
  simdjson::ondemand::parser on_demand_;
  std::unique_ptr<char[]> buffer_;
  size_t buffer_size_ = 0;
  bool ready_ = false;
  bool on_demand_ready_ = false;
};

}  // namespace seiguard

#endif  // SEIGUARD_RULES_DECODE_H_
