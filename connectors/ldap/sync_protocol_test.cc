#include "connectors/ldap/sync_protocol.h"

#include <gtest/gtest.h>
#include <lber.h>
#include <ldap.h>

#include <memory>

namespace trustgate {
namespace {

const std::string kUuidBytes("\x01\x23\x45\x67\x89\xab\xcd\xef\x00\x11\x22\x33\x44\x55\x66\x77",
                             16);
const std::string kUuid = "01234567-89ab-cdef-0011-223344556677";

struct BerFree {
  void operator()(BerElement* ber) const { ber_free(ber, 1); }
};

// Encodes with ber_printf and returns the bytes (the server's side of the protocol).
template <typename... Args>
std::string ber_encode(const char* format, Args... args) {
  std::unique_ptr<BerElement, BerFree> ber(ber_alloc_t(LBER_USE_DER));
  EXPECT_NE(ber_printf(ber.get(), format, args...), -1);
  berval bv{};
  EXPECT_EQ(ber_flatten2(ber.get(), &bv, 0), 0);
  return std::string(bv.bv_val, bv.bv_len);
}

// The berval points into `s`, which must outlive it.
berval bv(const std::string& s) { return berval{s.size(), const_cast<char*>(s.data())}; }

TEST(SyncProtocolTest, UuidToStringFormatsSixteenBytes) {
  EXPECT_EQ(uuid_to_string(kUuidBytes), kUuid);
  EXPECT_EQ(uuid_to_string("short"), "");
}

TEST(SyncProtocolTest, EncodesRequestWithModeAndCookie) {
  auto encoded = encode_sync_request(SyncMode::RefreshAndPersist, std::string("rid=000,csn=1"));
  ASSERT_TRUE(encoded);
  berval in = bv(*encoded);
  std::unique_ptr<BerElement, BerFree> ber(ber_init(&in));
  ber_int_t mode = 0;
  berval cookie{};
  ASSERT_NE(ber_scanf(ber.get(), "{em}", &mode, &cookie), LBER_ERROR);
  EXPECT_EQ(mode, 3);
  EXPECT_EQ(std::string(cookie.bv_val, cookie.bv_len), "rid=000,csn=1");
}

TEST(SyncProtocolTest, EncodesRequestWithoutCookie) {
  auto encoded = encode_sync_request(SyncMode::RefreshOnly, std::nullopt);
  ASSERT_TRUE(encoded);
  berval in = bv(*encoded);
  std::unique_ptr<BerElement, BerFree> ber(ber_init(&in));
  ber_int_t mode = 0;
  ASSERT_NE(ber_scanf(ber.get(), "{e}", &mode), LBER_ERROR);
  EXPECT_EQ(mode, 1);
}

TEST(SyncProtocolTest, ParsesSyncStateWithCookie) {
  berval uuid = bv(kUuidBytes);
  const std::string cookie_text = "rid=001,csn=2";
  berval cookie = bv(cookie_text);
  auto parsed = parse_sync_state(ber_encode("{eOO}", 2, &uuid, &cookie));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->state, SyncEntryState::Modify);
  EXPECT_EQ(parsed->uuid, kUuid);
  EXPECT_EQ(parsed->cookie, "rid=001,csn=2");
}

TEST(SyncProtocolTest, ParsesSyncStateWithoutCookie) {
  berval uuid = bv(kUuidBytes);
  auto parsed = parse_sync_state(ber_encode("{eO}", 3, &uuid));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->state, SyncEntryState::Delete);
  EXPECT_FALSE(parsed->cookie);
}

TEST(SyncProtocolTest, RejectsSyncStateWithShortUuid) {
  const std::string short_uuid = "abc";
  berval uuid = bv(short_uuid);
  EXPECT_FALSE(parse_sync_state(ber_encode("{eO}", 1, &uuid)));
  EXPECT_FALSE(parse_sync_state("garbage"));
}

// Found by fuzz_ldap_entry: an empty control value (a server may send a Sync State control
// without one) crashed in ber_scanf on the buffer-less BerElement ber_init makes of it.
TEST(SyncProtocolTest, FuzzEmptySyncStateValueIsAnErrorNotACrash) {
  auto parsed = parse_sync_state("");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "ldap.protocol");
  EXPECT_FALSE(parse_sync_state(std::string_view()));
  EXPECT_FALSE(parse_sync_info(""));
}

TEST(SyncProtocolTest, ParsesNewCookie) {
  const std::string cookie_text = "rid=000,csn=3";
  berval cookie = bv(cookie_text);
  auto parsed = parse_sync_info(ber_encode("tO", LDAP_TAG_SYNC_NEW_COOKIE, &cookie));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->kind, SyncInfoKind::NewCookie);
  EXPECT_EQ(parsed->cookie, "rid=000,csn=3");
}

TEST(SyncProtocolTest, ParsesRefreshPresentWithDoneFalse) {
  const std::string cookie_text = "c1";
  berval cookie = bv(cookie_text);
  auto parsed = parse_sync_info(
      ber_encode("t{Ob}", LDAP_TAG_SYNC_REFRESH_PRESENT, &cookie, static_cast<ber_int_t>(0)));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->kind, SyncInfoKind::RefreshPresent);
  EXPECT_EQ(parsed->cookie, "c1");
  EXPECT_FALSE(parsed->refresh_done);
}

TEST(SyncProtocolTest, RefreshDeleteDefaultsToDone) {
  auto parsed = parse_sync_info(ber_encode("t{}", LDAP_TAG_SYNC_REFRESH_DELETE));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->kind, SyncInfoKind::RefreshDelete);
  EXPECT_TRUE(parsed->refresh_done);
  EXPECT_FALSE(parsed->cookie);
}

TEST(SyncProtocolTest, ParsesSyncIdSetOfDeletes) {
  const std::string cookie_text = "c2";
  const std::string all_ones(16, '\xff');
  berval cookie = bv(cookie_text);
  berval uuids[] = {bv(kUuidBytes), bv(all_ones), {0, nullptr}};
  auto parsed = parse_sync_info(
      ber_encode("t{Ob[W]}", LDAP_TAG_SYNC_ID_SET, &cookie, static_cast<ber_int_t>(1), uuids));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->kind, SyncInfoKind::SyncIdSet);
  EXPECT_TRUE(parsed->refresh_deletes);
  ASSERT_EQ(parsed->uuids.size(), 2u);
  EXPECT_EQ(parsed->uuids[0], kUuid);
  EXPECT_EQ(parsed->uuids[1], "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

TEST(SyncProtocolTest, SyncIdSetDefaultsToPresent) {
  berval uuids[] = {bv(kUuidBytes), {0, nullptr}};
  auto parsed = parse_sync_info(ber_encode("t{[W]}", LDAP_TAG_SYNC_ID_SET, uuids));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->refresh_deletes);
  EXPECT_EQ(parsed->uuids.size(), 1u);
}

TEST(SyncProtocolTest, RejectsUnknownSyncInfo) { EXPECT_FALSE(parse_sync_info("\x30\x00")); }

}  // namespace
}  // namespace trustgate
