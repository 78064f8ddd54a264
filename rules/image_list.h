// Entries of the policy's sidecar.publicListenerImages, matched against a
// container image: ">=VERSION" (the image's tag read as a version: "v0.0.71"
// or "0.0.71", a pre-release below its release; a digest alone has no tag),
// an image name (any tag or digest of it), or a full reference (exactly that
// one). "*" (any image) is the caller's to handle.
#ifndef SEIGUARD_RULES_IMAGE_LIST_H_
#define SEIGUARD_RULES_IMAGE_LIST_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seiguard {

// "v0.0.71", "1.2", "2.0.0-rc.1+build" -> ({0, 0, 71}, pre-release or "").
struct ImageVersion {
  std::array<int64_t, 3> number{};
  std::string pre;
};

// The version of a ">=" entry; nullopt for any other entry, or one whose
// version does not parse.
std::optional<ImageVersion> AtLeastEntry(std::string_view entry);

// False for a ">=" entry whose version does not parse (">=v1.x").
bool ImageEntryValid(std::string_view entry);

// True when `entry`, not "*", takes in `image`.
bool ImageListed(std::string_view entry, std::string_view image);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_IMAGE_LIST_H_
