// Writing JSON text directly, for the hot paths (the AdmissionReview answer,
// YAML conversion) where building a DOM first costs more than the work.
#ifndef SEIGUARD_WEBHOOK_JSON_TEXT_H_
#define SEIGUARD_WEBHOOK_JSON_TEXT_H_

#include <string>
#include <string_view>

namespace seiguard {

// Appends `s` as a JSON string literal. `s` must be valid UTF-8 (every string
// seiguard writes comes from validated input or its own text); control
// characters are escaped.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_JSON_TEXT_H_
