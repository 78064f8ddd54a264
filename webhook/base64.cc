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

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  uint32_t quad = 0;
  int have = 0, padding = 0;
  for (char c : text) {
    if (c == '\n' || c == '\r') continue;
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=' && have >= 2) v = -1;
    else return false;
    if (v < 0) {
      ++padding;
      v = 0;
    } else if (padding > 0) {
      return false;  // data after padding
    }
    quad = (quad << 6) | static_cast<uint32_t>(v);
    if (++have < 4) continue;
    out->push_back(static_cast<char>(quad >> 16));
    if (padding < 2) out->push_back(static_cast<char>(quad >> 8));
    if (padding < 1) out->push_back(static_cast<char>(quad));
    if (padding > 0 && padding > 2) return false;
    quad = 0;
    have = 0;
    if (padding > 0) padding = 100;  // nothing may follow a padded quad
  }
  return have == 0;
}

}  // namespace seiguard
