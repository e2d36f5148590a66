#include "tests/oracle/directory_generator.h"

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>

#include "tests/oracle/letter_case.h"

namespace trustgate::oracle {
namespace {

using Rng = std::mt19937_64;

int uniform(Rng& rng, int lo, int hi) {
  return lo + static_cast<int>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}
bool chance(Rng& rng, double p) { return static_cast<double>(rng() >> 11) * 0x1.0p-53 < p; }
template <class T>
const T& pick(Rng& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

std::string uuid(Rng& rng) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    int nibble = static_cast<int>(rng() % 16);
    if (i == 12) nibble = 4;                 // version 4
    if (i == 16) nibble = 8 | (nibble & 3);  // RFC 4122 variant
    out += hex[nibble];
    if (i == 7 || i == 11 || i == 15 || i == 19) out += '-';
  }
  return out;
}

Dn child(Rdn rdn, const Dn& parent) {
  Dn dn;
  dn.rdns.push_back(std::move(rdn));
  dn.rdns.insert(dn.rdns.end(), parent.rdns.begin(), parent.rdns.end());
  return dn;
}
Dn child(const std::string& type, const std::string& value, const Dn& parent) {
  return child(Rdn{{type, value}}, parent);
}

// A case variant of `text`: each letter upper- or lower-cased at random.
std::string case_variant(Rng& rng, const std::string& text) {
  std::string out;
  for (const auto& cp : code_points(text)) out += chance(rng, 0.5) ? upper(cp) : lower(cp);
  return out;
}

// Guards the generator's own promise that no two entries have equivalent DNs: a crude key
// (letters lower-cased, ß as ss, spaces squeezed) that equivalent DNs of this generator share.
std::string crude_key(const Dn& dn) {
  std::string key;
  for (const auto& rdn : dn.rdns) {
    std::vector<std::string> avas;
    for (const auto& ava : rdn) {
      std::string v;
      for (const auto& cp : code_points(ava.value)) {
        const std::string l = cp == "\xC3\x9F" ? "ss" : lower(cp);
        if (l == " " && !v.empty() && v.back() == ' ') continue;
        v += l;
      }
      avas.push_back(ava.type + "=" + v);
    }
    std::sort(avas.begin(), avas.end());
    for (const auto& a : avas) key += a + "+";
    key += ",";
  }
  return key;
}

const std::vector<std::string> kFirst = {"anna",
                                         "\xC5\xBC"
                                         "aneta",
                                         "\xC5\x82ukasz",
                                         "j\xC3\xB3zef",
                                         "ren\xC3\xA9"
                                         "e",
                                         "piotr",
                                         "ma\xC5\x82gorzata",
                                         "s\xC3\xA9"
                                         "bastien",
                                         "tom",
                                         "aisha",
                                         "priya",
                                         "lee",
                                         "sam",
                                         "mary",
                                         "\xC5\x9Bwiatos\xC5\x82"
                                         "aw"};
const std::vector<std::string> kLast = {"nowak",
                                        "w\xC3\xB3jcik",
                                        "strau\xC3\x9F",
                                        "khan",
                                        "kowalski",
                                        "\xC5\x9Bliwa",
                                        "smith",
                                        "baker",
                                        "patel",
                                        "jones",
                                        "\xC5\x82uczak",
                                        "\xC5\xBC"
                                        "ak",
                                        "b\xC3\xA9ranger",
                                        "gro\xC3\x9F"};
const std::vector<std::string> kClusterIds = {"primaries", "secondaries", "north",
                                              "south",     "special",     "east"};
const std::vector<std::string> kRoleIds = {"mat-staff",        "teacher",    "headteacher",
                                           "business-manager", "central-it", "visitor"};
const std::vector<std::string> kPermissions = {"mis.reports.view", "mis.finance.manage",
                                               "mis.users.manage"};
const std::vector<std::string> kSchoolNames = {"Ashgrove Primary School",
                                               "Szko\xC5\x82"
                                               "a Podstawowa nr 3",
                                               "\xC5\xBBurawia Academy",
                                               "Linden Lodge",
                                               "\xC3\x89"
                                               "cole Saint-Jean",
                                               "Brookside Infant School"};

// A team's cn: realistic names with the characters DNs must escape, and non-ASCII ones.
std::string team_name(Rng& rng, int k) {
  const std::string n = std::to_string(k);
  switch (uniform(rng, 0, 9)) {
    case 0:
      return "Kadra, \xC5\xBColiborz " + n;
    case 1:
      return "Maths+Science " + n;
    case 2:
      return "O\"Hara's Crew " + n;
    case 3:
      return "back\\slash " + n;
    case 4:
      return "Stra\xC3\x9F"
             "e " +
             n;
    case 5:
      return "\xC3\x89quipe \xC3\x89t\xC3\xA9 " + n;
    case 6:
      return "#" + n + " hash team";
    case 7:
      return "Ops; Night <" + n + ">";
    case 8:
      return "Year  Leads " + n;  // two inner spaces: insignificant (RFC 4518)
    default:
      return "Team " + n;
  }
}

// A person's cn, unique through `serial`.
std::string display_name(Rng& rng, const std::string& first, const std::string& last, int serial) {
  const std::string f = capitalised(first), l = capitalised(last), n = std::to_string(serial);
  const int form = uniform(rng, 0, 19);
  switch (form) {
    case 0:
    case 1:
    case 2:
      return l + ", " + f + " " + n;
    case 3:
      return f + " \"Zee\" " + l + " " + n;
    case 4:
      return l + "+" + f + " " + n;
    case 5:
      return f + " " + l + "\\Admin " + n;
    case 6:
      return "#" + n + " " + f + " " + l;
    case 7:
      return f + " " + l + "; Ops <" + n + ">";
    default:
      return f + " " + l + " " + n;
  }
}

class Generator {
 public:
  Generator(std::uint64_t seed, const GeneratorOptions& options) : rng_(seed), options_(options) {
    m_.seed = seed;
  }

