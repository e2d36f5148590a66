#include "daemon/sync/revision_stream.h"

namespace trustgate {

bool RevisionStream::begun() {
  if (revision_) return true;
  if (failed_) return false;
  auto begun = store_.begin_revision();
  if (!begun) {
    failed_ = begun.error();
    return false;
  }
  revision_ = std::move(*begun);
  return true;
}

UserSink RevisionStream::sink() {
  return [this](std::span<const UserMap::Ptr> users) {
    if (!failed_ && begun()) revision_->add_users(users);
  };
}

Result<RevisionInfo> RevisionStream::apply(bool streamed, std::shared_ptr<const AccessModel> model,
                                           const ApplyOptions& options) {
  if (!streamed) {
    abandon();  // nothing was streamed; never hold the store while applying
    return store_.apply(std::move(model), options);
  }
  // A model without users never reached the sink: its revision begins here.
  if (!begun()) return std::unexpected(*failed_);
  auto applied = revision_->commit(std::move(model), options);
  revision_.reset();
  return applied;
}

}  // namespace trustgate
