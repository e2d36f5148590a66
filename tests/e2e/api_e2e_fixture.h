#pragma once
// Shared by the handoff / API end-to-end tests: a small LA directory in LDIF, its mapping, the
// API clients, and a fixture that starts the real trustgated on it and talks HTTP to it.
//
// People (all but zed exist):
//   alice  MIS-Users + Data-Viewers + Cluster-Primaries: logs in to Alder and Birch via the
//          cluster "Primaries"; roles mat-staff, data-viewer
//   bob    Cluster-Primaries only: associated, but no login permission
//   carol  like alice, but disabled (employeeType: disabled)
//   dave   MIS-Users only: permission, no association
//   erin   MIS-Users + School-Cedar: Cedar directly through a directory group
// Schools: 100001 Alder (when_mfa), 100002 Birch (always), 100003 Cedar (when_mfa).
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/harness/daemon_process.h"

namespace trustgate::e2e {

inline constexpr char kSiteSecret[] = "e2e-site-secret-0123456789";
inline constexpr char kAlderSecret[] = "e2e-alder-secret-0123456789";
inline constexpr char kBirchSecret[] = "e2e-birch-secret-0123456789";
inline constexpr char kCedarSecret[] = "e2e-cedar-secret-0123456789";
inline constexpr char kAdminSecret[] = "e2e-admin-secret-0123456789";

inline constexpr char kAliceId[] = "11111111-1111-1111-1111-111111111111";

struct DirectoryShape {
  bool alice_in_mis_users = true;  // false: alice loses the login permission
};

inline std::string person(const std::string& uid, const std::string& cn, const std::string& uuid,
                          bool disabled = false) {
  std::string out = "dn: uid=" + uid + ",ou=people,dc=la,dc=example\nobjectClass: inetOrgPerson\n" +
                    "uid: " + uid + "\ncn: " + cn + "\nsn: " + cn.substr(cn.find(' ') + 1) +
                    "\nmail: " + uid + "@la.example\nentryUUID: " + uuid + "\n";
  if (disabled) out += "employeeType: disabled\n";
  return out + "\n";
}

inline std::string group(const std::string& cn, const std::string& uuid,
                         const std::vector<std::string>& members) {
  std::string out = "dn: cn=" + cn + ",ou=groups,dc=la,dc=example\nobjectClass: groupOfNames\n" +
                    "cn: " + cn + "\nentryUUID: " + uuid + "\n";
  for (const auto& m : members) out += "member: uid=" + m + ",ou=people,dc=la,dc=example\n";
  return out + "\n";
}

inline std::string directory_ldif(DirectoryShape shape = {}) {
  std::string out =
      "dn: dc=la,dc=example\nobjectClass: dcObject\nobjectClass: organization\ndc: la\n"
      "o: Example LA\n\n";
  out += person("alice", "Alice Adams", kAliceId);
  out += person("bob", "Bob Brown", "22222222-2222-2222-2222-222222222222");
  out += person("carol", "Carol Clark", "33333333-3333-3333-3333-333333333333", true);
  out += person("dave", "Dave Dent", "44444444-4444-4444-4444-444444444444");
  out += person("erin", "Erin Evans", "55555555-5555-5555-5555-555555555555");
  std::vector<std::string> mis = {"carol", "dave", "erin"};
  if (shape.alice_in_mis_users) mis.insert(mis.begin(), "alice");
  out += group("MIS-Users", "aaaaaaaa-0000-0000-0000-000000000001", mis);
  out += group("Data-Viewers", "aaaaaaaa-0000-0000-0000-000000000002", {"alice"});
  out +=
      group("Cluster-Primaries", "aaaaaaaa-0000-0000-0000-000000000003", {"alice", "bob", "carol"});
  out += group("School-Cedar", "aaaaaaaa-0000-0000-0000-000000000004", {"erin"});
  return out;
}

inline constexpr char kMapping[] = R"(
[[permission]]
id = "reports.view"
name = "View reports"

[[role]]
id = "mat-staff"
name = "MAT staff"
permissions = ["mis.login.associated_institutions"]

[[role]]
id = "data-viewer"
name = "Data viewer"
permissions = ["reports.view"]

[[institution]]
id = "100001"
name = "Alder Primary"
mis_url = "https://alder.example/mis/"
skip_second_factor = "when_mfa"

[[institution]]
id = "100002"
name = "Birch Primary"
mis_url = "https://birch.example/mis/"
skip_second_factor = "always"

[[institution]]
id = "100003"
name = "Cedar Secondary"
mis_url = "https://cedar.example/mis/"

[[cluster]]
id = "primaries"
name = "Primaries"
institutions = ["100001", "100002"]

[[rule]]
id = "mis-users"
group_dn = "cn=MIS-Users,ou=groups,dc=la,dc=example"
roles = ["mat-staff"]

[[rule]]
id = "data-viewers"
group_dn = "cn=Data-Viewers,ou=groups,dc=la,dc=example"
roles = ["data-viewer"]

[[rule]]
id = "cluster-primaries"
group_dn = "cn=Cluster-Primaries,ou=groups,dc=la,dc=example"
clusters = ["primaries"]

[[rule]]
id = "school-cedar"
group_dn = "cn=School-Cedar,ou=groups,dc=la,dc=example"
institutions = ["100003"]
)";