  DirectoryModel run() {
    containers();
    catalogue();
    people();
    groups();
    memberships();
    rules();
    return std::move(m_);
  }

 private:
  void containers() {
    m_.suffix.rdns = {{{"dc", "la"}}, {{"dc", "example"}}};
    people_ = child("ou", "people", m_.suffix);
    groups_ = child("ou", "groups", m_.suffix);
    external_ = child("ou", "external", m_.suffix);
    person_ous_ = {people_, child("ou", "teachers", people_),
                   child("ou", "\xC5\xBBoliborz", people_), child("ou", "Support Staff", people_)};
    schools_ = child("ou", "schools", groups_);
    clusters_ = child("ou", "clusters", groups_);
    roles_ = child("ou", "roles", groups_);
    institutions_ = child("ou", "institutions", groups_);
    teams_ = child("ou", "teams", groups_);
    archive_ = child("ou", "archive", groups_);
    m_.containers = {people_};
    for (std::size_t i = 1; i < person_ous_.size(); ++i) m_.containers.push_back(person_ous_[i]);
    for (const Dn& d :
         {external_, groups_, schools_, clusters_, roles_, institutions_, teams_, archive_}) {
      m_.containers.push_back(d);
    }
    m_.users_base = people_;
    m_.users_base_spelling = rng_();
    m_.disabled_values = {"disabled", "TRUE"};
    if (chance(rng_, 0.5)) m_.disabled_values.push_back("inactive");
  }

  void catalogue() {
    m_.permissions = kPermissions;
    for (const auto& id : kRoleIds) {
      RoleDef r{id, capitalised(id) + " role", {}};
      if (id == "mat-staff" || chance(rng_, 0.35)) r.permissions.push_back(kLoginPermission);
      for (const auto& p : kPermissions) {
        if (chance(rng_, 0.3)) r.permissions.push_back(p);
      }
      m_.roles.push_back(r);
    }
    const int schools = uniform(rng_, options_.min_schools, options_.max_schools);
    std::set<int> urns;
    while (static_cast<int>(urns.size()) < schools) urns.insert(uniform(rng_, 100000, 149999));
    for (int urn : urns) {
      m_.institutions.push_back(
          {std::to_string(urn), pick(rng_, kSchoolNames) + " " + std::to_string(urn)});
    }
    std::vector<std::string> ids = kClusterIds;
    std::shuffle(ids.begin(), ids.end(), rng_);
    ids.resize(uniform(rng_, 1, 4));
    for (const auto& id : ids) {
      ClusterDef c{id, capitalised(id), {}};
      for (const auto& inst : m_.institutions) {
        if (chance(rng_, 0.3)) c.institutions.push_back(inst.id);
      }
      if (c.institutions.empty()) c.institutions.push_back(pick(rng_, m_.institutions).id);
      m_.clusters.push_back(c);
    }
    for (int i = 0; i < 3; ++i)
      undeclared_urns_.push_back(std::to_string(150000 + i * 7 + uniform(rng_, 0, 6)));
  }

