#include "daemon/api/snapshot.h"

namespace trustgate {

std::shared_ptr<const ServingSnapshot> ServingSnapshot::build(
    AccessModel store_model, const std::vector<ManualAssociation>& manual, RevisionInfo revision,
    std::optional<std::int64_t> data_as_of) {
  std::shared_ptr<ServingSnapshot> s(new ServingSnapshot());
  s->model_ = with_manual(std::move(store_model), manual);
  s->revision_ = std::move(revision);
  s->data_as_of_ = data_as_of;
  for (const auto& [id, user] : s->model_.users) {
    auto [it, inserted] = s->username_to_id_.emplace(to_lower(user.username), id);
    if (!inserted) it->second.clear();  // shared username: ambiguous
  }
  return s;
}

const User* ServingSnapshot::find_user(std::string_view key) const {
  if (key.empty()) return nullptr;
  if (auto it = model_.users.find(std::string(key)); it != model_.users.end()) return &it->second;
  auto it = username_to_id_.find(to_lower(key));
  if (it == username_to_id_.end() || it->second.empty()) return nullptr;
  auto u = model_.users.find(it->second);
  return u == model_.users.end() ? nullptr : &u->second;
}

Decision ServingSnapshot::decide(std::string_view user_key, std::string_view institution_id) const {
  const User* user = find_user(user_key);
  if (user == nullptr) {
    Decision d;
    d.reason = std::string(reason::kUnknownUser);
    return d;
  }
  return trustgate::decide(model_, user->id, institution_id);
}

}  // namespace trustgate
