// Word-at-a-time byte tests for the text loops on the answer's hot path (JSON
// escaping, keeping messages on one line): eight bytes are checked with a few
// integer operations and skipped together when none of them needs attention.
// The tests are exact (no false positives or negatives for the word as a
// whole); which byte matched is left to a byte loop over those eight.
#ifndef SEIGUARD_RULES_BYTES_H_
#define SEIGUARD_RULES_BYTES_H_

#include <cstdint>
#include <cstring>

namespace seiguard::bytes {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Nonzero iff some byte of `w` is below `n` (unsigned; exact for n <= 128).
constexpr uint64_t AnyBelow(uint64_t w, uint8_t n) { return (w - kOnes * n) & ~w & kHighs; }

// Nonzero iff some byte of `w` equals `b`.
constexpr uint64_t AnyEqual(uint64_t w, uint8_t b) { return AnyBelow(w ^ (kOnes * b), 1); }

// Eight bytes from `p`, any alignment.
inline uint64_t Load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

}  // namespace seiguard::bytes

#endif  // SEIGUARD_RULES_BYTES_H_
