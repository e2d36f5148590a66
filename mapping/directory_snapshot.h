#pragma once
// What every directory connector (LDIF, LDAP, AD, the fakes) produces: plain entries, no
// interpretation. Mapping turns a set of snapshots into an AccessModel.
#include <cstddef>
#include <string>
#include <vector>

namespace trustgate {

struct DirectoryUser {
  std::string id;  // stable id: entryUUID, objectGUID (canonical string form), or LDIF-given
  std::string dn;  // as the directory wrote it
  std::string username;
  std::string display_name;
  std::string email;
  bool enabled = true;
  bool operator==(const DirectoryUser&) const = default;
};

struct DirectoryGroup {
  std::string id;  // stable id, survives renames
  std::string dn;
  std::string name;  // cn
  std::string description;
  std::vector<std::string> member_dns;   // member / uniqueMember values (users or groups)
  std::vector<std::string> member_uids;  // posixGroup memberUid values (usernames)
};

struct DirectorySnapshot {
  std::string source;  // the configured source name
  std::vector<DirectoryUser> users;
  std::vector<DirectoryGroup> groups;
  // Entries the connector could not read (already logged by the connector); the rest of the
  // snapshot is still usable.
  std::size_t malformed_entries = 0;
  // Attribute values the connector could not decode in attributes it does not read (e.g. a
  // corrupt jpegPhoto); logged, counted, and their entries kept.
  std::size_t ignored_values = 0;
};

}  // namespace trustgate
