// Fixed-count driver for instruction-level profiling, where timing is too
// noisy on a shared 2-core VM:
//   valgrind --tool=callgrind build/tests/seiguard_review_loop FILE [validate|mutate] [N]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/test_util.h"
#include "webhook/admission.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s REVIEW.json [validate|mutate] [N]\n", argv[0]);
    return 2;
  }
  std::string body = seiguard::testing::ReadFile(argv[1]);
  auto ep = argc > 2 && std::string(argv[2]) == "mutate" ? seiguard::Endpoint::kMutate
                                                         : seiguard::Endpoint::kValidate;
  long n = argc > 3 ? std::atol(argv[3]) : 1000;
  seiguard::Policy policy;
  seiguard::AdmissionHandler handler;
  size_t bytes = 0;
  for (long i = 0; i < n; ++i) {
    auto r = handler.Review(body, ep, policy);
    bytes += r.ok() ? r->body.size() : 0;
  }
  std::printf("%ld reviews, %zu response bytes\n", n, bytes);
  return 0;
}
