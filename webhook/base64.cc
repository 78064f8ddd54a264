#include "webhook/base64.h"

#include <cstdint>

namespace seiguard {

std::string Base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out((data.size() + 2) / 3 * 4, '=');
  char* o = out.data();
  const auto* in = reinterpret_cast<const uint8_t*>(data.data());
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3, o += 4) {
    uint32_t n = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8) | in[i + 2];
    o[0] = kAlphabet[(n >> 18) & 63];
    o[1] = kAlphabet[(n >> 12) & 63];
    o[2] = kAlphabet[(n >> 6) & 63];
    o[3] = kAlphabet[n & 63];
  }
  size_t rest = data.size() - i;
  if (rest > 0) {  // the '=' padding is already in place
    uint32_t n = uint32_t(in[i]) << 16;
    if (rest == 2) n |= uint32_t(in[i + 1]) << 8;
    o[0] = kAlphabet[(n >> 18) & 63];
    o[1] = kAlphabet[(n >> 12) & 63];
    if (rest == 2) o[2] = kAlphabet[(n >> 6) & 63];
  }
  return out;
}

}  // namespace seiguard
