// The AdmissionReview codec: body in, AdmissionReview answer out. This is the
// one code path behind `seiguard review` and the server's /validate and
// /mutate, so both answer the same bytes for the same input. The uid,
// apiVersion/kind echo, status, warnings, audit annotations and patch
// encoding are filled in here and nowhere else.
#ifndef SEIGUARD_WEBHOOK_ADMISSION_H_
#define SEIGUARD_WEBHOOK_ADMISSION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/decode.h"
#include "rules/engine.h"
#include "rules/policy.h"
#include "rules/status.h"

namespace seiguard {

enum class Endpoint { kValidate, kMutate };

enum class Decision {
  kSkipped,  // not a SeiNode object (or DELETE/CONNECT, a subresource, exempt)
  kAllowed,  // judged, allowed unchanged (possibly with warnings)
  kPatched,  // judged, allowed with a JSON Patch
  kDenied,   // judged, refused (403)
  kError,    // could not be judged: refused with 400 and the reason
};
std::string_view DecisionName(Decision d);

struct ReviewResult {
  std::string body;  // the AdmissionReview answer, compact JSON
  // Facts about the request, for logs and metrics.
  std::string uid;
  std::string kind;  // request.kind.kind
  std::string namespace_;
  std::string name;
  std::string operation;
  std::string user;  // request.userInfo.username
  bool dry_run = false;
  Decision decision = Decision::kSkipped;
  std::vector<Finding> findings;
};

// Reuse one handler per thread: it owns the JSON parser's buffers.
class AdmissionHandler {
 public:
  // Answers one AdmissionReview (admission.k8s.io/v1 or v1beta1, answered in
  // the version asked). An error Status means the body is not an
  // AdmissionReview that can be answered at all (not JSON, too deep, no
  // request, no uid): the server's 400, `review`'s exit 2.
  //
  // The body is read On-Demand first: only the fields the rules read are
  // parsed. Whatever that reader cannot answer as the API server's own
  // requests are answered (an error, an unusual key order, a duplicate key)
  // is answered by the DOM reader, which parses and validates everything;
  // the two agree on every body both accept (tests/fuzz prove it).
  StatusOr<ReviewResult> Review(std::string_view body, Endpoint endpoint, const Policy& policy);

  // Which reader Review uses: kBoth is the server's (On-Demand, else DOM);
  // the others exist for the tests that compare them.
  enum class Reader { kBoth, kOnDemandOnly, kDomOnly };
  void UseReader(Reader reader) { reader_ = reader; }

  // Where to write a body of `size` bytes so that Review(string_view(buffer,
  // size), ...) parses it without a copy; valid until the next call.
  char* BodyBuffer(size_t size) { return parser_.Buffer(size); }

 private:
  // The On-Demand reader's answer, or nothing when the DOM reader must
  // answer.
  std::optional<ReviewResult> ReviewOnDemand(std::string_view body, Endpoint endpoint, const Policy& policy);
  StatusOr<ReviewResult> ReviewDom(std::string_view body, Endpoint endpoint, const Policy& policy);

  JsonParser parser_;
  Reader reader_ = Reader::kBoth;
};

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_ADMISSION_H_
