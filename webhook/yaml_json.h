// YAML (1.2 core schema) to JSON text, streaming over libyaml's events so that
// the result feeds the same JSON decoder as everything else.
//
// Plain scalars are typed as the core schema says (8443 is a number, "8443"
// a string, true/false/null); quoted scalars are strings; mapping keys become
// JSON strings. Refused with the line and column: syntax errors, duplicate
// keys, complex keys, nesting deeper than the JSON limit, and alias expansion
// beyond a budget (billion laughs).
#ifndef SEIGUARD_WEBHOOK_YAML_JSON_H_
#define SEIGUARD_WEBHOOK_YAML_JSON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/status.h"

namespace seiguard {

// Where a node's value starts in the JSON text, and where it was in the YAML.
struct NodeMark {
  uint32_t json_offset;
  uint32_t line;    // 1-based
  uint32_t column;  // 1-based
};

struct YamlDocument {
  std::string json;   // the document as compact JSON
  size_t line = 0;    // 1-based line where the document starts
  std::vector<NodeMark> marks;  // every value node, in JSON offset order
};

// Converts every document of a YAML stream. JSON input is YAML too. Line
// numbers in results and errors count from `first_line` (for a stream cut out
// of a larger file).
StatusOr<std::vector<YamlDocument>> YamlToJson(std::string_view text, size_t first_line = 1);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_YAML_JSON_H_
