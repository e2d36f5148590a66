#pragma once
// Reads the mapping tables of one document (config_reader.h) onto the draft: [[permission]],
// [[role]], [[institution]], [[cluster]], [[rule]] and [[institution_rule]], with their group
// matchers (exactly one of group_dn, group_id, group_pattern; patterns checked by RE2) and $N
// captures.
#include <string>

#include "daemon/config/config_draft.h"
#include "daemon/config/config_fields.h"

namespace trustgate {

void read_mapping_tables(TableFields& root, const std::string& file, ConfigDraft& draft);

}  // namespace trustgate
