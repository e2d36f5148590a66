// Fuzz target: the TOML config loader. One input is one config file's text, read the way
// load_config reads each document (config.cc load_document: toml::parse, then
// read_config_document), then checked across documents (validate_config) and its issues
// formatted. Parsing from memory skips only the file I/O; relative paths resolve against a folder
// that does not exist, so no file the input names is a real secret.
// Contract under test: any input gives a ConfigLoad-like result (issues or a config), never a
// crash, a hang or an exception other than toml::parse_error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <toml++/toml.h>

#include "daemon/config/config_draft.h"
#include "daemon/config/config_loader.h"
#include "daemon/config/config_reader.h"
#include "daemon/config/config_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kFile = "/nonexistent-trustgate-fuzz/trustgate.toml";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  trustgate::ConfigDraft draft;
  draft.config.path = kFile;
  try {
    draft.documents.push_back(toml::parse(text, kFile));
  } catch (const toml::parse_error&) {
    return 0;  // load_document reports it as an issue
  }
  trustgate::read_config_document(draft.documents.back(), kFile, draft);
  trustgate::validate_config(draft);
  for (const trustgate::ConfigIssue& issue : draft.issues) {
    (void)trustgate::format_issue(issue);
  }
  return 0;
}
