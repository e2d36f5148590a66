#include "daemon/revision_stream.h"

namespace trustgate {

UserSink RevisionStream::sink() {
  return [this](std::span<const UserMap::Ptr> users) {
    if (failed_) return;
    if (!revision_) {
      auto begun = store_.begin_revision();
      if (!begun) {
        failed_ = begun.error();
        return;
      }
      revision_ = std::move(*begun);
    }
    revision_->add_users(users);
  };
}

Result<RevisionInfo> RevisionStream::apply(bool streamed, std::shared_ptr<const AccessModel> model,
                                           const ApplyOptions& options) {
  if (!streamed) {
    abandon();  // nothing was streamed; never hold the store while applying
    return store_.apply(std::move(model), options);
  }
  if (failed_) return std::unexpected(*failed_);
  if (!revision_) {  // a model without users: the sink was never called
    auto begun = store_.begin_revision();
    if (!begun) return std::unexpected(begun.error());
    revision_ = std::move(*begun);
  }
  auto applied = revision_->commit(std::move(model), options);
  revision_.reset();
  return applied;
}

}  // namespace trustgate
