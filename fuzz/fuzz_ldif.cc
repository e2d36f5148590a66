// Fuzz target: the LDIF reader and the LDIF source's mapping. One input is an LDIF file's text:
// parse_ldif, then, when it parses, snapshot_from_ldif with the defaults of an ldap source and
// with those of an AD export (objectGUID ids, sAMAccountName, userAccountControl).
// Contract under test: any text gives a document or an "ldif.version" error, any document a
// snapshot (malformed entries counted), never a crash or a hang.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/ldif/ldif_reader.h"
#include "connectors/ldif/ldif_source.h"

namespace {

trustgate::LdifSourceOptions ad_options() {
  trustgate::LdifSourceOptions o;
  o.name = "fuzz-ad";
  o.users.filter = "(&(objectCategory=person)(objectClass=user))";
  o.id_attr = "objectGUID";
  o.group_id_attr = "objectGUID";
  o.username_attrs = {"sAMAccountName"};
  o.disabled_attr = "nsAccountLock";
  o.disabled_values = {"TRUE"};
  o.member_attrs = {"member"};
  o.progress_every = 7;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // malformed entries are logged; not the point here
    return true;
  }();
  (void)quiet;
  static const trustgate::LdifSourceOptions kLdap{.name = "fuzz-ldap"};
  static const trustgate::LdifSourceOptions kAd = ad_options();

  auto document =
      trustgate::parse_ldif(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!document) return 0;
  for (const trustgate::LdifRecord& record : document->records) {
    (void)record.values_of_type("member");
    (void)record.first("dn");
  }
  std::size_t progress_calls = 0;
  const trustgate::ProgressFn progress = [&](std::size_t) { ++progress_calls; };
  (void)trustgate::snapshot_from_ldif(*document, kLdap);
  (void)trustgate::snapshot_from_ldif(*document, kAd, progress);
  return 0;
}
