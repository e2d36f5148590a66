#pragma once
// The seam between trustgate and a directory. LDIF, LDAP, AD and the test fakes implement it.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include "common/error.h"
#include "mapping/directory_snapshot.h"

namespace trustgate {

// Called now and then during a long read with the number of entries read so far.
using ProgressFn = std::function<void(std::size_t entries_read)>;

class DirectorySource {
 public:
  virtual ~DirectorySource() = default;

  // The configured source name (unique within a config).
  virtual const std::string& name() const = 0;

  // A complete, consistent read of the directory. Fails (never a partial snapshot) on a
  // connection, bind, search or parse failure of the whole read; single malformed entries are
  // skipped, logged and counted in DirectorySnapshot::malformed_entries.
  // Sources with incremental sync answer from their own up-to-date view once primed.
  virtual Result<DirectorySnapshot> snapshot(const ProgressFn& progress = {}) = 0;

  // Incremental sync. Sources without it return false here and the daemon polls snapshot()
  // on its interval.
  virtual bool supports_changes() const { return false; }

  // Blocks until the directory changed (true), `timeout` passed (false) or `stop` was
  // requested (false). An Error means the change stream broke; the caller backs off and
  // calls again (the source reconnects).
  virtual Result<bool> wait_for_changes(std::chrono::milliseconds /*timeout*/,
                                        std::stop_token /*stop*/) {
    return false;
  }

  // Forget incremental state: the next snapshot() is a complete read of the directory (the
  // periodic full reconcile, which catches what a change stream missed, e.g. deletions that
  // USN polling never sees). Sources that always read everything do nothing.
  virtual void reconcile() {}

  // Opaque resume state (e.g. a syncrepl cookie) to be stored with the revision that
  // includes the changes it covers, and handed back after a restart.
  virtual std::optional<std::string> resume_state() const { return std::nullopt; }
  virtual void restore_state(const std::string& /*state*/) {}
};

}  // namespace trustgate
