#pragma once
// The abstract directory the oracle tests run on: entries, memberships and mapping rules, all
// referring to each other by index. The generator (directory_generator.h) makes one per seed,
// the renderer (directory_render.h) writes it as LDIF and TOML, and the oracle
// (login_oracle.h) answers from it without reading any of that text.
//
// Plain std types only: nothing here, in the generator, the renderer or the oracle includes
// trustgate's own code.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace trustgate::oracle {

inline constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

// One attribute value assertion of an RDN; `value` is the raw UTF-8 value (unescaped).
struct Ava {
  std::string type;  // lower case: "cn", "uid", "ou", "dc"
  std::string value;
};
using Rdn = std::vector<Ava>;  // one AVA, or several ("cn=a+uid=b"), all of distinct types
struct Dn {
  std::vector<Rdn> rdns;  // the entry's own RDN first, the suffix last
};

// Which mapping pattern a group's DN is written to match (a pattern rule matches exactly the
// groups of its family; the generator keeps every other group's DN outside the pattern).
enum class Family {
  None,
  Staff,      // cn=Staff-<URN>,ou=schools,ou=groups,...   -> institution $1
  Cluster,    // cn=Cluster-<id>,ou=clusters,ou=groups,... -> cluster $1
  Role,       // cn=Role-<id>,ou=roles,ou=groups,...       -> role $1
  SchoolDef,  // cn=School-<URN>,ou=institutions,ou=groups -> defines institution $1
};

// A DN-valued member value: whom it names and how it is spelt.
struct MemberRef {
  enum class Kind { Person, Group, Nobody };
  Kind kind = Kind::Nobody;
  std::size_t index = kNone;   // into DirectoryModel::people / groups
  Dn nobody;                   // Nobody: a DN that names no entry of the directory
  std::uint64_t spelling = 0;  // seed of the equivalent spelling the renderer writes
};

// A posixGroup memberUid value: a username, written exactly as that person's uid.
struct UidRef {
  std::size_t person = kNone;
};

// An inetOrgPerson entry. Whether it is a user of the directory source is the oracle's to
// decide from the flags.
struct Person {
  Dn dn;
  std::string uuid;  // entryUUID
  // Usernames compare case-insensitively (full case folding): persons with equal
  // `username_key` share a username, spelt `uid` each (a case variant of the key); distinct keys
  // never fold to one. Empty `uid`: the entry has no uid (malformed, skipped by the source).
  std::string username_key;
  std::string uid;
  std::string display_name;                 // cn
  bool disabled = false;                    // has a disabled value in the disabled attribute
  bool leaver = false;                      // excluded by the users filter
  bool outside_base = false;                // not under the users base
  std::vector<std::string> employee_types;  // as written (disabled/leaver values in any case)
};

struct Group {
  enum class Shape { Names, UniqueNames, Posix };  // groupOfNames, groupOfUniqueNames, posixGroup
  Dn dn;
  std::string uuid;
  Shape shape = Shape::Names;
  std::string description;
  std::vector<MemberRef> members;   // member / uniqueMember
  std::vector<UidRef> member_uids;  // posixGroup
  Family family = Family::None;
  std::string capture;  // the text the family's pattern captures as $1, as written in the DN
};

// What a rule grants; strings may contain "$1" (pattern rules).
struct Targets {
  std::vector<std::string> roles;
  std::vector<std::string> institutions;
  std::vector<std::string> clusters;
  bool all_institutions = false;
};

struct Rule {
  enum class By { Dn, Id, Pattern };
  std::string id;
  By by = By::Dn;
  std::size_t group = kNone;     // Dn / Id: the group named; kNone: a group that does not exist
  Dn missing_dn;                 // Dn with group == kNone
  std::string missing_id;        // Id with group == kNone
  Family family = Family::None;  // Pattern
  std::string pattern;           // Pattern: RE2 text matching the DNs of `family` exactly
  std::uint64_t spelling = 0;    // Dn: spelling of the DN; Id: upper- or lower-case
  bool with_source = false;      // names the directory's source explicitly
  Targets targets;
};

// [[institution_rule]]: every group of `family` defines institution $1.
struct InstitutionRule {
  std::string id;
  Family family = Family::SchoolDef;
  std::string pattern;
};

struct RoleDef {
  std::string id;
  std::string name;
  std::vector<std::string> permissions;
};

struct InstitutionDef {
  std::string id;  // URN
  std::string name;
};

struct ClusterDef {
  std::string id;
  std::string name;
  std::vector<std::string> institutions;
};

struct DirectoryModel {
  std::uint64_t seed = 0;
  std::string source_name = "dir";
  Dn suffix;                   // dc=la,dc=example
  std::vector<Dn> containers;  // organizationalUnit entries, parents before children
  Dn users_base;               // [source.users] base
  std::uint64_t users_base_spelling = 0;
  std::vector<std::string> disabled_values;  // [source.users] disabled_values
  std::vector<Person> people;
  std::vector<Group> groups;

  std::vector<std::string> permissions;  // declared, besides the login permission
  std::vector<RoleDef> roles;
  std::vector<InstitutionDef> institutions;
  std::vector<ClusterDef> clusters;
  std::vector<Rule> rules;
  std::vector<InstitutionRule> institution_rules;
};

inline constexpr const char* kLoginPermission = "mis.login.associated_institutions";

}  // namespace trustgate::oracle
