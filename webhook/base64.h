// Standard base64 (RFC 4648, "+/" alphabet, with padding): how an
// AdmissionResponse carries its JSON Patch.
#ifndef SEIGUARD_WEBHOOK_BASE64_H_
#define SEIGUARD_WEBHOOK_BASE64_H_

#include <string>
#include <string_view>

namespace seiguard {

std::string Base64Encode(std::string_view data);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_BASE64_H_
