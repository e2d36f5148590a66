#include "connectors/ldap/ad_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <thread>

#include "connectors/ldap/ad_entry_mapping.h"
#include "connectors/ldap/paged_search.h"
#include "connectors/object_guid.h"

namespace trustgate {
namespace {

constexpr std::string_view kStateVersion = "trustgate-ad-state-1";
constexpr std::size_t kProgressEvery = 1000;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string and_filter(const std::string& filter, const std::string& extra) {
  const std::string base = !filter.empty() && filter.front() == '(' ? filter : "(" + filter + ")";
  return extra.empty() ? base : fmt::format("(&{}{})", base, extra);
}

// The view key of an entry: its objectGUID string when it has a valid one, else "dn:<dn>".
std::string entry_key(const LdapEntry& entry) {
  if (auto guid = format_object_guid(entry.first("objectGUID"))) return *guid;
  return "dn:" + entry.dn;
}

void add_unique(std::vector<std::string>& attrs, const std::string& name) {
  if (std::none_of(attrs.begin(), attrs.end(),
                   [&](const auto& a) { return lower(a) == lower(name); }))
    attrs.push_back(name);
}

}  // namespace

LdapSourceOptions ad_default_options() {
  LdapSourceOptions o;
  o.users.filter = "(&(objectCategory=person)(objectClass=user))";
  o.users.id_attr = "objectGUID";
  o.users.username_attr = "sAMAccountName";
  o.users.display_name_attr = "displayName";
  o.users.email_attr = "mail";
  o.users.disabled_attr.clear();
  o.users.disabled_values.clear();
  o.groups.id_attr = "objectGUID";
  o.groups.name_attr = "cn";
  o.groups.member_attrs = {"member"};
  o.groups.member_uid_attr.clear();
  return o;
}

AdSource::AdSource(LdapSourceOptions options, const Clock& clock, AdSyncOptions sync)
    : options_(std::move(options)), clock_(clock), sync_(sync) {}

AdSource::~AdSource() = default;

template <typename T>
Result<T> AdSource::failed(Result<T> r) {
  if (!r) conn_.reset();
  return r;
}

Result<LdapConnection*> AdSource::connection() {
  if (!conn_) {
    auto conn = LdapConnection::open(options_);
    if (!conn) return std::unexpected(conn.error());
    conn_.emplace(std::move(*conn));
  }
  return &*conn_;
}

Result<void> AdSource::read_users(
    LdapConnection& conn, const std::string& extra_filter,
    const std::function<void(Result<AdUser>, const std::string&)>& on_user,
    const ProgressFn& progress, std::size_t& seen) {
  PagedSearch search;
  search.base = options_.users.base;
  search.filter = and_filter(options_.users.filter, extra_filter);
  search.attributes = ad_user_attributes(options_.users);
  add_unique(search.attributes, "objectGUID");
  search.page_size = options_.page_size;
  auto n = paged_search(conn, search, [&](LdapEntry&& entry) {
    const std::string key = entry_key(entry);
    on_user(to_ad_user(std::move(entry), options_.users), key);
    if (progress && ++seen % kProgressEvery == 0) progress(seen);
  });
  if (!n) return std::unexpected(n.error());
  return {};
}

Result<void> AdSource::read_groups(
    LdapConnection& conn, const std::string& extra_filter,
    const std::function<void(Result<DirectoryGroup>, const std::string&)>& on_group,
    const ProgressFn& progress, std::size_t& seen) {
  PagedSearch search;
  search.base = options_.groups.base;
  search.filter = and_filter(options_.groups.filter, extra_filter);
  search.attributes = ad_group_attributes(options_.groups, sync_.range_step);
  add_unique(search.attributes, "objectGUID");
  search.page_size = options_.page_size;

  // Slices beyond the first are read after the paged search (one operation at a time).
  struct Pending {
    LdapEntry entry;
    std::vector<std::pair<std::string, std::size_t>> rest;  // attribute, next slice's start
  };
  std::vector<Pending> pending;
  std::optional<Error> error;
  auto finish = [&](LdapEntry&& entry) {
    const std::string key = entry_key(entry);
    on_group(to_ad_group(std::move(entry), options_.groups), key);
    if (progress && ++seen % kProgressEvery == 0) progress(seen);
  };
  auto n = paged_search(conn, search, [&](LdapEntry&& entry) {
    Pending p;
    for (const auto& attr : options_.groups.member_attrs) {
      auto slice = take_range_slice(entry, attr, 0);
      if (!slice) {
        if (!error) error = slice.error();
        return;
      }
      if (slice->next_low) p.rest.emplace_back(attr, *slice->next_low);
      entry.attributes[lower(attr)] = std::move(slice->values);
    }
    if (p.rest.empty()) return finish(std::move(entry));
    p.entry = std::move(entry);
    pending.push_back(std::move(p));
  });
  if (!n) return std::unexpected(n.error());
  if (error) return std::unexpected(*error);

  for (auto& p : pending) {
    std::optional<Error> group_error;
    for (const auto& [attr, next_low] : p.rest) {
      auto& values = p.entry.attributes[lower(attr)];
      auto all =
          read_ranged_values(conn, p.entry.dn, attr, std::move(values), next_low, sync_.range_step);
      if (!all && all.error().code == "ldap.connect") return std::unexpected(all.error());
      if (!all) {
        group_error = all.error();
        break;
      }
      values = std::move(*all);
    }
    if (!group_error) {
      finish(std::move(p.entry));
      continue;
    }
    // E.g. the group was deleted since the paged search: this group alone is unreadable.
    spdlog::warn("ad source {}: cannot read the members of '{}': {}", options_.name, p.entry.dn,
                 group_error->message);
    on_group(std::unexpected(*group_error), entry_key(p.entry));
  }
  return {};
}

Result<bool> AdSource::full_read_locked(const ProgressFn& progress) {
  auto conn = connection();
  if (!conn) return std::unexpected(conn.error());
  // The identity is read first: whatever changes during the read has a higher USN and is
  // picked up by the next poll (reading it twice is harmless).
  auto dc = read_dc_identity(**conn);
  if (!dc) return failed<bool>(std::unexpected(dc.error()));

  AdView fresh;
  std::size_t seen = 0;
  auto users = read_users(
      **conn, "",
      [&](Result<AdUser> user, const std::string& key) {
        if (user) {
          fresh.put_user(std::move(*user));
        } else {
          spdlog::warn("ad source {}: skipping a user: {}", options_.name, user.error().message);
          fresh.put_malformed(SyncKind::Users, key);
        }
      },
      progress, seen);
  if (!users) return failed<bool>(std::unexpected(users.error()));
  auto groups = read_groups(
      **conn, "",
      [&](Result<DirectoryGroup> group, const std::string& key) {
        if (group) {
          fresh.put_group(std::move(*group));
        } else {
          spdlog::warn("ad source {}: skipping a group: {}", options_.name, group.error().message);
          fresh.put_malformed(SyncKind::Groups, key);
        }
      },
      progress, seen);
  if (!groups) return failed<bool>(std::unexpected(groups.error()));

  const bool changed = !primed_ || !(fresh == view_);
  view_ = std::move(fresh);
  if (primed_ && dc->invocation_id != dc_.invocation_id)
    spdlog::info("ad source {}: now reading {} (invocationId {})", options_.name,
                 dc->ds_service_name, dc->invocation_id);
  dc_ = std::move(*dc);
  primed_ = true;
  reconcile_requested_ = false;
  ++full_reads_;
  last_full_ = last_poll_ = clock_.steady_now();
  spdlog::debug("ad source {}: full read of {} entries, USN {}", options_.name, seen,
                dc_.highest_usn);
  return changed;
}

Result<bool> AdSource::poll_locked() {
  if (!primed_) return full_read_locked({});
  auto conn = connection();
  if (!conn) return std::unexpected(conn.error());
  auto dc = read_dc_identity(**conn);
  if (!dc) return failed<bool>(std::unexpected(dc.error()));
  last_poll_ = clock_.steady_now();
  if (dc->invocation_id != dc_.invocation_id || dc->ds_service_name != dc_.ds_service_name) {
    spdlog::info("ad source {}: the domain controller changed ({} {} -> {} {}): full read",
                 options_.name, dc_.ds_service_name, dc_.invocation_id, dc->ds_service_name,
                 dc->invocation_id);
    return full_read_locked({});
  }
  if (dc->highest_usn <= dc_.highest_usn) return false;

  const std::string since = fmt::format("(uSNChanged>={})", dc_.highest_usn + 1);
  std::size_t seen = 0;
  std::vector<std::pair<Result<AdUser>, std::string>> users_read;
  std::vector<std::pair<Result<DirectoryGroup>, std::string>> groups_read;
  auto users = read_users(
      **conn, since,
      [&](Result<AdUser> user, const std::string& key) {
        users_read.emplace_back(std::move(user), key);
      },
      {}, seen);
  if (!users) return failed<bool>(std::unexpected(users.error()));
  auto groups = read_groups(
      **conn, since,
      [&](Result<DirectoryGroup> group, const std::string& key) {
        groups_read.emplace_back(std::move(group), key);
      },
      {}, seen);
  if (!groups) return failed<bool>(std::unexpected(groups.error()));
  auto departed = changed_ids(**conn, *dc);
  if (!departed) return failed<bool>(std::unexpected(departed.error()));

  // Applied to a copy: a failed poll leaves the view as it was, at the old USN. Removals come
  // first, so that an entry re-created under a deleted one's DN arrives after it left (its
  // memberships then wait for the groups, below).
  AdView next = view_;
  bool changed = !users_read.empty() || !groups_read.empty();
  std::set<std::string> user_keys, group_keys;
  for (const auto& [user, key] : users_read) user_keys.insert(key);
  for (const auto& [group, key] : groups_read) group_keys.insert(key);
  for (const auto& id : *departed) {
    if (!user_keys.contains(id)) changed = next.remove(SyncKind::Users, id) || changed;
    if (!group_keys.contains(id)) changed = next.remove(SyncKind::Groups, id) || changed;
  }
  for (auto& [user, key] : users_read) {
    if (user) {
      next.put_user(std::move(*user));
    } else {
      spdlog::warn("ad source {}: skipping a user: {}", options_.name, user.error().message);
      next.put_malformed(SyncKind::Users, key);
    }
  }
  auto put_group = [&](Result<DirectoryGroup> group, const std::string& key) {
    if (group) {
      next.put_group(std::move(*group));
    } else {
      spdlog::warn("ad source {}: skipping a group: {}", options_.name, group.error().message);
      next.put_malformed(SyncKind::Groups, key);
    }
  };
  for (auto& [group, key] : groups_read) put_group(std::move(group), key);
  // AD removes a deleted entry's member values without a new uSNChanged on the groups: the view
  // holds back the memberships of an entry back under a DN (or an id) that had left, until the
  // groups are read again (sync_view.h). Rare: a re-created user, one back in the filter.
  if (next.needs_group_refresh()) {
    next.groups_refresh_started();
    auto all = read_groups(**conn, "", put_group, {}, seen);
    if (!all) return failed<bool>(std::unexpected(all.error()));
    next.groups_refreshed();
  }
  if (changed) view_ = std::move(next);
  dc_.highest_usn = dc->highest_usn;
  return changed;
}

Result<std::vector<std::string>> AdSource::changed_ids(LdapConnection& conn,
                                                       const AdDcIdentity& dc) {
  PagedSearch search;
  search.base = dc.naming_context;
  search.filter = fmt::format("(uSNChanged>={})", dc_.highest_usn + 1);
  search.attributes = {"objectGUID", "uSNChanged"};
  search.page_size = options_.page_size;
  search.show_deleted = true;
  std::vector<std::string> out;
  auto n = paged_search(conn, search, [&](LdapEntry&& entry) {
    auto guid = format_object_guid(entry.first("objectGUID"));
    const std::string usn_text = entry.first("uSNChanged");
    std::uint64_t usn = 0;
    const auto [ptr, ec] = std::from_chars(usn_text.data(), usn_text.data() + usn_text.size(), usn);
    // Changed after this poll's USN: the next poll reads it (and the filtered searches may not
    // have seen that change).
    if (guid && ec == std::errc() && usn <= dc.highest_usn) out.push_back(std::move(*guid));
  });
  if (!n) return std::unexpected(n.error());
  return out;
}

bool AdSource::reconcile_due() const {
  if (reconcile_requested_) return true;
  return sync_.reconcile_interval.count() > 0 &&
         clock_.steady_now() - last_full_ >= sync_.reconcile_interval;
}

bool AdSource::poll_due() const { return clock_.steady_now() - last_poll_ >= sync_.poll_interval; }

Result<DirectorySnapshot> AdSource::snapshot(const ProgressFn& progress) {
  std::lock_guard lock(mutex_);
  if (!options_.incremental || !primed_ || reconcile_due()) {
    auto r = full_read_locked(progress);
    if (!r) return std::unexpected(r.error());
  } else if (poll_due()) {
    auto r = poll_locked();
    if (!r) return std::unexpected(r.error());
  }
  return view_.snapshot(options_.name, clock_.now());
}

Result<bool> AdSource::wait_for_changes(std::chrono::milliseconds timeout, std::stop_token stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (!primed_ || reconcile_due()) return full_read_locked({});
      if (poll_due()) {
        auto changed = poll_locked();
        if (!changed || *changed) return changed;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (stop.stop_requested() || now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(100)));
  }
}

