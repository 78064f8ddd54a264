// Helpers shared by the GoogleTest suites: file access, fixture locations,
// YAML loading and an AdmissionReview builder.
#ifndef SEIGUARD_TESTS_TEST_UTIL_H_
#define SEIGUARD_TESTS_TEST_UTIL_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/catalog.h"
#include "rules/policy.h"
#include "webhook/admission.h"

namespace seiguard::testing {

std::filesystem::path SourceDir();  // the repository
std::filesystem::path FixturesDir();  // tests/fixtures

std::string ReadFile(const std::filesystem::path& path);
// The single YAML (or JSON) document in `path`, as JSON.
nlohmann::json LoadYaml(const std::filesystem::path& path);

std::string Base64Decode(const std::string& text);

// An AdmissionReview request around `object` (kind taken from the object).
nlohmann::json MakeReview(const nlohmann::json& object, const std::string& operation = "CREATE",
                          const nlohmann::json& old_object = nullptr,
                          const std::string& version = "v1");

// `review` as the API server writes it: keys in Go's struct order (kind,
// apiVersion, request; uid, kind, ..., operation, userInfo, object,
// oldObject, dryRun) instead of nlohmann's sorted order.
std::string InApiServerOrder(const nlohmann::json& review);

// Empty when AdmissionHandler's two readers agree on `body`: the On-Demand
// reader answers exactly what the DOM reader answers (body and every fact)
// wherever the DOM reader judges, and passes on only what the DOM reader
// refuses or turns down with 400. Else, what differs. `on_demand_answered`
// says whether the On-Demand reader gave the answer.
std::string ReadersDisagree(const std::string& body, Endpoint endpoint, const Policy& policy,
                            bool* on_demand_answered = nullptr);

// Everything the decoder put in `obj`, as JSON text (for comparisons).
std::string DumpObject(const Object& obj);

// Empty when the DOM and the On-Demand DecodeObject read `object_json` (one
// JSON object) as `kind` alike: both fail with the same message, or both
// succeed with the same model. Else, both dumps.
std::string DecodersDisagree(const std::string& object_json, Kind kind);

// Valid AdmissionResponse auditAnnotations key (webhook name prefix + "/" +
// key must be a qualified name).
bool IsValidAuditKey(const std::string& key);

// The rule of that name in the catalog; throws when there is none.
RuleId RuleNamed(std::string_view name);

}  // namespace seiguard::testing

#endif  // SEIGUARD_TESTS_TEST_UTIL_H_
