#include "daemon/handoff/handoff_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "daemon/handoff/secret_digest.h"

namespace trustgate {

HandoffService::HandoffService(SnapshotHolder& snapshots, HandoffLedger& ledger, const Clock& clock,
                               RandomSource& random, HandoffOptions options)
    : snapshots_(snapshots),
      ledger_(ledger),
      clock_(clock),
      random_(random),
      ttl_seconds_(std::clamp(options.ttl_seconds, 1, 300)),
      max_age_seconds_(options.max_age_seconds),
      purge_interval_(options.purge_interval) {}

std::string HandoffService::new_decision_id() {
  std::array<std::uint8_t, 16> bytes{};
  {
    std::lock_guard lock(random_mutex_);
    random_.fill(bytes);
  }
  return to_hex(bytes);
}

AuditEvent HandoffService::event(const std::string& action, const ApiClient& client,
                                 const std::string& decision_id, const std::string& user,
                                 const std::string& institution, bool allowed,
                                 std::string_view reason) const {
  AuditEvent e;
  e.at = unix_seconds(clock_.now());
  e.decision_id = decision_id;
  e.action = action;
  e.client = client.id;
  e.user = user;
  e.institution = institution;
  e.allowed = allowed;
  e.reason = std::string(reason);
  return e;
}

void HandoffService::audit(const std::string& action, const ApiClient& client,
                           const std::string& decision_id, const std::string& user,
                           const std::string& institution, bool allowed, std::string_view reason) {
  // A failure is logged by the audit log.
  (void)ledger_.record(event(action, client, decision_id, user, institution, allowed, reason));
}

bool HandoffService::audit_failure(const std::string& action, const ApiClient& client,
                                   const std::string& decision_id, const std::string& user,
                                   const std::string& institution, std::string_view reason) {
  auto written =
      ledger_.record_failure(event(action, client, decision_id, user, institution, false, reason));
  return !written || *written;  // a write failure is logged by the audit log
}

void HandoffService::maybe_purge() {
  {
    std::lock_guard lock(purge_mutex_);
    auto now = clock_.steady_now();
    if (last_purge_ && now - *last_purge_ < purge_interval_) return;
    last_purge_ = now;
  }
  auto purged = ledger_.purge_expired(unix_seconds(clock_.now()));
  if (!purged) spdlog::warn("handoff: purging expired tickets failed: {}", purged.error().message);
}

Result<IssueResult> HandoffService::issue(const ApiClient& client, const IssueRequest& request) {
  maybe_purge();
  IssueResult out;
  out.decision_id = new_decision_id();
  auto deny = [&](std::string_view reason, const std::string& user) {
    out.reason = std::string(reason);
    // Every refused issue keeps its own row: it is an access decision about a named user,
    // asked by the trusted site (only redeem failures that burnt nothing are rate-limited).
    audit("issue", client, out.decision_id, user, request.institution, false, reason);
    return out;
  };
  if (client.kind != ClientKind::Site) return deny(handoff_reason::kWrongClientKind, request.user);
  if (unix_seconds(clock_.now()) - request.auth_time > max_age_seconds_) {
    return deny(handoff_reason::kAuthTimeTooOld, request.user);
  }
  SnapshotPtr snap = snapshots_.get();
  if (!snap) return deny(handoff_reason::kNotReady, request.user);

  // The user is looked up once, and the decision made for exactly that user.
  const UserLookup found = snap->lookup(parse_user_key(request.user));
  const Decision d = trustgate::decide(snap->model(), found, request.institution);
  const User* user = found.user;
  const std::string user_label = user ? user->id : request.user;
  if (!d.allowed) return deny(d.reason, user_label);
  const Institution* inst = snap->model().find_institution(request.institution);

  std::array<std::uint8_t, 32> secret{};
  {
    std::lock_guard lock(random_mutex_);
    random_.fill(secret);
  }
  const std::string ticket = base64url_encode(secret);
  const std::int64_t now = unix_seconds(clock_.now());

  TicketRecord rec;
  rec.hash_hex = to_hex(sha256(ticket));
  rec.user_id = user->id;
  rec.institution = inst->id;
  rec.client = client.id;
  rec.mfa = request.mfa;
  rec.auth_time = request.auth_time;
  rec.issued_at = now;
  rec.expires_at = now + ttl_seconds_;
  rec.decision_id = out.decision_id;
  // The ticket and its audit row commit together (one group-committed operation).
  const AuditEvent granted =
      event("issue", client, out.decision_id, user->id, inst->id, true, reason::kGranted);
  auto stored = ledger_.record_issue(rec, granted);
  if (!stored) {
    spdlog::error("handoff: storing a ticket failed: {}", stored.error().message);
    audit("issue", client, out.decision_id, user->id, inst->id, false, handoff_reason::kStoreError);
    return std::unexpected(stored.error());
  }
  AuditLog::log_line(granted, &*stored);
  out.issued = true;
  out.reason = std::string(reason::kGranted);
  out.ticket = ticket;
  out.expires_at = rec.expires_at;
  out.ttl_seconds = ttl_seconds_;
  out.redirect_url = inst->mis_url;
  return out;
}

RedeemResult HandoffService::redeem(const ApiClient& client, std::string_view ticket) {
  RedeemResult out;
  out.decision_id = new_decision_id();
  const std::string inst_label = client.institution;
  auto inactive = [&](std::string_view reason, const std::string& user,
                      const std::string& institution) {
    out.active = false;
    out.reason = std::string(reason);
    audit("redeem", client, out.decision_id, user, institution, false, reason);
    return std::move(out);
  };
  auto refused = [&](std::string_view reason) {  // nothing to burn
    out.active = false;
    out.reason = std::string(reason);
    out.audited = audit_failure("redeem", client, out.decision_id, "", inst_label, reason);
    return std::move(out);
  };
  // 32 bytes -> exactly 43 base64url characters.
  auto raw = base64url_decode(ticket);
  if (ticket.size() != 43 || !raw || raw->size() != 32) {
    return refused(client.kind != ClientKind::School ? handoff_reason::kWrongClientKind
                                                     : handoff_reason::kMalformedTicket);
  }
  const std::int64_t now = unix_seconds(clock_.now());
  const std::string hash_hex = to_hex(sha256(ticket));
  // One operation burns the ticket, judges the attempt and writes its audit row, so that the
  // burn and the audit commit together; the answer waits for that commit. Whatever the
  // outcome, a ticket that existed is burnt.
  // An attempt that burnt nothing (an unknown or already burnt ticket) is a failure that
  // changed nothing: its row is rate-limited per client.
  AuditEvent verdict;
  auto ran = ledger_.record_redeem(hash_hex, now, [&](const ConsumeResult& consumed) {
    judge(client, consumed, now, out);
    const TicketRecord* rec = consumed.record ? &*consumed.record : nullptr;
    verdict = event("redeem", client, out.decision_id, rec ? rec->user_id : "",
                    rec ? rec->institution : inst_label, out.active, out.reason);
    return verdict;
  });
  if (!ran) {
    spdlog::error("handoff: redeeming a ticket failed: {}", ran.error().message);
    RedeemResult failed;
    failed.decision_id = out.decision_id;
    out = std::move(failed);
    return inactive(handoff_reason::kStoreError, "", inst_label);
  }
  const std::optional<AuditRow>& row = *ran;
  out.audited = row.has_value();
  if (row) AuditLog::log_line(verdict, &*row);
  return out;
}

void HandoffService::judge(const ApiClient& client, const ConsumeResult& consumed, std::int64_t now,
                           RedeemResult& out) const {
  out.active = false;
  auto inactive = [&](std::string_view reason) { out.reason = std::string(reason); };
  // A caller that is not a school should not redeem at all: that is the reason, whatever the
  // ticket (which is burnt all the same).
  if (client.kind != ClientKind::School) return inactive(handoff_reason::kWrongClientKind);
  if (consumed.outcome == ConsumeOutcome::Unknown) return inactive(handoff_reason::kUnknownTicket);
  const TicketRecord& rec = *consumed.record;
  if (consumed.outcome == ConsumeOutcome::AlreadyConsumed) {
    return inactive(handoff_reason::kTicketReused);
  }
  if (now >= rec.expires_at) return inactive(handoff_reason::kTicketExpired);
  if (client.institution != rec.institution) return inactive(handoff_reason::kWrongInstitution);
  SnapshotPtr snap = snapshots_.get();
  if (!snap) return inactive(handoff_reason::kNotReady);
  // A revocation between issue and redeem wins.
  // The ticket names its user by stable id: looked up as an id, never as a username.
  const UserLookup found = snap->lookup(UserKey{UserKey::Kind::Id, rec.user_id});
  Decision d = trustgate::decide(snap->model(), found, rec.institution);
  if (!d.allowed) return inactive(d.reason);

  out.active = true;
  out.reason = std::string(reason::kGranted);
  out.snapshot = snap;
  out.user = found.user;
  out.institution = snap->model().find_institution(rec.institution);
  out.decision = std::move(d);
  out.mfa = rec.mfa;
  out.auth_time = rec.auth_time;
  out.skip_second_factor =
      out.institution->skip_second_factor == SecondFactorPolicy::Always || rec.mfa;
}

}  // namespace trustgate
