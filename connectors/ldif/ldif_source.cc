#include "connectors/ldif/ldif_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdint>
#include <expected>
#include <unordered_set>
#include <utility>

#include "connectors/filter/ldap_filter.h"
#include "connectors/ldif/ldif_filter_match.h"
#include "connectors/object_guid.h"
#include "mapping/access_model.h"
#include "mapping/dn.h"

namespace trustgate {
namespace {

using ldif::iequals;

bool contains_ci(const std::vector<std::string>& list, std::string_view value) {
  for (const auto& item : list) {
    if (iequals(item, value)) return true;
  }
  return false;
}

// Whether the normalized DN `dn` is `base` or below it (both normalized, base not empty).
bool within_base(std::string_view dn, std::string_view base) {
  if (dn.size() == base.size()) return dn == base;
  if (dn.size() < base.size() + 1 || !dn.ends_with(base)) return false;
  const std::size_t comma = dn.size() - base.size() - 1;
  if (dn[comma] != ',') return false;
  std::size_t backslashes = 0;  // an escaped ',' ("cn=a\,dc=x") separates no RDNs
  while (backslashes < comma && dn[comma - 1 - backslashes] == '\\') ++backslashes;
  return backslashes % 2 == 0;
}

// A selection ready to test records: its base normalized, its filter parsed.
struct Selection {
  std::string base;
  LdapFilter filter;
};

Result<Selection> compile(const LdifSelection& selection, std::string_view which,
                          const LdifSourceOptions& options) {
  auto filter = parse_ldap_filter(selection.filter);
  if (!filter) {
    return fail("ldif.filter", fmt::format("ldif source '{}': {}.filter: {}", options.name, which,
                                           filter.error().message));
  }
  if (std::string problem = ldif_filter_unsupported(*filter); !problem.empty()) {
    return fail("ldif.filter",
                fmt::format("ldif source '{}': {}.filter: {}", options.name, which, problem));
  }
  return Selection{normalize_dn(selection.base), std::move(*filter)};
}

std::string first_of(const LdifRecord& record, const std::vector<std::string>& attrs) {
  for (const auto& attr : attrs) {
    if (const std::string* value = record.first(attr); value && !value->empty()) return *value;
  }
  return {};
}

std::string first_or_empty(const LdifRecord& record, std::string_view attr) {
  if (attr.empty()) return {};
  const std::string* value = record.first(attr);
  return value ? *value : std::string{};
}

// The entry's stable id, or the normalized DN when the id attribute is absent.
std::expected<std::string, std::string> stable_id(const LdifRecord& record,
                                                  const std::string& id_attr) {
  const std::string* value = id_attr.empty() ? nullptr : record.first(id_attr);
  if (value == nullptr || value->empty()) {
    std::string dn = normalize_dn(record.dn);
    if (dn.empty()) return std::unexpected("empty DN and no id attribute");
    return dn;
  }
  if (iequals(id_attr, "objectGUID")) {
    if (auto guid = format_object_guid(*value)) return *guid;
    if (value->size() == 36) return *value;  // already in string form
    return std::unexpected("objectGUID is neither 16 bytes nor a GUID string");
  }
  return *value;
}

// nameAndOptionalUID (uniqueMember): "cn=x,dc=y#'0101'B" -> "cn=x,dc=y".
std::string strip_optional_uid(std::string value) {
  const std::size_t hash = value.rfind("#'");
  if (hash != std::string::npos && value.size() >= hash + 3 && value.ends_with("'B")) {
    const std::string_view bits(value.data() + hash + 2, value.size() - hash - 4);
    if (bits.find_first_not_of("01") == std::string_view::npos) value.resize(hash);
  }
  return value;
}

// Disabled per the configured attribute and, on AD, userAccountControl. An error when
// userAccountControl is not a number (the entry is then malformed, never silently enabled).
std::expected<bool, std::string> is_disabled(const LdifRecord& record,
                                             const LdifSourceOptions& options) {
  if (!options.disabled_attr.empty()) {
    const auto values = record.values(options.disabled_attr);
    if (!values.empty()) {
      if (options.disabled_values.empty()) return true;
      for (const auto& value : values) {
        if (contains_ci(options.disabled_values, value)) return true;
      }
    }
  }
  if (options.use_user_account_control) {
    if (const std::string* uac = record.first("userAccountControl")) {
      std::int64_t flags = 0;
      const auto [end, ec] = std::from_chars(uac->data(), uac->data() + uac->size(), flags);
      if (ec != std::errc{} || end != uac->data() + uac->size()) {
        return std::unexpected("userAccountControl is not a number");
      }
      if ((flags & 0x2) != 0) return true;
    }
  }
  return false;
}

std::string_view type_of(std::string_view description) {
  return description.substr(0, description.find(';'));
}

void add_filter_types(const LdapFilter& f, std::unordered_set<std::string>& out) {
  if (!f.attribute.empty()) out.insert(to_lower(type_of(f.attribute)));
  for (const auto& child : f.children) add_filter_types(child, out);
}

// Every attribute type (lower-cased) that decides whether an entry is selected or what it
// becomes: the selections' filters and every attribute the options name.
std::unordered_set<std::string> read_attribute_types(const LdifSourceOptions& o,
                                                     const LdapFilter& users,
                                                     const LdapFilter& groups) {
  std::unordered_set<std::string> out = {"objectclass", "useraccountcontrol", "description"};
  add_filter_types(users, out);
  add_filter_types(groups, out);
  for (const std::string* name : {&o.id_attr, &o.group_id_attr, &o.group_name_attr, &o.email_attr,
                                  &o.disabled_attr, &o.member_uid_attr}) {
    if (!name->empty()) out.insert(to_lower(*name));
  }
  for (const auto* list : {&o.username_attrs, &o.display_name_attrs, &o.member_attrs}) {
    for (const auto& name : *list) out.insert(to_lower(name));
  }
  return out;
}

class SnapshotBuilder {
 public:
  SnapshotBuilder(const LdifSourceOptions& options, Selection users, Selection groups,
                  DirectorySnapshot& out)
      : options_(options),
        users_(std::move(users)),
        groups_(std::move(groups)),
        out_(out),
        read_types_(read_attribute_types(options, users_.filter, groups_.filter)) {}

