// Internal to rules/: the NetworkPolicy part of the decoder of
// rules/decode_impl.h (which includes this file at its end).
#ifndef SEIGUARD_RULES_DECODE_NETPOL_IMPL_H_
#define SEIGUARD_RULES_DECODE_NETPOL_IMPL_H_

#include <algorithm>
#include <string>
#include <vector>

#include "rules/decode_impl.h"

namespace seiguard::decode {

// NetworkPolicySpec as the API defines it (see rules/netpol.h); egress is
// not read: only who reaches the pods matters here.
template <typename J>
Status Decoder<J>::Selector(Value& e, LabelSelector* out) {
  static constexpr std::string_view kKeys[] = {"matchLabels", "matchExpressions"};
  return Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    if (i == 0) {
      return EachMember(v, [&](std::string_view key, Value& value) -> Status {
        trail_.PushKey(key);
        std::string text;
        if (Status s = Owned(value, &text); !s.ok()) return s;
        trail_.Pop();
        out->match_labels.emplace_back(std::string(key), std::move(text));
        return Status();
      });
    }
    return ItemsInto(v, &out->expressions, [&](size_t, Value& item, SelectorRequirement& r) -> Status {
      static constexpr std::string_view kReq[] = {"key", "operator", "values"};
      std::string op;
      Status s = Fields(item, kReq, [&](size_t j, Value& f) -> Status {
        if (j == 0) return Owned(f, &r.key);
        if (j == 1) return Owned(f, &op);
        return OwnedList(f, &r.values);
      });
      if (!s.ok()) return s;
      using Op = SelectorRequirement::Op;
      if (op == "In") r.op = Op::kIn;
      else if (op == "NotIn") r.op = Op::kNotIn;
      else if (op == "Exists") r.op = Op::kExists;
      else if (op == "DoesNotExist") r.op = Op::kDoesNotExist;
      else return Fail("operator \"" + op + "\" is not In, NotIn, Exists or DoesNotExist");
      return Status();
    });
  });
}

template <typename J>
Status Decoder<J>::Peer(Value& e, NetworkPolicyPeer* out) {
  static constexpr std::string_view kKeys[] = {"podSelector", "namespaceSelector", "ipBlock"};
  return Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    if (i == 0) return Selector(v, &out->pod_selector.emplace());
    if (i == 1) return Selector(v, &out->namespace_selector.emplace());
    static constexpr std::string_view kBlock[] = {"cidr", "except"};
    IpBlock& block = out->ip_block.emplace();
    return Fields(v, kBlock, [&](size_t j, Value& f) -> Status {
      return j == 0 ? Owned(f, &block.cidr) : OwnedList(f, &block.except);
    });
  });
}

template <typename J>
Status Decoder<J>::PolicyPort(Value& e, NetworkPolicyPort* out) {
  static constexpr std::string_view kKeys[] = {"protocol", "port", "endPort"};
  return Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    if (i == 0) return Owned(v, &out->protocol);
    if (i == 2) return Int32(v, &out->end_port.emplace());
    IntOrString port;
    if (Status s = IntOrStr(v, &port); !s.ok()) return s;
    out->has_port = true;
    out->named = port.is_string;
    out->number = port.number;
    out->name.assign(port.text);
    return Status();
  });
}

template <typename J>
Status Decoder<J>::NetworkPolicySpec(Value& e, NetworkPolicy* np) {
  static constexpr std::string_view kKeys[] = {"podSelector", "policyTypes", "ingress"};
  bool has_types = false;
  std::vector<std::string> types;
  Status s = Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    if (i == 0) return Selector(v, &np->pod_selector);
    if (i == 1) {
      has_types = true;
      return OwnedList(v, &types);
    }
    return ItemsInto(v, &np->ingress, [&](size_t, Value& item, IngressRule& rule) -> Status {
      static constexpr std::string_view kRule[] = {"from", "ports"};
      return Fields(item, kRule, [&](size_t j, Value& f) -> Status {
        if (j == 0) {
          return ItemsInto(f, &rule.from, [&](size_t, Value& p, NetworkPolicyPeer& peer) { return Peer(p, &peer); });
        }
        return ItemsInto(f, &rule.ports, [&](size_t, Value& p, NetworkPolicyPort& port) { return PolicyPort(p, &port); });
      });
    });
  });
  // policyTypes absent or empty (the API server defaults both alike):
  // Ingress is always in it.
  if (has_types && !types.empty()) {
    np->ingress_type = std::find(types.begin(), types.end(), "Ingress") != types.end();
  }
  return s;
}

}  // namespace seiguard::decode

#endif  // SEIGUARD_RULES_DECODE_NETPOL_IMPL_H_
