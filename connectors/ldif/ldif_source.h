#pragma once
// A directory read from an LDIF file: offline imports, mapping previews and the demo.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "connectors/directory_source.h"
#include "connectors/ldif/ldif_reader.h"

namespace trustgate {

// How LDIF entries become users and groups. Attribute and objectClass names compare
// case-insensitively. Defaults suit OpenLDAP (inetOrgPerson/groupOfNames) and AD exports.
struct LdifSourceOptions {
  std::string name;
  std::filesystem::path path;

  // An entry whose objectClass is in `group_object_classes` is a group; otherwise one in
  // `user_object_classes` (and in none of `excluded_object_classes`) is a user; others are
  // ignored.
  std::vector<std::string> user_object_classes = {"inetOrgPerson", "person", "user"};
  std::vector<std::string> group_object_classes = {"groupOfNames", "groupOfUniqueNames",
                                                   "posixGroup", "group"};
  std::vector<std::string> excluded_object_classes = {"computer"};  // AD computers are users

  // Stable id. When the entry lacks it, the normalized DN stands in. objectGUID values
  // (16 raw bytes) are turned into their canonical string form.
  std::string id_attr = "entryUUID";
  // The first of these present is used; a user with none is malformed.
  std::vector<std::string> username_attrs = {"uid", "sAMAccountName"};
  std::vector<std::string> display_name_attrs = {"displayName", "cn"};
  std::string email_attr = "mail";

  // Disabled accounts. With `disabled_attr` set: present means disabled when
  // `disabled_values` is empty, else any value equal (case-insensitively) to one listed.
  std::string disabled_attr;
  std::vector<std::string> disabled_values;
  // AD: userAccountControl with bit 0x2 (ACCOUNTDISABLE) means disabled, when present.
  bool use_user_account_control = true;

  // Group members. Ranged values ("member;range=0-1499") count as `member`.
  std::vector<std::string> member_attrs = {"member", "uniqueMember"};
  std::string member_uid_attr = "memberUid";

  std::size_t progress_every = 1000;  // entries between progress callbacks
};

// Builds a snapshot from parsed LDIF. Record errors and entries that can't be used (a user
// without a username, a bad userAccountControl, a duplicate id) are logged (DN and line, never
// values) and counted in malformed_entries. `progress` is called every
// `options.progress_every` entries and once at the end.
DirectorySnapshot snapshot_from_ldif(const LdifDocument& document, const LdifSourceOptions& options,
                                     const ProgressFn& progress = {});

// Reads `options.path` afresh on every snapshot(). No incremental sync. Thread-compatible:
// snapshot() keeps no state, so concurrent calls are safe.
class LdifSource : public DirectorySource {
 public:
  explicit LdifSource(LdifSourceOptions options);

  const std::string& name() const override { return options_.name; }
  // Fails ("ldif.io", "ldif.version") when the file as a whole can't be read.
  Result<DirectorySnapshot> snapshot(const ProgressFn& progress = {}) override;

 private:
  LdifSourceOptions options_;
};

}  // namespace trustgate
