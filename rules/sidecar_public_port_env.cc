// sidecar-public-port-env: the sidecar is told which port to serve publicly.
#include <string>

#include "rules/rule.h"

namespace seiguard {
namespace {

void Check(Judge& judge) {
  const Container* sidecar = judge.Sidecar();
  if (sidecar == nullptr) return;
  const Policy& policy = judge.policy();
  const std::string& var = policy.public_port_env;
  const std::string want = std::to_string(policy.public_port);
  Path base = judge.pod().ContainerPath(*sidecar);

  const EnvVar* env = sidecar->FindEnv(var);
  if (env == nullptr) {
    judge.Missing(sidecar->has_env ? base.Key("env") : base, sidecar->name,
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
    judge.Unverifiable(at.Key("valueFrom"), sidecar->name,
                       "env " + var + " comes from valueFrom and cannot be checked",
                       "set value: \"" + want + "\"");
    return;
  }
  if (env->value != want) {
    judge.Conflict(at.Key("value"), sidecar->name,
                   "env " + var + " is \"" + std::string(env->value) + "\", not \"" + want + "\"",
                   "set it to \"" + want + "\", the public port");
  }
}

void Cel(const Policy& p, cel::Twin& twin) {
  const std::string pub = std::to_string(p.public_port), sidecar = cel::Str(p.sidecar_name);
  const std::string& var = p.public_port_env;
  using cel::Str;
  // The sidecar's entries for the variable; the last one wins, as in the kubelet.
  twin.variables = {
      {"envs", "has(variables.sidecar.env) ? variables.sidecar.env.filter(e, e.name == " + Str(var) +
                   ") : []"},
      {"env", "size(variables.envs) > 0 ? variables.envs[size(variables.envs) - 1] : {}"},
      {"envFromRef", "size(variables.envs) > 0 && !has(variables.env.value) && has(variables.env.valueFrom)"},
  };
  const std::string missing = "variables.hasSidecar && size(variables.envs) == 0";
  twin.checks = {
      {cel::Class::kMissing, missing, sidecar,
       Str("env " + var + " is not set"), Str("set it to \"" + pub + "\"")},
      {cel::Class::kUnverifiable, "variables.envFromRef", sidecar,
       Str("env " + var + " comes from valueFrom and cannot be checked"), Str("set value: \"" + pub + "\"")},
      {cel::Class::kConflict,
       "size(variables.envs) > 0 && !variables.envFromRef\n  && (has(variables.env.value) ? "
       "variables.env.value : '') != " + Str(pub),
       sidecar,
       Str("env " + var + " is \"") + " + (has(variables.env.value) ? variables.env.value : '') + " +
           Str("\", not \"" + pub + "\""),
       Str("set it to \"" + pub + "\", the public port")},
  };
  // As Check patches: appended, the list created when there is none.
  twin.mutations.push_back(
      {cel::Mutation::By::kInject, missing,
       cel::EachContainer("c.name == " + sidecar, [&](const std::string& base, const char* list) {
         const std::string env = std::string("Object.spec.") + list + ".env{name: " + Str(var) +
                                 ", value: " + Str(pub) + "}";
         return "has(c.env) ? JSONPatch{op: 'add', path: " + base + " + '/env/-', value: " + env +
                "}\n      : JSONPatch{op: 'add', path: " + base + " + '/env', value: [" + env + "]}";
       }),
       "",
       cel::AnyContainer("c.name == " + sidecar + " && !(has(c.env) && c.env.exists(e, e.name == " + Str(var) + "))")});
}

}  // namespace

const RuleDef registry::sidecar_public_port_env = {
    .name = "sidecar-public-port-env",
    .default_action = Action::kMutate,
    .patches = Patches::kSpec,
    .on_pod_update = OnPodUpdate::kWarn,
    .summary = "the sidecar has SEI_SIDECAR_PUBLIC_PORT set to the public port",
    .description =
        "The sei-sidecar container has env SEI_SIDECAR_PUBLIC_PORT equal to the public port. "
        "The mutating webhook adds it when missing; a different value is refused; a value "
        "from valueFrom cannot be checked and is a warning. Bootstrap Job pods are left "
        "alone, as for sidecar-public-port.",
    .fix = "Set env SEI_SIDECAR_PUBLIC_PORT to \"9100\" on the sei-sidecar container.",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