// The configuration every test starts from; tests change fields before start().
inline testing::DaemonOptions default_options() {
  testing::DaemonOptions o;
  o.ldif = directory_ldif();
  o.mapping_toml = kMapping;
  o.source_toml = "[source.users]\ndisabled_attr = \"employeeType\"\n";
  // Tiny directory: one revoked grant is a large share; the safety check is not under test.
  o.extra_toml = "[safety]\nmax_grant_removal_share = 1.0\n";
  o.clients = {{"mat-site", "site", "", kSiteSecret},
               {"alder", "school", "100001", kAlderSecret},
               {"birch", "school", "100002", kBirchSecret},
               {"cedar", "school", "100003", kCedarSecret},
               {"ops", "admin", "", kAdminSecret}};
  o.max_body_bytes = 4096;
  return o;
}

inline std::string bearer(const std::string& id, const std::string& secret) {
  return "Bearer " + id + ":" + secret;
}
inline std::string site() { return bearer("mat-site", kSiteSecret); }
inline std::string admin() { return bearer("ops", kAdminSecret); }
inline std::string school(const std::string& id) {
  if (id == "alder") return bearer(id, kAlderSecret);
  if (id == "birch") return bearer(id, kBirchSecret);
  return bearer(id, kCedarSecret);
}

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An HTTP answer with its JSON body parsed (json null when the body is not a JSON object).
struct Reply {
  int status = -1;
  std::string content_type;
  std::string body;
  Poco::JSON::Object::Ptr json;

  std::string str(const std::string& key) const {
    return json && json->has(key) ? json->getValue<std::string>(key) : std::string();
  }
  Poco::JSON::Object::Ptr error() const {
    return json && json->has("error") ? json->getObject("error") : nullptr;
  }
  std::string error_code() const {
    auto e = error();
    return e && e->has("code") ? e->getValue<std::string>("code") : std::string();
  }
  bool active() const { return json && json->has("active") && json->getValue<bool>("active"); }
};

inline Reply to_reply(const testing::ApiReply& r) {
  Reply out;
  out.status = r.status;
  out.content_type = r.content_type;
  out.body = r.body;
  if (r.content_type.starts_with("application/json")) {
    try {
      Poco::JSON::Parser p;
      out.json = p.parse(r.body).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
      out.json = nullptr;
    }
  }
  return out;
}

inline std::set<std::string> string_set(const Poco::JSON::Array::Ptr& arr) {
  std::set<std::string> out;
  if (arr) {
    for (std::size_t i = 0; i < arr->size(); ++i) out.insert(arr->getElement<std::string>(i));
  }
  return out;
}

// Ids of a JSON array of objects with an "id" key, in order.
inline std::vector<std::string> ids_of(const Poco::JSON::Array::Ptr& arr) {
  std::vector<std::string> out;
  if (arr) {
    for (std::size_t i = 0; i < arr->size(); ++i)
      out.push_back(arr->getObject(i)->getValue<std::string>("id"));
  }
  return out;
}

class ApiE2eFixture : public ::testing::Test {
 protected:
  void start(testing::DaemonOptions o = default_options()) {
    daemon_ = std::make_unique<testing::DaemonProcess>(std::move(o));
    ASSERT_TRUE(daemon_->wait_ready()) << daemon_->log();
  }

  Reply call(const std::string& method, const std::string& target, const std::string& auth,
             const std::string& body = "", const std::string& type = "application/json") {
    return to_reply(testing::http_call(daemon_->port(), method, target, auth, body, type));
  }
  Reply issue(const std::string& user, const std::string& inst, bool mfa = true,
              std::int64_t auth_time = 0) {
    if (auth_time == 0) auth_time = unix_now() - 5;
    return call("POST", "/v1/handoffs", site(),
                R"({"user":")" + user + R"(","institution":")" + inst + R"(","mfa":)" +
                    (mfa ? "true" : "false") + R"(,"auth_time":)" + std::to_string(auth_time) +
                    "}");
  }
  // Issues and returns the ticket; fails the test when none is issued.
  std::string ticket_for(const std::string& user, const std::string& inst, bool mfa = true) {
    Reply t = issue(user, inst, mfa);
    EXPECT_EQ(t.status, 201) << t.body;
    return t.str("ticket");
  }
  Reply redeem(const std::string& ticket, const std::string& auth) {
    return call("POST", "/v1/handoffs/redeem", auth, R"({"ticket":")" + ticket + R"("})");
  }

  // The audited reason of a decision (from the handoff database, as an auditor reads it);
  // "" when there is no such decision.
  std::string audited_reason(const std::string& decision_id) {
    SQLite::Database db(daemon_->handoff_database().string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "SELECT reason FROM audit_log WHERE decision_id = ?");
    q.bind(1, decision_id);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  }
  // How many events the matching rows stand for (a summary row counts its suppressed ones).
  int sum_audit_events(const std::string& where) {
    SQLite::Database db(daemon_->handoff_database().string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    return db.execAndGet("SELECT coalesce(sum(events), 0) FROM audit_log WHERE " + where).getInt();
  }
  int count_audit(const std::string& where) {
    SQLite::Database db(daemon_->handoff_database().string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    return db.execAndGet("SELECT count(*) FROM audit_log WHERE " + where).getInt();
  }

  std::unique_ptr<testing::DaemonProcess> daemon_;
};

}  // namespace trustgate::e2e
