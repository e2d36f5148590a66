// The equivalence invariant against a real Samba AD DC (issue 14), the AD half of
// ldap_equivalence_test.cc: after any random sequence of changes applied live and received by
// uSNChanged polling alone (no reconcile), (a) the incremental AdSource's view equals a fresh
// full read of the same directory, mapped and unmapped, and (b) after a restart that resumes
// from the saved state, with changes made while it was down, it still does, without a full
// read. The full read is the reference: AD maintains `member` itself (linked attributes), so a
// deleted user leaves its groups on the server.
//
// Seeds: a fixed few in CI; TG_SEEDS=N runs N seeds from TG_FIRST_SEED (default 1), each for
// TG_SEED_STEPS batches (default 6). A failure names the seed, the batch, the changes made and
// the first differing line. Each seed works in an OU of its own (OU=Equiv<seed>): the DC is
// shared with the other tests of the process.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "connectors/ldap/ad_source.h"
#include "mapping/dn.h"
#include "mapping/mapper.h"
#include "mapping/test_fixtures.h"
#include "tests/harness/ad_test_directory.h"
#include "tests/harness/equivalence.h"
#include "tests/harness/samba_dc.h"

namespace trustgate {
namespace {

using namespace ad_test;
using namespace equivalence;
using namespace std::chrono_literals;

constexpr int kUsers = 12;
constexpr auto kSettle = 30s;  // generous: a poll sees a committed change at once
// AD's default users filter, minus the users who are "away": leaving and rejoining the filter.
constexpr const char* kUsersFilter =
    "(&(objectCategory=person)(objectClass=user)(!(description=away)))";

struct Stats {
  int seeds = 0;
  int batches = 0;
  int restarts = 0;
  std::size_t users_compared = 0;
  std::size_t changes = 0;
};

class AdEquivalence {
 public:
  AdEquivalence(SambaDc& dc, std::uint64_t seed)
      : dc_(dc), rng_(seed), prefix_(fmt::format("e{}", seed)) {
    ou_ = scratch_ou(dc_, fmt::format("Equiv{}", seed));
    people_ = scratch_ou(dc_, "People", ou_);
    moved_ = scratch_ou(dc_, "Moved", ou_);
    groups_ou_ = scratch_ou(dc_, "Groups", ou_);
    std::string ldif;
    for (int i = 1; i <= kUsers; ++i) {
      dn_[i] = fmt::format("CN={},{}", user_name(i), people_);
      ldif += user_ldif(people_, user_name(i));
    }
    next_user_ = kUsers + 1;
    std::vector<std::string> staff;
    for (int i = 1; i <= 5; ++i) staff.push_back(dn_[i]);
    ldif += group_ldif(groups_ou_, group_name("staff"), staff);
    ldif += group_ldif(groups_ou_, group_name("heads"), {dn_[2]});
    ldif += group_ldif(groups_ou_, group_name("all-staff"),
                       {group_dn("staff"), group_dn("heads")});  // nesting
    dc_.add(ldif);
    groups_ = {"staff", "heads", "all-staff"};
  }

  LdapSourceOptions options(bool incremental) const {
    auto o = source_options(dc_, ou_, ou_, incremental);
    o.users.filter = kUsersFilter;
    o.page_size = 7;  // several pages
    return o;
  }

  std::unique_ptr<AdSource> incremental_source() const {
    // Polling only: no reconcile falls due, so whatever converges came through uSNChanged.
    return std::make_unique<AdSource>(options(true), clock_,
                                      AdSyncOptions{.range_step = 5, .poll_interval = 0ms});
  }

  // The server's truth, read in full.
  DirectorySnapshot full_read() const {
    AdSource full(options(false), clock_, AdSyncOptions{.range_step = 5});
    auto s = full.snapshot();
    if (!s) throw std::runtime_error("full read failed: " + s.error().message);
    return *s;
  }

  // The mapping of this OU's groups, so that models are compared as well as snapshots.
  std::string model_of(const DirectorySnapshot& s) const {
    MappingConfig config = testing::la_config();
    auto staff = testing::make_rule("staff", testing::by_dn(group_dn("staff")));
    staff.roles = {"teacher"};
    auto heads = testing::make_rule("heads", testing::by_dn(group_dn("heads")));
    heads.clusters = {"primaries"};
    auto all = testing::make_rule("all-staff", testing::by_dn(group_dn("all-staff")));
    all.institutions = {"100001"};
    auto extra = testing::make_rule(
        "extra", testing::by_pattern(fmt::format("cn={}-extra-(\\d)\\d*,.*", prefix_)));
    extra.institutions = {"10000$1"};
    config.rules = {staff, heads, all, extra};
    return testing::dump(map_directory({s}, config).model);
  }

  // Applies 1-4 random changes, chosen from what the server holds now. Returns them, one a line.
  std::string random_changes(Stats& stats) {
    std::string done;
    const int n = std::uniform_int_distribution<int>(1, 4)(rng_);
    for (int k = 0; k < n; ++k) {
      const DirectorySnapshot now = full_read();
      try {
        done += one_change(now) + "\n";
      } catch (const std::runtime_error& e) {
        // The server refused the change (a schema or constraint rule): nothing changed.
        done += std::string("refused: ") + e.what() + "\n";
      }
      ++stats.changes;
    }
    return done;
  }