  void add(const LdifRecord& record) {
    // A broken value in an attribute this source reads makes the entry unusable; elsewhere
    // (a jpegPhoto) it is counted and the entry kept.
    for (const auto& bad : record.bad_values) {
      if (read_types_.contains(to_lower(type_of(bad.attribute)))) {
        return malformed(
            bad.line, record.dn,
            fmt::format("attribute '{}' has a value that is not valid base64", bad.attribute));
      }
    }
    for (const auto& bad : record.bad_values) {
      ++out_.ignored_values;
      spdlog::warn(
          "ldif source '{}': line {}: value of '{}' in entry '{}' is not valid base64; "
          "ignored (this source does not read it)",
          options_.name, bad.line, bad.attribute, record.dn);
    }
    if (selects(groups_, record)) {
      add_group(record);
    } else if (selects(users_, record)) {
      add_user(record);
    }
  }

  void malformed(std::size_t line, std::string_view dn, std::string_view why) {
    ++out_.malformed_entries;
    spdlog::warn("ldif source '{}': line {}: entry '{}' skipped: {}", options_.name, line, dn, why);
  }

  // A record the reader could not parse; its message already names the line.
  void unreadable(const LdifError& error) {
    ++out_.malformed_entries;
    spdlog::warn("ldif source '{}': record skipped: {}", options_.name, error.message);
  }

