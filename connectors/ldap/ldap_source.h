#pragma once
// A DirectorySource reading an RFC 4511 directory (OpenLDAP and alike) through libldap.
//
// Full reads (incremental = false, or whenever no sync stream is wanted) are paged subtree
// searches of the users and groups bases, run at once on two connections; they are
// all-or-nothing.
//
// Incremental (incremental = true): two RFC 4533 syncrepl refreshAndPersist searches (users and
// groups, each with its own cookie) keep an in-memory SyncView current. snapshot() primes the
// view (a complete refresh; an Error leaves it unprimed) and then answers from it;
// wait_for_changes() reads the persist stage. When the stream breaks, wait_for_changes() returns
// an Error and the next call (or snapshot()) reconnects, resuming from the cookies.
// resume_state() carries the cookies AND the view, so that after restore_state() on a new
// LdapSource only changes since the cookies are sent by the server (no full refresh).
//
// Thread-safety: snapshot() and wait_for_changes() may be called from different threads (they
// serialise on the connection); resume_state() and entries_received_in_last_refresh() may be
// called at any time.
#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "connectors/directory_source.h"
#include "connectors/ldap/ldap_connection.h"
#include "connectors/ldap/ldap_source_options.h"
#include "connectors/ldap/sync_view.h"

namespace trustgate {

class LdapSource final : public DirectorySource {
 public:
  explicit LdapSource(LdapSourceOptions options);
  ~LdapSource() override;
  LdapSource(const LdapSource&) = delete;
  LdapSource& operator=(const LdapSource&) = delete;

  const std::string& name() const override { return options_.name; }
  Result<DirectorySnapshot> snapshot(const ProgressFn& progress = {}) override;
  bool supports_changes() const override { return options_.incremental; }
  Result<bool> wait_for_changes(std::chrono::milliseconds timeout, std::stop_token stop) override;
  std::optional<std::string> resume_state() const override;
  // Invalid state, or state written for different options, is logged and ignored (the next
  // sync is then a full refresh).
  void restore_state(const std::string& state) override;
  // Drops the connection, the cookies and the view: the next snapshot() is a fresh refresh.
  void reconcile() override;

  // Entries (of both streams) the server sent during the refresh stage of the latest
  // (re)connection: small after a resume, everything after a fresh start.
  std::size_t entries_received_in_last_refresh() const { return refresh_entries_.load(); }

 private:
  struct Stream {
    SyncKind kind;
    int msgid = -1;
    std::string cookie;  // empty: none yet
    bool refreshing = false;
    // The refresh sends every entry (it was asked without a cookie): at its end, entries it
    // did not send are gone, whichever phase the server ends it with.
    bool complete = false;
    std::set<std::string> present;  // uuids seen during a present phase
  };

  Result<DirectorySnapshot> read_all(const ProgressFn& progress);
  // Connects, sends both sync searches and reads until both refreshes are done. Returns
  // whether the view changed. Requires conn_mutex_.
  Result<bool> start_sync(const ProgressFn& progress);
  Result<void> send_sync_search(Stream& stream);
  // When the view waits for fresh groups (SyncView::needs_group_refresh), abandons the groups'
  // search and sends it again without a cookie. Requires conn_mutex_ and a connection.
  Result<void> refresh_groups_if_needed();
  // A stream's refresh phase is over (refreshDone). Requires view_mutex_.
  void end_refresh(Stream& stream);
  // Waits up to `wait` for a message, then drains all that are ready. Returns whether the view
  // changed.
  Result<bool> pump(std::chrono::milliseconds wait);
  Result<bool> handle(LDAPMessage* msg);
  Result<bool> handle_entry(Stream& stream, LDAPMessage* msg);
  Result<bool> handle_intermediate(Stream& stream, LDAPMessage* msg);
  Result<bool> handle_result(Stream& stream, LDAPMessage* msg);
  void disconnect();
  std::string fingerprint() const;

  const LdapSourceOptions options_;
  // conn_mutex_ for a caller other than the watcher (snapshot, reconcile). The watcher holds
  // the connection while it waits for changes and would take it again at once (a mutex is not
  // fair): while conn_wanted_ is set it lets go within a slice and waits before retaking it.
  std::unique_lock<std::mutex> take_connection();

  std::mutex conn_mutex_;  // serialises use of conn_
  std::atomic<int> conn_wanted_{0};
  std::optional<LdapConnection> conn_;

  mutable std::mutex view_mutex_;  // guards the members below
  SyncView view_;
  Stream users_{SyncKind::Users};
  Stream groups_{SyncKind::Groups};
  bool primed_ = false;     // the view is complete and the stream healthy
  bool has_state_ = false;  // the view came from restore_state()
  std::atomic<std::size_t> refresh_entries_{0};
};

}  // namespace trustgate
