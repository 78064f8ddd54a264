// YAML to JSON text exactly as kubectl converts it (sigs.k8s.io/yaml over
// go-yaml v2, then encoding/json): YAML 1.1 scalars (yaml_scalar.h), merge
// keys, aliases, and keys turned into strings, so that the result feeds the
// same JSON decoder as everything else and means what the API server gets.
//
// Structure, as go-yaml v2 decodes into Go maps:
//   - a merge key (<<) takes a mapping, an alias of one, or a list of those;
//     its entries are set when the merge key is reached, so keys written
//     after it override merged ones and keys before it are overridden; in a
//     list, earlier mappings win over later ones;
//   - aliases repeat their anchor's value; an alias inside its own anchor,
//     and documents that are mostly alias expansion (go-yaml's "excessive
//     aliasing" ratio) are refused, as kubectl refuses them.
// Differences, each a refusal where kubectl would guess: a key written twice
// in one mapping (kubectl keeps the last; that ambiguity is what a parser
// differential hides in), and nesting deeper than kMaxJsonDepth.
// Every refusal carries "line:column: " of the node at fault.
#ifndef SEIGUARD_WEBHOOK_YAML_JSON_H_
#define SEIGUARD_WEBHOOK_YAML_JSON_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "rules/status.h"

namespace seiguard {

// Where a value starts in the JSON text, and where it is written in the YAML
// (for a value that comes through an alias or a merge: where the anchored
// text is, which is the text to change).
struct NodeMark {
  uint32_t json_offset;
  uint32_t line;    // 1-based
  uint32_t column;  // 1-based
};

struct YamlDocument {
  std::string json;   // the document as compact JSON ("null" when empty)
  size_t line = 0;    // 1-based line where the document starts
  std::vector<NodeMark> marks;  // every value, in JSON offset order
};

// Converts the documents of a YAML stream, at most `max_documents` of them
// (kubectl reads only the first YAML document of each chunk it cuts at
// "---" lines; see manifest.h). Line numbers in results and errors count from
// `first_line`, for a chunk cut out of a larger file.
StatusOr<std::vector<YamlDocument>> YamlToJson(std::string_view text, size_t first_line = 1,
                                               size_t max_documents = std::numeric_limits<size_t>::max());

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_YAML_JSON_H_
