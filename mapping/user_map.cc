#include "mapping/user_map.h"

#include <stdexcept>

namespace trustgate {

const User& UserMap::at(std::string_view id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) throw std::out_of_range("UserMap::at: unknown user");
  return *it->second;
}

UserMap::Ptr UserMap::shared(std::string_view id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

User& UserMap::make_unique_owner(Ptr& ptr) {
  // use_count() == 1: no other model holds this user, and none can get it but through this
  // map, which its owner is writing. Every User is created non-const (make_shared<User>).
  if (ptr.use_count() != 1) ptr = std::make_shared<User>(*ptr);
  return const_cast<User&>(*ptr);
}

User& UserMap::operator[](const std::string& id) {
  auto [it, inserted] = entries_.try_emplace(id);
  if (inserted) it->second = std::make_shared<User>();
  return make_unique_owner(it->second);
}

std::pair<UserMap::const_iterator, bool> UserMap::emplace(const std::string& id, User user) {
  auto it = entries_.find(id);
  if (it != entries_.end()) return {const_iterator(it), false};
  it = entries_.emplace_hint(it, id, std::make_shared<User>(std::move(user)));
  return {const_iterator(it), true};
}

void UserMap::put(const std::string& id, Ptr user) {
  // Sources list users in id order more often than not: appending needs no search.
  if (entries_.empty() || entries_.rbegin()->first < id) {
    entries_.emplace_hint(entries_.end(), id, std::move(user));
    return;
  }
  entries_.insert_or_assign(id, std::move(user));
}

bool UserMap::put_new(const std::string& id, Ptr user) {
  if (entries_.empty() || entries_.rbegin()->first < id) {
    entries_.emplace_hint(entries_.end(), id, std::move(user));
    return true;
  }
  return entries_.try_emplace(id, std::move(user)).second;
}

std::size_t UserMap::erase(std::string_view id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return 0;
  entries_.erase(it);
  return 1;
}

bool UserMap::operator==(const UserMap& other) const {
  if (entries_.size() != other.entries_.size()) return false;
  auto b = other.entries_.begin();
  for (auto a = entries_.begin(); a != entries_.end(); ++a, ++b) {
    if (a->first != b->first) return false;
    if (a->second != b->second && !(*a->second == *b->second)) return false;
  }
  return true;
}

}  // namespace trustgate
