#include "common/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace trustgate {

void SecureRandom::fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("trustgate: CSPRNG failure, aborting\n", stderr);
    std::abort();
  }
}

void SeededRandom::fill(std::span<std::uint8_t> out) {
  for (auto& b : out) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    b = static_cast<std::uint8_t>(state_ >> 24);
  }
}

}  // namespace trustgate