  void people() {
    const int n = uniform(rng_, options_.min_people, options_.max_people);
    std::set<std::string> keys_with_uid_rdn;
    for (int i = 0; i < n; ++i) {
      Person p;
      p.uuid = uuid(rng_);
      const std::string first = pick(rng_, kFirst), last = pick(rng_, kLast);
      const int serial = i + 1;
      bool copy_spelling = false;
      if (i > 0 && chance(rng_, 0.07)) {
        p.username_key = m_.people[rng_() % m_.people.size()].username_key;  // a shared username
      } else if (i > 0 && chance(rng_, 0.03)) {
        p.username_key = m_.people[rng_() % m_.people.size()].uuid;  // spells another's id
        copy_spelling = true;
      } else {
        p.username_key = first + "." + last + std::to_string(serial);
      }
      if (!copy_spelling && p.username_key.find('.') == std::string::npos) copy_spelling = true;
      p.uid =
          copy_spelling || chance(rng_, 0.6) ? p.username_key : case_variant(rng_, p.username_key);
      if (chance(rng_, 0.02)) p.uid.clear();  // no uid: malformed, skipped by the source
      p.display_name = display_name(rng_, first, last, serial);
      p.leaver = chance(rng_, 0.08);
      p.disabled = chance(rng_, 0.1);
      if (p.disabled)
        p.employee_types.push_back(case_variant(rng_, pick(rng_, m_.disabled_values)));
      if (p.leaver) {
        // The filter's equality match ignores case and insignificant (edge) spaces.
        std::string value = case_variant(rng_, "leaver");
        if (chance(rng_, 0.2)) value = chance(rng_, 0.5) ? " " + value : value + "  ";
        p.employee_types.push_back(value);
      }
      if (chance(rng_, 0.06))
        p.employee_types.push_back(chance(rng_, 0.5) ? "leaver-pending" : "contractor");
      std::shuffle(p.employee_types.begin(), p.employee_types.end(), rng_);
      p.outside_base = chance(rng_, 0.04);
      const Dn& ou = p.outside_base ? external_ : pick(rng_, person_ous_);
      const bool first_holder = !keys_with_uid_rdn.contains(p.username_key);
      Rdn rdn;
      if (!p.uid.empty() && first_holder && chance(rng_, 0.4)) {
        rdn = {{"uid", p.uid}};
        keys_with_uid_rdn.insert(p.username_key);
      } else if (!p.uid.empty() && chance(rng_, 0.25)) {
        rdn = {{"cn", p.display_name}, {"uid", p.uid}};
      } else {
        rdn = {{"cn", p.display_name}};
      }
      p.dn = child(rdn, ou);
      claim(p.dn);
      m_.people.push_back(std::move(p));
    }
  }

  std::size_t add_group(Group g) {
    claim(g.dn);
    g.uuid = uuid(rng_);
    m_.groups.push_back(std::move(g));
    return m_.groups.size() - 1;
  }

  Group group(const std::string& cn, const Dn& ou, Family family = Family::None,
              std::string capture = {}) {
    Group g;
    g.dn = child("cn", cn, ou);
    g.family = family;
    g.capture = std::move(capture);
    const int shape = uniform(rng_, 0, 9);
    g.shape = shape < 7   ? Group::Shape::Names
              : shape < 9 ? Group::Shape::UniqueNames
                          : Group::Shape::Posix;
    return g;
  }

