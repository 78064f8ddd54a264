// A location inside a Kubernetes object, kept as segments so it can be shown
// to people (`spec.initContainers[2].args[3]`) and written as an RFC 6901 JSON
// Pointer for patches (`/spec/initContainers/2/args/3`, with ~0 and ~1 escapes).
#ifndef SEIGUARD_RULES_PATH_H_
#define SEIGUARD_RULES_PATH_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace seiguard {

class Path {
 public:
  Path() = default;

  // Returns a copy extended by one object key or one array index.
  Path Key(std::string_view key) const;
  Path Index(size_t index) const;
  // Appends the JSON Pointer "-" token (append to an array); only for patches.
  Path Append() const;

  bool empty() const { return segments_.empty(); }

  // `spec.containers[0].env[3]`; keys that are not plain identifiers are
  // bracketed and quoted: `metadata.labels["sei.io/node"]`.
  std::string Dotted() const;
  // RFC 6901: "/spec/containers/0"; "" for the root.
  std::string Pointer() const;

  bool operator==(const Path& other) const { return segments_ == other.segments_; }

 private:
  struct AppendToken {
    bool operator==(const AppendToken&) const { return true; }
  };
  using Segment = std::variant<std::string, size_t, AppendToken>;
  std::vector<Segment> segments_;
};

// Escapes one reference token per RFC 6901: "~" -> "~0", "/" -> "~1".
std::string EscapePointerToken(std::string_view token);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_PATH_H_
