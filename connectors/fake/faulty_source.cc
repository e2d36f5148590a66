#include "connectors/fake/faulty_source.h"

#include <algorithm>
#include <utility>

#include "mapping/dn.h"

namespace trustgate {
namespace {

// A dropped entry is named by id or by DN; DNs compare normalized.
bool matches(const std::vector<std::string>& dropped, const std::string& id,
             const std::string& dn) {
  const std::string normalized = normalize_dn(dn);
  return std::ranges::any_of(dropped,
                             [&](const std::string& d) { return d == id || d == normalized; });
}

std::string key_of(std::string name) {
  // Ids are kept as given; anything with '=' is taken for a DN and normalized.
  return name.find('=') == std::string::npos ? name : normalize_dn(name);
}

}  // namespace

FaultySource::FaultySource(std::unique_ptr<DirectorySource> inner)
    : owned_(std::move(inner)), inner_(owned_.get()) {}

FaultySource::FaultySource(DirectorySource& inner) : inner_(&inner) {}

Result<DirectorySnapshot> FaultySource::snapshot(const ProgressFn& progress) {
  std::vector<std::string> dropped_groups;
  std::vector<std::string> dropped_users;
  {
    std::lock_guard lock(mutex_);
    ++snapshot_calls_;
    if (snapshot_failures_ > 0) {
      --snapshot_failures_;
      return std::unexpected(snapshot_error_);
    }
    if (empty_snapshots_ > 0) {
      --empty_snapshots_;
      DirectorySnapshot empty;
      empty.source = inner_->name();
      return empty;
    }
    dropped_groups = dropped_groups_;
    dropped_users = dropped_users_;
  }
  auto result = inner_->snapshot(progress);
  if (!result) return result;
  std::erase_if(result->groups,
                [&](const DirectoryGroup& g) { return matches(dropped_groups, g.id, g.dn); });
  std::erase_if(result->users,
                [&](const DirectoryUser& u) { return matches(dropped_users, u.id, u.dn); });
  return result;
}

Result<bool> FaultySource::wait_for_changes(std::chrono::milliseconds timeout,
                                            std::stop_token stop) {
  {
    std::lock_guard lock(mutex_);
    if (wait_failures_ > 0) {
      --wait_failures_;
      return std::unexpected(wait_error_);
    }
  }
  return inner_->wait_for_changes(timeout, std::move(stop));
}

void FaultySource::fail_next_snapshots(std::size_t n, Error error) {
  std::lock_guard lock(mutex_);
  snapshot_failures_ = n;
  snapshot_error_ = std::move(error);
}

void FaultySource::empty_next_snapshots(std::size_t n) {
  std::lock_guard lock(mutex_);
  empty_snapshots_ = n;
}

void FaultySource::drop_group(std::string group) {
  std::lock_guard lock(mutex_);
  dropped_groups_.push_back(key_of(std::move(group)));
}

void FaultySource::restore_group(const std::string& group) {
  std::lock_guard lock(mutex_);
  std::erase(dropped_groups_, key_of(group));
}

void FaultySource::drop_user(std::string user) {
  std::lock_guard lock(mutex_);
  dropped_users_.push_back(key_of(std::move(user)));
}

void FaultySource::restore_user(const std::string& user) {
  std::lock_guard lock(mutex_);
  std::erase(dropped_users_, key_of(user));
}

void FaultySource::fail_next_waits(std::size_t n, Error error) {
  std::lock_guard lock(mutex_);
  wait_failures_ = n;
  wait_error_ = std::move(error);
}

void FaultySource::clear_faults() {
  std::lock_guard lock(mutex_);
  snapshot_failures_ = 0;
  empty_snapshots_ = 0;
  dropped_groups_.clear();
  dropped_users_.clear();
  wait_failures_ = 0;
}

std::size_t FaultySource::snapshot_calls() const {
  std::lock_guard lock(mutex_);
  return snapshot_calls_;
}

}  // namespace trustgate
