// The equivalence invariant against a real slapd (issue 14): after any random sequence of
// changes applied live and received through syncrepl, (a) the incremental view equals a fresh
// full read of the same directory, mapped and unmapped, and (b) after a restart that resumes
// from the saved state it still does. The full read is the reference.
//
// Seeds: a fixed few in CI; TG_SEEDS=N runs N seeds from TG_FIRST_SEED (default 1), each for
// TG_SEED_STEPS batches (default 9). A failure names the seed, the batch, the changes made and the
// first differing line.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/ldap/ldap_source.h"
#include "mapping/dn.h"
#include "mapping/mapper.h"
#include "mapping/test_fixtures.h"
#include "tests/harness/equivalence.h"
#include "tests/harness/ldap_test_directory.h"
#include "tests/harness/slapd.h"

namespace trustgate {
namespace {

using namespace equivalence;
using namespace ldap_test;
using namespace std::chrono_literals;

constexpr int kUsers = 24;
constexpr auto kSettle = 20s;  // generous: changes usually arrive in milliseconds
constexpr const char* kUsersFilter = "(&(objectClass=inetOrgPerson)(!(description=away)))";

// Mapping of the test directory, so that models are compared as well as snapshots.
MappingConfig mapping() {
  MappingConfig config = testing::la_config();
  auto staff = testing::make_rule("staff", testing::by_dn(group_dn("staff")));
  staff.roles = {"teacher"};
  auto heads = testing::make_rule("heads", testing::by_dn(group_dn("heads")));
  heads.clusters = {"primaries"};
  auto all = testing::make_rule("all-staff", testing::by_dn(group_dn("all-staff")));
  all.institutions = {"100001"};
  auto extra = testing::make_rule("extra", testing::by_pattern("cn=extra-(\\d+),ou=groups,.*"));
  extra.institutions = {"10000$1"};
  config.rules = {staff, heads, all, extra};
  return config;
}

std::string model_of(const DirectorySnapshot& s) {
  return testing::dump(map_directory({s}, mapping()).model);
}

class LdapEquivalence {
 public:
  explicit LdapEquivalence(std::uint64_t seed) : rng_(seed) {
    SlapdOptions options;
    options.ldif = directory_ldif(kUsers);
    options.refint = true;  // the server rewrites member values; consumers never see it
    slapd_ = std::make_unique<SlapdServer>(options);
    for (int i = 1; i <= kUsers; ++i) dn_[i] = user_dn(i);
    next_user_ = kUsers + 1;
  }

  LdapSourceOptions options(bool incremental) const {
    auto o = source_options(slapd_->ldap_url(), incremental);
    o.users.filter = kUsersFilter;
    return o;
  }

  // The server's truth, read in full.
  DirectorySnapshot full_read() {
    LdapSource full(options(false));
    auto s = full.snapshot();
    if (!s) throw std::runtime_error("full read failed: " + s.error().message);
    return *s;
  }

  // Applies 1-4 random changes, chosen from what the server holds now. Returns them, one a line.
  std::string random_changes() {
    std::string done;
    const int n = std::uniform_int_distribution<int>(1, 4)(rng_);
    for (int k = 0; k < n; ++k) {
      try {
        done += one_change(full_read()) + "\n";
      } catch (const std::runtime_error& e) {
        // The server refused the change (a schema rule): the directory is as it was.
        done += std::string("refused: ") + e.what() + "\n";
      }
    }
    return done;
  }

 private:
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng_)];
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  std::vector<int> existing() const {
    std::vector<int> out;
    for (const auto& [i, dn] : dn_)
      if (!dn.empty()) out.push_back(i);
    return out;
  }

