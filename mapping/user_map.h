#pragma once
// The users of an access model, by stable id, ordered. Each user is held through a shared
// pointer to an immutable value, so that copying a model (the next revision, the store's copy,
// the served snapshot) shares every user it does not change: copying costs one pointer per
// user, and a change to one user clones only that user (copy on write).
//
// Reads look like a std::map<std::string, User>: iteration yields (id, user) pairs of const
// references. Writes go through operator[], emplace, put and erase.
#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mapping/user.h"

namespace trustgate {

class UserMap {
 public:
  using Ptr = std::shared_ptr<const User>;
  using Entries = std::map<std::string, Ptr, std::less<>>;
  using value_type = std::pair<const std::string&, const User&>;

  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = UserMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = value_type;
    struct Arrow {
      value_type pair;
      const value_type* operator->() const { return &pair; }
    };
    using pointer = Arrow;

    const_iterator() = default;
    explicit const_iterator(Entries::const_iterator it) : it_(it) {}
    value_type operator*() const { return {it_->first, *it_->second}; }
    Arrow operator->() const { return Arrow{**this}; }
    const_iterator& operator++() {
      ++it_;
      return *this;
    }
    const_iterator operator++(int) {
      auto old = *this;
      ++it_;
      return old;
    }
    const_iterator& operator--() {
      --it_;
      return *this;
    }
    bool operator==(const const_iterator&) const = default;
    // The shared pointer behind this entry.
    const Ptr& ptr() const { return it_->second; }

   private:
    Entries::const_iterator it_;
  };
  using iterator = const_iterator;

  UserMap() = default;
  UserMap(std::initializer_list<std::pair<const std::string, User>> users) {
    for (const auto& [id, user] : users) emplace(id, user);
  }

  const_iterator begin() const { return const_iterator(entries_.begin()); }
  const_iterator end() const { return const_iterator(entries_.end()); }
  const_iterator find(std::string_view id) const { return const_iterator(entries_.find(id)); }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  bool contains(std::string_view id) const { return entries_.find(id) != entries_.end(); }
  std::size_t count(std::string_view id) const { return contains(id) ? 1 : 0; }
  // Throws std::out_of_range when unknown, like std::map::at.
  const User& at(std::string_view id) const;
  // The shared user, or nullptr when unknown.
  Ptr shared(std::string_view id) const;

  // A mutable user (created empty when unknown). Clones it first when it is shared.
  User& operator[](const std::string& id);
  // Inserts when absent; returns (the user, inserted). Like std::map::emplace, an existing user
  // is left as it is.
  std::pair<const_iterator, bool> emplace(const std::string& id, User user);
  // Inserts or replaces, sharing `user`. Cheapest when ids come in increasing order.
  void put(const std::string& id, Ptr user);
  // Inserts `user` unless `id` is present; true when inserted.
  bool put_new(const std::string& id, Ptr user);
  std::size_t erase(std::string_view id);
  void clear() { entries_.clear(); }

  // Every mutable user, each cloned first when shared (for passes that touch every user).
  template <typename Fn>
  void for_each_mutable(Fn&& fn) {
    for (auto& [id, ptr] : entries_) fn(id, make_unique_owner(ptr));
  }

  const Entries& entries() const { return entries_; }

  // Same users by value (pointers equal or users equal).
  bool operator==(const UserMap& other) const;

 private:
  static User& make_unique_owner(Ptr& ptr);
  Entries entries_;
};

}  // namespace trustgate
