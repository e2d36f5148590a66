#include "daemon/store/manual_association_store.h"

#include "daemon/store/store.h"

namespace trustgate {

Result<void> StoreManualAssociations::add(const ManualAssociation& a) {
  return store_.add_manual(a);
}

Result<bool> StoreManualAssociations::remove(const std::string& user_id, AssociationKind kind,
                                             const std::string& target) {
  return store_.remove_manual(user_id, kind, target);
}

}  // namespace trustgate