Result<bool> AdSource::reconcile_now(const ProgressFn& progress) {
  std::lock_guard lock(mutex_);
  return full_read_locked(progress);
}

void AdSource::reconcile() {
  std::lock_guard lock(mutex_);
  if (options_.incremental) reconcile_requested_ = true;
}

Result<bool> AdSource::poll() {
  std::lock_guard lock(mutex_);
  return poll_locked();
}

std::optional<AdDcIdentity> AdSource::dc_identity() const {
  std::lock_guard lock(mutex_);
  if (!primed_) return std::nullopt;
  return dc_;
}

std::size_t AdSource::full_reads() const {
  std::lock_guard lock(mutex_);
  return full_reads_;
}

std::string AdSource::fingerprint() const {
  std::string out;
  const auto& u = options_.users;
  const auto& g = options_.groups;
  for (const auto* f :
       {&options_.url, &u.base, &u.filter, &u.id_attr, &u.username_attr, &u.display_name_attr,
        &u.email_attr, &g.base, &g.filter, &g.id_attr, &g.name_attr})
    put_field(out, *f);
  for (const auto& m : g.member_attrs) put_field(out, m);
  return out;
}

std::optional<std::string> AdSource::resume_state() const {
  std::lock_guard lock(mutex_);
  if (!primed_ || !options_.incremental) return std::nullopt;
  std::string out;
  put_field(out, kStateVersion);
  put_field(out, fingerprint());
  put_field(out, dc_.ds_service_name);
  put_field(out, dc_.invocation_id);
  put_field(out, std::to_string(dc_.highest_usn));
  view_.encode(out);
  return out;
}

