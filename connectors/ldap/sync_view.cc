#include "connectors/ldap/sync_view.h"

#include <charconv>
#include <optional>

#include "mapping/dn.h"

namespace trustgate {

void put_field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
}

std::optional<std::string> take_field(std::string_view& in) {
  const auto colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 20) return std::nullopt;
  std::size_t len = 0;
  const auto [ptr, ec] = std::from_chars(in.data(), in.data() + colon, len);
  if (ec != std::errc() || ptr != in.data() + colon || len > in.size() - colon - 1)
    return std::nullopt;
  std::string value(in.substr(colon + 1, len));
  in.remove_prefix(colon + 1 + len);
  return value;
}

namespace {

void put_count(std::string& out, std::size_t n) { put_field(out, std::to_string(n)); }

std::optional<std::size_t> take_count(std::string_view& in) {
  auto field = take_field(in);
  if (!field) return std::nullopt;
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(field->data(), field->data() + field->size(), n);
  if (ec != std::errc() || ptr != field->data() + field->size()) return std::nullopt;
  return n;
}

void put_list(std::string& out, const std::vector<std::string>& values) {
  put_count(out, values.size());
  for (const auto& v : values) put_field(out, v);
}

bool take_list(std::string_view& in, std::vector<std::string>& out) {
  auto n = take_count(in);
  if (!n || *n > in.size()) return false;
  for (std::size_t i = 0; i < *n; ++i) {
    auto v = take_field(in);
    if (!v) return false;
    out.push_back(std::move(*v));
  }
  return true;
}

void replace_dn(std::vector<std::string>& dns, const std::string& old_norm,
                const std::string& new_dn) {
  for (auto& dn : dns) {
    if (normalize_dn(dn) == old_norm) dn = new_dn;
  }
}

}  // namespace

void SyncView::rename_member(const std::string& old_dn, const std::string& new_dn) {
  const std::string old_norm = normalize_dn(old_dn);
  if (old_norm == normalize_dn(new_dn)) return;
  for (auto& [uuid, group] : groups_) replace_dn(group.member_dns, old_norm, new_dn);
}

void SyncView::depart(const std::string& uuid, const std::string& dn) {
  const std::uint64_t now = ++generation_;
  departed_[normalize_dn(dn)] = now;
  departed_uuids_[uuid] = now;
}

void SyncView::arrive(const std::string& uuid, const std::string& dn) {
  const std::string norm = normalize_dn(dn);
  const bool by_dn = departed_.erase(norm) > 0;
  const bool by_uuid = departed_uuids_.erase(uuid) > 0;
  // While it was away the server may have rewritten any group (refint, unseen): only groups
  // sent from now on can say whether they list it.
  if (by_dn || by_uuid) unverified_[norm] = ++generation_;
}

void SyncView::put_user(const std::string& uuid, DirectoryUser user) {
  malformed_users_.erase(uuid);
  auto it = users_.find(uuid);
  // An entry (or a DN) that left the view and is back: its memberships wait for fresh groups.
  // It may also have been renamed while away, which the groups' stale values don't follow.
  if (it == users_.end() || normalize_dn(it->second.dn) != normalize_dn(user.dn)) {
    arrive(uuid, user.dn);
  }
  if (it != users_.end()) {
    rename_member(it->second.dn, user.dn);
    it->second = std::move(user);
  } else {
    users_.emplace(uuid, std::move(user));
  }
}

void SyncView::put_group(const std::string& uuid, DirectoryGroup group) {
  malformed_groups_.erase(uuid);
  auto it = groups_.find(uuid);
  if (it == groups_.end() || normalize_dn(it->second.dn) != normalize_dn(group.dn)) {
    arrive(uuid, group.dn);  // as for users: a group nested in others
  }
  group_sent_[uuid] = ++generation_;
  if (it != groups_.end()) {
    const std::string old_dn = it->second.dn;
    it->second = std::move(group);
    rename_member(old_dn, it->second.dn);
  } else {
    groups_.emplace(uuid, std::move(group));
  }
}

void SyncView::put_malformed(SyncKind kind, const std::string& uuid) {
  remove(kind, uuid);
  (kind == SyncKind::Users ? malformed_users_ : malformed_groups_).insert(uuid);
}

bool SyncView::remove(SyncKind kind, const std::string& uuid) {
  // Groups keep their member values: a value naming no current entry is ignored by mapping, and
  // names the entry again if one with that DN comes (back) into the view.
  if (kind == SyncKind::Users) {
    const bool was_malformed = malformed_users_.erase(uuid) > 0;
    auto it = users_.find(uuid);
    if (it == users_.end()) return was_malformed;
    depart(uuid, it->second.dn);
    users_.erase(it);
    return true;
  }
  group_sent_.erase(uuid);
  const bool was_malformed = malformed_groups_.erase(uuid) > 0;
  auto it = groups_.find(uuid);
  if (it == groups_.end()) return was_malformed;
  depart(uuid, it->second.dn);
  groups_.erase(it);
  return true;
}

