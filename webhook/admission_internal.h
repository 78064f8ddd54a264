// Internal to the AdmissionReview codec: what its two readers share
// (admission.cc: the DOM reader and the answer; admission_on_demand.cc: the
// On-Demand reader).
#ifndef SEIGUARD_WEBHOOK_ADMISSION_INTERNAL_H_
#define SEIGUARD_WEBHOOK_ADMISSION_INTERNAL_H_

#include <optional>
#include <string_view>

#include "webhook/admission.h"

namespace seiguard::admission {

// request.operation; nothing for one seiguard does not know.
std::optional<Operation> ParseOperation(std::string_view op);

// apiVersion admission.k8s.io/v1 or v1beta1 and kind AdmissionReview.
bool IsAdmissionReview(std::string_view api_version, std::string_view kind);

// The answer for a decoded object: both readers end here.
ReviewResult Verdict(ReviewResult result, std::string_view api_version, Operation op, const Object& obj,
                     const Object* old, Endpoint endpoint, const Policy& policy);

// Allowed without judging: not a kind the policy judges, a subresource,
// DELETE or CONNECT.
ReviewResult Unjudged(ReviewResult result, std::string_view api_version);

}  // namespace seiguard::admission

#endif  // SEIGUARD_WEBHOOK_ADMISSION_INTERNAL_H_
