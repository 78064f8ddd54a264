// Writing JSON text directly, for the hot paths (the AdmissionReview answer,
// YAML conversion) where building a DOM first costs more than the work.
#ifndef SEIGUARD_WEBHOOK_JSON_TEXT_H_
#define SEIGUARD_WEBHOOK_JSON_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include "rules/json_patch.h"

namespace seiguard {

// Appends `s` as a JSON string literal. `s` must be valid UTF-8 (every string
// seiguard writes comes from validated input or its own text); control
// characters are escaped.
void AppendJsonString(std::string& out, std::string_view s);

// The JSON Patch the API server applies, as compact text: the same document
// as PatchToJson(ops).dump(), written without building that DOM (it deep-
// copied every value, then serialized the copy: ~45k instructions of a
// patched review). Keys come in nlohmann's sorted order (op, path, value).
std::string JsonPatchText(const std::vector<PatchOp>& ops);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_JSON_TEXT_H_
