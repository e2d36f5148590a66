#pragma once
// Randomness is injected: tickets and decision ids come from a RandomSource.
#include <cstddef>
#include <cstdint>
#include <span>

namespace trustgate {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Production: a CSPRNG; aborts the process if the CSPRNG
  // fails, because issuing a guessable credential is worse than not running.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// OpenSSL's RAND_bytes (a CSPRNG seeded by the kernel).
class SecureRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

// Deterministic bytes for tests (xorshift; NOT secure).
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::uint64_t state_;
};

}  // namespace trustgate
