#pragma once
// Where tickets and the audit trail live: a SQLite file of their own beside the store
// ("trustgate.db" -> "trustgate-handoffs.db"), so that a long apply (one big write
// transaction on the store) never stalls a handoff.
#include <filesystem>
#include <string>

namespace trustgate {

inline std::string handoff_db_path(const std::string& database) {
  std::filesystem::path p(database);
  return (p.parent_path() / (p.stem().string() + "-handoffs.db")).string();
}

// The audit checkpoint key (audit_log.h), private to the daemon's user, beside the database
// ("trustgate.db" -> "trustgate-audit.key").
inline std::string audit_key_path(const std::string& database) {
  std::filesystem::path p(database);
  return (p.parent_path() / (p.stem().string() + "-audit.key")).string();
}

}  // namespace trustgate
