#include "ctl/change_audit.h"

#include <array>
#include <cstdint>

#include "daemon/handoff/handoff_db.h"
#include "daemon/handoff/secret_digest.h"

namespace trustgate::ctl {

OrExit<OpenedAuditLog> open_audit_log(const Context& ctx, const Config& config,
                                      AuditOptions options) {
  auto db = FileDb::open(handoff_db_path(config.database));
  if (!db) return exit_with(ctx.fail(kExitUnavailable, db.error().message));
  auto log = AuditLog::open(**db, ctx.clock, std::move(options));
  if (!log) return exit_with(ctx.fail(kExitUnavailable, log.error().message));
  return OpenedAuditLog{std::move(*db), std::move(*log)};
}

OrExit<ChangeAudit> ChangeAudit::open(const Context& ctx, const Config& config) {
  auto opened = open_audit_log(ctx, config);
  if (!opened) return exit_with(opened.error());
  return ChangeAudit(std::move(*opened));
}

int ChangeAudit::record(const Context& ctx, const std::string& action, const std::string& user_id,
                        const std::string& target, bool allowed, const std::string& reason) {
  AuditEvent e;
  std::array<std::uint8_t, 16> id{};
  ctx.random.fill(id);
  e.decision_id = to_hex(id);
  e.action = action;
  e.client = ctx.operator_id();
  e.user = user_id;
  e.institution = target;
  e.allowed = allowed;
  e.reason = reason;
  if (auto r = opened_.log->record(std::move(e)); !r) {
    return ctx.fail(
        kExitUnavailable,
        "the change was made but its audit row could not be written: " + r.error().message);
  }
  return kExitOk;
}

}  // namespace trustgate::ctl
