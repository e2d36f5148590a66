#include "daemon/handoff/ticket_store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace trustgate {
namespace {

const std::string kColumns =
    "hash, user_id, institution, client, mfa, auth_time, issued_at, expires_at, consumed_at, "
    "decision_id";
const std::string kInsert =
    "INSERT INTO handoff_tickets (" + kColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?)";
// One statement: the row is burnt by whichever caller's UPDATE matches first.
const std::string kBurn =
    "UPDATE handoff_tickets SET consumed_at = ? WHERE hash = ? AND consumed_at IS NULL "
    "RETURNING " +
    kColumns;
const std::string kLook = "SELECT " + kColumns + " FROM handoff_tickets WHERE hash = ?";
const std::string kPurge = "DELETE FROM handoff_tickets WHERE expires_at < ?";

TicketRecord read_row(SQLite::Statement& q) {
  TicketRecord r;
  r.hash_hex = q.getColumn(0).getString();
  r.user_id = q.getColumn(1).getString();
  r.institution = q.getColumn(2).getString();
  r.client = q.getColumn(3).getString();
  r.mfa = q.getColumn(4).getInt() != 0;
  r.auth_time = q.getColumn(5).getInt64();
  r.issued_at = q.getColumn(6).getInt64();
  r.expires_at = q.getColumn(7).getInt64();
  if (!q.getColumn(8).isNull()) r.consumed_at = q.getColumn(8).getInt64();
  r.decision_id = q.getColumn(9).getString();
  return r;
}

}  // namespace

Result<std::unique_ptr<TicketStore>> TicketStore::open(DbAccess& db) {
  auto created = run_db(db, "store.io", [](SQLite::Database& conn) {
    conn.exec(
        "CREATE TABLE IF NOT EXISTS handoff_tickets ("
        " hash TEXT PRIMARY KEY NOT NULL,"
        " user_id TEXT NOT NULL,"
        " institution TEXT NOT NULL,"
        " client TEXT NOT NULL,"
        " mfa INTEGER NOT NULL,"
        " auth_time INTEGER NOT NULL,"
        " issued_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " consumed_at INTEGER,"
        " decision_id TEXT NOT NULL)");
    conn.exec("CREATE INDEX IF NOT EXISTS handoff_tickets_expires ON handoff_tickets(expires_at)");
  });
  if (!created) return std::unexpected(created.error());
  return std::unique_ptr<TicketStore>(new TicketStore(db));
}

Result<void> TicketStore::insert(const TicketRecord& r) {
  return run_db(db_, "store.io", [&](SQLite::Database& conn) { insert_in(conn, r); });
}

Result<ConsumeResult> TicketStore::consume(const std::string& hash_hex, std::int64_t now) {
  ConsumeResult result;
  auto ran = run_db(db_, "store.io",
                    [&](SQLite::Database& conn) { result = consume_in(conn, hash_hex, now); });
  if (!ran) return std::unexpected(ran.error());
  return result;
}

void TicketStore::insert_in(SQLite::Database& conn, const TicketRecord& r) {
  auto q = db_.prepare(conn, kInsert);
  q->bind(1, r.hash_hex);
  q->bind(2, r.user_id);
  q->bind(3, r.institution);
  q->bind(4, r.client);
  q->bind(5, r.mfa ? 1 : 0);
  q->bind(6, static_cast<std::int64_t>(r.auth_time));
  q->bind(7, static_cast<std::int64_t>(r.issued_at));
  q->bind(8, static_cast<std::int64_t>(r.expires_at));
  if (r.consumed_at) {
    q->bind(9, static_cast<std::int64_t>(*r.consumed_at));
  } else {
    q->bind(9);
  }
  q->bind(10, r.decision_id);
  q->exec();
}

ConsumeResult TicketStore::consume_in(SQLite::Database& conn, const std::string& hash_hex,
                                      std::int64_t now) {
  ConsumeResult result;
  {
    auto burn = db_.prepare(conn, kBurn);
    burn->bind(1, static_cast<std::int64_t>(now));
    burn->bind(2, hash_hex);
    if (burn->executeStep()) {
      result.outcome = ConsumeOutcome::Consumed;
      result.record = read_row(*burn);
      while (burn->executeStep()) {
      }
      return result;
    }
  }
  auto look = db_.prepare(conn, kLook);
  look->bind(1, hash_hex);
  if (look->executeStep()) {
    result.outcome = ConsumeOutcome::AlreadyConsumed;
    result.record = read_row(*look);
  }
  return result;
}

Result<std::size_t> TicketStore::purge_expired(std::int64_t before) {
  std::size_t n = 0;
  auto ran = run_db(db_, "store.io", [&](SQLite::Database& conn) {
    auto q = db_.prepare(conn, kPurge);
    q->bind(1, static_cast<std::int64_t>(before));
    n = static_cast<std::size_t>(q->exec());
  });
  if (!ran) return std::unexpected(ran.error());
  return n;
}

}  // namespace trustgate
