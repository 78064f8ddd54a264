// `seiguard check` reports: text for people, json (schema below), JUnit XML for
// GitLab and Jenkins, SARIF 2.1.0 for GitHub code scanning.
//
// json schema (stable; fields are only ever added):
//   {"files": N, "documents": N, "objects": N, "skipped": {"<kind>": N},
//    "summary": {"deny": N, "warn": N, "errors": N},
//    "findings": [{"file", "document", "line", "column", "kind", "namespace",
//                  "name", "rule", "action" (deny|warn), "path", "container",
//                  "message"}],
//    "errors": [{"file", "line", "column", "message"}]}
#ifndef SEIGUARD_WEBHOOK_REPORT_H_
#define SEIGUARD_WEBHOOK_REPORT_H_

#include <string>
#include <string_view>

#include "webhook/checker.h"

namespace seiguard {

std::string TextReport(const CheckReport& report);
std::string JsonReport(const CheckReport& report);
std::string JunitReport(const CheckReport& report);
std::string SarifReport(const CheckReport& report, std::string_view version);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_REPORT_H_
