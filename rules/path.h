// A location inside a Kubernetes object, kept in the two forms it is used in:
// shown to people (`spec.initContainers[2].args[3]`) and written as an
// RFC 6901 JSON Pointer for patches (`/spec/initContainers/2/args/3`, with ~0
// and ~1 escapes). Both are built as the path grows, so no form is ever
// parsed back from the other.
#ifndef SEIGUARD_RULES_PATH_H_
#define SEIGUARD_RULES_PATH_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace seiguard {

class Path {
 public:
  Path() = default;

  // Returns the path extended by one object key or one array index. On a
  // temporary (chained calls) the strings are moved, not copied.
  Path Key(std::string_view key) const& { return Path(*this).Key(key); }
  Path Key(std::string_view key) &&;
  Path Index(size_t index) const& { return Path(*this).Index(index); }
  Path Index(size_t index) &&;
  // Appends the JSON Pointer "-" token (append to an array); only for patches.
  Path Append() const& { return Path(*this).Append(); }
  Path Append() &&;

  bool empty() const { return text_.empty(); }

  // `spec.containers[0].env[3]`; keys that are not plain identifiers are
  // bracketed and quoted: `metadata.labels["sei.io/node"]`.
  std::string_view Dotted() const& { return std::string_view(text_).substr(pointer_size_); }
  // RFC 6901: "/spec/containers/0"; "" for the root.
  std::string_view Pointer() const& { return std::string_view(text_).substr(0, pointer_size_); }
  // A view into a temporary path would dangle: name the path first.
  std::string_view Dotted() const&& = delete;
  std::string_view Pointer() const&& = delete;

  bool operator==(const Path& other) const { return Pointer() == other.Pointer(); }

 private:
  // Both forms in one string (one allocation per path): the pointer, then
  // the dotted form. A key inserts its pointer token at the boundary and
  // appends its dotted token.
  void AddPointerToken(std::string_view token);

  std::string text_;
  size_t pointer_size_ = 0;
};

// Escapes one reference token per RFC 6901: "~" -> "~0", "/" -> "~1".
std::string EscapePointerToken(std::string_view token);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_PATH_H_
