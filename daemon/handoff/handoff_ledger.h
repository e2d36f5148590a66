#pragma once
// Where handoffs are recorded: tickets (by hash only) and the audit trail, with the writes that
// must commit together done as one operation, so that HandoffService decides and never touches
// a database. SqliteHandoffLedger (sqlite_handoff_ledger.h) is the one in use; another backend
// (several instances sharing PostgreSQL) implements the same contract.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/error.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/ticket_store.h"

namespace trustgate {

class HandoffLedger {
 public:
  virtual ~HandoffLedger() = default;

  // Stores a new ticket and the audit row of its issue in one commit; the row as written.
  virtual Result<AuditRow> record_issue(const TicketRecord& ticket, const AuditEvent& issued) = 0;

  // Burns the ticket `hash_hex` at `now` (of any number of concurrent callers exactly one gets
  // ConsumeOutcome::Consumed), asks `verdict` for the audit event of what was found, and writes
  // it in the same commit: a row of its own when this call burnt the ticket, else as
  // record_failure (rate-limited: nullopt when it got no row). `verdict` runs inside the
  // operation: it must be quick and must not call the ledger.
  using Verdict = std::function<AuditEvent(const ConsumeResult&)>;
  virtual Result<std::optional<AuditRow>> record_redeem(const std::string& hash_hex,
                                                        std::int64_t now,
                                                        const Verdict& verdict) = 0;

  // An audit row on its own, for an outcome that changed no ticket.
  virtual Result<void> record(const AuditEvent& event) = 0;
  // The same for a failure that changed nothing: rate-limited per client and action; true when
  // it got a row of its own.
  virtual Result<bool> record_failure(const AuditEvent& event) = 0;

  // Deletes tickets that expired before `before`; how many.
  virtual Result<std::size_t> purge_expired(std::int64_t before) = 0;
};

}  // namespace trustgate
