// Process-wide SQLite settings, made once by each program's main before any connection opens.
#pragma once

#include "common/error.h"

namespace trustgate {

// Turns off SQLite's memory statistics: with them on, every allocation SQLite makes takes a
// process-wide mutex (several per row a store apply writes), and nothing here reads them.
// Fails, changing nothing, once SQLite is initialised (a connection was opened): the programs
// then run as before, only slower.
Result<void> configure_sqlite_library();

}  // namespace trustgate
