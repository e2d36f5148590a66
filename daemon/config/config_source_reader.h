#pragma once
// Reads the [[source]] tables of one document (config_reader.h) onto the draft: the type, the
// server keys an ldap/ad source needs and an ldif source refuses, and [source.users] /
// [source.groups] with their RFC 4515 filters.
#include <string>

#include "daemon/config/config_draft.h"
#include "daemon/config/config_fields.h"

namespace trustgate {

void read_source_tables(TableFields& root, const std::string& file, ConfigDraft& draft);

}  // namespace trustgate
