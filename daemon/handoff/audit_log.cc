#include "daemon/handoff/audit_log.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/private_files.h"
#include "daemon/handoff/audit_chain.h"
#include "daemon/handoff/secret_digest.h"

namespace trustgate {
namespace {

using namespace audit_chain;

// Log lines carry client-chosen strings: keep them on one line and printable.
std::string printable(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F || c == '"') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

// Runs `fn` inside a write transaction: the caller's when one is open (GroupCommitDb's batch,
// a caller's DbAccess::run), else a BEGIN IMMEDIATE of its own, so that what `fn` reads is
// what it writes after.
template <typename F>
auto in_write_transaction(SQLite::Database& conn, F&& fn) -> decltype(fn()) {
  if (sqlite3_get_autocommit(conn.getHandle()) == 0) return fn();
  SQLite::Transaction txn(conn, SQLite::TransactionBehavior::IMMEDIATE);
  if constexpr (std::is_void_v<decltype(fn())>) {
    fn();
    txn.commit();
  } else {
    auto result = fn();
    txn.commit();
    return result;
  }
}

// Reads in one snapshot: a read transaction of its own outside any transaction.
template <typename F>
void in_read_transaction(SQLite::Database& conn, F&& fn) {
  if (sqlite3_get_autocommit(conn.getHandle()) == 0) return fn();
  SQLite::Transaction txn(conn, SQLite::TransactionBehavior::DEFERRED);
  fn();
  txn.commit();
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(DbAccess& db, const Clock& clock,
                                                 AuditOptions options) {
  std::optional<Error> refused;
  auto created = run_db(db, "store.io", [&](SQLite::Database& conn) {
    in_write_transaction(conn, [&] {
      // The version lives in a table of its own: the tables may share a file (older installs
      // kept them in the store's file) whose user_version belongs to the store.
      conn.exec("CREATE TABLE IF NOT EXISTS audit_schema (version INTEGER NOT NULL)");
      SQLite::Statement v(conn, "SELECT max(version) FROM audit_schema");
      const int version = v.executeStep() && !v.getColumn(0).isNull() ? v.getColumn(0).getInt() : 0;
      if (version > kSchemaVersion) {
        refused = Error{"audit.schema", fmt::format("the audit log has schema version {}, newer "
                                                    "than this trustgate supports ({})",
                                                    version, kSchemaVersion)};
        return;
      }
      // Version 0: the table as it was before the chain (a no-op when it exists).
      conn.exec(
          "CREATE TABLE IF NOT EXISTS audit_log ("
          " id INTEGER PRIMARY KEY AUTOINCREMENT,"
          " at INTEGER NOT NULL,"
          " decision_id TEXT NOT NULL,"
          " action TEXT NOT NULL,"
          " client TEXT NOT NULL,"
          " user TEXT NOT NULL,"
          " institution TEXT NOT NULL,"
          " decision TEXT NOT NULL,"
          " reason TEXT NOT NULL)");
      conn.exec("CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at)");
      conn.exec("CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log(user)");
      if (version < 1) {
        migrate_to_chain(conn);
        conn.exec("DELETE FROM audit_schema");
        conn.exec("INSERT INTO audit_schema (version) VALUES (1)");
      }
    });
  });
  if (!created) return std::unexpected(created.error());
  if (refused) return std::unexpected(*refused);
  return std::unique_ptr<AuditLog>(new AuditLog(db, clock, std::move(options)));
}

Result<void> AuditLog::record(AuditEvent e) {
  if (e.at == 0) e.at = unix_seconds(clock_.now());
  AuditRow row;
  auto written = run_db(db_, "store.io", [&](SQLite::Database& conn) { row = insert_in(conn, e); });
  if (!written) {
    log_line(e);
    spdlog::error("audit: cannot write event {}: {}", e.decision_id, written.error().message);
    return written;
  }
  log_line(e, &row);
  return written;
}

Result<bool> AuditLog::record_failure(AuditEvent e) {
  if (e.at == 0) e.at = unix_seconds(clock_.now());
  const Admission a = admit(e);
  if (!a.own_row) return false;  // counted; no write at all (no transaction, no fsync)
  std::optional<AuditRow> row;
  auto written =
      run_db(db_, "store.io", [&](SQLite::Database& conn) { row = write_admitted(conn, a, e); });
  if (!written) {
    log_line(e);
    spdlog::error("audit: cannot write event {}: {}", e.decision_id, written.error().message);
    return std::unexpected(written.error());
  }
  if (row) log_line(e, &*row);
  return row.has_value();
}

void AuditLog::log_line(const AuditEvent& e, const AuditRow* row) {
  spdlog::info(
      "audit action={} decision={} reason={} decision_id={} client=\"{}\" user=\"{}\" "
      "institution=\"{}\"{}{}",
      printable(e.action), e.allowed ? "allow" : "deny", printable(e.reason), e.decision_id,
      printable(e.client), printable(e.user), printable(e.institution),
      e.events != 1 ? fmt::format(" events={}", e.events) : std::string(),
      row ? fmt::format(" row={} hash={}", row->id, row->hash) : std::string());
}

AuditRow AuditLog::insert_in(SQLite::Database& conn, const AuditEvent& e) {
  return in_write_transaction(conn, [&] { return append(conn, e); });
}

AuditRow AuditLog::append(SQLite::Database& conn, const AuditEvent& e) {
  std::int64_t prev_id = 0;
  std::string prev = kGenesisHash;
  {
    auto last = db_.prepare(conn, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
    if (last->executeStep()) {
      prev_id = last->getColumn(0).getInt64();
      prev = last->getColumn(1).getString();
    } else {
      auto cp = db_.prepare(conn, "SELECT last_id, last_hash FROM audit_checkpoint WHERE id = 1");
      if (cp->executeStep()) {
        prev_id = cp->getColumn(0).getInt64();
        prev = cp->getColumn(1).getString();
      }
    }
  }
  AuditRow row;
  row.id = prev_id + 1;
  row.hash = audit_row_hash(prev, row.id, e);
  auto q = db_.prepare(conn, kInsert);
  q->bind(1, static_cast<std::int64_t>(row.id));
  q->bind(2, static_cast<std::int64_t>(e.at));
  q->bind(3, e.decision_id);
  q->bind(4, e.action);
  q->bind(5, e.client);
  q->bind(6, e.user);
  q->bind(7, e.institution);
  q->bind(8, e.allowed ? "allow" : "deny");
  q->bind(9, e.reason);
  q->bind(10, static_cast<std::int64_t>(e.events));
  q->bind(11, prev);
  q->bind(12, row.hash);
  q->exec();
  return row;
}

AuditLog::Admission AuditLog::admit(const AuditEvent& e) {
  Admission out;
  if (options_.failure_rows_per_second <= 0) {
    out.own_row = true;
    return out;
  }
  std::lock_guard lock(limit_mutex_);
  Pending& p = pending_[{e.client, e.action}];
  if (p.second != e.at) {
    p.second = e.at;
    p.rows = 0;
  }
  if (p.rows >= options_.failure_rows_per_second) {
    ++p.suppressed;
    ++suppressed_total_;
    p.last_at = e.at;
    return out;
  }
  ++p.rows;
  out.own_row = true;
  if (p.suppressed > 0) {
    AuditEvent s;
    s.at = p.last_at;
    s.action = e.action;
    s.client = e.client;
    s.allowed = false;
    s.reason = std::string(kSuppressedFailures);
    s.events = std::exchange(p.suppressed, 0);
    out.summary = std::move(s);
  }
  return out;
}

std::optional<AuditRow> AuditLog::insert_failure_in(SQLite::Database& conn, const AuditEvent& e) {
  return write_admitted(conn, admit(e), e);
}

std::optional<AuditRow> AuditLog::write_admitted(SQLite::Database& conn, const Admission& a,
                                                 const AuditEvent& e) {
  // A summary taken by admit() and then rolled back with the caller's transaction is lost
  // from the table (suppressed_total() still counts it).
  return in_write_transaction(conn, [&]() -> std::optional<AuditRow> {
    if (a.summary) {
      AuditRow s = append(conn, *a.summary);
      log_line(*a.summary, &s);
    }
    if (!a.own_row) return std::nullopt;
    return append(conn, e);
  });
}

Result<std::size_t> AuditLog::flush_suppressed() {
  const std::int64_t now = unix_seconds(clock_.now());
  std::vector<AuditEvent> due;
  {
    std::lock_guard lock(limit_mutex_);
    for (auto& [key, p] : pending_) {
      if (p.suppressed == 0 || p.second >= now) continue;
      AuditEvent s;
      s.at = p.last_at;
      s.client = key.first;
      s.action = key.second;
      s.reason = std::string(kSuppressedFailures);
      s.events = std::exchange(p.suppressed, 0);
      due.push_back(std::move(s));
    }
  }
  if (due.empty()) return 0;
  std::vector<AuditRow> rows;
  auto written = run_db(db_, "store.io", [&](SQLite::Database& conn) {
    rows.clear();
    in_write_transaction(conn, [&] {
      for (const auto& s : due) rows.push_back(append(conn, s));
    });
  });
  if (!written) {
    spdlog::error("audit: cannot write {} summaries of suppressed failures: {}", due.size(),
                  written.error().message);
    return std::unexpected(written.error());
  }
  for (std::size_t i = 0; i < due.size(); ++i) log_line(due[i], &rows[i]);
  return due.size();
}

std::uint64_t AuditLog::suppressed_total() const {
  std::lock_guard lock(limit_mutex_);
  return suppressed_total_;
}

Result<ChainReport> AuditLog::verify() {
  ChainReport report;
  bool key_missing = false;
  auto ran = run_db(db_, "store.io", [&](SQLite::Database& conn) {
    report = ChainReport{};
    in_read_transaction(conn, [&] {
      try {
        walk_chain(conn, options_.checkpoint_key, std::numeric_limits<std::int64_t>::max(), true,
                   report);
      } catch (const KeyMissing&) {
        key_missing = true;
      }
    });
  });
  if (!ran) return std::unexpected(ran.error());
  if (key_missing) {
    return fail("audit.key", fmt::format("the audit log has a checkpoint (after row {}) but no "
                                         "key to check its signature",
                                         report.checkpoint.value_or(0)));
  }
  return report;
}

Result<RetentionResult> AuditLog::enforce_retention() {
  RetentionResult total;
  if (options_.retention_days <= 0 && options_.max_rows <= 0) return total;
  while (true) {
    std::optional<Error> refused;
    std::int64_t deleted = 0, cut = 0;
    const std::int64_t now = unix_seconds(clock_.now());
    auto ran = run_db(db_, "store.io", [&](SQLite::Database& conn) {
      deleted = 0;
      in_write_transaction(conn, [&] {
        SQLite::Statement span(conn, "SELECT min(id), max(id) FROM audit_log");
        if (!span.executeStep() || span.getColumn(0).isNull()) return;
        const std::int64_t first = span.getColumn(0).getInt64();
        const std::int64_t last = span.getColumn(1).getInt64();
        cut = 0;
        if (options_.retention_days > 0) {
          SQLite::Statement old(conn, "SELECT max(id) FROM audit_log WHERE at < ?");
          old.bind(1,
                   static_cast<std::int64_t>(now - std::int64_t{options_.retention_days} * 86'400));
          if (old.executeStep() && !old.getColumn(0).isNull()) cut = old.getColumn(0).getInt64();
        }
        // Ids are contiguous: last - first + 1 rows.
        if (options_.max_rows > 0 && last - first + 1 > options_.max_rows) {
          cut = std::max(cut, last - options_.max_rows);
        }
        cut = std::min(cut, first + std::max<std::int64_t>(options_.retention_batch, 1) - 1);
        if (cut < first) return;
        if (options_.checkpoint_key.empty()) {
          refused = Error{"audit.key", "retention needs the checkpoint key; no row was deleted"};
          return;
        }
        // The checkpoint vouches for the rows it replaces: they must verify.
        ChainReport segment;
        walk_chain(conn, options_.checkpoint_key, cut, false, segment);
        if (segment.broken) {
          refused = Error{"audit.broken",
                          fmt::format("refusing to delete rows up to {}: the audit chain is "
                                      "broken at row {}: {}",
                                      cut, segment.broken->row_id, segment.broken->what)};
          return;
        }
        SQLite::Statement hash(conn, "SELECT hash FROM audit_log WHERE id = ?");
        hash.bind(1, static_cast<std::int64_t>(cut));
        if (!hash.executeStep()) return;
        const std::string last_hash = hash.getColumn(0).getString();
        SQLite::Statement del(conn, "DELETE FROM audit_log WHERE id <= ?");
        del.bind(1, static_cast<std::int64_t>(cut));
        deleted = del.exec();
        SQLite::Statement cp(conn,
                             "INSERT OR REPLACE INTO audit_checkpoint (id, last_id, last_hash, at, "
                             "signature) VALUES (1, ?, ?, ?, ?)");
        cp.bind(1, static_cast<std::int64_t>(cut));
        cp.bind(2, last_hash);
        cp.bind(3, static_cast<std::int64_t>(now));
        cp.bind(4, audit_checkpoint_signature(options_.checkpoint_key, cut, last_hash, now));
        cp.exec();
      });
    });
    if (!ran) return std::unexpected(ran.error());
    if (refused) {
      spdlog::error("audit: retention: {}", refused->message);
      return std::unexpected(*refused);
    }
    if (deleted == 0) break;
    spdlog::info("audit: retention deleted {} rows up to row {}; checkpoint signed", deleted, cut);
    total.deleted += deleted;
    total.checkpoint = cut;
  }
  return total;
}

Result<std::vector<AuditEvent>> AuditLog::query(const AuditQuery& f) {
  std::vector<AuditEvent> out;
  auto ran = run_db(db_, "store.io", [&](SQLite::Database& conn) {
    std::string sql =
        "SELECT at, decision_id, action, client, user, institution, decision, reason, events "
        "FROM audit_log WHERE 1=1";
    // "AND column IN (?, ?, ...)" for a non-empty list; its values bound in order below.
    auto any_of = [&sql](const char* column, const std::vector<std::string>& values) {
      if (values.empty()) return;
      sql += fmt::format(" AND {} IN (?", column);
      for (std::size_t i = 1; i < values.size(); ++i) sql += ", ?";
      sql += ")";
    };
    any_of("user", f.users);
    any_of("institution", f.institutions);
    any_of("client", f.clients);
    any_of("action", f.actions);
    if (f.allowed) sql += " AND decision = ?";
    if (f.since) sql += " AND at >= ?";
    if (f.until) sql += " AND at <= ?";
    sql += " ORDER BY at DESC, id DESC LIMIT ?";
    SQLite::Statement q(conn, sql);
    int n = 0;
    for (const auto* list : {&f.users, &f.institutions, &f.clients, &f.actions}) {
      for (const std::string& v : *list) q.bind(++n, v);
    }
    if (f.allowed) q.bind(++n, *f.allowed ? "allow" : "deny");
    if (f.since) q.bind(++n, static_cast<std::int64_t>(*f.since));
    if (f.until) q.bind(++n, static_cast<std::int64_t>(*f.until));
    q.bind(++n, static_cast<std::int64_t>(std::min<std::size_t>(f.limit, INT64_MAX)));
    while (q.executeStep()) {
      AuditEvent e;
      e.at = q.getColumn(0).getInt64();
      e.decision_id = q.getColumn(1).getString();
      e.action = q.getColumn(2).getString();
      e.client = q.getColumn(3).getString();
      e.user = q.getColumn(4).getString();
      e.institution = q.getColumn(5).getString();
      e.allowed = q.getColumn(6).getString() == "allow";
      e.reason = q.getColumn(7).getString();
      e.events = q.getColumn(8).getInt64();
      out.push_back(std::move(e));
    }
  });
  if (!ran) return std::unexpected(ran.error());
  return out;
}

}  // namespace trustgate
