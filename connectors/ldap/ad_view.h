#pragma once
// The materialised view an AdSource keeps: users and groups keyed by objectGUID (so renames
// and moves keep identity, and member DNs follow a renamed entry), plus each user's account
// state, so that "enabled" is computed when a snapshot is taken: an account whose
// accountExpires passes while nothing in the directory changes still turns disabled.
// Not thread-safe; the owner locks.
#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "common/error.h"
#include "connectors/ldap/ad_account.h"
#include "connectors/ldap/ad_entry_mapping.h"
#include "connectors/ldap/sync_view.h"
#include "mapping/directory_snapshot.h"

namespace trustgate {

class AdView {
 public:
  void put_user(AdUser user);
  void put_group(DirectoryGroup group);
  // An entry that could not be read, keyed by its GUID if known, else by "dn:<dn>".
  void put_malformed(SyncKind kind, const std::string& key);
  // Removes the entry of `kind` with this key (deleted, or out of the filter or the base).
  // Returns true when there was one.
  bool remove(SyncKind kind, const std::string& key);

  std::size_t size() const { return view_.size(); }
  // As SyncView's: memberships of a returned DN wait for the groups to be read again.
  bool needs_group_refresh() const { return view_.needs_group_refresh(); }
  void groups_refresh_started() { view_.groups_refresh_started(); }
  void groups_refreshed() { view_.groups_refreshed(); }
  // Users' `enabled` = not account_disabled(state, now).
  DirectorySnapshot snapshot(const std::string& source,
                             std::chrono::system_clock::time_point now) const;

  // Length-prefixed encoding (for resume state) and its inverse ("ldap.state" on bad input).
  void encode(std::string& out) const;
  static Result<AdView> decode(std::string_view& in);

  bool operator==(const AdView& other) const;

 private:
  SyncView view_;
  std::map<std::string, AdAccountState> accounts_;  // by user id (objectGUID string)
};

}  // namespace trustgate
