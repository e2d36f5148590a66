#include "daemon/http/connection_admission.h"

namespace trustgate::http {

ConnectionAdmission::Verdict ConnectionAdmission::admit(const std::string& peer, int peer_cap) {
  std::lock_guard lock(mutex_);
  if (max_total_ > 0 && open_ >= max_total_) return Verdict::kOverTotal;
  auto it = per_peer_.find(peer);
  const int from_peer = it == per_peer_.end() ? 0 : it->second;
  if (peer_cap > 0 && from_peer >= peer_cap) return Verdict::kOverPeerCap;
  if (it == per_peer_.end()) {
    per_peer_.emplace(peer, 1);
  } else {
    ++it->second;
  }
  ++open_;
  return Verdict::kAdmitted;
}

void ConnectionAdmission::release(const std::string& peer) {
  std::lock_guard lock(mutex_);
  auto it = per_peer_.find(peer);
  if (it == per_peer_.end()) return;
  if (--it->second <= 0) per_peer_.erase(it);
  --open_;
}

int ConnectionAdmission::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace trustgate::http
