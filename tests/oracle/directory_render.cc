#include "tests/oracle/directory_render.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include "tests/oracle/letter_case.h"

namespace trustgate::oracle {
namespace {

using Rng = std::mt19937_64;

bool chance(Rng& rng, double p) { return static_cast<double>(rng() >> 11) * 0x1.0p-53 < p; }

bool is_special(const std::string& cp) {
  return cp.size() == 1 && std::string_view("\"+,;<>\\=").find(cp[0]) != std::string_view::npos;
}

std::string hex_escaped(const std::string& bytes, bool lower_hex) {
  static const char* upper_digits = "0123456789ABCDEF";
  static const char* lower_digits = "0123456789abcdef";
  const char* digits = lower_hex ? lower_digits : upper_digits;
  std::string out;
  for (unsigned char c : bytes) {
    out += '\\';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string escape_value(const std::string& value) {
  std::string out;
  const auto cps = code_points(value);
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const std::string& cp = cps[i];
    const bool edge_space = cp == " " && (i == 0 || i + 1 == cps.size());
    if (is_special(cp) || edge_space || (i == 0 && cp == "#")) out += '\\';
    out += cp;
  }
  return out;
}

std::string type_variant(Rng& rng, const std::string& type) {
  switch (rng() % 3) {
    case 0:
      return type;
    case 1: {
      std::string t;
      for (const auto& cp : code_points(type)) t += upper(cp);
      return t;
    }
    default:
      return upper(type.substr(0, 1)) + type.substr(1);
  }
}

// One value in an equivalent spelling; `unicode` adds the RFC 4518 equivalences beyond case
// and escapes: fullwidth digits (NFKC), no-break spaces (mapped to SPACE), soft hyphens (mapped
// to nothing), escaped leading and trailing spaces (insignificant).
std::string value_variant(Rng& rng, const std::string& value, bool unicode) {
  const auto cps = code_points(value);
  const int case_mode = static_cast<int>(rng() % 4);  // keep, upper, lower, mixed
  auto recase = [&](const std::string& cp) {
    switch (case_mode) {
      case 1:
        return upper(cp);
      case 2:
        return lower(cp);
      case 3:
        return chance(rng, 0.5) ? upper(cp) : lower(cp);
      default:
        return cp;
    }
  };
  const bool quotable = value.find_first_of("\"\\") == std::string::npos && !value.empty() &&
                        value.front() != '#' && value.front() != ' ' && value.back() != ' ';
  if (quotable && chance(rng, 0.12)) {
    std::string out = "\"";
    for (const auto& cp : cps) out += recase(cp);
    return out + "\"";
  }
  std::string out;
  if (unicode && chance(rng, 0.05)) out += chance(rng, 0.5) ? "\\ " : "\\20";
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const std::string& cp = cps[i];
    if (unicode && cp.size() == 1 && cp[0] >= '0' && cp[0] <= '9' && chance(rng, 0.05)) {
      out += "\xEF\xBC";  // FULLWIDTH DIGIT ZERO is U+FF10: EF BC 90
      out += static_cast<char>(0x90 + (cp[0] - '0'));
      continue;
    }
    if (unicode && cp == " " && chance(rng, 0.08)) {
      out += "\xC2\xA0";  // NO-BREAK SPACE
      continue;
    }
    if (is_special(cp) || (i == 0 && cp == "#")) {
      out += chance(rng, 0.5) ? "\\" + cp : hex_escaped(cp, chance(rng, 0.5));
      continue;
    }
    if (cp == " ") {
      out += chance(rng, 0.1) ? "  " : " ";
      continue;
    }
    std::string written = recase(cp);
    if (const std::string nfd = decomposed(written); !nfd.empty() && chance(rng, 0.3)) {
      written = nfd;
    }
    if (chance(rng, 0.05)) written = hex_escaped(written, chance(rng, 0.5));
    out += written;
    if (unicode && chance(rng, 0.02)) out += "\xC2\xAD";  // SOFT HYPHEN
  }
  if (unicode && chance(rng, 0.05)) out += chance(rng, 0.5) ? "\\ " : "\\20";
  return out;
}

// A TOML basic string.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string toml_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += table[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v =
        static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// RFC 2849 SAFE-STRING: written as is; anything else is base64.
bool ldif_safe(const std::string& v) {
  if (v.empty()) return true;
  if (v.front() == ' ' || v.front() == ':' || v.front() == '<' || v.back() == ' ') return false;
  for (unsigned char c : v) {
    if (c == 0 || c == '\n' || c == '\r' || c >= 0x80) return false;
  }
  return true;
}

class LdifWriter {
 public:
  explicit LdifWriter(std::uint64_t seed) : rng_(seed) {}

  // One attribute line, base64 when needed (and now and then when not), folded at 76 columns.
  void line(const std::string& attr, const std::string& value) {
    std::string text = ldif_safe(value) && !chance(rng_, 0.05) ? attr + ": " + value
                                                               : attr + ":: " + base64(value);
    while (text.size() > 76) {
      out_ += text.substr(0, 76) + "\n";
      text = " " + text.substr(76);
    }
    out_ += text + "\n";
  }
  void end() { out_ += "\n"; }
  Rng& rng() { return rng_; }
  std::string take() { return std::move(out_); }

