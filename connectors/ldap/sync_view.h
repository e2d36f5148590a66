#pragma once
// The materialised view an incremental (syncrepl) LDAP source keeps in memory: users and groups
// keyed by entryUUID, so a rename or move (modrdn) keeps an entry's identity. Not thread-safe;
// the owner locks.
//
// Group membership is derived from the groups' member values only. Because refint's rewrites
// of member values never reach syncrepl consumers, the view applies them itself: an entry that
// is deleted leaves every group, and an entry that is renamed is renamed in every group.
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
  // Returns true when something was removed.
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
  void drop_member(const std::string& dn);

  std::map<std::string, DirectoryUser> users_;
  std::map<std::string, DirectoryGroup> groups_;
  std::set<std::string> malformed_users_;
  std::set<std::string> malformed_groups_;
};

// Length-prefixed fields ("<decimal length>:<bytes>"), used by the resume state.
void put_field(std::string& out, std::string_view value);
std::optional<std::string> take_field(std::string_view& in);

}  // namespace trustgate
