#include "connectors/fake/fake_source.h"

#include <algorithm>
#include <utility>

namespace trustgate {

FakeSource::FakeSource(std::string name, DirectorySnapshot initial)
    : name_(std::move(name)), contents_(std::move(initial)) {
  contents_.source = name_;
}

Result<DirectorySnapshot> FakeSource::snapshot(const ProgressFn& progress) {
  DirectorySnapshot copy;
  {
    std::lock_guard lock(mutex_);
    ++snapshot_calls_;
    seen_generation_ = generation_;
    copy = contents_;
  }
  if (progress) progress(copy.users.size() + copy.groups.size());
  return copy;
}

Result<bool> FakeSource::wait_for_changes(std::chrono::milliseconds timeout, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  const bool changed =
      changed_cv_.wait_for(lock, stop, timeout, [this] { return generation_ != seen_generation_; });
  if (!changed) return false;  // timeout or stop requested
  seen_generation_ = generation_;
  return true;
}

std::optional<std::string> FakeSource::resume_state() const {
  std::lock_guard lock(mutex_);
  return std::to_string(generation_);
}

void FakeSource::restore_state(const std::string& state) {
  std::lock_guard lock(mutex_);
  restored_ = state;
}

std::optional<std::string> FakeSource::restored_state() const {
  std::lock_guard lock(mutex_);
  return restored_;
}

void FakeSource::set_snapshot(DirectorySnapshot snapshot) {
  std::lock_guard lock(mutex_);
  contents_ = std::move(snapshot);
  contents_.source = name_;
  changed();
}

void FakeSource::add_user(DirectoryUser user) {
  std::lock_guard lock(mutex_);
  auto& users = contents_.users;
  auto it = std::ranges::find(users, user.id, &DirectoryUser::id);
  if (it != users.end()) {
    *it = std::move(user);
  } else {
    users.push_back(std::move(user));
  }
  changed();
}

bool FakeSource::remove_user(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto removed = std::erase_if(contents_.users, [&](const auto& u) { return u.id == id; });
  if (removed > 0) changed();
  return removed > 0;
}

void FakeSource::add_group(DirectoryGroup group) {
  std::lock_guard lock(mutex_);
  auto& groups = contents_.groups;
  auto it = std::ranges::find(groups, group.id, &DirectoryGroup::id);
  if (it != groups.end()) {
    *it = std::move(group);
  } else {
    groups.push_back(std::move(group));
  }
  changed();
}

bool FakeSource::remove_group(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto removed = std::erase_if(contents_.groups, [&](const auto& g) { return g.id == id; });
  if (removed > 0) changed();
  return removed > 0;
}

bool FakeSource::add_member(const std::string& group_id, const std::string& member_dn) {
  std::lock_guard lock(mutex_);
  auto it = std::ranges::find(contents_.groups, group_id, &DirectoryGroup::id);
  if (it == contents_.groups.end()) return false;
  it->member_dns.push_back(member_dn);
  changed();
  return true;
}

bool FakeSource::remove_member(const std::string& group_id, const std::string& member_dn) {
  std::lock_guard lock(mutex_);
  auto it = std::ranges::find(contents_.groups, group_id, &DirectoryGroup::id);
  if (it == contents_.groups.end()) return false;
  if (std::erase(it->member_dns, member_dn) == 0) return false;
  changed();
  return true;
}

std::size_t FakeSource::snapshot_calls() const {
  std::lock_guard lock(mutex_);
  return snapshot_calls_;
}

void FakeSource::reconcile() {
  std::lock_guard lock(mutex_);
  ++reconcile_calls_;
}

std::size_t FakeSource::reconcile_calls() const {
  std::lock_guard lock(mutex_);
  return reconcile_calls_;
}

void FakeSource::changed() {
  ++generation_;
  changed_cv_.notify_all();
}

}  // namespace trustgate