 private:
  Rng rng_;
  std::string out_;  // no "version: 1": slapadd refuses it
};

std::string ref_text(const DirectoryModel& m, const MemberRef& ref) {
  switch (ref.kind) {
    case MemberRef::Kind::Person:
      return spell_dn(m.people[ref.index].dn, ref.spelling);
    case MemberRef::Kind::Group:
      return spell_dn(m.groups[ref.index].dn, ref.spelling);
    case MemberRef::Kind::Nobody:
      return spell_dn(ref.nobody, ref.spelling);
  }
  return {};
}

std::string render_ldif(const DirectoryModel& m) {
  LdifWriter w(m.seed ^ 0x1d1fULL);
  w.line("dn", own_dn(m.suffix));
  for (const char* oc : {"top", "dcObject", "organization"}) w.line("objectClass", oc);
  w.line("dc", m.suffix.rdns.front().front().value);
  w.line("o", "Local Authority");
  w.end();
  for (const Dn& ou : m.containers) {
    w.line("dn", own_dn(ou));
    w.line("objectClass", "organizationalUnit");
    w.line("ou", ou.rdns.front().front().value);
    w.end();
  }
  for (const Person& p : m.people) {
    w.line("dn", own_dn(p.dn));
    for (const char* oc : {"top", "person", "organizationalPerson", "inetOrgPerson"}) {
      w.line("objectClass", oc);
    }
    w.line("cn", p.display_name);
    w.line("sn", p.display_name);
    if (!p.uid.empty()) w.line("uid", p.uid);
    for (const auto& t : p.employee_types) w.line("employeeType", t);
    w.line("entryUUID", p.uuid);
    w.end();
  }
  for (std::size_t g = 0; g < m.groups.size(); ++g) {
    const Group& group = m.groups[g];
    w.line("dn", own_dn(group.dn));
    switch (group.shape) {
      case Group::Shape::Names:
        w.line("objectClass", "groupOfNames");
        break;
      case Group::Shape::UniqueNames:
        w.line("objectClass", "groupOfUniqueNames");
        break;
      case Group::Shape::Posix:
        w.line("objectClass", "posixGroup");
        break;
    }
    w.line("cn", group.dn.rdns.front().front().value);
    if (!group.description.empty()) w.line("description", group.description);
    if (group.shape == Group::Shape::Posix) w.line("gidNumber", std::to_string(10000 + g));
    for (const auto& ref : group.members) {
      if (group.shape == Group::Shape::UniqueNames) {
        // nameAndOptionalUID: the optional bit string is not part of the name.
        w.line("uniqueMember", ref_text(m, ref) + (chance(w.rng(), 0.3) ? "#'0101'B" : ""));
      } else {
        w.line("member", ref_text(m, ref));
      }
    }
    for (const auto& uid : group.member_uids) w.line("memberUid", m.people[uid.person].uid);
    w.line("entryUUID", group.uuid);
    w.end();
  }
  return w.take();
}

std::string render_main_toml(const DirectoryModel& m, const SourceSpec& source) {
  std::string t =
      "# Rendered by the oracle tests from seed " + std::to_string(m.seed) +
      ".\n[daemon]\ndatabase = \"trustgate.db\"\nlog_level = \"warn\"\n\n[[source]]\nname = " +
      toml_string(m.source_name) + "\ntype = " + toml_string(source.type) + "\n";
  if (source.type == "ldif") {
    t += "path = " + toml_string(source.ldif_path) + "\n";
  } else {
    t += "url = " + toml_string(source.url) + "\n";
    t += std::string("incremental = ") + (source.incremental ? "true" : "false") + "\n";
    t += "timeout = 20\n";
  }
  Rng rng(m.seed ^ 0xf117e5ULL);
  const std::string leaver = chance(rng, 0.5) ? "leaver" : "LEAVER";
  t += "[source.users]\nbase = " + toml_string(spell_base_dn(m.users_base, m.users_base_spelling)) +
       "\nfilter = " +
       toml_string("(&(objectClass=inetOrgPerson)(!(employeeType=" + leaver + ")))") +
       "\ndisabled_attr = \"employeeType\"\ndisabled_values = " + toml_array(m.disabled_values) +
       "\n";
  // An ldap source needs a base: slapd answers a subtree search of "" with noSuchObject.
  t +=
      "[source.groups]\nbase = " + toml_string(spell_base_dn(m.suffix, m.users_base_spelling + 1)) +
      "\n";
  return t;
}

std::string render_targets(const Targets& targets) {
  std::string t;
  if (!targets.roles.empty()) t += "roles = " + toml_array(targets.roles) + "\n";
  if (!targets.institutions.empty())
    t += "institutions = " + toml_array(targets.institutions) + "\n";
  if (!targets.clusters.empty()) t += "clusters = " + toml_array(targets.clusters) + "\n";
  if (targets.all_institutions) t += "all_institutions = true\n";
  return t;
}

std::string upper_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

std::string render_mapping_toml(const DirectoryModel& m) {
  std::string t =
      "# Mapping rendered by the oracle tests from seed " + std::to_string(m.seed) + ".\n";
  for (const auto& p : m.permissions) {
    t += "\n[[permission]]\nid = " + toml_string(p) + "\n";
  }
  for (const auto& r : m.roles) {
    t += "\n[[role]]\nid = " + toml_string(r.id) + "\nname = " + toml_string(r.name) +
         "\npermissions = " + toml_array(r.permissions) + "\n";
  }
  for (const auto& i : m.institutions) {
    t += "\n[[institution]]\nid = " + toml_string(i.id) + "\nname = " + toml_string(i.name) +
         "\nmis_url = " + toml_string("https://mis.la.example/schools/" + i.id + "/") + "\n";
  }
  for (const auto& c : m.clusters) {
    t += "\n[[cluster]]\nid = " + toml_string(c.id) + "\nname = " + toml_string(c.name) +
         "\ninstitutions = " + toml_array(c.institutions) + "\n";
  }
  for (const auto& r : m.institution_rules) {
    t += "\n[[institution_rule]]\nid = " + toml_string(r.id) +
         "\ngroup_pattern = " + toml_string(r.pattern) +
         "\ninstitution_id = \"$1\"\nname = \"{description}\"\n";
  }
  for (const auto& r : m.rules) {
    t += "\n[[rule]]\nid = " + toml_string(r.id) + "\n";
    switch (r.by) {
      case Rule::By::Dn:
        t += "group_dn = " +
             toml_string(
                 spell_dn(r.group == kNone ? r.missing_dn : m.groups[r.group].dn, r.spelling)) +
             "\n";
        break;
      case Rule::By::Id: {
        const std::string id = r.group == kNone ? r.missing_id : m.groups[r.group].uuid;
        t += "group_id = " + toml_string(r.spelling % 2 ? upper_ascii(id) : id) + "\n";
        break;
      }
      case Rule::By::Pattern:
        t += "group_pattern = " + toml_string(r.pattern) + "\n";
        break;
    }
    if (r.with_source) t += "source = " + toml_string(m.source_name) + "\n";
    t += render_targets(r.targets);
  }
  return t;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

std::string own_dn(const Dn& dn) {
  std::string out;
  for (std::size_t r = 0; r < dn.rdns.size(); ++r) {
    if (r > 0) out += ',';
    for (std::size_t a = 0; a < dn.rdns[r].size(); ++a) {
      if (a > 0) out += '+';
      out += dn.rdns[r][a].type + "=" + escape_value(dn.rdns[r][a].value);
    }
  }
  return out;
}

namespace {

std::string spell(const Dn& dn, std::uint64_t seed, bool unicode) {
  Rng rng(seed);
  std::string out;
  for (std::size_t r = 0; r < dn.rdns.size(); ++r) {
    if (r > 0) out += chance(rng, 0.1) ? " , " : chance(rng, 0.1) ? ", " : ",";
    Rdn rdn = dn.rdns[r];
    std::shuffle(rdn.begin(), rdn.end(), rng);
    for (std::size_t a = 0; a < rdn.size(); ++a) {
      if (a > 0) out += '+';
      out += type_variant(rng, rdn[a].type);
      out += chance(rng, 0.1) ? " = " : "=";
      // dc is an IA5String: no non-ASCII spelling of it is valid.
      out += value_variant(rng, rdn[a].value, unicode && rdn[a].type != "dc");
    }
  }
  return out;
}

}  // namespace

std::string spell_dn(const Dn& dn, std::uint64_t seed) { return spell(dn, seed, true); }
std::string spell_base_dn(const Dn& dn, std::uint64_t seed) { return spell(dn, seed, false); }

std::string spell_username(const std::string& username_key, std::uint64_t seed) {
  Rng rng(seed);
  std::string out;
  const bool all_upper = chance(rng, 0.3);
  for (const auto& cp : code_points(username_key)) {
    out += all_upper || chance(rng, 0.3) ? upper(cp) : cp;
  }
  return out;
}

RenderedDirectory render_directory(const DirectoryModel& model, const SourceSpec& source) {
  return {render_ldif(model), render_main_toml(model, source), render_mapping_toml(model)};
}

std::string write_rendered(const std::string& dir, const RenderedDirectory& rendered) {
  namespace fs = std::filesystem;
  const fs::path main = fs::path(dir) / "trustgate.toml";
  write_file(fs::path(dir) / "directory.ldif", rendered.ldif);
  write_file(main, rendered.main_toml);
  write_file(fs::path(dir) / "trustgate.toml.d" / "50-mapping.toml", rendered.mapping_toml);
  return main.string();
}

}  // namespace trustgate::oracle
