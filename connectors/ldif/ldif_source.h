#pragma once
// A directory read from an LDIF file: offline imports, mapping previews and the demo.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "connectors/directory_defaults.h"
#include "connectors/directory_source.h"
#include "connectors/ldif/ldif_reader.h"

namespace trustgate {

// Which entries one of a source's two searches returns: those whose DN is `base` or below it
// (compared as DNs, case-insensitively; "" for the whole file) and for which `filter` (RFC
// 4515, evaluated as ldif_filter_match.h says) is TRUE, as an LDAP subtree search would.
struct LdifSelection {
  std::string base;
  std::string filter;
};

// How LDIF entries become users and groups. Attribute names compare case-insensitively.
// Selections default to those of an ldap source, so that the file previews one.
struct LdifSourceOptions {
  std::string name;
  std::filesystem::path path;

  // An entry `groups` selects is a group; otherwise one `users` selects is a user; others are
  // ignored. (An LDAP source searches twice; here an entry both select is a group.)
  LdifSelection users{.filter = std::string(kDefaultUserFilter)};
  LdifSelection groups{.filter = std::string(kDefaultGroupFilter)};

  // Stable ids of users (`id_attr`) and groups (`group_id_attr`). When the entry lacks it, the
  // normalized DN stands in. objectGUID values (16 raw bytes) are turned into their canonical
  // string form.
  std::string id_attr = "entryUUID";
  std::string group_id_attr = "entryUUID";
  // A group's name; the value of the DN's first RDN when the entry lacks it.
  std::string group_name_attr = "cn";
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
// `options.progress_every` entries and once at the end. Fails as a whole ("ldif.filter") when
// a selection's filter does not parse or holds an item this source can't evaluate.
Result<DirectorySnapshot> snapshot_from_ldif(const LdifDocument& document,
                                             const LdifSourceOptions& options,
                                             const ProgressFn& progress = {});

// Reads `options.path` afresh on every snapshot(). No incremental sync. Thread-compatible:
// snapshot() keeps no state, so concurrent calls are safe.
class LdifSource : public DirectorySource {
 public:
  explicit LdifSource(LdifSourceOptions options);

  const std::string& name() const override { return options_.name; }
  // Fails ("ldif.io", "ldif.version") when the file as a whole can't be read, "ldif.filter"
  // as snapshot_from_ldif.
  Result<DirectorySnapshot> snapshot(const ProgressFn& progress = {}) override;

 private:
  LdifSourceOptions options_;
};

}  // namespace trustgate
