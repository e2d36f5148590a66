// The real trustgated binary syncing from a real Samba AD DC (tests/harness/samba_dc.h,
// tests/harness/ad_daemon.h), answers read over HTTP and with trustgatectl. One DC per
// process with 2,000 users and 100 groups (plus one group holding all 2,000 users) bulk-loaded
// once with ldapadd; each test adds its own entries under its own OU below the population's.
// Every wait for an asynchronous effect polls with a generous deadline: no test fails on
// timing alone.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/ldap/ad_account.h"
#include "connectors/object_guid.h"
#include "tests/harness/ad_daemon.h"
#include "tests/harness/ad_test_directory.h"
#include "tests/harness/samba_dc.h"
#include "tests/harness/subprocess.h"

namespace trustgate {
namespace {

using ad_test::group_ldif;
using ad_test::member_change;
using ad_test::user_ldif;
using namespace std::chrono;
using namespace std::chrono_literals;
using testing::AdDaemon;
using testing::AdDaemonOptions;

constexpr std::size_t kUsers = 2000;
constexpr std::size_t kGroups = 100;
constexpr std::size_t kMembersPerGroup = 25;
constexpr auto kDeadline = 90s;
constexpr char kSiteSecret[] = "ad-daemon-site-secret-0123456789";

// Its own OU and name prefix, so that it can share a DC (one process running every test)
// with the connector tests' population.
const AdPopulation& population() {
  static const AdPopulation p{"AdDaemon", "ad", kUsers, kGroups, kMembersPerGroup};
  return p;
}
std::string base_dn() { return population().ou_dn(); }
std::string everyone_dn() { return "CN=ad-everyone," + population().groups_dn(); }

SambaDc& loaded_dc() {
  static SambaDc* dc = [] {
    SambaDc& d = SambaDc::shared();
    const auto took = d.load(population());
    std::string big =
        "dn: " + everyone_dn() + "\nobjectClass: group\nsAMAccountName: ad-everyone\n";
    for (std::size_t i = 0; i < kUsers; ++i) big += "member: " + population().user_dn(i) + "\n";
    d.add(big);
    std::cout << "[ad-daemon] DC on " << d.address() << " ready in " << d.provision_time().count()
              << " ms; ldapadd of " << kUsers << " users and " << kGroups << " groups took "
              << took.count() << " ms\n";
    return &d;
  }();
  return *dc;
}

// An OU of the test's own under the population's OU (inside the source's bases).
std::string scratch_ou(SambaDc& dc, const std::string& name) {
  return ad_test::scratch_ou(dc, name, base_dn());
}

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    const auto pos = chars.find(c);
    if (pos == std::string::npos) break;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// objectGUID of `dn` in canonical form, read with ldapsearch.
std::string guid_of(SambaDc& dc, const std::string& dn) {
  const std::string out = dc.search(dn, "(objectClass=*)", {"objectGUID"}, true);
  const auto pos = out.find("objectGUID:: ");
  if (pos == std::string::npos) return "";
  const auto end = out.find('\n', pos);
  return format_object_guid(base64_decode(out.substr(pos + 13, end - pos - 13))).value_or("");
}

constexpr char kMapping[] = R"(
[[role]]
id = "mat-staff"
name = "MAT staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Alder Primary"

[[institution]]
id = "100002"
name = "Birch Primary"

[[institution]]
id = "100003"
name = "Cedar Secondary"

[[institution]]
id = "100004"
name = "Damson Academy"

[[cluster]]
id = "primaries"
name = "Primaries"
institutions = ["100001", "100002"]
)";

// Institutions 200000..200009 for the pattern rule over groups adg000000..adg000009.
std::string pattern_institutions() {
  std::string out;
  for (int i = 0; i < 10; ++i)
    out += fmt::format("[[institution]]\nid = \"20000{}\"\nname = \"School {}\"\n\n", i, i);
  return out;
}

AdDaemonOptions daemon_options(SambaDc& dc, const std::string& rules) {
  AdDaemonOptions o;
  o.url = dc.ldap_url();
  o.bind_dn = SambaDc::kAdminDn;
  o.bind_password = SambaDc::kAdminPassword;
  o.users_base = base_dn();
  o.groups_base = base_dn();
  o.page_size = 300;  // several pages for 2,000 users
  o.poll_interval_seconds = 1;
  o.mapping_toml = std::string(kMapping) + pattern_institutions() + rules;
  o.clients = {{"site", "site", "", kSiteSecret},
               {"ops", "admin", "", "ad-daemon-admin-secret-01"}};
  return o;
}

Poco::JSON::Object::Ptr parse(const std::string& body) {
  try {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (...) {
    return nullptr;
  }
}

// GET /v1/explain for one user and institution, boiled down.
struct Explained {
  int status = -1;
  bool allowed = false;
  std::string reason;
  std::string path;
  std::string group;               // the association's granting group (DN), if any
  std::vector<std::string> chain;  // its nesting chain
};

Explained explain(const AdDaemon& d, const std::string& user, const std::string& institution) {
  Explained e;
  const auto r = d.get("/v1/explain?user=" + user + "&institution=" + institution, "site");
  e.status = r.status;
  auto o = parse(r.body);
  if (r.status != 200 || !o) return e;
  auto decision = o->getObject("decision");
  if (!decision) return e;
  e.allowed = decision->getValue<bool>("allowed");
  e.reason = decision->getValue<std::string>("reason");
  e.path = decision->optValue<std::string>("path", "");
  if (auto via = decision->getObject("granted_via")) {
    if (auto assoc = via->getObject("association")) {
      if (auto prov = assoc->getObject("via")) {
        e.group = prov->optValue<std::string>("group", "");
        if (auto chain = prov->getArray("chain"))
          for (std::size_t i = 0; i < chain->size(); ++i)
            e.chain.push_back(chain->getElement<std::string>(static_cast<unsigned>(i)));
      }
    }
  }
  return e;
}

// Polls until `pred` holds for the explanation (the daemon syncs asynchronously).
Explained wait_explain(const AdDaemon& d, const std::string& user, const std::string& institution,
                       const std::function<bool(const Explained&)>& pred,
                       seconds deadline = kDeadline) {
  const auto until = steady_clock::now() + deadline;
  Explained e = explain(d, user, institution);
  while (!pred(e) && steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
    e = explain(d, user, institution);
  }
  return e;
}

bool is_allowed(const Explained& e) { return e.allowed; }
auto has_reason(const std::string& reason) {
  return [reason](const Explained& e) { return e.status == 200 && e.reason == reason; };
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Full sync over LDAPS (verified with the test CA): every user, paged; a 2,000-member group
// read through ranges; a name-pattern rule; nesting with a cycle; disabled and expired users.
TEST(AdDaemonTest, FullSyncOverLdapsGrantsThroughRangesPatternsNestingAndDeniesDisabled) {
  SambaDc& dc = loaded_dc();
  const std::string ou = scratch_ou(dc, "Nesting");
  const auto yesterday = system_clock::now() - 24h;
  dc.add(
      user_ldif(ou, "n-alice") + user_ldif(ou, "n-bob") +
      user_ldif(ou, "n-disabled", "userAccountControl: 514\n") +
      user_ldif(ou, "n-expired",
                "userAccountControl: 512\naccountExpires: " +
                    std::to_string(time_to_filetime(yesterday)) + "\n") +
      group_ldif(ou, "n-inner", {"CN=n-alice," + ou, "CN=n-disabled," + ou, "CN=n-expired," + ou}) +
      group_ldif(ou, "n-outer", {"CN=n-inner," + ou}));
  // The cycle: n-inner also contains n-outer (both must exist first).
  dc.modify(member_change("CN=n-inner," + ou, "add", "CN=n-outer," + ou));

  AdDaemonOptions o = daemon_options(dc, fmt::format(R"(
[[rule]]
id = "everyone"
group_dn = "{}"
roles = ["mat-staff"]
institutions = ["100003"]

[[rule]]
id = "schools"
group_pattern = 'CN=adg00000(\d),OU=Groups,OU=AdDaemon,DC=la,DC=example'
institutions = ["20000$1"]

[[rule]]
id = "nested"
group_dn = "CN=n-outer,{}"
roles = ["mat-staff"]
clusters = ["primaries"]
)",
                                                     everyone_dn(), ou));
  o.url = dc.ldaps_url();
  o.ca_file = dc.ca_file();
  AdDaemon daemon(o);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();

  // The last member of the 2,000-member group is beyond the first range (0-1499).
  const std::string last = population().user_name(kUsers - 1);
  Explained e = wait_explain(daemon, last, "100003", is_allowed);
  ASSERT_TRUE(e.allowed) << e.reason << "\n" << daemon.log();
  EXPECT_EQ(lower(e.group), lower(everyone_dn()));

  // Everyone synced (paged: 300 per page), disabled ones included.
  const auto status = daemon.ctl({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  auto s = parse(status.output);
  ASSERT_TRUE(s) << status.output;
  EXPECT_EQ(s->getValue<Poco::Int64>("users"), static_cast<Poco::Int64>(kUsers + 4));

  // Each member of the big group, on both sides of the range boundaries, gets access by it.
  for (std::size_t i : {std::size_t{0}, std::size_t{1498}, std::size_t{1499}, std::size_t{1500},
                        std::size_t{1777}, kUsers - 2}) {
    const Explained m = explain(daemon, population().user_name(i), "100003");
    EXPECT_TRUE(m.allowed) << population().user_name(i) << ": " << m.reason;
    EXPECT_EQ(lower(m.group), lower(everyone_dn())) << population().user_name(i);
  }

  // The pattern rule: group adg000000 (users 0..24) -> 200000, adg000001 (25..49) -> 200001.
  EXPECT_TRUE(explain(daemon, population().user_name(3), "200000").allowed);
  EXPECT_EQ(explain(daemon, population().user_name(3), "200001").reason, "not_associated");
  EXPECT_TRUE(explain(daemon, population().user_name(30), "200001").allowed);

  // Nesting through a cycle: alice (in n-inner, inside n-outer) gets the Primaries cluster.
  const Explained alice = explain(daemon, "n-alice", "100001");
  EXPECT_TRUE(alice.allowed) << alice.reason;
  EXPECT_EQ(lower(alice.group), lower("CN=n-outer," + ou));
  EXPECT_EQ(alice.chain.size(), 2u);
  EXPECT_NE(alice.path.find("Primaries"), std::string::npos) << alice.path;
  EXPECT_EQ(explain(daemon, "n-alice", "100003").reason, "not_associated");
  EXPECT_EQ(explain(daemon, "n-bob", "100001").reason, "no_login_permission");

  // Disabled (userAccountControl 514) and expired (accountExpires yesterday) members of the
  // same nested group are denied.
  for (const char* user : {"n-disabled", "n-expired"}) {
    const Explained d = explain(daemon, user, "100001");
    EXPECT_EQ(d.status, 200) << user;
    EXPECT_FALSE(d.allowed) << user;
    EXPECT_EQ(d.reason, "user_disabled") << user;
  }

  // The daemon keeps working: healthy, not degraded, still answering after the cycle.
  const auto health = parse(daemon.get("/healthz").body);
  ASSERT_TRUE(health);
  EXPECT_EQ(health->getValue<std::string>("status"), "ok") << daemon.log();
  EXPECT_TRUE(daemon.running());
}

// StartTLS (verified with the test CA). A rule naming its group by objectGUID still grants
// after the group and the user are renamed; membership changes reach the API within the poll
// interval (plus a pass), seen by polling the API.
TEST(AdDaemonTest, RenamesKeepObjectGuidRulesAndMembershipChangesReachTheApi) {
  SambaDc& dc = loaded_dc();
  const std::string ou = scratch_ou(dc, "Renames");
  dc.add(user_ldif(ou, "r-carol") + user_ldif(ou, "r-dave") +
         group_ldif(ou, "r-team", {"CN=r-carol," + ou}));
  const std::string team_guid = guid_of(dc, "CN=r-team," + ou);
  ASSERT_FALSE(team_guid.empty());

  AdDaemonOptions o = daemon_options(dc, fmt::format(R"(
[[rule]]
id = "team"
group_id = "{}"
roles = ["mat-staff"]
institutions = ["100004"]
)",
                                                     team_guid));
  o.start_tls = true;
  o.ca_file = dc.ca_file();
  AdDaemon daemon(o);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  Explained e = wait_explain(daemon, "r-carol", "100004", is_allowed);
  ASSERT_TRUE(e.allowed) << e.reason << "\n" << daemon.log();
  EXPECT_EQ(lower(e.group), lower("CN=r-team," + ou));
  auto profile = parse(daemon.get("/v1/users/r-carol", "site").body);
  ASSERT_TRUE(profile);
  const std::string carol_id = profile->getValue<std::string>("id");

  // Rename the group, and the user (DN and sAMAccountName).
  dc.rename("CN=r-team," + ou, "CN=r-team-renamed");
  dc.rename("CN=r-carol," + ou, "CN=r-carol-renamed");
  dc.modify("dn: CN=r-carol-renamed," + ou +
            "\nchangetype: modify\nreplace: sAMAccountName\nsAMAccountName: r-carol2\n");
  e = wait_explain(daemon, "r-carol2", "100004", [&](const Explained& x) {
    return x.allowed && lower(x.group) == lower("CN=r-team-renamed," + ou);
  });
  EXPECT_TRUE(e.allowed) << e.reason << "\n" << daemon.log();
  EXPECT_EQ(lower(e.group), lower("CN=r-team-renamed," + ou));
  EXPECT_EQ(explain(daemon, "r-carol", "100004").reason, "unknown_user");
  // Same stable id, new name and DN.
  profile = parse(daemon.get("/v1/users/id:" + carol_id, "site").body);
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->getValue<std::string>("username"), "r-carol2");
  EXPECT_EQ(lower(profile->getValue<std::string>("dn")), lower("CN=r-carol-renamed," + ou));

  // Membership: dave joins the renamed group, carol leaves it.
  EXPECT_EQ(explain(daemon, "r-dave", "100004").reason, "no_login_permission");
  auto t0 = steady_clock::now();
  dc.modify(member_change("CN=r-team-renamed," + ou, "add", "CN=r-dave," + ou));
  e = wait_explain(daemon, "r-dave", "100004", is_allowed);
  EXPECT_TRUE(e.allowed) << e.reason << "\n" << daemon.log();
  std::cout << "[ad-daemon] member added -> API allows after "
            << duration_cast<milliseconds>(steady_clock::now() - t0).count()
            << " ms (poll_interval 1 s)\n";
  t0 = steady_clock::now();
  dc.modify(member_change("CN=r-team-renamed," + ou, "delete", "CN=r-carol-renamed," + ou));
  e = wait_explain(daemon, "r-carol2", "100004", has_reason("no_login_permission"));
  EXPECT_EQ(e.reason, "no_login_permission") << daemon.log();
  std::cout << "[ad-daemon] member removed -> API denies after "
            << duration_cast<milliseconds>(steady_clock::now() - t0).count() << " ms\n";

  // trustgatectl reads the same revision.
  const auto ctl = daemon.ctl({"explain", "r-dave", "100004"});
  EXPECT_EQ(ctl.exit_code, 0) << ctl.output;
  EXPECT_NE(lower(ctl.output).find("r-team-renamed"), std::string::npos) << ctl.output;
}

// Plain LDAP with a UPN bind. uSNChanged polling never sees a deletion: the periodic full
// reconcile (5 s here) removes the deleted user; the other member keeps access.
// A deletion reaches the API through the uSNChanged poll (the tombstone), not only at the next
// periodic reconcile (issue 14).
TEST(AdDaemonTest, DeletedUserLosesAccessAtTheNextPollWithoutAReconcile) {
  SambaDc& dc = loaded_dc();
  const std::string ou = scratch_ou(dc, "Deletes");
  dc.add(user_ldif(ou, "d-erin") + user_ldif(ou, "d-frank") +
         group_ldif(ou, "d-team", {"CN=d-erin," + ou, "CN=d-frank," + ou}));

  AdDaemonOptions o = daemon_options(dc, fmt::format(R"(
[[rule]]
id = "deletes-team"
group_dn = "CN=d-team,{}"
roles = ["mat-staff"]
clusters = ["primaries"]
)",
                                                     ou));
  o.bind_dn = "Administrator@la.example";  // a UPN
  o.reconcile_interval_seconds = 3600;
  o.sync_interval_seconds = 2;
  AdDaemon daemon(o);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_TRUE(wait_explain(daemon, "d-erin", "100002", is_allowed).allowed) << daemon.log();
  ASSERT_TRUE(explain(daemon, "d-frank", "100002").allowed);

  dc.remove("CN=d-erin," + ou);
  const Explained gone = wait_explain(daemon, "d-erin", "100002", has_reason("unknown_user"));
  EXPECT_EQ(gone.reason, "unknown_user") << daemon.log();
  EXPECT_FALSE(gone.allowed);
  EXPECT_EQ(daemon.get("/v1/users/d-erin", "site").status, 404);
  EXPECT_TRUE(explain(daemon, "d-frank", "100002").allowed);
  EXPECT_EQ(daemon.log().find("periodic full reconcile"), std::string::npos) << daemon.log();
}

// `poll_interval` (the AD source's uSNChanged poll, seconds) as trustgatectl check-config sees
// it: accepted on an ad source within 1..3600, refused out of range and on other types.
TEST(AdDaemonTest, PollIntervalIsCheckedForAdSourcesOnly) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tg-ad-poll-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto check = [&](const std::string& type, const std::string& poll) {
    const fs::path config = dir / "trustgate.toml";
    std::ofstream(config) << "[daemon]\ndatabase = \"" << (dir / "t.db").string()
                          << "\"\n\n[[source]]\nname = \"ad\"\ntype = \"" << type
                          << "\"\nurl = \"ldaps://dc1.la.example\"\npoll_interval = " << poll
                          << "\n";
    return testing::run_command({TRUSTGATECTL_BIN, "--config", config.string(), "check-config"});
  };
  const auto ok = check("ad", "5");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  for (const auto& [type, poll] : std::vector<std::pair<std::string, std::string>>{
           {"ad", "0"}, {"ad", "3601"}, {"ad", "\"5\""}, {"ldap", "5"}}) {
    const auto bad = check(type, poll);
    EXPECT_NE(bad.exit_code, 0) << type << " " << poll;
    EXPECT_NE((bad.out + bad.err).find("source[ad].poll_interval"), std::string::npos)
        << type << " " << poll << ": " << bad.out << bad.err;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace trustgate
