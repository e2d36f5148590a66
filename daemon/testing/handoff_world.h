#pragma once
// For API tests: the handoff stack on a fresh SQLite file, as the daemon wires it (minus group
// commit): the LA snapshot served, the LA clients, tickets and audit on one FileDb, the
// SqliteHandoffLedger and the HandoffService. A fixture inherits it and adds its server.
#include <memory>

#include "daemon/handoff/db_access.h"
#include "daemon/handoff/handoff_service.h"
#include "daemon/handoff/sqlite_handoff_ledger.h"
#include "daemon/testing/la_fixtures.h"

namespace trustgate::api_testing {

class HandoffWorld {
 protected:
  HandoffWorld() {
    db_ = std::move(*FileDb::open(dir_.file("tg.db")));
    tickets_ = std::move(*TicketStore::open(*db_));
    audit_ = std::move(*AuditLog::open(*db_, clock_));
    holder_.set(la_snapshot());
    ledger_ = std::make_unique<SqliteHandoffLedger>(*tickets_, *audit_);
    handoffs_ = std::make_unique<HandoffService>(holder_, *ledger_, clock_, random_);
  }

  TempDir dir_;
  ManualClock clock_;
  SeededRandom random_{7};
  ClientRegistry clients_ = la_clients();
  SnapshotHolder holder_;
  std::unique_ptr<FileDb> db_;
  std::unique_ptr<TicketStore> tickets_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<SqliteHandoffLedger> ledger_;
  std::unique_ptr<HandoffService> handoffs_;
};

}  // namespace trustgate::api_testing
