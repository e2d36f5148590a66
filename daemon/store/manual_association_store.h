#pragma once
// Where the association endpoints write manual associations: the Store in production
// (StoreManualAssociations), anything else in tests.
#include <string>

#include "common/error.h"
#include "mapping/manual_association.h"

namespace trustgate {

class Store;

class ManualAssociationStore {
 public:
  virtual ~ManualAssociationStore() = default;
  virtual Result<void> add(const ManualAssociation& a) = 0;  // idempotent
  // true when a matching manual association existed and was removed.
  virtual Result<bool> remove(const std::string& user_id, AssociationKind kind,
                              const std::string& target) = 0;
};

// Store::add_manual / Store::remove_manual. `store` must outlive this object.
class StoreManualAssociations final : public ManualAssociationStore {
 public:
  explicit StoreManualAssociations(Store& store) : store_(store) {}
  Result<void> add(const ManualAssociation& a) override;
  Result<bool> remove(const std::string& user_id, AssociationKind kind,
                      const std::string& target) override;

 private:
  Store& store_;
};

}  // namespace trustgate