  void groups() {
    for (const auto& inst : m_.institutions) {
      if (chance(rng_, 0.85))
        add_group(group("Staff-" + inst.id, schools_, Family::Staff, inst.id));
      if (chance(rng_, 0.1)) add_group(group("Staff-" + inst.id + "-old", schools_));  // decoys
      if (chance(rng_, 0.1)) add_group(group("Staff-" + inst.id, archive_));
    }
    for (const auto& urn : undeclared_urns_) {
      if (chance(rng_, 0.5)) add_group(group("Staff-" + urn, schools_, Family::Staff, urn));
    }
    if (chance(rng_, 0.3))
      add_group(group("Staff-X" + std::to_string(uniform(rng_, 1, 99)), schools_));
    if (chance(rng_, 0.4)) {
      m_.institution_rules.push_back(
          {"directory-schools", Family::SchoolDef,
           R"(cn=School-(\d+),ou=institutions,ou=groups,dc=la,dc=example)"});
      for (const auto& urn : undeclared_urns_) {
        if (!chance(rng_, 0.6)) continue;
        Group g = group("School-" + urn, institutions_, Family::SchoolDef, urn);
        g.description = "Directory school " + urn;
        add_group(std::move(g));
      }
      if (chance(rng_, 0.5)) {
        const auto& inst = pick(rng_, m_.institutions);
        Group g = group("School-" + inst.id, institutions_, Family::SchoolDef, inst.id);
        g.description = inst.name;
        add_group(std::move(g));
      }
    }
    for (const auto& c : m_.clusters) {
      if (chance(rng_, 0.8)) add_group(group("Cluster-" + c.id, clusters_, Family::Cluster, c.id));
      if (chance(rng_, 0.1)) add_group(group("Cluster-" + c.id + " old", clusters_));
    }
    if (chance(rng_, 0.4)) add_group(group("Cluster-ghost", clusters_, Family::Cluster, "ghost"));
    for (const auto& r : kRoleIds) {
      if (!chance(rng_, 0.6)) continue;
      // Captures are case-sensitive role ids: an upper-case cn names no declared role.
      const std::string capture = chance(rng_, 0.15) ? case_variant(rng_, r) : r;
      add_group(group("Role-" + capture, roles_, Family::Role, capture));
      if (chance(rng_, 0.1)) add_group(group("Role-" + r, archive_));
    }
    if (chance(rng_, 0.3)) add_group(group("Role-ghost", roles_, Family::Role, "ghost"));
    mis_users_ = add_group(group("MIS-Users", roles_));
    central_ = add_group(group("LA Central Team", roles_));
    const int teams = uniform(rng_, 5, 30);
    for (int k = 1; k <= teams; ++k)
      teams_idx_.push_back(add_group(group(team_name(rng_, k), teams_)));
  }

  // A DN that names no entry: a ghost user, a group in no folder, or a real person's RDN under
  // a folder that holds nobody.
  Dn nobody() {
    switch (uniform(rng_, 0, 2)) {
      case 0:
        return child("uid", "ghost" + std::to_string(uniform(rng_, 1, 999)), people_);
      case 1:
        return child("cn", "Staff-" + pick(rng_, m_.institutions).id, child("ou", "old", groups_));
      default:
        return child(pick(rng_, m_.people).dn.rdns.front(), archive_);
    }
  }

  void memberships() {
    // memberUid only for ASCII usernames held by one person, written exactly as its uid.
    std::vector<int> holders_of(m_.people.size(), 0);
    for (std::size_t p = 0; p < m_.people.size(); ++p) {
      for (const auto& q : m_.people) holders_of[p] += q.username_key == m_.people[p].username_key;
    }
    for (std::size_t p = 0; p < m_.people.size(); ++p) {
      const int weights[] = {15, 35, 25, 15, 10};
      int roll = uniform(rng_, 0, 99), k = 0;
      while (roll >= weights[k]) roll -= weights[k++];
      for (int i = 0; i < k; ++i) {
        Group& g = m_.groups[rng_() % m_.groups.size()];
        if (g.shape == Group::Shape::Posix) {
          const Person& person = m_.people[p];
          if (!person.uid.empty() && holders_of[p] == 1 && is_ascii(person.uid)) {
            g.member_uids.push_back({p});
          }
          continue;
        }
        g.members.push_back({MemberRef::Kind::Person, p, {}, rng_()});
      }
    }
    for (std::size_t g = 0; g < m_.groups.size(); ++g) {
      Group& group = m_.groups[g];
      if (group.shape == Group::Shape::Posix) continue;
      if (chance(rng_, 0.4)) {
        const int n = uniform(rng_, 1, 3);
        for (int i = 0; i < n; ++i) {
          group.members.push_back({MemberRef::Kind::Group, rng_() % m_.groups.size(), {}, rng_()});
        }
      }
      if (chance(rng_, 0.03)) group.members.push_back({MemberRef::Kind::Group, g, {}, rng_()});
      if (chance(rng_, 0.15) || group.members.empty()) {
        group.members.push_back({MemberRef::Kind::Nobody, kNone, nobody(), rng_()});
      }
      std::shuffle(group.members.begin(), group.members.end(), rng_);
    }
  }

