// sidecar-public-port-env: the sidecar is told which port to serve publicly.
#include <string>

#include "rules/judge.h"

namespace seiguard {

void CheckSidecarPublicPortEnv(Judge& judge) {
  const Container* sidecar = judge.Sidecar();
  if (sidecar == nullptr) return;
  const Policy& policy = judge.policy();
  const std::string& var = policy.public_port_env;
  const std::string want = std::to_string(policy.public_port);
  constexpr RuleId kRule = RuleId::kSidecarPublicPortEnv;
  Path base = judge.pod().ContainerPath(*sidecar);

  const EnvVar* env = sidecar->FindEnv(var);
  if (env == nullptr) {
    judge.Missing(kRule, sidecar->has_env ? base.Key("env") : base, sidecar->name,
                  "env " + var + " is not set", "set it to \"" + want + "\"",
                  [&] {
                    nlohmann::json item(nlohmann::json::value_t::object);  // as in sidecar-public-port
                    item.emplace("name", var);
                    item.emplace("value", want);
                    return judge.AddToList(*sidecar, "env", sidecar->has_env, std::move(item));
                  });
    return;
  }
  Path at = base.Key("env").Index(static_cast<size_t>(env - sidecar->env.data()));
  if (!env->has_value && env->has_value_from) {
    judge.Unverifiable(kRule, at.Key("valueFrom"), sidecar->name,
                       "env " + var + " comes from valueFrom and cannot be checked",
                       "set value: \"" + want + "\"");
    return;
  }
  if (env->value != want) {
    judge.Conflict(kRule, at.Key("value"), sidecar->name,
                   "env " + var + " is \"" + std::string(env->value) + "\", not \"" + want + "\"",
                   "set it to \"" + want + "\", the public port");
  }
}

}  // namespace seiguard
