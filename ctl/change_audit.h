#pragma once
// The audit trail of the handoff database beside the store, for trustgatectl: read by `audit`
// and `history`, and written by the verbs that change access (associate, dissociate) exactly
// as the API writes its own changes, with the operator in the client column.
#include <memory>
#include <string>

#include "ctl/context.h"
#include "daemon/config/config.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/db_access.h"

namespace trustgate::ctl {

// The audit log with its database, open together.
struct OpenedAuditLog {
  std::unique_ptr<FileDb> db;
  std::unique_ptr<AuditLog> log;
};

// Opens (creating when missing, as the daemon would) the audit log of `config`'s handoff
// database; prints why and gives kExitUnavailable when it cannot.
OrExit<OpenedAuditLog> open_audit_log(const Context& ctx, const Config& config,
                                      AuditOptions options = {});

// What an operator changed, for the audit trail: opened before the change (a change that
// cannot be audited is not made) and written after it.
class ChangeAudit {
 public:
  static OrExit<ChangeAudit> open(const Context& ctx, const Config& config);

  // One row: `action` ("associate", "dissociate") on the user with stable id `user_id` and
  // `target` ("institution:<id>", "cluster:<id>", "*"), by ctx.operator_id(). Gives
  // kExitUnavailable (after saying so) when the row cannot be written.
  int record(const Context& ctx, const std::string& action, const std::string& user_id,
             const std::string& target, bool allowed, const std::string& reason);

 private:
  explicit ChangeAudit(OpenedAuditLog opened) : opened_(std::move(opened)) {}
  OpenedAuditLog opened_;
};

}  // namespace trustgate::ctl
