#include "connectors/ldap/sync_protocol.h"

#include <lber.h>
#include <ldap.h>

#include <memory>

namespace trustgate {
namespace {

struct BerFree {
  void operator()(BerElement* ber) const { ber_free(ber, 1); }
};

berval as_berval(std::string_view bytes) {
  return berval{static_cast<ber_len_t>(bytes.size()), const_cast<char*>(bytes.data())};
}

std::string to_string(const berval& bv) {
  return bv.bv_val ? std::string(bv.bv_val, bv.bv_len) : std::string();
}

// Reads an optional syncCookie (OCTET STRING) at the current position.
bool read_optional_cookie(BerElement* ber, std::optional<std::string>& cookie) {
  ber_len_t len = 0;
  if (ber_peek_tag(ber, &len) != LDAP_TAG_SYNC_COOKIE) return true;
  berval bv{};
  if (ber_scanf(ber, "m", &bv) == LBER_ERROR) return false;
  cookie = to_string(bv);
  return true;
}

}  // namespace

std::string uuid_to_string(std::string_view raw) {
  if (raw.size() != 16) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto b = static_cast<unsigned char>(raw[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

Result<std::string> encode_sync_request(SyncMode mode, const std::optional<std::string>& cookie,
                                        bool reload_hint) {
  std::unique_ptr<BerElement, BerFree> ber(ber_alloc_t(LBER_USE_DER));
  if (!ber) return fail("ldap.protocol", "cannot allocate a BER element");
  if (ber_printf(ber.get(), "{e", static_cast<ber_int_t>(mode)) == -1)
    return fail("ldap.protocol", "cannot encode the sync request mode");
  if (cookie) {
    berval bv = as_berval(*cookie);
    if (ber_printf(ber.get(), "O", &bv) == -1)
      return fail("ldap.protocol", "cannot encode the sync cookie");
  }
  if (reload_hint && ber_printf(ber.get(), "b", static_cast<ber_int_t>(1)) == -1)
    return fail("ldap.protocol", "cannot encode the reload hint");
  if (ber_printf(ber.get(), "N}") == -1)
    return fail("ldap.protocol", "cannot encode the sync request");
  berval out{};
  if (ber_flatten2(ber.get(), &out, 0) == -1)
    return fail("ldap.protocol", "cannot flatten the sync request");
  return to_string(out);
}

Result<SyncStateValue> parse_sync_state(std::string_view bytes) {
  // ber_init makes a BerElement without a buffer of an empty value, and ber_scanf dereferences it.
  if (bytes.empty()) return fail("ldap.protocol", "empty Sync State control");
  berval in = as_berval(bytes);
  std::unique_ptr<BerElement, BerFree> owner(ber_init(&in));  // a copy of `in`
  if (!owner) return fail("ldap.protocol", "cannot allocate a BER element");
  BerElement* ber = owner.get();
  ber_int_t state = 0;
  berval uuid{};
  if (ber_scanf(ber, "{em", &state, &uuid) == LBER_ERROR)
    return fail("ldap.protocol", "malformed Sync State control");
  if (state < 0 || state > 3)
    return fail("ldap.protocol", "unknown sync state in Sync State control");
  SyncStateValue value;
  value.state = static_cast<SyncEntryState>(state);
  value.uuid = uuid_to_string(std::string_view(uuid.bv_val, uuid.bv_len));
  if (value.uuid.empty()) return fail("ldap.protocol", "Sync State control without a 16-byte UUID");
  if (!read_optional_cookie(ber, value.cookie))
    return fail("ldap.protocol", "malformed cookie in Sync State control");
  return value;
}

Result<SyncInfoValue> parse_sync_info(std::string_view bytes) {
  berval in = as_berval(bytes);
  std::unique_ptr<BerElement, BerFree> owner(ber_init(&in));  // a copy of `in`
  if (!owner) return fail("ldap.protocol", "cannot allocate a BER element");
  BerElement* ber = owner.get();
  SyncInfoValue value;
  ber_len_t len = 0;
  ber_tag_t tag = ber_peek_tag(ber, &len);
  switch (tag) {
    case LDAP_TAG_SYNC_NEW_COOKIE: {
      berval cookie{};
      if (ber_scanf(ber, "tm", &tag, &cookie) == LBER_ERROR)
        return fail("ldap.protocol", "malformed Sync Info newcookie");
      value.kind = SyncInfoKind::NewCookie;
      value.cookie = to_string(cookie);
      return value;
    }
    case LDAP_TAG_SYNC_REFRESH_DELETE:
    case LDAP_TAG_SYNC_REFRESH_PRESENT: {
      value.kind = tag == LDAP_TAG_SYNC_REFRESH_DELETE ? SyncInfoKind::RefreshDelete
                                                       : SyncInfoKind::RefreshPresent;
      if (ber_scanf(ber, "t{", &tag) == LBER_ERROR || !read_optional_cookie(ber, value.cookie))
        return fail("ldap.protocol", "malformed Sync Info refresh message");
      if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDONE) {
        ber_int_t done = 1;
        if (ber_scanf(ber, "b", &done) == LBER_ERROR)
          return fail("ldap.protocol", "malformed refreshDone in Sync Info");
        value.refresh_done = done != 0;
      }
      return value;
    }
    case LDAP_TAG_SYNC_ID_SET: {
      value.kind = SyncInfoKind::SyncIdSet;
      if (ber_scanf(ber, "t{", &tag) == LBER_ERROR || !read_optional_cookie(ber, value.cookie))
        return fail("ldap.protocol", "malformed Sync Info syncIdSet");
      if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDELETES) {
        ber_int_t deletes = 0;
        if (ber_scanf(ber, "b", &deletes) == LBER_ERROR)
          return fail("ldap.protocol", "malformed refreshDeletes in Sync Info");
        value.refresh_deletes = deletes != 0;
      }
      BerVarray uuids = nullptr;
      if (ber_scanf(ber, "[W]", &uuids) == LBER_ERROR)
        return fail("ldap.protocol", "malformed syncUUIDs in Sync Info");
      for (BerVarray it = uuids; it && it->bv_val; ++it) {
        std::string uuid = uuid_to_string(std::string_view(it->bv_val, it->bv_len));
        if (uuid.empty()) {
          ber_bvarray_free(uuids);
          return fail("ldap.protocol", "syncIdSet with a UUID that is not 16 bytes");
        }
        value.uuids.push_back(std::move(uuid));
      }
      ber_bvarray_free(uuids);
      return value;
    }
    default:
      return fail("ldap.protocol", "unknown Sync Info message");
  }
}

}  // namespace trustgate
