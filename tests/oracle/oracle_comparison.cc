#include "tests/oracle/oracle_comparison.h"

#include <algorithm>
#include <random>
#include <set>

#include "mapping/decision.h"
#include "mapping/user_key.h"
#include "tests/oracle/directory_render.h"
#include "tests/oracle/login_oracle.h"

namespace trustgate::oracle {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + "]";
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::string status_text(UserLookup::Status s) {
  switch (s) {
    case UserLookup::Status::Found:
      return "found";
    case UserLookup::Status::Unknown:
      return "unknown";
    case UserLookup::Status::Ambiguous:
      return "ambiguous";
  }
  return "?";
}

std::string status_text(Lookup::Status s) {
  switch (s) {
    case Lookup::Status::Found:
      return "found";
    case Lookup::Status::Unknown:
      return "unknown";
    case Lookup::Status::Ambiguous:
      return "ambiguous";
  }
  return "?";
}

// The user's grants in the oracle's notation: "<kind> <target> by <rule>".
std::vector<std::string> grants_of(const User& user) {
  std::vector<std::string> out;
  for (const auto& g : user.roles) out.push_back("role " + g.role + " by " + g.via->rule);
  for (const auto& a : user.associations) {
    switch (a.kind) {
      case AssociationKind::Institution:
        out.push_back("institution " + a.target + " by " + a.via->rule);
        break;
      case AssociationKind::Cluster:
        out.push_back("cluster " + a.target + " by " + a.via->rule);
        break;
      case AssociationKind::All:
        out.push_back("all by " + a.via->rule);
        break;
    }
  }
  return sorted_unique(std::move(out));
}

class Comparer {
 public:
  Comparer(const DirectoryModel& model, const ServingSnapshot& served, ComparisonStats& stats)
      : model_(model),
        served_(served),
        oracle_(model),
        stats_(stats),
        rng_(model.seed ^ 0xc0ffeeULL) {}

  std::optional<Difference> run() {
    for (std::size_t p : oracle_.users()) {
      ++stats_.users;
      if (auto d = user(p)) return d;
    }
    return names_of_nobody();
  }

 private:
  std::string who(const std::string& key, std::size_t person) const {
    return person == kNone ? key : key + " (dn: " + own_dn(model_.people[person].dn) + ")";
  }

  // The lookup of `text` (as the API reads it) against the oracle's of `query`.
  std::optional<Difference> lookup(const std::string& text, const Query& query,
                                   std::size_t person) {
    ++stats_.lookups;
    const UserLookup got = served_.lookup(parse_user_key(text));
    const Lookup want = oracle_.lookup(query);
    std::string got_text = status_text(got.status), want_text = status_text(want.status);
    if (got.user) got_text += " " + got.user->id;
    if (want.person != kNone) want_text += " " + model_.people[want.person].uuid;
    if (got_text != want_text) return Difference{who(text, person), "lookup", got_text, want_text};
    return std::nullopt;
  }

  std::optional<Difference> decision(const std::string& text, const Query& query,
                                     const std::string& institution, std::size_t person) {
    ++stats_.decisions;
    const Decision got = served_.decide(parse_user_key(text), institution);
    const std::string want = oracle_.reason(query, institution);
    ++stats_.reasons[want];
    if (got.reason != want || got.allowed != (want == "granted")) {
      return Difference{who(text, person), "decision at " + institution,
                        got.reason + (got.allowed ? " (allowed)" : ""), want};
    }
    return std::nullopt;
  }

  std::optional<Difference> same(const std::string& who_text, const std::string& what,
                                 const std::vector<std::string>& got,
                                 const std::vector<std::string>& want) {
    if (got == want) return std::nullopt;
    return Difference{who_text, what, join(got), join(want)};
  }

