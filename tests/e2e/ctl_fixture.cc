#include "tests/e2e/ctl_fixture.h"

#include <unistd.h>

#include <fstream>

namespace trustgate::testing {
namespace fs = std::filesystem;

CtlFixture::CtlFixture() {
  std::string tmpl = (fs::temp_directory_path() / "trustgate-ctl-XXXXXX").string();
  dir_ = mkdtemp(tmpl.data());
  write_ldif(base_ldif());
  write_config();
}

CtlFixture::~CtlFixture() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

CommandResult CtlFixture::ctl(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env) const {
  std::vector<std::string> argv{TRUSTGATECTL_BIN, "--config", config().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env);
}

void CtlFixture::write_ldif(const std::string& ldif) const {
  std::ofstream(dir_ / "directory.ldif") << ldif;
}

void CtlFixture::write_config(const std::string& extra, int max_removals) const {
  std::ofstream(config()) << R"([daemon]
database = "state/trustgate.db"

[safety]
max_grant_removals = )" << max_removals
                          << R"(
max_grant_removal_share = 1.0

[[source]]
name = "test"
type = "ldif"
path = "directory.ldif"
[source.users]
disabled_attr = "employeeType"
disabled_values = ["disabled"]

)" << mapping_toml() << extra;
}

std::string CtlFixture::mapping_toml() {
  return R"([[role]]
id = "staff"
name = "MAT staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Ashgrove Primary"
mis_url = "https://mis.example/100001/"

[[institution]]
id = "100002"
name = "Beechwood Primary"
mis_url = "https://mis.example/100002/"

[[institution]]
id = "100003"
name = "Northgate Academy"
mis_url = "https://mis.example/100003/"

[[cluster]]
id = "primaries"
name = "Primaries"
institutions = ["100001", "100002"]

[[rule]]
id = "staff"
group_dn = "cn=Staff,ou=groups,dc=la,dc=example"
roles = ["staff"]

[[rule]]
id = "school"
group_pattern = '^cn=school-(\d+),ou=groups,dc=la,dc=example$'
institutions = ["$1"]

[[rule]]
id = "primaries"
group_dn = "cn=Cluster-Primaries,ou=groups,dc=la,dc=example"
clusters = ["primaries"]

[[rule]]
id = "central"
group_dn = "cn=Central,ou=groups,dc=la,dc=example"
all_institutions = true
)";
}

std::string CtlFixture::user(const std::string& uid, const std::string& uuid, bool disabled) {
  return "dn: uid=" + uid + ",ou=people,dc=la,dc=example\nobjectClass: inetOrgPerson\nuid: " + uid +
         "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + uid + "@la.example\nentryUUID: " + uuid +
         "\n" + (disabled ? "employeeType: disabled\n" : "") + "\n";
}

std::string CtlFixture::group(const std::string& cn, const std::vector<std::string>& uids) {
  std::string out =
      "dn: cn=" + cn + ",ou=groups,dc=la,dc=example\nobjectClass: groupOfNames\ncn: " + cn + "\n";
  for (const auto& uid : uids) out += "member: uid=" + uid + ",ou=people,dc=la,dc=example\n";
  return out + "\n";
}

std::string CtlFixture::base_ldif(const std::vector<std::string>& staff) {
  return user("alice", "00000000-0000-4000-8000-00000000000a") +
         user("bob", "00000000-0000-4000-8000-00000000000b", true) +
         user("carol", "00000000-0000-4000-8000-00000000000c") +
         user("dave", "00000000-0000-4000-8000-00000000000d") +
         user("eve", "00000000-0000-4000-8000-00000000000e") + group("Staff", staff) +
         group("School-100003", {"alice", "bob", "eve"}) + group("Cluster-Primaries", {"alice"}) +
         group("Central", {"dave"});
}

}  // namespace trustgate::testing
