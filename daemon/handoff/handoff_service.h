#pragma once
// The handoff: one-time tickets the MAT/LA site gets for a user and a school, and that the
// school's backend redeems once. See design.md "Handoff".
//
// The ticket is 32 CSPRNG bytes, base64url without padding (43 characters); only its SHA-256
// is stored. redirect_url is the school's mis_url with nothing appended: the site chooses how
// the ticket travels to the school, and it must do so by an auto-submitted POST form or in the
// URL fragment (never the query string, which reaches logs and Referer headers). Every issue
// and redeem is audited under a random decision id. Thread-safe.
//
// Tickets and audit rows go through a HandoffLedger: a ticket's insert or burn and its audit row
// are one ledger operation, so they commit together. The service itself holds no database.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/client_auth.h"
#include "daemon/handoff/handoff_ledger.h"
#include "daemon/handoff/ticket_store.h"
#include "daemon/serving/snapshot.h"

namespace trustgate {

// Reason codes of the handoff itself (decision.h reason::* cover access).
namespace handoff_reason {
inline constexpr std::string_view kNotReady = "not_ready";
inline constexpr std::string_view kMalformedTicket = "malformed_ticket";
inline constexpr std::string_view kUnknownTicket = "unknown_ticket";
inline constexpr std::string_view kTicketReused = "ticket_reused";
inline constexpr std::string_view kTicketExpired = "ticket_expired";
inline constexpr std::string_view kWrongInstitution = "wrong_institution";
inline constexpr std::string_view kWrongClientKind = "wrong_client_kind";
inline constexpr std::string_view kStoreError = "store_error";
inline constexpr std::string_view kAuthTimeTooOld = "auth_time_too_old";
}  // namespace handoff_reason

struct HandoffOptions {
  int ttl_seconds = 30;  // clamped to [1, 300]
  // A MAT/LA login (auth_time) older than this is not handed off (auth_time_too_old).
  std::int64_t max_age_seconds = 12 * 3600;
  // Expired tickets are purged at most this often (during issue()).
  std::chrono::seconds purge_interval{60};
};

struct IssueRequest {
  std::string user;            // "id:<stable id>" or a username (parse_user_key)
  std::string institution;     // institution id
  bool mfa = false;            // the MAT/LA login used MFA
  std::int64_t auth_time = 0;  // unix seconds of that login
};

struct IssueResult {
  bool issued = false;
  std::string decision_id;
  std::string reason;  // reason code when not issued ("granted" when issued)
  std::string ticket;  // issued only: give to nobody but the browser; never log
  std::int64_t expires_at = 0;
  int ttl_seconds = 0;
  std::string redirect_url;
  bool audited = true;  // always: every issue decision has its own audit row
};

struct RedeemResult {
  bool active = false;
  std::string decision_id;
  std::string reason;  // for the audit and tests; NOT for the caller when inactive
  // Active only:
  SnapshotPtr snapshot;        // the snapshot the decision was made on
  const User* user = nullptr;  // points into snapshot
  const Institution* institution = nullptr;
  Decision decision;
  bool skip_second_factor = false;
  bool mfa = false;
  std::int64_t auth_time = 0;
  // false: a failure that got no audit row of its own (rate-limited; counted in a summary).
  bool audited = true;
};

class HandoffService {
 public:
  // All references must outlive the service. `random` is used under an internal mutex.
  HandoffService(SnapshotHolder& snapshots, HandoffLedger& ledger, const Clock& clock,
                 RandomSource& random, HandoffOptions options = {});

  // Checks access now. Store errors come back as Error; denials as issued=false + reason.
  Result<IssueResult> issue(const ApiClient& client, const IssueRequest& request);

  // Burns the ticket (whatever follows), then checks expiry, the caller's institution and
  // access against the CURRENT snapshot. Never fails: any problem is active=false.
  RedeemResult redeem(const ApiClient& client, std::string_view ticket);

  int ttl_seconds() const { return ttl_seconds_; }
  std::string new_decision_id();  // 16 random bytes, hex

 private:
  AuditEvent event(const std::string& action, const ApiClient& client,
                   const std::string& decision_id, const std::string& user,
                   const std::string& institution, bool allowed, std::string_view reason) const;
  // Writes an audit row on its own (for outcomes that change no ticket).
  void audit(const std::string& action, const ApiClient& client, const std::string& decision_id,
             const std::string& user, const std::string& institution, bool allowed,
             std::string_view reason);
  // The same for a denial that changed nothing: rate-limited per client (AuditLog). Returns
  // whether it got a row of its own.
  bool audit_failure(const std::string& action, const ApiClient& client,
                     const std::string& decision_id, const std::string& user,
                     const std::string& institution, std::string_view reason);
  // Sets out.active/reason (and the active fields) for a burn's outcome. In-memory only.
  void judge(const ApiClient& client, const ConsumeResult& consumed, std::int64_t now,
             RedeemResult& out) const;
  void maybe_purge();

  SnapshotHolder& snapshots_;
  HandoffLedger& ledger_;
  const Clock& clock_;
  RandomSource& random_;  // GUARDED_BY(random_mutex_)
  std::mutex random_mutex_;
  int ttl_seconds_;
  std::int64_t max_age_seconds_;
  std::chrono::seconds purge_interval_;
  std::mutex purge_mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_purge_;  // GUARDED_BY(purge_mutex_)
};

}  // namespace trustgate
