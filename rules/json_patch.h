// RFC 6902 operations as the engine emits them: built in a deterministic order
// and never adding under a parent that does not exist.
#ifndef SEIGUARD_RULES_JSON_PATCH_H_
#define SEIGUARD_RULES_JSON_PATCH_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/path.h"

namespace seiguard {

struct PatchOp {
  std::string op;  // "add" or "replace"
  Path path;
  nlohmann::json value;
};

// The JSON array the API server applies: [{"op":..,"path":..,"value":..}, ...].
nlohmann::json PatchToJson(const std::vector<PatchOp>& ops);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_JSON_PATCH_H_
