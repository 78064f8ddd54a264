#include "rules/json_patch.h"

namespace seiguard {

nlohmann::json PatchToJson(const std::vector<PatchOp>& ops) {
  nlohmann::json out = nlohmann::json::array();
  for (const PatchOp& op : ops) {
    out.push_back({{"op", op.op}, {"path", op.path.Pointer()}, {"value", op.value}});
  }
  return out;
}

}  // namespace seiguard
