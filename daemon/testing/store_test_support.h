#pragma once
// Test helpers shared by the store's test files (header-only: test code, not in tg_daemon).
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "common/clock.h"
#include "daemon/store/store.h"

namespace trustgate::store_test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline ApplyOptions options(std::string sources, std::string summary, bool forced = false) {
  ApplyOptions o;
  o.sources = std::move(sources);
  o.summary = std::move(summary);
  o.forced = forced;
  return o;
}

inline std::unique_ptr<Store> open_ok(const std::string& path, const Clock& clock) {
  auto store = Store::open(path, clock);
  EXPECT_TRUE(store.has_value()) << (store ? ""
                                           : store.error().code + ": " + store.error().message);
  return store ? std::move(*store) : nullptr;
}

inline AccessModel load_model(Store& store) {
  auto loaded = store.load_current();
  EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().message);
  EXPECT_TRUE(loaded && loaded->has_value());
  return loaded && *loaded ? (*loaded)->model : AccessModel{};
}

// Rows inserted, updated or deleted through this connection so far.
inline int total_changes(Store& store) {
  return store.with_db([](SQLite::Database& db) { return sqlite3_total_changes(db.getHandle()); });
}

}  // namespace trustgate::store_test