  std::optional<Difference> user(std::size_t p) {
    const Person& person = model_.people[p];
    const std::string id_text = id_key(person.uuid);
    const Query by_id{Query::Kind::Id, person.uuid};
    if (auto d = lookup(id_text, by_id, p)) return d;
    const User* u = served_.lookup(parse_user_key(id_text)).user;
    const Expected want = oracle_.expected(p);
    const std::string w = who(id_text, p);
    if (u->enabled != want.enabled) {
      return Difference{w, "enabled", u->enabled ? "true" : "false",
                        want.enabled ? "true" : "false"};
    }
    std::vector<std::string> roles;
    for (const auto& g : u->roles) roles.push_back(g.role);
    if (auto d = same(w, "business roles", sorted_unique(roles), want.roles)) return d;
    if (auto d = same(w, "permissions", permissions_of(served_.model(), *u), want.permissions))
      return d;
    if (auto d = same(w, "grants", grants_of(*u), want.grants)) return d;
    if (auto d = same(w, "drop-down", loginable_institutions(served_.model(), *u), want.loginable))
      return d;

    const std::string name_text = spell_username(person.username_key, rng_());
    const Query by_name{Query::Kind::Username, person.username_key};
    if (auto d = lookup(name_text, by_name, p)) return d;

    // Schools to ask about: some of the drop-down, some of all, one that does not exist.
    std::vector<std::string> schools;
    for (std::size_t i = 0; i < want.loginable.size() && i < 2; ++i) {
      schools.push_back(want.loginable[rng_() % want.loginable.size()]);
    }
    const std::vector<std::string> all(oracle_.institutions().begin(),
                                       oracle_.institutions().end());
    for (int i = 0; i < 2 && !all.empty(); ++i) schools.push_back(all[rng_() % all.size()]);
    schools.push_back("999999");
    for (const auto& school : schools) {
      if (auto d = decision(id_text, by_id, school, p)) return d;
      if (auto d = decision(name_text, by_name, school, p)) return d;
    }
    return std::nullopt;
  }

  // Names that should find nobody, or someone else: persons the source does not read (leavers,
  // outside the base, no uid) by id and by username, ids that are nobody's, "id:" before a
  // username.
  std::optional<Difference> names_of_nobody() {
    const std::string school =
        oracle_.institutions().empty() ? "100000" : *oracle_.institutions().begin();
    for (std::size_t p = 0; p < model_.people.size(); ++p) {
      const Person& person = model_.people[p];
      std::vector<std::pair<std::string, Query>> names;
      if (!oracle_.is_user(p)) {
        names.push_back({id_key(person.uuid), {Query::Kind::Id, person.uuid}});
        if (!person.username_key.empty()) {
          names.push_back({spell_username(person.username_key, rng_()),
                           {Query::Kind::Username, person.username_key}});
        }
      }
      if (p % 7 == 0 && !person.uid.empty()) {
        names.push_back({id_key(person.uid), {Query::Kind::Id, person.uid}});
      }
      for (const auto& [text, query] : names) {
        if (auto d = lookup(text, query, p)) return d;
        if (auto d = decision(text, query, school, p)) return d;
      }
    }
    for (const std::string text : {"ghost.nobody", "id:00000000-0000-4000-8000-000000000000"}) {
      const Query query = text.starts_with("id:") ? Query{Query::Kind::Id, text.substr(3)}
                                                  : Query{Query::Kind::Username, text};
      if (auto d = lookup(text, query, kNone)) return d;
      if (auto d = decision(text, query, school, kNone)) return d;
    }
    return std::nullopt;
  }

  const DirectoryModel& model_;
  const ServingSnapshot& served_;
  LoginOracle oracle_;
  ComparisonStats& stats_;
  std::mt19937_64 rng_;
};

}  // namespace

std::optional<Difference> compare_with_oracle(const DirectoryModel& model,
                                              const ServingSnapshot& served,
                                              ComparisonStats& stats) {
  return Comparer(model, served, stats).run();
}

std::string to_string(const Difference& d) {
  return "first difference: user " + d.who + "\n  " + d.what + "\n    trustgate: " + d.trustgate +
         "\n    oracle:    " + d.oracle;
}

}  // namespace trustgate::oracle
