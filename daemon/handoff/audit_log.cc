#include "daemon/handoff/audit_log.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/private_files.h"
#include "daemon/handoff/secret_digest.h"

namespace trustgate {
namespace {

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

void netstring(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out.push_back(':');
  out.append(s);
  out.push_back(',');
}

// The chain's hash over the fields as text, in the order of the file comment of audit_log.h:
// id, at, decision_id, action, client, user, institution, decision, reason, events.
std::string row_hash_of(std::string_view prev_hash, const std::array<std::string, 10>& fields) {
  std::string in;
  netstring(in, "trustgate-audit-v1");
  netstring(in, prev_hash);
  for (const auto& f : fields) netstring(in, f);
  return to_hex(sha256(in));
}

std::string signature_of(std::string_view key, std::string_view last_id, std::string_view last_hash,
                         std::string_view at) {
  std::string in;
  netstring(in, "trustgate-audit-checkpoint-v1");
  netstring(in, last_id);
  netstring(in, last_hash);
  netstring(in, at);
  return to_hex(hmac_sha256(key, in));
}

// The columns every chain walk reads, in this order.
constexpr char kRowColumns[] =
    "id, at, decision_id, action, client, user, institution, decision, reason, events, "
    "prev_hash, hash";

// The hash of a stored row recomputed from the text of its columns (exactly what is stored:
// a tampered "decision" or a real number in "at" changes the hash).
std::string stored_row_hash(SQLite::Statement& q) {
  std::array<std::string, 10> fields;
  for (int i = 0; i < 10; ++i) fields[static_cast<std::size_t>(i)] = q.getColumn(i).getString();
  return row_hash_of(q.getColumn(10).getString(), fields);
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

struct Checkpoint {
  std::int64_t last_id = 0;
  std::string last_id_text, last_hash, at_text, signature;
};

std::optional<Checkpoint> read_checkpoint(SQLite::Database& conn) {
  SQLite::Statement q(
      conn, "SELECT last_id, last_hash, at, signature FROM audit_checkpoint WHERE id = 1");
  if (!q.executeStep()) return std::nullopt;
  Checkpoint c;
  c.last_id = q.getColumn(0).getInt64();
  c.last_id_text = q.getColumn(0).getString();
  c.last_hash = q.getColumn(1).getString();
  c.at_text = q.getColumn(2).getString();
  c.signature = q.getColumn(3).getString();
  return c;
}

struct KeyMissing {};

// Walks the chain up to row `upto` (inclusive), counting rows into `report`. Throws
// KeyMissing for a checkpoint that cannot be checked.
void walk_chain(SQLite::Database& conn, const std::string& key, std::int64_t upto, bool check_tail,
                ChainReport& report) {
  std::string prev = kGenesisHash;
  std::int64_t prev_id = 0;
  if (auto cp = read_checkpoint(conn)) {
    report.checkpoint = cp->last_id;
    if (key.empty()) throw KeyMissing{};
    const std::string expected = signature_of(key, cp->last_id_text, cp->last_hash, cp->at_text);
    if (!constant_time_equal(sha256(expected), sha256(cp->signature))) {
      report.broken = ChainBreak{
          cp->last_id,
          fmt::format("the checkpoint (rows up to {} deleted by retention) does not carry a valid "
                      "signature: it was forged or changed",
                      cp->last_id_text)};
      return;
    }
    prev = cp->last_hash;
    prev_id = cp->last_id;
  }
  const std::int64_t start_id = prev_id;
  SQLite::Statement q(
      conn, fmt::format("SELECT {} FROM audit_log WHERE id <= ? ORDER BY id", kRowColumns));
  q.bind(1, static_cast<std::int64_t>(upto));
  while (q.executeStep()) {
    ++report.rows;
    const std::int64_t id = q.getColumn(0).getInt64();
    auto broken = [&](std::string what) { report.broken = ChainBreak{id, std::move(what)}; };
    if (id <= prev_id) {
      return broken(
          fmt::format("row {} is at or before the checkpoint (row {}): rows deleted by "
                      "retention were put back",
                      id, prev_id));
    }
    if (id != prev_id + 1) {
      return broken(
          id == prev_id + 2
              ? fmt::format("row {} is missing: it was deleted", prev_id + 1)
              : fmt::format("rows {} to {} are missing: they were deleted", prev_id + 1, id - 1));
    }
    const std::string stored_prev = q.getColumn(10).getString();
    if (stored_prev != prev) {
      return broken(
          prev_id == start_id && !report.checkpoint
              ? std::string("its prev_hash is not the start of the chain, and there is no "
                            "checkpoint: rows were inserted, reordered or changed")
              : fmt::format("its prev_hash does not match the hash of {}: rows were "
                            "inserted, reordered or changed",
                            prev_id == start_id ? std::string("the checkpoint")
                                                : fmt::format("row {}", prev_id)));
    }
    const std::string stored = q.getColumn(11).getString();
    if (stored_row_hash(q) != stored) {
      return broken("its fields do not match its hash: the row was changed");
    }
    prev = stored;
    prev_id = id;
  }
  if (!check_tail) return;
  // Rows cut from the end leave the id counter behind.
  SQLite::Statement seq(conn, "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'");
  if (seq.executeStep()) {
    const std::int64_t counter = seq.getColumn(0).getInt64();
    if (counter > prev_id) {
      report.broken = ChainBreak{
          prev_id + 1,
          counter == prev_id + 1
              ? fmt::format("row {} (the last one written) is missing: it was deleted", counter)
              : fmt::format("rows {} to {} (the last ones written) are missing: they were deleted",
                            prev_id + 1, counter)};
    }
  }
}

const std::string kInsert =
    "INSERT INTO audit_log (id, at, decision_id, action, client, user, institution, decision, "
    "reason, events, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";

// Version 0 -> 1: the chain. Existing rows are hashed in id order, from the genesis hash.
void migrate_to_chain(SQLite::Database& conn) {
  conn.exec("ALTER TABLE audit_log ADD COLUMN events INTEGER NOT NULL DEFAULT 1");
  conn.exec("ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''");
  conn.exec("ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT ''");
  conn.exec(
      "CREATE TABLE audit_checkpoint ("
      " id INTEGER PRIMARY KEY CHECK (id = 1),"
      " last_id INTEGER NOT NULL,"
      " last_hash TEXT NOT NULL,"
      " at INTEGER NOT NULL,"
      " signature TEXT NOT NULL)");
  SQLite::Statement rows(conn, fmt::format("SELECT {} FROM audit_log ORDER BY id", kRowColumns));
  SQLite::Statement update(conn, "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?");
  std::string prev = kGenesisHash;
  std::size_t hashed = 0;
  while (rows.executeStep()) {
    std::array<std::string, 10> fields;
    for (int i = 0; i < 10; ++i)
      fields[static_cast<std::size_t>(i)] = rows.getColumn(i).getString();
    const std::string hash = row_hash_of(prev, fields);
    update.bind(1, prev);
    update.bind(2, hash);
    update.bind(3, rows.getColumn(0).getInt64());
    update.exec();
    update.reset();
    prev = hash;
    ++hashed;
  }
  if (hashed) spdlog::info("audit: {} existing rows hashed into the audit chain", hashed);
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

std::string audit_row_hash(std::string_view prev_hash, std::int64_t id, const AuditEvent& e) {
  return row_hash_of(prev_hash, {std::to_string(id), std::to_string(e.at), e.decision_id, e.action,
                                 e.client, e.user, e.institution, e.allowed ? "allow" : "deny",
                                 e.reason, std::to_string(e.events)});
}

std::string audit_checkpoint_signature(std::string_view key, std::int64_t last_id,
                                       std::string_view last_hash, std::int64_t at) {
  return signature_of(key, std::to_string(last_id), last_hash, std::to_string(at));
}

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
    if (f.user) sql += " AND user = :user";
    if (f.institution) sql += " AND institution = :institution";
    if (f.action) sql += " AND action = :action";
    if (f.allowed) sql += " AND decision = :decision";
    if (f.since) sql += " AND at >= :since";
    if (f.until) sql += " AND at <= :until";
    sql += " ORDER BY at DESC, id DESC LIMIT :limit";
    SQLite::Statement q(conn, sql);
    if (f.user) q.bind(":user", *f.user);
    if (f.institution) q.bind(":institution", *f.institution);
    if (f.action) q.bind(":action", *f.action);
    if (f.allowed) q.bind(":decision", *f.allowed ? "allow" : "deny");
    if (f.since) q.bind(":since", static_cast<std::int64_t>(*f.since));
    if (f.until) q.bind(":until", static_cast<std::int64_t>(*f.until));
    q.bind(":limit", static_cast<std::int64_t>(f.limit));
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

Result<std::optional<std::string>> read_audit_key(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return fail("audit.key", fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  if (const std::string problem = secret_file_problem(fd); !problem.empty()) {
    ::close(fd);
    return fail("audit.key", fmt::format("refusing the audit key {}: {}", path, problem));
  }
  char buf[256];
  std::string text;
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 256) break;
  }
  ::close(fd);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = hex_decode(text);
  if (n < 0 || !key || key->size() != 32) {
    return fail("audit.key", fmt::format("{} is not an audit key (64 hex digits)", path));
  }
  return std::optional<std::string>(std::move(*key));
}

Result<std::string> load_or_create_audit_key(const std::string& path, RandomSource& random) {
  auto existing = read_audit_key(path);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) return **existing;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {  // another process made it meanwhile
      auto again = read_audit_key(path);
      if (!again) return std::unexpected(again.error());
      if (*again) return **again;
    }
    return fail("audit.key", fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  std::array<std::uint8_t, 32> bytes{};
  random.fill(bytes);
  const std::string text = to_hex(bytes) + "\n";
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return fail("audit.key", fmt::format("cannot write {}: {}", path, std::strerror(err)));
  }
  spdlog::info("audit: created the checkpoint key {}", path);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace trustgate
