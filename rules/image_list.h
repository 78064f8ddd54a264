// Entries of the policy's sidecar.publicListenerImages, matched against a
// container image: ">=VERSION" (the image's tag read as a version: "v0.0.71"
// or "0.0.71", a pre-release below its release; a digest alone has no tag),
// an image name (any tag or digest of it), or a full reference (exactly that
// one). "*" (any image) is the caller's to handle.
#ifndef SEIGUARD_RULES_IMAGE_LIST_H_
#define SEIGUARD_RULES_IMAGE_LIST_H_

#include <string_view>

namespace seiguard {

// False for a ">=" entry whose version does not parse (">=v1.x").
bool ImageEntryValid(std::string_view entry);

// True when `entry`, not "*", takes in `image`.
bool ImageListed(std::string_view entry, std::string_view image);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_IMAGE_LIST_H_
