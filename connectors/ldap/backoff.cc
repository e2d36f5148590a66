#include "connectors/ldap/backoff.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace trustgate {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                 RandomSource& random, double multiplier)
    : initial_(std::max(initial, std::chrono::milliseconds{1})),
      max_(std::max(max, initial_)),
      random_(random),
      multiplier_(std::max(multiplier, 1.0)) {}

std::chrono::milliseconds Backoff::next() {
  ++failures_;
  const double grown = static_cast<double>(initial_.count()) * std::pow(multiplier_, failures_ - 1);
  const auto base = static_cast<std::int64_t>(std::min(grown, static_cast<double>(max_.count())));
  std::array<std::uint8_t, 8> bytes{};
  random_.fill(bytes);
  std::uint64_t r = 0;
  for (auto b : bytes) r = (r << 8) | b;
  const std::int64_t low = base / 2;
  const auto span = static_cast<std::uint64_t>(base - low + 1);
  return std::chrono::milliseconds{low + static_cast<std::int64_t>(r % span)};
}

}  // namespace trustgate
