#pragma once
// Reads one parsed TOML document (the main file or one drop-in) onto a ConfigDraft: scalar
// tables ([daemon], [http], ...) override the keys they set, arrays of tables ([[rule]], ...)
// append. Checks that need only this document (types, ranges, required and unknown keys,
// regexes, URLs, $N captures, secret files existing) are made here; checks across documents
// (duplicate ids, references) are in config_validation.h.
#include <string>

#include <toml++/toml.h>

#include "daemon/config/config_draft.h"

namespace trustgate {

// `document` must stay alive as long as `draft` (it is normally one of draft.documents).
void read_config_document(const toml::table& document, const std::string& file, ConfigDraft& draft);

}  // namespace trustgate
