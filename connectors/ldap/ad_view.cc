#include "connectors/ldap/ad_view.h"

#include <charconv>

namespace trustgate {
namespace {

template <typename T>
std::optional<T> parse_number(const std::string& s) {
  T value{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

Error bad_state() { return Error{"ldap.state", "malformed Active Directory view in resume state"}; }

}  // namespace

void AdView::put_user(AdUser user) {
  const std::string id = user.user.id;
  accounts_[id] = user.account;
  view_.put_user(id, std::move(user.user));
}

void AdView::put_group(DirectoryGroup group) {
  const std::string id = group.id;
  view_.put_group(id, std::move(group));
}

void AdView::put_malformed(SyncKind kind, const std::string& key) {
  if (kind == SyncKind::Users) accounts_.erase(key);
  view_.put_malformed(kind, key);
}

bool AdView::remove(SyncKind kind, const std::string& key) {
  if (kind == SyncKind::Users) accounts_.erase(key);
  return view_.remove(kind, key);
}

DirectorySnapshot AdView::snapshot(const std::string& source,
                                   std::chrono::system_clock::time_point now) const {
  DirectorySnapshot snap = view_.snapshot(source);
  for (auto& user : snap.users) {
    auto it = accounts_.find(user.id);
    if (it != accounts_.end()) user.enabled = !account_disabled(it->second, now);
  }
  return snap;
}

void AdView::encode(std::string& out) const {
  put_field(out, std::to_string(accounts_.size()));
  for (const auto& [id, account] : accounts_) {
    put_field(out, id);
    put_field(out, account.uac_disabled ? "1" : "0");
    put_field(out, account.expires ? std::to_string(*account.expires) : std::string());
  }
  view_.encode(out);
}

Result<AdView> AdView::decode(std::string_view& in) {
  AdView view;
  auto count_field = take_field(in);
  if (!count_field) return std::unexpected(bad_state());
  auto count = parse_number<std::size_t>(*count_field);
  if (!count || *count > in.size()) return std::unexpected(bad_state());
  for (std::size_t i = 0; i < *count; ++i) {
    auto id = take_field(in);
    auto disabled = take_field(in);
    auto expires = take_field(in);
    if (!id || !disabled || !expires || (*disabled != "0" && *disabled != "1"))
      return std::unexpected(bad_state());
    AdAccountState account;
    account.uac_disabled = *disabled == "1";
    if (!expires->empty()) {
      account.expires = parse_number<std::int64_t>(*expires);
      if (!account.expires) return std::unexpected(bad_state());
    }
    view.accounts_.emplace(std::move(*id), account);
  }
  auto inner = SyncView::decode(in);
  if (!inner) return std::unexpected(inner.error());
  view.view_ = std::move(*inner);
  return view;
}

bool AdView::operator==(const AdView& other) const {
  std::string a, b;
  encode(a);
  other.encode(b);
  return a == b;
}

}  // namespace trustgate
