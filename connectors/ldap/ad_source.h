#pragma once
// A DirectorySource reading Active Directory (or a Samba AD DC) through libldap.
//
// Full read: paged subtree searches (RFC 2696) of the users and groups bases; group members
// always read through explicit ranges ("member;range=0-1499", ...; ad_ranged_attribute.h);
// ids are objectGUIDs in canonical string form; a user is disabled by userAccountControl bit
// 0x2 or an accountExpires at or before Clock::now() (evaluated when a snapshot is taken).
// Referrals (e.g. to CN=Configuration under the domain root) are not chased.
//
// Incremental (LdapSourceOptions::incremental): the source keeps a materialised view (AdView)
// and polls `(uSNChanged>=N)` for users and groups, pinned to one DC: the rootDSE's
// dsServiceName -> that nTDSDSA's invocationId, and highestCommittedUSN as N-1 for the next
// poll. A different DC or invocationId than recorded means a full read. What changed but is no
// longer returned by those searches (deleted, out of the filter, moved out of the base) is
// found by one more search for `(uSNChanged>=N)` ids over the whole defaultNamingContext with
// the Show Deleted control, and removed from the view. Tombstones are listed only to an
// account allowed to list CN=Deleted Objects (Domain Admins by default): for any other bind
// account a deletion shows only at the next full read, after reconcile() (the daemon's
// periodic reconcile) or `reconcile_interval`. resume_state() carries the DC identity, USN and
// view.
//
// Thread-safety: all public members may be called from any thread; they serialise on one
// mutex, which wait_for_changes() does not hold while it sleeps.
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "connectors/directory_source.h"
#include "connectors/ldap/ad_dc_identity.h"
#include "connectors/ldap/ad_ranged_attribute.h"
#include "connectors/ldap/ad_view.h"
#include "connectors/ldap/ldap_connection.h"
#include "connectors/ldap/ldap_source_options.h"

namespace trustgate {

struct AdSyncOptions {
  std::size_t range_step = kAdDefaultRangeStep;  // member values asked for per request
  // Least time between two uSNChanged polls (wait_for_changes and snapshot poll when due).
  std::chrono::milliseconds poll_interval{std::chrono::seconds(15)};
  // Most time between two full reads, by Clock::steady_now() (deletions show up then).
  // 0: only when reconcile() asks (the daemon's sync loop schedules reconciles).
  std::chrono::seconds reconcile_interval{0};
};

// LdapSourceOptions with Active Directory's schema: objectGUID ids, sAMAccountName,
// displayName, mail, users `(&(objectCategory=person)(objectClass=user))`, groups by the
// shared kDefaultGroupFilter with `member`; no disabled attribute (AD's come from
// userAccountControl / accountExpires). Bases, URL and bind are left empty.
LdapSourceOptions ad_default_options();

class AdSource final : public DirectorySource {
 public:
  // `clock` must outlive the source.
  AdSource(LdapSourceOptions options, const Clock& clock, AdSyncOptions sync = {});
  ~AdSource() override;
  AdSource(const AdSource&) = delete;
  AdSource& operator=(const AdSource&) = delete;

  const std::string& name() const override { return options_.name; }
  // Not incremental: a full read each time. Incremental: a full read when the view is not
  // primed or a reconcile is due, else a poll when due; then the view. Errors as
  // DirectorySource says, plus "ldap.range" and "ldap.ad"; the view is kept on error.
  Result<DirectorySnapshot> snapshot(const ProgressFn& progress = {}) override;
  bool supports_changes() const override { return options_.incremental; }
  // Polls every poll_interval until something changed (true), `timeout` passed or `stop` was
  // requested (false). A due reconcile runs here too; true when it changed the view.
  Result<bool> wait_for_changes(std::chrono::milliseconds timeout, std::stop_token stop) override;
  std::optional<std::string> resume_state() const override;
  // The next snapshot() / wait_for_changes() is a full read (the view is kept until it
  // succeeds).
  void reconcile() override;
  // Invalid state, or state written for different options, is logged and ignored (the next
  // sync is then a full read). A valid one primes the view; the next poll continues from its
  // USN on the same DC, or reads everything when the DC's invocationId differs.
  void restore_state(const std::string& state) override;

  // A full read now, whatever the schedule. Returns whether the view changed.
  Result<bool> reconcile_now(const ProgressFn& progress = {});
  // A uSNChanged poll now (a full read when not primed or on another DC). Returns whether
  // any entry changed.
  Result<bool> poll();

  // For tests and status: the DC identity and USN the view is as of (nullopt: not primed).
  std::optional<AdDcIdentity> dc_identity() const;
  // How many full reads this source has done (initial reads and reconciles).
  std::size_t full_reads() const;

 private:
  Result<LdapConnection*> connection();
  Result<bool> full_read_locked(const ProgressFn& progress);
  Result<bool> poll_locked();
  Result<void> read_users(LdapConnection& conn, const std::string& extra_filter,
                          const std::function<void(Result<AdUser>, const std::string&)>& on_user,
                          const ProgressFn& progress, std::size_t& seen);
  Result<void> read_groups(
      LdapConnection& conn, const std::string& extra_filter,
      const std::function<void(Result<DirectoryGroup>, const std::string&)>& on_group,
      const ProgressFn& progress, std::size_t& seen);
  // The objectGUIDs of every entry of the naming context, tombstones included (Show Deleted),
  // changed since the view's USN up to `dc`'s: an id in the view that the filtered searches did
  // not return was deleted, left the filter or moved out of the base.
  Result<std::vector<std::string>> changed_ids(LdapConnection& conn, const AdDcIdentity& dc);
  bool reconcile_due() const;
  bool poll_due() const;
  std::string fingerprint() const;
  template <typename T>
  Result<T> failed(Result<T> r);  // drops the connection when `r` is an error

  const LdapSourceOptions options_;
  const Clock& clock_;
  const AdSyncOptions sync_;

  mutable std::mutex mutex_;  // guards everything below
  std::optional<LdapConnection> conn_;
  AdView view_;
  bool primed_ = false;
  bool reconcile_requested_ = false;
  AdDcIdentity dc_;  // valid when primed_: highest_usn is what the view covers
  std::chrono::steady_clock::time_point last_full_{};
  std::chrono::steady_clock::time_point last_poll_{};
  std::size_t full_reads_ = 0;
};

// For the daemon's source factory. `clock` must outlive the source.
std::unique_ptr<DirectorySource> make_ad_source(LdapSourceOptions options, const Clock& clock,
                                                AdSyncOptions sync = {});

}  // namespace trustgate
