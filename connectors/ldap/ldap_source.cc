#include "connectors/ldap/ldap_source.h"

#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "connectors/ldap/entry_mapping.h"
#include "connectors/ldap/paged_search.h"
#include "connectors/ldap/sync_protocol.h"

namespace trustgate {
namespace {

// Version 1 states were written by views that dropped a removed entry's DN from every group's
// member values (issue 14.2): they are not resumed from, a full refresh replaces them.
constexpr std::string_view kStateMagic = "tg-ldap-resume/3\n";
// Older states: version 1 may have lost member values; version 2 lacks the view's record of
// departed DNs. Either gets a full refresh.
constexpr std::string_view kStateMagicV1 = "tg-ldap-resume/1\n";
constexpr std::string_view kStateMagicV2 = "tg-ldap-resume/2\n";
constexpr std::size_t kProgressEvery = 1000;

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string fnv1a_hex(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

std::vector<char*> attribute_array(const std::vector<std::string>& attrs) {
  std::vector<char*> out;
  for (const auto& a : attrs) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

LdapSource::LdapSource(LdapSourceOptions options) : options_(std::move(options)) {}

LdapSource::~LdapSource() = default;

std::string LdapSource::fingerprint() const {
  // Everything that decides which entries the view holds and how they read.
  std::string s;
  const auto& u = options_.users;
  const auto& g = options_.groups;
  for (const auto* f : {&options_.url, &options_.bind_dn, &u.base, &u.filter, &u.id_attr,
                        &u.username_attr, &u.display_name_attr, &u.email_attr, &u.disabled_attr,
                        &g.base, &g.filter, &g.id_attr, &g.name_attr, &g.member_uid_attr})
    put_field(s, *f);
  for (const auto& v : u.disabled_values) put_field(s, v);
  s += '|';
  for (const auto& v : g.member_attrs) put_field(s, v);
  return fnv1a_hex(s);
}

std::unique_lock<std::mutex> LdapSource::take_connection() {
  ++conn_wanted_;
  std::unique_lock lock(conn_mutex_);
  --conn_wanted_;
  return lock;
}

Result<DirectorySnapshot> LdapSource::snapshot(const ProgressFn& progress) {
  if (!options_.incremental) return read_all(progress);
  {
    std::lock_guard lock(view_mutex_);
    if (primed_) return view_.snapshot(options_.name);
  }
  auto conn_lock = take_connection();
  {
    std::lock_guard lock(view_mutex_);
    if (primed_) return view_.snapshot(options_.name);
  }
  auto started = start_sync(progress);
  if (!started) return std::unexpected(started.error());
  std::lock_guard lock(view_mutex_);
  return view_.snapshot(options_.name);
}

// Users and groups are read at once, each on its own connection: the server serves the two
// searches in parallel and each thread decodes its own entries, so the read takes about as long
// as the longer search instead of the sum. `progress` is only called on the caller's thread.
Result<DirectorySnapshot> LdapSource::read_all(const ProgressFn& progress) {
  auto conn = LdapConnection::open(options_);
  if (!conn) return std::unexpected(conn.error());
  auto group_conn = LdapConnection::open(options_);
  if (!group_conn) return std::unexpected(group_conn.error());
  const int page_size = options_.page_size > 0 ? options_.page_size : 500;
  auto skip = [&](const Error& e) {
    spdlog::warn("ldap source {}: skipping malformed entry: {}", options_.name, e.message);
  };

  std::vector<DirectoryGroup> groups;
  std::size_t groups_malformed = 0;
  std::atomic<std::size_t> groups_read{0};
  Result<std::size_t> groups_result = 0;
  std::thread group_reader([&] {
    groups_result = paged_search(*group_conn,
                                 {options_.groups.base, options_.groups.filter,
                                  group_attributes(options_.groups), page_size},
                                 [&](LdapEntry&& entry) {
                                   groups_read.fetch_add(1, std::memory_order_relaxed);
                                   auto group = to_group(std::move(entry), options_.groups);
                                   if (group) {
                                     groups.push_back(std::move(*group));
                                   } else {
                                     skip(group.error());
                                     ++groups_malformed;
                                   }
                                 });
  });

  DirectorySnapshot snap;
  snap.source = options_.name;
  std::size_t users_read = 0;
  auto users = paged_search(
      *conn,
      {options_.users.base, options_.users.filter, user_attributes(options_.users), page_size},
      [&](LdapEntry&& entry) {
        if (++users_read % kProgressEvery == 0 && progress) {
          progress(users_read + groups_read.load(std::memory_order_relaxed));
        }
        auto user = to_user(std::move(entry), options_.users);
        if (user) {
          snap.users.push_back(std::move(*user));
        } else {
          skip(user.error());
          ++snap.malformed_entries;
        }
      });
  group_reader.join();
  if (!users) return std::unexpected(users.error());
  if (!groups_result) return std::unexpected(groups_result.error());
  snap.groups = std::move(groups);
  snap.malformed_entries += groups_malformed;
  if (progress) progress(users_read + groups_read.load());
  spdlog::info("ldap source {}: read {} users and {} groups ({} malformed)", options_.name,
               snap.users.size(), snap.groups.size(), snap.malformed_entries);
  return snap;
}

void LdapSource::disconnect() {
  conn_.reset();
  std::lock_guard lock(view_mutex_);
  users_.msgid = groups_.msgid = -1;
  primed_ = false;
}

void LdapSource::reconcile() {
  if (!options_.incremental) return;  // every snapshot() is a full read already
  auto conn_lock = take_connection();
  conn_.reset();
  std::lock_guard lock(view_mutex_);
  view_ = SyncView{};
  users_ = Stream{SyncKind::Users};
  groups_ = Stream{SyncKind::Groups};
  primed_ = false;
  has_state_ = false;
}

Result<void> LdapSource::send_sync_search(Stream& stream) {
  LDAP* ld = conn_->get();
  std::optional<std::string> cookie;
  if (!stream.cookie.empty()) cookie = stream.cookie;
  auto value = encode_sync_request(SyncMode::RefreshAndPersist, cookie);
  if (!value) return std::unexpected(value.error());
  berval bv{static_cast<ber_len_t>(value->size()), value->data()};
  LDAPControl* raw_ctrl = nullptr;
  int rc = ldap_control_create(kSyncRequestOid, 1, &bv, 1, &raw_ctrl);
  LdapControlPtr ctrl(raw_ctrl);
  if (rc != LDAP_SUCCESS) return std::unexpected(conn_->error("ldap.sync", "sync request", rc));
  LDAPControl* server_controls[] = {ctrl.get(), nullptr};
  const bool users = stream.kind == SyncKind::Users;
  const std::string& base = users ? options_.users.base : options_.groups.base;
  const std::string& filter = users ? options_.users.filter : options_.groups.filter;
  auto attrs = users ? user_attributes(options_.users) : group_attributes(options_.groups);
  auto attr_array = attribute_array(attrs);
  int msgid = -1;
  rc = ldap_search_ext(conn_->get(), base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(),
                       attr_array.data(), 0, server_controls, nullptr, nullptr, LDAP_NO_LIMIT,
                       &msgid);
  if (rc != LDAP_SUCCESS)
    return std::unexpected(conn_->error(rc == LDAP_SERVER_DOWN ? "ldap.connect" : "ldap.sync",
                                        fmt::format("sync search of '{}'", base), rc));
  (void)ld;
  std::lock_guard lock(view_mutex_);
  stream.msgid = msgid;
  stream.refreshing = true;
  stream.complete = !cookie;
  stream.present.clear();
  // Without a cookie the server sends every group: this refresh settles earlier departures.
  if (stream.kind == SyncKind::Groups && !cookie) view_.groups_refresh_started();
  return {};
}

Result<void> LdapSource::refresh_groups_if_needed() {
  {
    std::lock_guard lock(view_mutex_);
    if (!view_.needs_group_refresh() || groups_.refreshing) return {};
    groups_.cookie.clear();
  }
  spdlog::info(
      "ldap source {}: a user is back under a DN that had left; reading the groups "
      "again to learn which still list it",
      options_.name);
  if (groups_.msgid >= 0) (void)ldap_abandon_ext(conn_->get(), groups_.msgid, nullptr, nullptr);
  return send_sync_search(groups_);
}

Result<bool> LdapSource::start_sync(const ProgressFn& progress) {
  disconnect();
  auto conn = LdapConnection::open(options_);
  if (!conn) return std::unexpected(conn.error());
  conn_.emplace(std::move(*conn));
  bool changed = false;
  {
    std::lock_guard lock(view_mutex_);
    refresh_entries_ = 0;
    for (Stream* s : {&users_, &groups_}) {
      // Without a cookie the server sends everything again: start from an empty view.
      if (s->cookie.empty() && !view_.uuids(s->kind).empty()) {
        view_.clear(s->kind);
        changed = true;
      }
    }
  }
  for (Stream* s : {&users_, &groups_}) {
    auto sent = send_sync_search(*s);
    if (!sent) {
      disconnect();
      return std::unexpected(sent.error());
    }
  }
  const timeval tv =
      to_timeval(std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout));
  std::size_t reported = 0;
  for (;;) {
    bool done = false;
    {
      std::lock_guard lock(view_mutex_);
      done = !users_.refreshing && !groups_.refreshing;
    }
    if (done) {
      // A user came back under a departed DN: the groups are read again before the view is
      // served, so the first snapshot already has the memberships the server holds.
      if (auto refreshed = refresh_groups_if_needed(); !refreshed) {
        disconnect();
        return std::unexpected(refreshed.error());
      }
      std::lock_guard lock(view_mutex_);
      if (!groups_.refreshing) break;
      continue;
    }
    LDAPMessage* raw = nullptr;
    timeval wait = tv;
    const int rc = ldap_result(conn_->get(), LDAP_RES_ANY, LDAP_MSG_ONE, &wait, &raw);
    LdapMessagePtr msg(raw);
    if (rc == 0) {
      disconnect();
      return fail("ldap.sync", fmt::format("source {}: no answer from {} for {}s during the sync "
                                           "refresh",
                                           options_.name, options_.url, options_.timeout.count()));
    }
    if (rc < 0) {
      int err = LDAP_SERVER_DOWN;
      ldap_get_option(conn_->get(), LDAP_OPT_RESULT_CODE, &err);
      Error e = conn_->error("ldap.connect", "sync refresh", err);
      disconnect();
      return std::unexpected(e);
    }
    auto handled = handle(msg.get());
    if (!handled) {
      disconnect();
      return std::unexpected(handled.error());
    }
    changed = changed || *handled;
    if (progress && refresh_entries_ >= reported + kProgressEvery) {
      reported = refresh_entries_;
      progress(reported);
    }
  }
  std::lock_guard lock(view_mutex_);
  primed_ = true;
  spdlog::info("ldap source {}: sync refresh done ({} entries received, {} in view)", options_.name,
               refresh_entries_.load(), view_.size());
  if (progress) progress(refresh_entries_);
  return changed;
}

Result<bool> LdapSource::wait_for_changes(std::chrono::milliseconds timeout, std::stop_token stop) {
  if (!options_.incremental) return false;
  // Someone else wants the connection: let them have it first.
  while (conn_wanted_ > 0 && !stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::lock_guard conn_lock(conn_mutex_);
  bool ready = false;
  {
    std::lock_guard lock(view_mutex_);
    ready = primed_ && conn_.has_value();
  }
  if (!ready) {
    auto started = start_sync({});
    if (!started) return std::unexpected(started.error());
    if (*started) return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (stop.stop_requested()) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const auto slice =
        std::clamp(left, std::chrono::milliseconds{0}, std::chrono::milliseconds{50});
    auto changed = pump(slice);
    if (!changed) {
      spdlog::warn("ldap source {}: sync stream broke: {}", options_.name, changed.error().message);
      disconnect();
      return std::unexpected(changed.error());
    }
    if (*changed) return true;
    if (conn_wanted_ > 0 || std::chrono::steady_clock::now() >= deadline) return false;
  }
}

Result<bool> LdapSource::pump(std::chrono::milliseconds wait) {
  bool changed = false;
  timeval tv = to_timeval(wait);
  for (;;) {
    LDAPMessage* raw = nullptr;
    const int rc = ldap_result(conn_->get(), LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &raw);
    LdapMessagePtr msg(raw);
    if (rc == 0) return changed;
    if (rc < 0) {
      int err = LDAP_SERVER_DOWN;
      ldap_get_option(conn_->get(), LDAP_OPT_RESULT_CODE, &err);
      return std::unexpected(conn_->error("ldap.connect", "sync stream", err));
    }
    auto handled = handle(msg.get());
    if (!handled) return std::unexpected(handled.error());
    changed = changed || *handled;
    tv = timeval{};  // drain what is already there, without waiting again
  }
}

Result<bool> LdapSource::handle(LDAPMessage* msg) {
  const int msgid = ldap_msgid(msg);
  Stream* stream = msgid == users_.msgid ? &users_ : msgid == groups_.msgid ? &groups_ : nullptr;
  if (!stream) return false;  // a stale message of an earlier search
  Result<bool> handled = false;
  switch (ldap_msgtype(msg)) {
    case LDAP_RES_SEARCH_ENTRY:
      handled = handle_entry(*stream, msg);
      break;
    case LDAP_RES_INTERMEDIATE:
      handled = handle_intermediate(*stream, msg);
      break;
    case LDAP_RES_SEARCH_RESULT:
      handled = handle_result(*stream, msg);
      break;
    default:
      return false;  // search references are not chased
  }
  if (handled && *handled && stream == &users_) {
    if (auto refreshed = refresh_groups_if_needed(); !refreshed) {
      return std::unexpected(refreshed.error());
    }
  }
  return handled;
}

Result<bool> LdapSource::handle_entry(Stream& stream, LDAPMessage* msg) {
  LDAP* ld = conn_->get();
  LDAPControl** raw_ctrls = nullptr;
  int rc = ldap_get_entry_controls(ld, msg, &raw_ctrls);
  LdapControlsPtr ctrls(raw_ctrls);
  if (rc != LDAP_SUCCESS) return std::unexpected(conn_->error("ldap.protocol", "sync entry", rc));
  LDAPControl* state_ctrl = ldap_control_find(kSyncStateOid, ctrls.get(), nullptr);
  if (!state_ctrl) return fail("ldap.protocol", "sync entry without a Sync State control");
  auto state = parse_sync_state(
      std::string_view(state_ctrl->ldctl_value.bv_val, state_ctrl->ldctl_value.bv_len));
  if (!state) return std::unexpected(state.error());

  std::optional<LdapEntry> entry;
  if (state->state == SyncEntryState::Add || state->state == SyncEntryState::Modify)
    entry = read_entry(ld, msg);

  std::lock_guard lock(view_mutex_);
  if (stream.refreshing) ++refresh_entries_;
  if (state->cookie) stream.cookie = *state->cookie;
  switch (state->state) {
    case SyncEntryState::Present:
      if (stream.refreshing) stream.present.insert(state->uuid);
      return false;
    case SyncEntryState::Delete:
      return view_.remove(stream.kind, state->uuid);
    case SyncEntryState::Add:
    case SyncEntryState::Modify:
      break;
  }
  if (stream.refreshing) stream.present.insert(state->uuid);
  if (stream.kind == SyncKind::Users) {
    auto user = to_user(std::move(*entry), options_.users);
    if (user) {
      view_.put_user(state->uuid, std::move(*user));
      return true;
    }
    spdlog::warn("ldap source {}: skipping malformed entry: {}", options_.name,
                 user.error().message);
  } else {
    auto group = to_group(std::move(*entry), options_.groups);
    if (group) {
      view_.put_group(state->uuid, std::move(*group));
      return true;
    }
    spdlog::warn("ldap source {}: skipping malformed entry: {}", options_.name,
                 group.error().message);
  }
  view_.put_malformed(stream.kind, state->uuid);
  return true;
}

Result<bool> LdapSource::handle_intermediate(Stream& stream, LDAPMessage* msg) {
  char* raw_oid = nullptr;
  berval* raw_data = nullptr;
  int rc = ldap_parse_intermediate(conn_->get(), msg, &raw_oid, &raw_data, nullptr, 0);
  LdapMemPtr<char> oid(raw_oid);
  BerValPtr data(raw_data);
  if (rc != LDAP_SUCCESS)
    return std::unexpected(conn_->error("ldap.protocol", "sync info message", rc));
  if (!oid || std::string_view(oid.get()) != kSyncInfoOid || !data) return false;
  auto info = parse_sync_info(std::string_view(data->bv_val, data->bv_len));
  if (!info) return std::unexpected(info.error());

  std::lock_guard lock(view_mutex_);
  if (info->cookie) stream.cookie = *info->cookie;
  bool changed = false;
  switch (info->kind) {
    case SyncInfoKind::NewCookie:
      break;
    case SyncInfoKind::RefreshPresent: {
      // End of a present phase: whatever was not reported present is gone.
      for (const auto& uuid : view_.uuids(stream.kind)) {
        if (!stream.present.contains(uuid)) changed = view_.remove(stream.kind, uuid) || changed;
      }
      stream.present.clear();
      if (info->refresh_done) end_refresh(stream);
      break;
    }
    case SyncInfoKind::RefreshDelete:
      if (info->refresh_done && stream.complete) {
        for (const auto& uuid : view_.uuids(stream.kind)) {
          if (!stream.present.contains(uuid)) changed = view_.remove(stream.kind, uuid) || changed;
        }
      }
      stream.present.clear();
      if (info->refresh_done) end_refresh(stream);
      break;
    case SyncInfoKind::SyncIdSet:
      if (info->refresh_deletes) {
        for (const auto& uuid : info->uuids) changed = view_.remove(stream.kind, uuid) || changed;
      } else if (stream.refreshing) {
        stream.present.insert(info->uuids.begin(), info->uuids.end());
      }
      break;
  }
  return changed;
}

void LdapSource::end_refresh(Stream& stream) {
  stream.refreshing = false;
  if (stream.kind == SyncKind::Groups) view_.groups_refreshed();
}

Result<bool> LdapSource::handle_result(Stream& stream, LDAPMessage* msg) {
  int result = LDAP_SUCCESS;
  char* raw_text = nullptr;
  int rc = ldap_parse_result(conn_->get(), msg, &result, nullptr, &raw_text, nullptr, nullptr, 0);
  LdapMemPtr<char> text(raw_text);
  if (rc != LDAP_SUCCESS) return std::unexpected(conn_->error("ldap.protocol", "sync result", rc));
  const std::string& base =
      stream.kind == SyncKind::Users ? options_.users.base : options_.groups.base;
  if (result == LDAP_SYNC_REFRESH_REQUIRED) {
    // The server cannot resume from our cookie: start this stream again from nothing.
    spdlog::info("ldap source {}: server asks for a full refresh of '{}'", options_.name, base);
    {
      std::lock_guard lock(view_mutex_);
      stream.cookie.clear();
      view_.clear(stream.kind);
    }
    auto sent = send_sync_search(stream);
    if (!sent) return std::unexpected(sent.error());
    return true;
  }
  return fail(result == LDAP_SUCCESS ? "ldap.sync" : "ldap.search",
              fmt::format("source {}: the server ended the sync search of '{}' on {}: {}{}",
                          options_.name, base, options_.url, ldap_err2string(result),
                          text && *text ? fmt::format(" ({})", text.get()) : ""));
}

std::optional<std::string> LdapSource::resume_state() const {
  std::lock_guard lock(view_mutex_);
  if (!primed_ && !has_state_) return std::nullopt;
  std::string out(kStateMagic);
  put_field(out, fingerprint());
  put_field(out, users_.cookie);
  put_field(out, groups_.cookie);
  view_.encode(out);
  return out;
}

void LdapSource::restore_state(const std::string& state) {
  std::lock_guard conn_lock(conn_mutex_);
  std::string_view in(state);
  if (in.starts_with(kStateMagicV1) || in.starts_with(kStateMagicV2)) {
    spdlog::info(
        "ldap source {}: the resume state is from an older version; a full refresh follows",
        options_.name);
    return;
  }
  if (!in.starts_with(kStateMagic)) {
    spdlog::warn("ldap source {}: ignoring unreadable resume state", options_.name);
    return;
  }
  in.remove_prefix(kStateMagic.size());
  auto print = take_field(in);
  auto users_cookie = take_field(in);
  auto groups_cookie = take_field(in);
  if (!print || !users_cookie || !groups_cookie) {
    spdlog::warn("ldap source {}: ignoring unreadable resume state", options_.name);
    return;
  }
  if (*print != fingerprint()) {
    spdlog::info(
        "ldap source {}: configuration changed since the resume state was stored; "
        "a full refresh follows",
        options_.name);
    return;
  }
  auto view = SyncView::decode(in);
  if (!view || !in.empty()) {
    spdlog::warn("ldap source {}: ignoring unreadable resume state", options_.name);
    return;
  }
  conn_.reset();
  std::lock_guard lock(view_mutex_);
  view_ = std::move(*view);
  users_ = Stream{SyncKind::Users};
  groups_ = Stream{SyncKind::Groups};
  users_.cookie = std::move(*users_cookie);
  groups_.cookie = std::move(*groups_cookie);
  primed_ = false;
  has_state_ = true;
}

}  // namespace trustgate
