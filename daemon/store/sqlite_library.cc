#include "daemon/store/sqlite_library.h"

#include <sqlite3.h>

namespace trustgate {

Result<void> configure_sqlite_library() {
  if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK) {
    return fail("store.sqlite",
                "SQLite settings must be made before the first connection opens; "
                "memory statistics stay on");
  }
  return {};
}

}  // namespace trustgate