 private:
  std::string user_name(int i) const { return fmt::format("{}u{}", prefix_, i); }
  std::string group_name(const std::string& g) const { return prefix_ + "-" + g; }
  std::string group_dn(const std::string& g) const {
    return fmt::format("CN={},{}", group_name(g), groups_ou_);
  }

  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng_)];
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  // Lower-cased member DNs of group `g` in `now`.
  std::vector<std::string> members(const DirectorySnapshot& now, const std::string& g) const {
    const std::string want = normalize_dn(group_dn(g));
    for (const auto& x : now.groups) {
      if (normalize_dn(x.dn) != want) continue;
      std::vector<std::string> out;
      for (const auto& m : x.member_dns) out.push_back(normalize_dn(m));
      return out;
    }
    return {};
  }

  std::string one_change(const DirectorySnapshot& now) {
    std::vector<int> users, deleted;
    for (const auto& [i, dn] : dn_) (dn.empty() ? deleted : users).push_back(i);
    // Leaving and rejoining the filter, deletes and re-creates are the cases that break views:
    // weighted up, and aimed at users who are in groups.
    static const std::vector<double> kWeights = {1, 2, 3, 1, 2, 2, 2, 1, 1, 1, 1};
    const int op = std::discrete_distribution<int>(kWeights.begin(), kWeights.end())(rng_);
    if (users.empty() || op == 0) {  // a new user, in a group at once sometimes
      const int i = next_user_++;
      dn_[i] = fmt::format("CN={},{}", user_name(i), people_);
      dc_.add(user_ldif(people_, user_name(i)));
      if (chance(0.5)) dc_.modify(member_change(group_dn(pick(groups_)), "add", dn_[i]));
      return "add " + dn_[i];
    }
    std::vector<int> grouped;
    for (int i : users) {
      for (const auto& g : now.groups) {
        const auto norm = normalize_dn(dn_[i]);
        if (std::any_of(g.member_dns.begin(), g.member_dns.end(),
                        [&](const auto& m) { return normalize_dn(m) == norm; })) {
          grouped.push_back(i);
          break;
        }
      }
    }
    const int u = !grouped.empty() && chance(0.7) ? pick(grouped) : pick(users);
    const std::string dn = dn_[u];  // a copy: the cases below change dn_[u]
    switch (op) {
      case 1: {  // delete (AD removes its member values itself)
        dc_.remove(dn);
        dn_[u].clear();
        original_[u] = dn;
        return "delete " + dn;
      }
      case 2: {  // re-create a deleted user under its old DN (a new objectGUID)
        if (deleted.empty()) return "noop";
        const int d = pick(deleted);
        const std::string back = original_[d];
        const std::string rdn = back.substr(3, back.find(',') - 3);
        const std::string ou = back.substr(back.find(',') + 1);
        // A fresh sAMAccountName: the tombstone of the old entry may still hold its own.
        dc_.add("dn: " + back + "\nobjectClass: user\nsAMAccountName: " +
                fmt::format("{}r{}", user_name(d), recreates_++) + "\ndisplayName: Back " + rdn +
                "\nuserAccountControl: 512\n\n");
        dn_[d] = back;
        if (chance(0.5)) dc_.modify(member_change(group_dn(pick(groups_)), "add", back));
        return "re-create " + back;
      }
      case 3: {  // rename (modrdn), moving between People and Moved sometimes
        const std::string cn = fmt::format("{}n{}", user_name(u), renames_++);
        const bool in_people = normalize_dn(dn).ends_with(normalize_dn(people_));
        const std::string to = chance(0.4) ? (in_people ? moved_ : people_) : "";
        dc_.rename(dn, "CN=" + cn, to);
        const std::string parent = to.empty() ? dn.substr(dn.find(',') + 1) : to;
        dn_[u] = "CN=" + cn + "," + parent;
        return "rename " + dn + " -> " + dn_[u];
      }
      case 4: {  // add to a group
        const std::string g = pick(groups_);
        const auto current = members(now, g);
        if (std::find(current.begin(), current.end(), normalize_dn(dn)) != current.end())
          return "noop";
        dc_.modify(member_change(group_dn(g), "add", dn));
        return "add " + dn + " to " + g;
      }
      case 5: {  // remove a value the group holds now (a user or a nested group)
        const std::string g = pick(groups_);
        const auto current = members(now, g);
        if (current.empty()) return "noop";
        const std::string value = pick(current);
        dc_.modify(member_change(group_dn(g), "delete", value));
        return "remove " + value + " from " + g;
      }
      case 6: {  // leave or rejoin the users filter
        const auto norm = normalize_dn(dn);
        const bool away = std::none_of(now.users.begin(), now.users.end(),
                                       [&](const auto& x) { return normalize_dn(x.dn) == norm; });
        dc_.modify(
            fmt::format("dn: {}\nchangetype: modify\nreplace: description\ndescription: {}\n", dn,
                        away ? "back" : "away"));
        return (away ? "rejoin filter " : "leave filter ") + dn;
      }
      case 7: {  // disable or enable by userAccountControl
        const bool disable = chance(0.5);
        dc_.modify(fmt::format(
            "dn: {}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: {}\n", dn,
            disable ? 514 : 512));
        return (disable ? "disable " : "enable ") + dn;
      }
      case 8: {  // a new group holding the user, possibly nested in another (cycles allowed)
        const std::string g = fmt::format("extra-{}", next_group_++);
        const std::string outer = pick(groups_);
        dc_.add(group_ldif(groups_ou_, group_name(g), {dn}));
        groups_.push_back(g);
        if (chance(0.5)) dc_.modify(member_change(group_dn(outer), "add", group_dn(g)));
        if (chance(0.3)) dc_.modify(member_change(group_dn(g), "add", group_dn(outer)));
        return "add group " + g + " (around " + outer + ")";
      }
      case 9: {  // nest one group in another (a cycle when the other already holds it)
        const std::string inner = pick(groups_);
        const std::string outer = pick(groups_);
        const auto current = members(now, outer);
        if (inner == outer || std::find(current.begin(), current.end(),
                                        normalize_dn(group_dn(inner))) != current.end())
          return "noop";
        dc_.modify(member_change(group_dn(outer), "add", group_dn(inner)));
        return "nest " + inner + " in " + outer;
      }
      default: {  // delete a group (AD removes it from the groups it was nested in)
        if (groups_.size() <= 3) return "noop";
        const std::size_t at =
            std::uniform_int_distribution<std::size_t>(3, groups_.size() - 1)(rng_);
        const std::string g = groups_[at];
        dc_.remove(group_dn(g));
        groups_.erase(groups_.begin() + static_cast<std::ptrdiff_t>(at));
        return "delete group " + g;
      }
    }
  }

