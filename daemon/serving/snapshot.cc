#include "daemon/serving/snapshot.h"

#include "mapping/case_fold.h"

namespace trustgate {

namespace {

// True when `a` and `b` hold the same user ids with the same usernames (users shared by both
// are not compared).
bool same_usernames(const AccessModel& a, const AccessModel& b) {
  const auto& x = a.users.entries();
  const auto& y = b.users.entries();
  if (x.size() != y.size()) return false;
  for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
    if (i->first != j->first) return false;
    if (i->second != j->second && i->second->username != j->second->username) return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<const ServingSnapshot> ServingSnapshot::build(
    AccessModel store_model, const std::vector<ManualAssociation>& manual, RevisionInfo revision,
    std::optional<std::int64_t> data_as_of) {
  return build(std::make_shared<const AccessModel>(std::move(store_model)), manual,
               std::move(revision), data_as_of, nullptr);
}

std::shared_ptr<const ServingSnapshot> ServingSnapshot::build(
    std::shared_ptr<const AccessModel> store_model, const std::vector<ManualAssociation>& manual,
    RevisionInfo revision, std::optional<std::int64_t> data_as_of,
    const ServingSnapshot* previous) {
  std::shared_ptr<ServingSnapshot> s(new ServingSnapshot());
  // Manual associations change a few users: the merged model is a copy sharing the rest.
  s->model_ = manual.empty()
                  ? std::move(store_model)
                  : std::make_shared<const AccessModel>(with_manual(*store_model, manual));
  s->revision_ = std::move(revision);
  s->data_as_of_ = data_as_of;
  if (previous != nullptr && same_usernames(*previous->model_, *s->model_)) {
    s->username_to_id_ = previous->username_to_id_;
    return s;
  }
  auto index = std::make_shared<std::unordered_map<std::string, std::string>>();
  index->reserve(s->model_->users.size());
  for (const auto& [id, user] : s->model_->users) {
    auto [it, inserted] = index->emplace(fold_case(user.username), id);
    if (!inserted) it->second.clear();  // shared username: ambiguous
  }
  s->username_to_id_ = std::move(index);
  return s;
}

UserLookup ServingSnapshot::lookup(const UserKey& key) const {
  if (key.value.empty()) return UserLookup::unknown();
  if (key.kind == UserKey::Kind::Id) {
    const User* u = find_user_by_id(key.value);
    return u == nullptr ? UserLookup::unknown() : UserLookup::found(u);
  }
  auto it = username_to_id_->find(fold_case(key.value));
  if (it == username_to_id_->end()) return UserLookup::unknown();
  if (it->second.empty()) return UserLookup::ambiguous();
  const User* u = find_user_by_id(it->second);
  return u == nullptr ? UserLookup::unknown() : UserLookup::found(u);
}

const User* ServingSnapshot::find_user_by_id(std::string_view id) const {
  auto it = model_->users.find(id);
  return it == model_->users.end() ? nullptr : &it->second;
}

Decision ServingSnapshot::decide(const UserKey& key, std::string_view institution_id) const {
  return trustgate::decide(*model_, lookup(key), institution_id);
}

}  // namespace trustgate
