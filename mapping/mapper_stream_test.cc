// map_directory with a user sink: users delivered in id order while the next ones are made.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <thread>

#include "mapping/mapper.h"
#include "mapping/mapping_memo.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

// staff_everyone_directory() with its entries shuffled: they come in the server's order, not
// by id.
DirectorySnapshot shuffled_directory(int n) {
  DirectorySnapshot d = testing::staff_everyone_directory(n);
  std::shuffle(d.users.begin(), d.users.end(), std::mt19937(42));
  return d;
}

struct Received {
  std::vector<UserMap::Ptr> users;
  std::size_t calls = 0;
  bool all_on_caller = true;
};

UserSink recording(Received& r) {
  return [&r, caller = std::this_thread::get_id()](std::span<const UserMap::Ptr> users) {
    ++r.calls;
    r.all_on_caller = r.all_on_caller && std::this_thread::get_id() == caller;
    r.users.insert(r.users.end(), users.begin(), users.end());
  };
}

// The sink saw exactly the model's users, in the model's (id) order, the same objects.
void expect_streamed_as_model(const Received& r, const MappingResult& result) {
  EXPECT_TRUE(result.streamed);
  ASSERT_EQ(r.users.size(), result.model.users.size());
  std::size_t i = 0;
  for (const auto& [id, user] : result.model.users.entries()) {
    EXPECT_EQ(r.users[i].get(), user.get()) << "at " << i << ": " << id;
    ++i;
  }
  EXPECT_TRUE(r.all_on_caller) << "the sink is called on the thread that called map_directory";
}

TEST(MapperStream, ManyUsersAreStreamedInIdOrderFromSeveralThreads) {
  const auto config = testing::staff_everyone_config();
  const std::vector<DirectorySnapshot> snaps = {shuffled_directory(40000)};
  Received r;
  const MappingResult streamed = map_directory(snaps, config, nullptr, 4, recording(r));
  expect_streamed_as_model(r, streamed);
  EXPECT_GT(r.calls, 10u) << "delivered in chunks, not at the end";
  const MappingResult plain = map_directory(snaps, config, nullptr, 4);
  EXPECT_FALSE(plain.streamed);
  EXPECT_TRUE(streamed.model.users == plain.model.users);
  EXPECT_EQ(streamed.model.grant_count(), plain.model.grant_count());
}

// Ids are ordered as std::string orders them (bytes as unsigned), also where they share their
// first bytes, are shorter than eight, or hold bytes above 0x7f or zero bytes.
TEST(MapperStream, UsersAreStreamedInStringOrderOfTheirIds) {
  const auto config = testing::staff_everyone_config();
  DirectorySnapshot d = shuffled_directory(40000);
  const std::vector<std::string> tricky = {
      "a",        "ab",      std::string("ab\0c", 4), "abcdefgh", "abcdefgh0", "abcdefgh1",
      "abcdefgi", "abcdefg", "\xc3\xa9t\xc3\xa9",     "\xff",     "Z",         "abcdefgh\xff"};
  for (std::size_t i = 0; i < tricky.size(); ++i) d.users[i * 997].id = tricky[i];
  Received r;
  const MappingResult streamed = map_directory({d}, config, nullptr, 4, recording(r));
  expect_streamed_as_model(r, streamed);
  ASSERT_EQ(r.users.size(), d.users.size());
  EXPECT_TRUE(
      std::is_sorted(r.users.begin(), r.users.end(),
                     [](const UserMap::Ptr& a, const UserMap::Ptr& b) { return a->id < b->id; }));
  EXPECT_EQ(r.users.back()->id, "\xff");
}

TEST(MapperStream, AFewUsersAreStreamedOnTheCallingThread) {
  const auto config = testing::staff_everyone_config();
  const std::vector<DirectorySnapshot> snaps = {shuffled_directory(300)};
  Received r;
  const MappingResult streamed = map_directory(snaps, config, nullptr, 4, recording(r));
  expect_streamed_as_model(r, streamed);
  EXPECT_TRUE(streamed.model.users == map_directory(snaps, config).model.users);
}

TEST(MapperStream, RepeatedIdsOrSeveralSnapshotsAreNotStreamed) {
  const auto config = testing::staff_everyone_config();
  DirectorySnapshot repeated = shuffled_directory(100);
  repeated.users.push_back(repeated.users.front());  // the same stable id twice
  repeated.users.back().dn = "uid=other,ou=people,dc=la,dc=example";
  Received r;
  MappingResult result = map_directory({repeated}, config, nullptr, 0, recording(r));
  EXPECT_FALSE(result.streamed);
  EXPECT_EQ(r.calls, 0u);
  EXPECT_TRUE(result.model.users == map_directory({repeated}, config).model.users);

  DirectorySnapshot other = shuffled_directory(10);
  other.source = "ldap";
  for (auto& u : other.users) u.id = "ldap-" + u.id;
  result = map_directory({shuffled_directory(100), other}, config, nullptr, 0, recording(r));
  EXPECT_FALSE(result.streamed);
  EXPECT_EQ(r.calls, 0u);
  EXPECT_EQ(result.model.users.size(), 110u);
}

TEST(MapperStream, AThrowFromTheSinkStopsTheWorkersAndIsRethrown) {
  const auto config = testing::staff_everyone_config();
  const std::vector<DirectorySnapshot> snaps = {shuffled_directory(40000)};
  std::size_t calls = 0;
  UserSink failing = [&](std::span<const UserMap::Ptr>) {
    if (++calls == 3) throw std::runtime_error("disk full");
  };
  EXPECT_THROW(map_directory(snaps, config, nullptr, 4, failing), std::runtime_error);
  EXPECT_EQ(calls, 3u);
}

TEST(MapperStream, TheMemoOfAStreamedPassServesTheNextPass) {
  const auto config = testing::staff_everyone_config();
  DirectorySnapshot d = shuffled_directory(40000);
  MappingMemo memo;
  Received r;
  const MappingResult first = map_directory({d}, config, &memo, 4, recording(r));
  ASSERT_TRUE(first.streamed);
  EXPECT_EQ(memo.mapped, 40000u);
  // One user leaves Staff: the next pass reuses every other user and maps that one afresh.
  auto& staff = d.groups[0].member_dns;
  staff.pop_back();
  const MappingResult second = map_directory({d}, config, &memo, 4);
  EXPECT_EQ(memo.mapped, 1u);
  EXPECT_EQ(memo.reused, 39999u);
  EXPECT_TRUE(second.model.users == map_directory({d}, config).model.users);
}

}  // namespace
}  // namespace trustgate
