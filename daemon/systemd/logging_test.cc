#include "daemon/systemd/logging.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

using spdlog::level::level_enum;

TEST(ParseLogLevelTest, AcceptsKnownNamesAndAliasesCaseInsensitively) {
  EXPECT_EQ(parse_log_level("trace"), level_enum::trace);
  EXPECT_EQ(parse_log_level("debug"), level_enum::debug);
  EXPECT_EQ(parse_log_level("INFO"), level_enum::info);
  EXPECT_EQ(parse_log_level("warn"), level_enum::warn);
  EXPECT_EQ(parse_log_level("Warning"), level_enum::warn);
  EXPECT_EQ(parse_log_level("error"), level_enum::err);
  EXPECT_EQ(parse_log_level("err"), level_enum::err);
  EXPECT_EQ(parse_log_level("critical"), level_enum::critical);
  EXPECT_EQ(parse_log_level("off"), level_enum::off);
}

TEST(ParseLogLevelTest, RejectsUnknownNameWithCode) {
  auto r = parse_log_level("verbose");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "config.invalid");
  EXPECT_NE(r.error().message.find("verbose"), std::string::npos);
}

TEST(JournalStreamTest, MatchesOnlyTheSameDeviceAndInode) {
  EXPECT_TRUE(journal_stream_matches("8:12345", 8ull, 12345ull));
  EXPECT_FALSE(journal_stream_matches("8:12345", 8ull, 12346ull));
  EXPECT_FALSE(journal_stream_matches("9:12345", 8ull, 12345ull));
  EXPECT_FALSE(journal_stream_matches(nullptr, 8ull, 12345ull));
  EXPECT_FALSE(journal_stream_matches("8:12345", std::nullopt, std::nullopt));
  EXPECT_FALSE(journal_stream_matches("garbage", 8ull, 12345ull));
  EXPECT_FALSE(journal_stream_matches("8:12345x", 8ull, 12345ull));
}

TEST(MakeLoggerTest, UsesRequestedLevel) {
  auto logger = make_logger("debug");
  EXPECT_EQ(logger->name(), "trustgated");
  EXPECT_EQ(logger->level(), level_enum::debug);
}

TEST(MakeLoggerTest, UnknownLevelFallsBackToInfo) {
  auto logger = make_logger("loud");
  EXPECT_EQ(logger->level(), level_enum::info);
}

TEST(SetLevelTest, ChangesLevelAndRefusesUnknownKeepingOld) {
  auto logger = make_logger("info");
  ASSERT_TRUE(set_level(*logger, "error").has_value());
  EXPECT_EQ(logger->level(), level_enum::err);
  EXPECT_FALSE(set_level(*logger, "nope").has_value());
  EXPECT_EQ(logger->level(), level_enum::err);
}

}  // namespace
}  // namespace trustgate
