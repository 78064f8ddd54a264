// `seiguard check`'s engine run: every object of every manifest document
// (kind: List items included) goes through the same decoder and rules as the
// webhook's /validate for a CREATE of it, so CI and cluster agree.
#ifndef SEIGUARD_WEBHOOK_CHECKER_H_
#define SEIGUARD_WEBHOOK_CHECKER_H_

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/decode.h"
#include "rules/engine.h"
#include "rules/finding.h"
#include "rules/policy.h"
#include "webhook/manifest.h"

namespace seiguard {

struct CheckedObject {
  std::string file;
  size_t document = 0;  // index in its file
  std::string item;     // "" or the List item path ("items[3]")
  std::string kind, namespace_, name;
  size_t line = 0, column = 0;  // where the object starts
  std::vector<size_t> findings;  // indexes into CheckReport::findings
};

struct LocatedFinding {
  size_t object = 0;  // index into CheckReport::objects
  Finding finding;
  size_t line = 0, column = 0;
};

struct CheckReport {
  size_t files = 0;
  size_t documents = 0;
  std::vector<CheckedObject> objects;  // judged
  std::map<std::string, size_t> skipped;  // by kind ("" for no kind)
  std::vector<LocatedFinding> findings;
  std::vector<ManifestError> errors;
  // What the verdict rests on that the reader should know: whose network
  // the input describes, and what was assumed.
  std::vector<std::string> notes;

  size_t Count(Severity s) const;
  size_t SkippedTotal() const;
};

// Judges every document. Decode errors are reported as errors of the file.
// The input's NetworkPolicies and Namespaces, if any, are what the reach
// rules judge SeiNode pods against.
//
// `live` (check --live): the objects as they run (kubectl get -o yaml). An
// input object with the kind, namespace and name of a live one is judged as
// an UPDATE of it, so ratcheting applies as at admission: what the live
// object already has is only warned. An input object without a namespace is
// matched in namespace "default", where kubectl apply would send it.
CheckReport Check(const ManifestSet& manifests, const Policy& policy, const ManifestSet* live = nullptr);

// `check --reach`: for each SeiNode pod or template, who reaches the proxy
// and the public port through the input's NetworkPolicies, as a table.
std::string ReachTable(const ManifestSet& manifests, const Policy& policy);

// The JSON Patch `--fix` applies to one document (injections and
// remediation of every judged object in it), with paths from the document's
// root (a List's objects under /items/N). `parser` is the caller's, reused
// across documents. What a remediation assumed (Evaluation::assumptions) is
// appended to `assumptions`, if given, as "Kind/namespace/name: ...".
nlohmann::json FixPatch(const ManifestDocument& doc, const Policy& policy, JsonParser& parser,
                        std::vector<std::string>* assumptions = nullptr);

// `--fix`: each document with its FixPatch applied, as YAML documents
// separated by "---": values as kubectl read them, so aliases and merge keys
// come out expanded and comments are not kept. The caller prints nothing
// when the manifests had errors (their documents are not in the set).
// `assumptions`: as for FixPatch, for every document.
std::string FixedYaml(const ManifestSet& manifests, const Policy& policy,
                      std::vector<std::string>* assumptions = nullptr);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_CHECKER_H_
