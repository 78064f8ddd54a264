// The in-tree mode: the whole policy inside the API server, with no webhook
// in the path. A MutatingAdmissionPolicy (admissionregistration.k8s.io/v1,
// GA in Kubernetes 1.36) does on a Pod CREATE what /mutate does - each rule's
// twin says how (vap_cel.h Mutation) - and the backstop's
// ValidatingAdmissionPolicies (vap.h) judge the object it leaves, as
// /validate judges the webhook's. Generated from the same policy as both, so
// the modes cannot drift; what CEL cannot express is said, never
// approximated (InTree::limits).
#ifndef SEIGUARD_RULES_INTREE_H_
#define SEIGUARD_RULES_INTREE_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/policy.h"
#include "rules/vap.h"

namespace seiguard {

struct InTreeOptions {
  // The MutatingAdmissionPolicy and its binding.
  std::string name = "seiguard-inject";
  // The ValidatingAdmissionPolicies (the backstop's, under its names, so that
  // applying both overlays holds each policy once), and the namespaces left
  // out of every binding.
  BackstopOptions backstop;
};

struct InTree {
  // The documents to apply, in order: the MutatingAdmissionPolicy and its
  // binding (left out when the policy injects and remediates nothing), then
  // the backstop's policies and bindings.
  std::vector<nlohmann::ordered_json> docs;
  // What /mutate does that these policies do not, one sentence each.
  std::vector<std::string> limits;
};

InTree InTreePolicies(const Policy& policy, const InTreeOptions& options = {});

}  // namespace seiguard

#endif  // SEIGUARD_RULES_INTREE_H_