void SyncView::clear(SyncKind kind) {
  if (kind == SyncKind::Users) {
    users_.clear();
    malformed_users_.clear();
  } else {
    groups_.clear();
    malformed_groups_.clear();
    group_sent_.clear();
  }
}

void SyncView::groups_refreshed() {
  std::erase_if(unverified_, [&](const auto& d) { return d.second <= refresh_started_; });
}

bool SyncView::member_value_counts(const std::string& uuid, const std::string& norm) const {
  auto gone = unverified_.find(norm);
  if (gone == unverified_.end()) return true;
  auto sent = group_sent_.find(uuid);
  return sent != group_sent_.end() && sent->second > gone->second;
}

std::set<std::string> SyncView::uuids(SyncKind kind) const {
  std::set<std::string> out;
  if (kind == SyncKind::Users) {
    for (const auto& [uuid, user] : users_) out.insert(uuid);
    out.insert(malformed_users_.begin(), malformed_users_.end());
  } else {
    for (const auto& [uuid, group] : groups_) out.insert(uuid);
    out.insert(malformed_groups_.begin(), malformed_groups_.end());
  }
  return out;
}

std::size_t SyncView::size() const {
  return users_.size() + groups_.size() + malformed_users_.size() + malformed_groups_.size();
}

DirectorySnapshot SyncView::snapshot(const std::string& source) const {
  DirectorySnapshot snap;
  snap.source = source;
  snap.users.reserve(users_.size());
  for (const auto& [uuid, user] : users_) snap.users.push_back(user);
  snap.groups.reserve(groups_.size());
  std::string norm;
  for (const auto& [uuid, group] : groups_) {
    snap.groups.push_back(group);
    if (unverified_.empty()) continue;
    std::erase_if(snap.groups.back().member_dns, [&](const std::string& dn) {
      normalize_dn_into(dn, norm);
      return !member_value_counts(uuid, norm);
    });
  }
  snap.malformed_entries = malformed_users_.size() + malformed_groups_.size();
  return snap;
}

void SyncView::encode(std::string& out) const {
  put_count(out, users_.size());
  for (const auto& [uuid, u] : users_) {
    for (const auto* f : {&uuid, &u.id, &u.dn, &u.username, &u.display_name, &u.email})
      put_field(out, *f);
    put_field(out, u.enabled ? "1" : "0");
  }
  put_count(out, groups_.size());
  for (const auto& [uuid, g] : groups_) {
    for (const auto* f : {&uuid, &g.id, &g.dn, &g.name, &g.description}) put_field(out, *f);
    put_list(out, g.member_dns);
    put_list(out, g.member_uids);
  }
  put_list(out, {malformed_users_.begin(), malformed_users_.end()});
  put_list(out, {malformed_groups_.begin(), malformed_groups_.end()});
  put_count(out, generation_);
  put_count(out, refresh_started_);
  for (const auto* generations : {&group_sent_, &departed_, &departed_uuids_, &unverified_}) {
    put_count(out, generations->size());
    for (const auto& [key, generation] : *generations) {
      put_field(out, key);
      put_count(out, generation);
    }
  }
}

Result<SyncView> SyncView::decode(std::string_view& in) {
  auto bad = [] { return fail("ldap.state", "malformed LDAP resume state"); };
  SyncView view;
  auto users = take_count(in);
  if (!users) return bad();
  for (std::size_t i = 0; i < *users; ++i) {
    std::string fields[7];
    for (auto& f : fields) {
      auto v = take_field(in);
      if (!v) return bad();
      f = std::move(*v);
    }
    DirectoryUser u{fields[1], fields[2], fields[3], fields[4], fields[5], fields[6] == "1"};
    view.users_.emplace(fields[0], std::move(u));
  }
  auto groups = take_count(in);
  if (!groups) return bad();
  for (std::size_t i = 0; i < *groups; ++i) {
    std::string fields[5];
    for (auto& f : fields) {
      auto v = take_field(in);
      if (!v) return bad();
      f = std::move(*v);
    }
    DirectoryGroup g{fields[1], fields[2], fields[3], fields[4], {}, {}};
    if (!take_list(in, g.member_dns) || !take_list(in, g.member_uids)) return bad();
    view.groups_.emplace(fields[0], std::move(g));
  }
  std::vector<std::string> mu, mg;
  if (!take_list(in, mu) || !take_list(in, mg)) return bad();
  view.malformed_users_.insert(mu.begin(), mu.end());
  view.malformed_groups_.insert(mg.begin(), mg.end());
  auto generation = take_count(in);
  auto refresh_started = take_count(in);
  if (!generation || !refresh_started) return bad();
  view.generation_ = *generation;
  view.refresh_started_ = *refresh_started;
  for (auto* generations :
       {&view.group_sent_, &view.departed_, &view.departed_uuids_, &view.unverified_}) {
    auto n = take_count(in);
    if (!n || *n > in.size()) return bad();
    for (std::size_t i = 0; i < *n; ++i) {
      auto key = take_field(in);
      auto value = take_count(in);
      if (!key || !value) return bad();
      generations->emplace(std::move(*key), *value);
    }
  }
  return view;
}

}  // namespace trustgate
