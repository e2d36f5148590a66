#pragma once
// Which connections the edge takes: at most a total, and at most a cap per peer address.
// Thread-safe (the event loops release connections; the acceptor admits them).
#include <map>
#include <mutex>
#include <string>

namespace trustgate::http {

class ConnectionAdmission {
 public:
  explicit ConnectionAdmission(int max_total) : max_total_(max_total) {}

  enum class Verdict { kAdmitted, kOverTotal, kOverPeerCap };
  // Counts a new connection from `peer` unless that would pass the total or `peer_cap` (0: no
  // cap for this peer); a refused one is not counted.
  Verdict admit(const std::string& peer, int peer_cap);
  void release(const std::string& peer);  // for each admitted connection, once
  int open() const;

 private:
  const int max_total_;
  mutable std::mutex mutex_;
  int open_ = 0;                         // GUARDED_BY(mutex_)
  std::map<std::string, int> per_peer_;  // GUARDED_BY(mutex_)
};

}  // namespace trustgate::http
