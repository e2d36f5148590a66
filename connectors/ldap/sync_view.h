#pragma once
// The materialised view an incremental (syncrepl) LDAP source keeps in memory: users and groups
// keyed by entryUUID, so a rename or move (modrdn) keeps an entry's identity. Not thread-safe;
// the owner locks.
//
// Group membership is derived from the groups' member values only; memberOf is never read.
// A group's member values are its own data, kept as the server last sent them: removing an
// entry (deleted, or out of the filter) edits no other group, and the mapping stage ignores
// values that name no current entry. So a removed entry is in no group because it is not in the
// view, and an entry that comes back with the same DN is a member again, exactly as a full read
// sees it. Because refint's rewrites never reach syncrepl consumers, the view applies one
// itself: an entry that is renamed (modrdn) is renamed in every group's member values.
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/error.h"
#include "mapping/directory_snapshot.h"

namespace trustgate {

enum class SyncKind { Users, Groups };

class SyncView {
 public:
  void put_user(const std::string& uuid, DirectoryUser user);
  void put_group(const std::string& uuid, DirectoryGroup group);
  // An entry of `kind` that could not be read: counted, and replaces any earlier good version.
  void put_malformed(SyncKind kind, const std::string& uuid);
  // Removes the entry; other groups' member values are left as they are. Returns true when
  // something was removed.
  bool remove(SyncKind kind, const std::string& uuid);
  void clear(SyncKind kind);

  // Every uuid of `kind` (good and malformed).
  std::set<std::string> uuids(SyncKind kind) const;
  std::size_t size() const;

  DirectorySnapshot snapshot(const std::string& source) const;

  // A compact length-prefixed encoding, and its inverse ("ldap.state" on malformed input).
  void encode(std::string& out) const;
  static Result<SyncView> decode(std::string_view& in);

 private:
  void rename_member(const std::string& old_dn, const std::string& new_dn);

  std::map<std::string, DirectoryUser> users_;
  std::map<std::string, DirectoryGroup> groups_;
  std::set<std::string> malformed_users_;
  std::set<std::string> malformed_groups_;
};

// Length-prefixed fields ("<decimal length>:<bytes>"), used by the resume state.
void put_field(std::string& out, std::string_view value);
std::optional<std::string> take_field(std::string_view& in);

}  // namespace trustgate
