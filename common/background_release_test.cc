#include "common/background_release.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace trustgate {
namespace {

// Records the thread that destroys it (the moved-from shells record nothing).
struct Probe {
  explicit Probe(std::atomic<std::thread::id>* where) : where_(where) {}
  Probe(Probe&& other) noexcept : where_(std::exchange(other.where_, nullptr)) {}
  Probe& operator=(Probe&&) = delete;
  ~Probe() {
    if (where_) where_->store(std::this_thread::get_id());
  }
  std::atomic<std::thread::id>* where_;
};

TEST(BackgroundRelease, DestroysTheValueOnAnotherThreadJoinedWithTheHandle) {
  std::atomic<std::thread::id> where{};
  {
    std::vector<Probe> value;
    value.emplace_back(&where);
    std::jthread releasing = release_in_background(std::move(value));
    EXPECT_TRUE(value.empty());  // taken: the caller's container holds nothing now
  }                              // joined here
  EXPECT_NE(where.load(), std::thread::id{});
  EXPECT_NE(where.load(), std::this_thread::get_id());
}

TEST(BackgroundRelease, ReleasesLargeContainersWhole) {
  auto shared = std::make_shared<int>(7);
  std::vector<std::shared_ptr<int>> many(100000, shared);
  std::jthread releasing = release_in_background(std::move(many));
  releasing.join();
  EXPECT_EQ(shared.use_count(), 1);
}

}  // namespace
}  // namespace trustgate
