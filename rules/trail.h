// Internal to rules/: the path of the element being decoded, kept as a stack
// of borrowed keys and indices so that the common case (no error) builds no
// string; turned into a Path only for an error message.
#ifndef SEIGUARD_RULES_TRAIL_H_
#define SEIGUARD_RULES_TRAIL_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include "rules/decode.h"
#include "rules/path.h"

namespace seiguard {

// Fixed room, no allocation: each level the decoder descends adds one
// segment, and the parser refuses documents deeper than kMaxJsonDepth.
class Trail {
 public:
  void PushKey(std::string_view key) { Push({key, kNoIndex}); }
  void PushIndex(size_t i) { Push({{}, i}); }
  void Pop() { --size_; }

  Path ToPath() const {
    Path p;
    for (size_t i = 0; i < std::min(size_, segs_.size()); ++i) {
      const Seg& s = segs_[i];
      p = s.index == kNoIndex ? std::move(p).Key(s.key) : std::move(p).Index(s.index);
    }
    return p;
  }

 private:
  static constexpr size_t kNoIndex = static_cast<size_t>(-1);
  struct Seg {
    std::string_view key;
    size_t index;
  };
  void Push(Seg s) {
    if (size_ < segs_.size()) segs_[size_] = s;  // deeper is impossible; if not, the path is cut
    ++size_;
  }
  std::array<Seg, kMaxJsonDepth + 1> segs_;
  size_t size_ = 0;
};

}  // namespace seiguard

#endif  // SEIGUARD_RULES_TRAIL_H_
