#include "daemon/api/audit_log.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

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

const std::string kInsert =
    "INSERT INTO audit_log (at, decision_id, action, client, user, institution, decision, "
    "reason) VALUES (?,?,?,?,?,?,?,?)";

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(DbAccess& db, const Clock& clock) {
  auto created = run_db(db, "store.io", [](SQLite::Database& conn) {
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
  });
  if (!created) return std::unexpected(created.error());
  return std::unique_ptr<AuditLog>(new AuditLog(db, clock));
}

Result<void> AuditLog::record(AuditEvent e) {
  if (e.at == 0) e.at = unix_seconds(clock_.now());
  log_line(e);
  auto written = run_db(db_, "store.io", [&](SQLite::Database& conn) { insert_in(conn, e); });
  if (!written)
    spdlog::error("audit: cannot write event {}: {}", e.decision_id, written.error().message);
  return written;
}

void AuditLog::log_line(const AuditEvent& e) {
  spdlog::info(
      "audit action={} decision={} reason={} decision_id={} client=\"{}\" user=\"{}\" "
      "institution=\"{}\"",
      printable(e.action), e.allowed ? "allow" : "deny", printable(e.reason), e.decision_id,
      printable(e.client), printable(e.user), printable(e.institution));
}

void AuditLog::insert_in(SQLite::Database& conn, const AuditEvent& e) {
  auto q = db_.prepare(conn, kInsert);
  q->bind(1, static_cast<std::int64_t>(e.at));
  q->bind(2, e.decision_id);
  q->bind(3, e.action);
  q->bind(4, e.client);
  q->bind(5, e.user);
  q->bind(6, e.institution);
  q->bind(7, e.allowed ? "allow" : "deny");
  q->bind(8, e.reason);
  q->exec();
}

Result<std::vector<AuditEvent>> AuditLog::query(const AuditQuery& f) {
  std::vector<AuditEvent> out;
  auto ran = run_db(db_, "store.io", [&](SQLite::Database& conn) {
    std::string sql =
        "SELECT at, decision_id, action, client, user, institution, decision, reason "
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
      out.push_back(std::move(e));
    }
  });
  if (!ran) return std::unexpected(ran.error());
  return out;
}

}  // namespace trustgate