  Targets random_targets() {
    Targets t;
    for (const auto& r : m_.roles) {
      if (chance(rng_, 0.2)) t.roles.push_back(r.id);
    }
    for (const auto& i : m_.institutions) {
      if (chance(rng_, 0.08)) t.institutions.push_back(i.id);
    }
    for (const auto& c : m_.clusters) {
      if (chance(rng_, 0.2)) t.clusters.push_back(c.id);
    }
    t.all_institutions = chance(rng_, 0.05);
    if (t.roles.empty() && t.institutions.empty() && t.clusters.empty() && !t.all_institutions) {
      t.institutions.push_back(pick(rng_, m_.institutions).id);
    }
    return t;
  }

  Rule rule(std::string id, Rule::By by, Targets targets) {
    Rule r;
    r.id = std::move(id);
    r.by = by;
    r.targets = std::move(targets);
    r.spelling = rng_();
    r.with_source = chance(rng_, 0.3);
    return r;
  }

  void rules() {
    Targets staff;
    staff.institutions = {"$1"};
    if (chance(rng_, 0.5)) staff.roles = {"teacher"};
    Rule r = rule("school-staff", Rule::By::Pattern, staff);
    r.family = Family::Staff;
    r.pattern = R"(cn=Staff-(\d+),ou=schools,ou=groups,dc=la,dc=example)";
    m_.rules.push_back(r);

    Targets clusters;
    clusters.clusters = {"$1"};
    r = rule("clusters", Rule::By::Pattern, clusters);
    r.family = Family::Cluster;
    r.pattern = R"(cn=Cluster-(\w+),ou=clusters,ou=groups,dc=la,dc=example)";
    m_.rules.push_back(r);

    Targets roles;
    roles.roles = {"$1"};
    r = rule("roles-by-group", Rule::By::Pattern, roles);
    r.family = Family::Role;
    r.pattern = R"(cn=Role-([a-z0-9-]+),ou=roles,ou=groups,dc=la,dc=example)";
    m_.rules.push_back(r);

    Targets mis;
    mis.roles = {"mat-staff"};
    r = rule("mis-users", Rule::By::Dn, mis);
    r.group = mis_users_;
    m_.rules.push_back(r);

    Targets central;
    central.all_institutions = true;
    if (chance(rng_, 0.5)) central.roles = {"central-it"};
    r = rule("la-central", Rule::By::Id, central);
    r.group = central_;
    m_.rules.push_back(r);

    for (std::size_t t : teams_idx_) {
      if (!chance(rng_, 0.3)) continue;
      r = rule("team-" + std::to_string(t), chance(rng_, 0.5) ? Rule::By::Dn : Rule::By::Id,
               random_targets());
      r.group = t;
      m_.rules.push_back(r);
    }
    if (chance(rng_, 0.3)) {
      Targets t;
      t.roles = {"teacher"};
      r = rule("gone-by-dn", Rule::By::Dn, t);
      r.missing_dn = child("cn", "Disbanded Team", teams_);
      m_.rules.push_back(r);
    }
    if (chance(rng_, 0.3)) {
      Targets t;
      t.all_institutions = true;
      r = rule("gone-by-id", Rule::By::Id, t);
      r.missing_id = uuid(rng_);
      m_.rules.push_back(r);
    }
  }

  void claim(const Dn& dn) {
    if (!dns_.insert(crude_key(dn)).second) {
      throw std::logic_error("generator: two entries with one DN (seed " + std::to_string(m_.seed) +
                             ")");
    }
  }

  Rng rng_;
  GeneratorOptions options_;
  DirectoryModel m_;
  Dn people_, groups_, external_, schools_, clusters_, roles_, institutions_, teams_, archive_;
  std::vector<Dn> person_ous_;
  std::vector<std::string> undeclared_urns_;
  std::vector<std::size_t> teams_idx_;
  std::size_t mis_users_ = kNone, central_ = kNone;
  std::set<std::string> dns_;
};

}  // namespace

DirectoryModel generate_directory(std::uint64_t seed, const GeneratorOptions& options) {
  return Generator(seed, options).run();
}

}  // namespace trustgate::oracle