  std::string one_change(const DirectorySnapshot& now) {
    const std::vector<int> users = existing();
    std::vector<int> deleted;
    for (const auto& [i, dn] : dn_)
      if (dn.empty()) deleted.push_back(i);
    std::vector<std::string> groups = {"staff", "heads", "all-staff"};
    for (int g : extra_groups_) groups.push_back("extra-" + std::to_string(g));
    // Leaving and rejoining the filter, deletes and re-creates are the cases that break views:
    // weighted up, and aimed at users who are in groups.
    static const std::vector<double> kWeights = {1, 2, 3, 1, 2, 2, 1, 3, 1, 1, 1};
    const int op = std::discrete_distribution<int>(kWeights.begin(), kWeights.end())(rng_);
    if (users.empty() || op == 0) {  // a new user, in a group at once sometimes
      const int i = next_user_++;
      dn_[i] = user_dn(i);
      slapd_->add(user_ldif(i));
      return "add " + dn_[i];
    }
    std::vector<int> grouped;
    for (int i : users) {
      for (const auto& g : now.groups) {
        if (std::find(g.member_dns.begin(), g.member_dns.end(), dn_[i]) != g.member_dns.end()) {
          grouped.push_back(i);
          break;
        }
      }
    }
    const int u = !grouped.empty() && chance(0.7) ? pick(grouped) : pick(users);
    const std::string dn = dn_[u];  // a copy: the cases below change dn_[u]
    switch (op) {
      case 1: {  // delete (refint removes its member values on the server)
        slapd_->remove(dn);
        const std::string was = dn;
        dn_[u].clear();
        original_[u] = was;
        wait_for_refint(was);
        return "delete " + was;
      }
      case 2: {  // re-create a deleted user under the same DN (a new entryUUID)
        if (deleted.empty()) return "noop";
        const int d = pick(deleted);
        const std::string back = original_[d];
        slapd_->add(
            fmt::format("dn: {}\nobjectClass: inetOrgPerson\nuid: {}\ncn: Back {}\nsn: "
                        "{}\n\n",
                        back, back.substr(4, back.find(',') - 4), d, d));
        dn_[d] = back;
        return "re-create " + back;
      }
      case 3: {  // rename (modrdn): the same entry under a new uid
        const std::string uid = fmt::format("renamed{}x{}", u, renames_++);
        slapd_->modrdn(dn, "uid=" + uid);
        dn_[u] = fmt::format("uid={},{}", uid, kPeople);
        return "modrdn " + dn + " -> " + dn_[u];
      }
      case 4:
      case 5: {  // add to a group (member or uniqueMember)
        const std::string g = pick(groups);
        const auto current = members(now, g);
        if (std::find(current.begin(), current.end(), normalize_dn(dn)) != current.end())
          return "noop";
        const char* attr = g == "heads" ? "uniqueMember" : "member";
        slapd_->modify(fmt::format("dn: {}\nchangetype: modify\nadd: {}\n{}: {}\n", group_dn(g),
                                   attr, attr, dn));
        return "add " + dn + " to " + g;
      }
      case 6: {  // remove a value the group holds now
        const std::string g = pick(groups);
        const auto current = members(now, g);
        if (current.empty()) return "noop";
        const std::string value = pick(current);
        const char* attr = g == "heads" ? "uniqueMember" : "member";
        if (current.size() == 1) return "noop";  // both group classes need a member
        slapd_->modify(fmt::format("dn: {}\nchangetype: modify\ndelete: {}\n{}: {}\n", group_dn(g),
                                   attr, attr, value));
        return "remove " + value + " from " + g;
      }
      case 7: {  // leave or rejoin the users filter
        const DirectoryUser* in_view = nullptr;
        for (const auto& x : now.users)
          if (normalize_dn(x.dn) == normalize_dn(dn)) in_view = &x;
        const bool away = in_view == nullptr;
        slapd_->modify(
            fmt::format("dn: {}\nchangetype: modify\nreplace: description\n"
                        "description: {}\n",
                        dn, away ? "back" : "away"));
        return (away ? "rejoin filter " : "leave filter ") + dn;
      }
      case 8: {  // disable or enable
        slapd_->modify(
            fmt::format("dn: {}\nchangetype: modify\nreplace: employeeType\n"
                        "employeeType: {}\n",
                        dn, chance(0.5) ? "disabled" : "staff"));
        return "toggle disabled " + dn;
      }
      case 9: {  // a new group, possibly nested in all-staff
        const int g = next_group_++;
        const std::string cn = "extra-" + std::to_string(g);
        slapd_->add(fmt::format("dn: {}\nobjectClass: groupOfNames\ncn: {}\nmember: {}\n\n",
                                group_dn(cn), cn, dn));
        extra_groups_.push_back(g);
        if (chance(0.5)) {
          slapd_->modify(fmt::format("dn: {}\nchangetype: modify\nadd: member\nmember: {}\n",
                                     group_dn("all-staff"), group_dn(cn)));
        }
        return "add group " + cn;
      }
      default: {  // delete a group
        if (extra_groups_.empty()) return "noop";
        const std::size_t at =
            std::uniform_int_distribution<std::size_t>(0, extra_groups_.size() - 1)(rng_);
        const std::string cn = "extra-" + std::to_string(extra_groups_[at]);
        slapd_->remove(group_dn(cn));
        extra_groups_.erase(extra_groups_.begin() + static_cast<std::ptrdiff_t>(at));
        return "delete group " + cn;
      }
    }
  }