  SambaDc& dc_;
  ManualClock clock_;  // accountExpires is evaluated against it by both sources
  std::mt19937_64 rng_;
  std::string prefix_;  // sAMAccountNames are unique in the domain: one prefix per seed
  std::string ou_, people_, moved_, groups_ou_;
  std::map<int, std::string> dn_;        // user index -> current DN ("" when deleted)
  std::map<int, std::string> original_;  // user index -> DN it was deleted under
  std::vector<std::string> groups_;      // the three fixed groups, then the extras
  int next_user_ = 0;
  int next_group_ = 1;
  int renames_ = 0;
  int recreates_ = 0;
};

void run_seed(SambaDc& dc, std::uint64_t seed, int batches, Stats& stats) {
  SCOPED_TRACE(fmt::format("seed {}", seed));
  AdEquivalence world(dc, seed);
  const ModelFn model_of = [&](const DirectorySnapshot& s) { return world.model_of(s); };
  auto source = world.incremental_source();
  ASSERT_TRUE(source->snapshot());
  std::size_t full_reads = 1;  // the first snapshot's; none after a restart
  std::string history;
  for (int batch = 1; batch <= batches; ++batch) {
    history += fmt::format("batch {}:\n", batch) + world.random_changes(stats);
    DirectorySnapshot truth = world.full_read();
    const std::string live = settle(*source, truth, model_of, kSettle);
    ASSERT_EQ(live, "") << "live view differs after batch " << batch << "\n" << history;
    EXPECT_EQ(source->full_reads(), full_reads) << "polling alone must converge";
    ++stats.batches;
    stats.users_compared += truth.users.size();
    if (batch % 3 == 0) {  // the daemon stops, the directory changes, it resumes from its state
      auto state = source->resume_state();
      ASSERT_TRUE(state.has_value());
      source.reset();
      history +=
          fmt::format("while stopped after batch {}:\n", batch) + world.random_changes(stats);
      source = world.incremental_source();
      source->restore_state(*state);
      truth = world.full_read();
      const std::string resumed = settle(*source, truth, model_of, kSettle);
      ASSERT_EQ(resumed, "") << "resumed view differs after batch " << batch << "\n" << history;
      EXPECT_EQ(source->full_reads(), 0u) << "a restart resumes without a full read";
      full_reads = 0;
      ++stats.restarts;
      stats.users_compared += truth.users.size();
    }
  }
  ++stats.seeds;
}

TEST(AdEquivalenceTest, RandomChangeSequencesKeepThePolledViewEqualToAFullReadAcrossRestarts) {
  SambaDc& dc = SambaDc::shared();
  const int seeds = env_int("TG_SEEDS", 2);
  const int batches = env_int("TG_SEED_STEPS", 6);
  const int first = env_int("TG_FIRST_SEED", 1);
  Stats stats;
  for (int seed = first; seed < first + seeds; ++seed) {
    run_seed(dc, static_cast<std::uint64_t>(seed), batches, stats);
    if (HasFatalFailure()) break;
  }
  std::cout << fmt::format(
      "[ad-equivalence] {} seeds, {} batches, {} restarts, {} changes, {} user views compared\n",
      stats.seeds, stats.batches, stats.restarts, stats.changes, stats.users_compared);
}

}  // namespace
}  // namespace trustgate
