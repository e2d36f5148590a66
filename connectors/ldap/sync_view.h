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
//
// One case the view cannot decide alone: an entry removed (deleted, or out of the filter) and an
// entry with the same DN, or the same entry under any DN, in the view again. Without refint on the
// server, the groups still list the DN and a full read finds the user in them; with refint, the
// server deleted those values, at any time while the entry was away, and never told the
// consumer. So the view fails closed: member values naming a returned DN count only in groups
// the server sent after the return; needs_group_refresh() tells the owner to have the groups sent
// again (a sync refresh of the groups), after which groups_refreshed() drops what that refresh
// settled. Until then the user may miss access it has; it never gets access it lost. (A refint
// task still running on the server while the groups are sent can be missed until a reconcile.)
#include <cstddef>
#include <cstdint>
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

  // True when a returned DN's memberships wait for the groups to be sent again.
  bool needs_group_refresh() const { return !unverified_.empty(); }
  // Marks the start of a complete refresh of the groups; groups_refreshed() at its end forgets
  // the departures before that start, which every group sent since has settled.
  void groups_refresh_started() { refresh_started_ = generation_; }
  void groups_refreshed();

  // A compact length-prefixed encoding, and its inverse ("ldap.state" on malformed input).
  void encode(std::string& out) const;
  static Result<SyncView> decode(std::string_view& in);

 private:
  void rename_member(const std::string& old_dn, const std::string& new_dn);
  // Records that an entry left the view / is in it (again).
  void depart(const std::string& uuid, const std::string& dn);
  void arrive(const std::string& uuid, const std::string& dn);
  // Whether group `uuid`'s value naming normalised DN `norm` counts (see the header comment).
  bool member_value_counts(const std::string& uuid, const std::string& norm) const;

  std::map<std::string, DirectoryUser> users_;
  std::map<std::string, DirectoryGroup> groups_;
  std::set<std::string> malformed_users_;
  std::set<std::string> malformed_groups_;
  // Fail closed on returning DNs. Generations order removals of users against group updates.
  std::uint64_t generation_ = 0;
  std::uint64_t refresh_started_ = 0;
  std::map<std::string, std::uint64_t> group_sent_;      // group uuid -> generation last sent
  std::map<std::string, std::uint64_t> departed_;        // normalised DN -> generation it left
  std::map<std::string, std::uint64_t> departed_uuids_;  // uuid -> generation it left
  // DNs of entries in the view again that had left (by DN or by uuid) -> that generation.
  std::map<std::string, std::uint64_t> unverified_;
};

// Length-prefixed fields ("<decimal length>:<bytes>"), used by the resume state.
void put_field(std::string& out, std::string_view value);
std::optional<std::string> take_field(std::string_view& in);

}  // namespace trustgate
