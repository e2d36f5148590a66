#pragma once
// RFC 4533 (LDAP Content Synchronization) wire values, encoded and decoded with liblber.
// Pure functions over BER bytes: no connection involved, so they are unit-tested directly.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace trustgate {

inline constexpr const char* kSyncRequestOid = "1.3.6.1.4.1.4203.1.9.1.1";
inline constexpr const char* kSyncStateOid = "1.3.6.1.4.1.4203.1.9.1.2";
inline constexpr const char* kSyncInfoOid = "1.3.6.1.4.1.4203.1.9.1.4";

enum class SyncMode { RefreshOnly = 1, RefreshAndPersist = 3 };

// The Sync State control attached to each entry of a sync search.
enum class SyncEntryState { Present = 0, Add = 1, Modify = 2, Delete = 3 };

struct SyncStateValue {
  SyncEntryState state = SyncEntryState::Present;
  std::string uuid;  // entryUUID in its string form (lower-case 8-4-4-4-12 hex)
  std::optional<std::string> cookie;
};

// The Sync Info intermediate message.
enum class SyncInfoKind { NewCookie, RefreshDelete, RefreshPresent, SyncIdSet };

struct SyncInfoValue {
  SyncInfoKind kind = SyncInfoKind::NewCookie;
  std::optional<std::string> cookie;
  bool refresh_done = true;        // RefreshDelete / RefreshPresent
  bool refresh_deletes = false;    // SyncIdSet: true = the uuids were deleted, false = present
  std::vector<std::string> uuids;  // SyncIdSet, string form
};

// The value of the Sync Request control (syncRequestValue).
Result<std::string> encode_sync_request(SyncMode mode, const std::optional<std::string>& cookie,
                                        bool reload_hint = false);

Result<SyncStateValue> parse_sync_state(std::string_view ber);
Result<SyncInfoValue> parse_sync_info(std::string_view ber);

// 16 raw bytes -> "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; empty when the input is not 16 bytes.
std::string uuid_to_string(std::string_view raw);

}  // namespace trustgate
