// The word-at-a-time byte tests and the loops built on them, against plain
// byte-by-byte references: every byte value at every position and offset.
#include "rules/bytes.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "rules/finding.h"
#include "webhook/json_text.h"

#include "tests/test_util.h"

namespace seiguard {
namespace {

uint64_t Word(const unsigned char (&b)[8]) { return bytes::Load8(reinterpret_cast<const char*>(b)); }

TEST(Bytes, AnyBelowAndAnyEqualExactEverywhere) {
  for (unsigned filler : {0x20u, 0x41u, 0x7eu, 0x80u, 0xc3u, 0xffu}) {
    for (int pos = 0; pos < 8; ++pos) {
      for (unsigned v = 0; v < 256; ++v) {
        unsigned char b[8];
        for (auto& x : b) x = static_cast<unsigned char>(filler);
        b[pos] = static_cast<unsigned char>(v);
        uint64_t w = Word(b);
        EXPECT_EQ(bytes::AnyBelow(w, 0x20) != 0, v < 0x20) << v << " at " << pos;
        EXPECT_EQ(bytes::AnyEqual(w, '"') != 0, v == '"' || filler == '"') << v;
        EXPECT_EQ(bytes::AnyEqual(w, 0x7f) != 0, v == 0x7f) << v;
      }
    }
  }
}

TEST(Bytes, AnyBelowMatchesAScalarScanOnRandomWords) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t w = rng();
    bool below = false, quote = false;
    for (int k = 0; k < 8; ++k) {
      unsigned v = (w >> (8 * k)) & 0xff;
      below = below || v < 0x20;
      quote = quote || v == '"';
    }
    ASSERT_EQ(bytes::AnyBelow(w, 0x20) != 0, below) << std::hex << w;
    ASSERT_EQ(bytes::AnyEqual(w, '"') != 0, quote) << std::hex << w;
  }
}

std::string ReferenceJson(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c == '\b') out += "\\b";
    else if (c == '\f') out += "\\f";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

TEST(Bytes, JsonEscapingMatchesTheByteByByteReference) {
  // Every byte value (bar the UTF-8 leads that would need a continuation) at
  // every offset of strings around the 8-byte blocks, after a prefix.
  for (size_t len = 0; len <= 19; ++len) {
    for (size_t pos = 0; pos < std::max<size_t>(len, 1); ++pos) {
      for (unsigned v = 0; v < 0x80; ++v) {
        std::string s(len, 'a');
        if (len > 0) s[pos] = static_cast<char>(v);
        std::string out = "prefix:";
        AppendJsonString(out, s);
        ASSERT_EQ(out, "prefix:" + ReferenceJson(s)) << "len " << len << " pos " << pos << " byte " << v;
      }
    }
  }
  std::string utf8 = "sei.io/node=\xc3\xa9\xe2\x82\xac \"quoted\" back\\slash\x01";
  std::string out;
  AppendJsonString(out, utf8);
  EXPECT_EQ(out, ReferenceJson(utf8));
}

TEST(Bytes, MessagesNeverCarryControlCharactersWhereverTheyAre) {
  for (size_t pos = 0; pos < 40; ++pos) {
    for (unsigned char v : {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x7f}) {
      std::string what(40, 'w');
      what[pos] = static_cast<char>(v);
      Finding f{testing::RuleNamed("node-label"), Severity::kDeny, Path().Key("metadata"), "c", what, "fix"};
      std::string m = f.Message();
      for (char c : m) {
        ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << "pos " << pos << " byte " << int(v);
      }
      EXPECT_NE(m.find(std::string(pos, 'w') + " " + std::string(39 - pos, 'w')), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace seiguard