 private:
  void add_user(const LdifRecord& record) {
    DirectoryUser user;
    user.dn = record.dn;
    user.username = first_of(record, options_.username_attrs);
    if (user.username.empty()) return malformed(record.line, record.dn, "user has no username");
    auto disabled = is_disabled(record, options_);
    if (!disabled) return malformed(record.line, record.dn, disabled.error());
    user.enabled = !*disabled;
    auto id = stable_id(record, options_.id_attr);
    if (!id) return malformed(record.line, record.dn, id.error());
    if (!claim(*id)) return malformed(record.line, record.dn, "duplicate id");
    user.id = std::move(*id);
    user.display_name = first_of(record, options_.display_name_attrs);
    if (user.display_name.empty()) user.display_name = user.username;
    user.email = first_or_empty(record, options_.email_attr);
    out_.users.push_back(std::move(user));
  }

  void add_group(const LdifRecord& record) {
    DirectoryGroup group;
    group.dn = record.dn;
    auto id = stable_id(record, options_.group_id_attr);
    if (!id) return malformed(record.line, record.dn, id.error());
    if (!claim(*id)) return malformed(record.line, record.dn, "duplicate id");
    group.id = std::move(*id);
    group.name = first_or_empty(record, options_.group_name_attr);
    if (group.name.empty()) group.name = first_rdn_value(record.dn);
    group.description = first_or_empty(record, "description");
    for (const auto& attr : options_.member_attrs) {
      for (auto& value : record.values_of_type(attr)) {
        if (!value.empty()) group.member_dns.push_back(strip_optional_uid(std::move(value)));
      }
    }
    if (!options_.member_uid_attr.empty()) {
      for (auto& value : record.values_of_type(options_.member_uid_attr)) {
        if (!value.empty()) group.member_uids.push_back(std::move(value));
      }
    }
    out_.groups.push_back(std::move(group));
  }

  bool selects(const Selection& selection, const LdifRecord& record) {
    if (!selection.base.empty()) {
      normalize_dn_into(record.dn, dn_);
      if (!within_base(dn_, selection.base)) return false;
    }
    return filter_selects(selection.filter, record);
  }

  // False when another entry already has this id.
  bool claim(const std::string& id) { return ids_.insert(id).second; }

  const LdifSourceOptions& options_;
  const Selection users_;
  const Selection groups_;
  DirectorySnapshot& out_;
  std::unordered_set<std::string> ids_;
  std::string dn_;  // scratch: the normalized DN of the record being selected
  const std::unordered_set<std::string> read_types_;  // lower-cased attribute types
};

}  // namespace

Result<DirectorySnapshot> snapshot_from_ldif(const LdifDocument& document,
                                             const LdifSourceOptions& options,
                                             const ProgressFn& progress) {
  auto users = compile(options.users, "users", options);
  if (!users) return std::unexpected(users.error());
  auto groups = compile(options.groups, "groups", options);
  if (!groups) return std::unexpected(groups.error());
  DirectorySnapshot snapshot;
  snapshot.source = options.name;
  SnapshotBuilder builder(options, std::move(*users), std::move(*groups), snapshot);
  for (const auto& error : document.errors) builder.unreadable(error);

  const std::size_t every = options.progress_every == 0 ? 1000 : options.progress_every;
  std::size_t done = 0;
  for (const auto& record : document.records) {
    builder.add(record);
    ++done;
    if (progress && done % every == 0) progress(done);
  }
  if (progress && done % every != 0) progress(done);
  return snapshot;
}

LdifSource::LdifSource(LdifSourceOptions options) : options_(std::move(options)) {}

Result<DirectorySnapshot> LdifSource::snapshot(const ProgressFn& progress) {
  auto document = read_ldif_file(options_.path);
  if (!document) {
    spdlog::error("ldif source '{}': {}", options_.name, document.error().message);
    return std::unexpected(document.error());
  }
  auto snapshot = snapshot_from_ldif(*document, options_, progress);
  if (!snapshot) spdlog::error("{}", snapshot.error().message);
  return snapshot;
}

}  // namespace trustgate