void AdSource::restore_state(const std::string& state) {
  std::string_view in = state;
  auto version = take_field(in);
  auto print = take_field(in);
  auto service = take_field(in);
  auto invocation = take_field(in);
  auto usn_text = take_field(in);
  std::uint64_t usn = 0;
  bool ok = version && *version == kStateVersion && print && service && invocation && usn_text;
  if (ok) {
    const auto [ptr, ec] =
        std::from_chars(usn_text->data(), usn_text->data() + usn_text->size(), usn);
    ok = ec == std::errc() && ptr == usn_text->data() + usn_text->size();
  }
  std::lock_guard lock(mutex_);
  if (ok && *print != fingerprint()) {
    spdlog::info("ad source {}: resume state was written for other options; reading everything",
                 options_.name);
    return;
  }
  Result<AdView> view = ok ? AdView::decode(in) : std::unexpected(Error{"ldap.state", ""});
  if (!view || !in.empty()) {
    spdlog::warn("ad source {}: ignoring malformed resume state; reading everything",
                 options_.name);
    return;
  }
  view_ = std::move(*view);
  dc_ = AdDcIdentity{std::move(*service), std::move(*invocation), usn};
  primed_ = true;
  last_full_ = clock_.steady_now();
  last_poll_ = clock_.steady_now() - sync_.poll_interval;  // poll at once
}

std::unique_ptr<DirectorySource> make_ad_source(LdapSourceOptions options, const Clock& clock,
                                                AdSyncOptions sync) {
  return std::make_unique<AdSource>(std::move(options), clock, sync);
}

}  // namespace trustgate