  // refint rewrites groups in a background task, which no syncrepl consumer is told of; a
  // re-read of the groups that races it misses it until the next reconcile (a documented
  // limit). Changes wait for it, so that each run is about trustgate, not that race. (This
  // slapd's refint leaves uniqueMember values in place: heads is not waited for.)
  void wait_for_refint(const std::string& dn) {
    const std::string norm = normalize_dn(dn);
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      const DirectorySnapshot now = full_read();
      bool listed = false;
      for (const auto& g : now.groups) {
        if (g.name == "heads") continue;
        for (const auto& m : g.member_dns) listed = listed || normalize_dn(m) == norm;
      }
      if (!listed) return;
      std::this_thread::sleep_for(20ms);
    }
  }

  std::mt19937_64 rng_;
  std::unique_ptr<SlapdServer> slapd_;
  std::map<int, std::string> dn_;        // user index -> current DN ("" when deleted)
  std::map<int, std::string> original_;  // user index -> DN it was deleted under
  std::vector<int> extra_groups_;
  int next_user_ = 0;
  int next_group_ = 1;
  int renames_ = 0;
};

void run_seed(std::uint64_t seed, int batches) {
  SCOPED_TRACE(fmt::format("seed {}", seed));
  LdapEquivalence world(seed);
  auto source = std::make_unique<LdapSource>(world.options(true));
  ASSERT_TRUE(source->snapshot());
  std::string history;
  for (int batch = 1; batch <= batches; ++batch) {
    history += fmt::format("batch {}:\n", batch) + world.random_changes();
    const DirectorySnapshot truth = world.full_read();
    const std::string live = settle(*source, truth, model_of, kSettle);
    ASSERT_EQ(live, "") << "live view differs after batch " << batch << "\n" << history;
    if (batch % 3 == 0) {  // the daemon restarts and resumes from its saved state
      auto state = source->resume_state();
      ASSERT_TRUE(state.has_value());
      source = std::make_unique<LdapSource>(world.options(true));
      source->restore_state(*state);
      const std::string resumed = settle(*source, world.full_read(), model_of, kSettle);
      ASSERT_EQ(resumed, "") << "resumed view differs after batch " << batch << "\n" << history;
    }
  }
}

TEST(LdapEquivalenceTest, RandomChangeSequencesKeepTheViewEqualToAFullReadAcrossRestarts) {
  const int seeds = env_int("TG_SEEDS", 3);
  const int batches = env_int("TG_SEED_STEPS", 9);
  const int first = env_int("TG_FIRST_SEED", 1);
  for (int seed = first; seed < first + seeds; ++seed) {
    run_seed(static_cast<std::uint64_t>(seed), batches);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace trustgate
