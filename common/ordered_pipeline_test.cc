#include "common/ordered_pipeline.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace trustgate {
namespace {

constexpr std::size_t kUnbounded = OrderedPipelineLimits{}.max_ahead;

// The items of chunk c: a pure function of (seed, c), of a length that varies with both.
std::vector<std::uint64_t> chunk_items(std::uint32_t seed, std::size_t c) {
  std::mt19937_64 rng(seed * 1000003ull + c);
  std::vector<std::uint64_t> items(rng() % 7);
  for (auto& item : items) item = rng();
  return items;
}

TEST(OrderedPipeline, ParallelOrderedOutputEqualsTheSequentialLoopOverManySeeds) {
  for (std::uint32_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const std::size_t chunks = rng() % 40;
    const unsigned threads = rng() % 6;
    const std::size_t max_ahead = std::array<std::size_t, 4>{1, 2, 5, kUnbounded}[rng() % 4];
    std::vector<int> cost_us(chunks);  // chunk costs: most free, some slow, a few very slow
    for (auto& us : cost_us) us = rng() % 4 == 0 ? static_cast<int>(rng() % 300) : 0;

    std::vector<std::uint64_t> sequential;
    for (std::size_t c = 0; c < chunks; ++c) {
      for (auto item : chunk_items(seed, c)) sequential.push_back(item);
    }

    std::vector<std::vector<std::uint64_t>> made(chunks);
    std::vector<std::atomic<int>> make_calls(chunks);
    std::atomic<std::size_t> delivered{0};
    std::atomic<bool> ahead_too_far{false}, bad_worker{false};
    std::vector<std::uint64_t> parallel;
    const auto caller = std::this_thread::get_id();
    bool delivered_elsewhere = false;
    std::size_t expected_next = 0;
    bool out_of_order = false;
    run_ordered_pipeline(
        chunks, {threads, max_ahead},
        [&](std::size_t c, unsigned worker) {
          if (c - delivered.load() >= max_ahead) ahead_too_far = true;  // delivered <= c
          if (worker >= std::max(threads, 1u)) bad_worker = true;
          ++make_calls[c];
          std::this_thread::sleep_for(std::chrono::microseconds(cost_us[c]));
          made[c] = chunk_items(seed, c);
        },
        [&](std::size_t c) {
          delivered_elsewhere |= std::this_thread::get_id() != caller;
          out_of_order |= c != expected_next++;
          parallel.insert(parallel.end(), made[c].begin(), made[c].end());
          delivered = c + 1;
        });
    EXPECT_EQ(parallel, sequential) << chunks << " chunks, " << threads << " threads";
    EXPECT_EQ(expected_next, chunks);
    EXPECT_FALSE(out_of_order);
    EXPECT_FALSE(delivered_elsewhere);
    EXPECT_FALSE(ahead_too_far);
    EXPECT_FALSE(bad_worker);
    for (std::size_t c = 0; c < chunks; ++c) EXPECT_EQ(make_calls[c].load(), 1) << "chunk " << c;
  }
}

TEST(OrderedPipeline, ZeroChunksCallNothingAndReturn) {
  for (unsigned threads : {0u, 1u, 4u}) {
    int calls = 0;
    run_ordered_pipeline(
        0, {threads}, [&](std::size_t, unsigned) { ++calls; }, [&](std::size_t) { ++calls; });
    EXPECT_EQ(calls, 0) << threads << " threads";
  }
}

TEST(OrderedPipeline, WithoutThreadsEachChunkIsMadeThenDeliveredOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  std::vector<std::string> events;
  run_ordered_pipeline(
      3, {0},
      [&](std::size_t c, unsigned worker) {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        EXPECT_EQ(worker, 0u);
        events.push_back("make " + std::to_string(c));
      },
      [&](std::size_t c) { events.push_back("deliver " + std::to_string(c)); });
  EXPECT_EQ(events, (std::vector<std::string>{"make 0", "deliver 0", "make 1", "deliver 1",
                                              "make 2", "deliver 2"}));
}

TEST(OrderedPipeline, AThrowFromMakeIsRethrownAfterTheChunksBeforeItAndNothingAfter) {
  for (unsigned threads : {0u, 1u, 3u}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    std::vector<std::size_t> delivered;
    EXPECT_THROW(run_ordered_pipeline(
                     50, {threads},
                     [&](std::size_t c, unsigned) {
                       if (c == 7) throw std::runtime_error("chunk 7");
                     },
                     [&](std::size_t c) { delivered.push_back(c); }),
                 std::runtime_error);
    ASSERT_LE(delivered.size(), 7u);
    for (std::size_t i = 0; i < delivered.size(); ++i) EXPECT_EQ(delivered[i], i);
  }
}

TEST(OrderedPipeline, AThrowFromDeliverStopsTheWorkersAndIsRethrown) {
  for (unsigned threads : {0u, 1u, 3u}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    std::atomic<std::size_t> made{0};
    std::vector<std::size_t> delivered;
    EXPECT_THROW(run_ordered_pipeline(
                     1000, {threads, 2}, [&](std::size_t, unsigned) { ++made; },
                     [&](std::size_t c) {
                       delivered.push_back(c);
                       if (c == 3) throw std::logic_error("writer failed");
                     }),
                 std::logic_error);
    EXPECT_EQ(delivered, (std::vector<std::size_t>{0, 1, 2, 3}));
    // Chunks 0..3 delivered, so at most 3 + 2 claimed: the workers stopped claiming.
    EXPECT_LE(made.load(), 5u);
  }
}

TEST(OrderedPipeline, TheFirstOfSeveralThrowsIsRethrownOnce) {
  std::atomic<int> throws{0};
  try {
    run_ordered_pipeline(
        100, {4},
        [&](std::size_t c, unsigned) {
          ++throws;
          throw std::runtime_error("chunk " + std::to_string(c));
        },
        [](std::size_t) { ADD_FAILURE() << "nothing is made, so nothing is delivered"; });
    ADD_FAILURE() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("chunk ", 0), 0u);
  }
  EXPECT_GE(throws.load(), 1);
  EXPECT_LE(throws.load(), 4);  // each worker stops at its first throw
}

TEST(OrderedPipeline, ASlowConsumerHoldsTheWorkersWithinTheLookAhead) {
  std::atomic<std::size_t> claimed{0}, delivered{0}, most_ahead{0};
  run_ordered_pipeline(
      40, {3, 4},
      [&](std::size_t c, unsigned) {
        const std::size_t ahead = c + 1 - delivered.load();
        std::size_t seen = most_ahead.load();
        while (ahead > seen && !most_ahead.compare_exchange_weak(seen, ahead)) {
        }
        ++claimed;
      },
      [&](std::size_t c) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        delivered = c + 1;
      });
  EXPECT_EQ(claimed.load(), 40u);
  EXPECT_LE(most_ahead.load(), 4u);
}

}  // namespace
}  // namespace trustgate
