// Loads a policy file (YAML or JSON) from disk; the embedded defaults when no
// file is given.
#ifndef SEIGUARD_WEBHOOK_POLICY_FILE_H_
#define SEIGUARD_WEBHOOK_POLICY_FILE_H_

#include <string>

#include "rules/policy.h"
#include "rules/status.h"

namespace seiguard {

// An empty `path` gives the embedded defaults. Errors name the file, and the
// line and column for syntax errors.
StatusOr<Policy> LoadPolicyFile(const std::string& path);

// Reads a whole file of at most `max_bytes`; errors name the file.
StatusOr<std::string> ReadFileLimited(const std::string& path, size_t max_bytes);

// Reads standard input to its end, refusing more than `max_bytes`
// ("larger than N bytes") and reporting read errors.
StatusOr<std::string> ReadStdinLimited(size_t max_bytes);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_POLICY_FILE_H_
