#include "rules/image_list.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "rules/model.h"

namespace seiguard {
namespace {

using Version = ImageVersion;

std::optional<Version> ParseVersion(std::string_view text) {
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  if (size_t plus = text.find('+'); plus != std::string_view::npos) text = text.substr(0, plus);
  Version v;
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    v.pre = std::string(text.substr(dash + 1));
    if (v.pre.empty()) return std::nullopt;
    text = text.substr(0, dash);
  }
  size_t part = 0;
  while (true) {
    size_t digits = 0;
    int64_t n = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9' && digits < 9) {
      n = n * 10 + (text[digits] - '0');
      ++digits;
    }
    if (digits == 0 || part == 3) return std::nullopt;
    v.number[part++] = n;
    text.remove_prefix(digits);
    if (text.empty()) return v;
    if (text[0] != '.') return std::nullopt;
    text.remove_prefix(1);
  }
}

bool AtLeast(const Version& have, const Version& want) {
  if (have.number != want.number) return have.number > want.number;
  if (have.pre.empty() || want.pre.empty()) return have.pre.empty();  // a release is above its pre-releases
  return have.pre >= want.pre;
}

constexpr std::string_view kAtLeast = ">=";

}  // namespace

std::optional<ImageVersion> AtLeastEntry(std::string_view entry) {
  if (entry.substr(0, kAtLeast.size()) != kAtLeast) return std::nullopt;
  return ParseVersion(entry.substr(kAtLeast.size()));
}

bool ImageEntryValid(std::string_view entry) {
  return entry.substr(0, kAtLeast.size()) != kAtLeast || ParseVersion(entry.substr(kAtLeast.size()));
}

bool ImageListed(std::string_view entry, std::string_view image) {
  if (entry.substr(0, kAtLeast.size()) == kAtLeast) {
    std::optional<Version> want = ParseVersion(entry.substr(kAtLeast.size()));
    std::optional<Version> have = ParseVersion(ImageTag(image));
    return want && have && AtLeast(*have, *want);
  }
  return entry == image || (ImageName(entry) == entry && ImageName(image) == entry);
}

}  // namespace seiguard
