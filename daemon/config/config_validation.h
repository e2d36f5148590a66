#pragma once
// Checks that span documents, run once the main file and every drop-in have been read:
// duplicate ids, references between entities, and settings that only make sense together.
// Targets using $1..$9 are not checked here: they are resolved at map time.
#include "daemon/config/config_draft.h"

namespace trustgate {

// Appends every problem found to draft.issues.
void validate_config(ConfigDraft& draft);

}  // namespace trustgate
