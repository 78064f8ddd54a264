// Standard base64 (RFC 4648, "+/" alphabet, with padding): how an
// AdmissionResponse carries its JSON Patch.
#ifndef SEIGUARD_WEBHOOK_BASE64_H_
#define SEIGUARD_WEBHOOK_BASE64_H_

#include <string>
#include <string_view>

namespace seiguard {

std::string Base64Encode(std::string_view data);

// Decodes padded standard base64 as Go's base64.StdEncoding does: line breaks
// are skipped, anything else outside the alphabet (or bad padding) fails.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_BASE64_H_
