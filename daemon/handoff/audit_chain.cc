// The audit log's hash chain and its signed checkpoint (the format is in audit_log.h's file
// comment): hashing a row, walking the chain to verify it, and hashing a log written before
// the chain existed.
#include "daemon/handoff/audit_chain.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

#include "daemon/handoff/secret_digest.h"

namespace trustgate {
namespace audit_chain {
namespace {

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

}  // namespace

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

}  // namespace audit_chain

std::string audit_row_hash(std::string_view prev_hash, std::int64_t id, const AuditEvent& e) {
  return audit_chain::row_hash_of(
      prev_hash,
      {std::to_string(id), std::to_string(e.at), e.decision_id, e.action, e.client, e.user,
       e.institution, e.allowed ? "allow" : "deny", e.reason, std::to_string(e.events)});
}

std::string audit_checkpoint_signature(std::string_view key, std::int64_t last_id,
                                       std::string_view last_hash, std::int64_t at) {
  return audit_chain::signature_of(key, std::to_string(last_id), last_hash, std::to_string(at));
}

}  // namespace trustgate
