#include "mapping/dn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "mapping/dn_internal.h"

namespace trustgate {
namespace {

TEST(NormalizeDn, LowercasesAndRemovesSpacesAroundSeparators) {
  EXPECT_EQ(normalize_dn("CN=Staff, OU=Groups"), "cn=staff,ou=groups");
  EXPECT_EQ(normalize_dn("  cn = Staff ,ou= Groups  "), "cn=staff,ou=groups");
  EXPECT_EQ(normalize_dn("CN=Staff, OU=Groups"), normalize_dn("cn=staff,ou=groups"));
  EXPECT_EQ(normalize_dn("cn=a + sn=B,dc=x"), "cn=a+sn=b,dc=x");
  EXPECT_EQ(normalize_dn("cn=a;dc=x"), "cn=a,dc=x");  // RFC 1779's ';'
}

// caseIgnoreMatch's insignificant space handling (RFC 4518 2.6.1).
TEST(NormalizeDn, CollapsesSpaceRunsInsideValuesAndDropsEdgeSpaces) {
  EXPECT_EQ(normalize_dn("CN=Primary  Staff,OU=Groups"), "cn=primary staff,ou=groups");
  EXPECT_EQ(normalize_dn("cn=\\20Primary\\20\\20Staff\\20,ou=g"), "cn=primary staff,ou=g");
  EXPECT_EQ(normalize_dn("cn=x\\ ,dc=y"), "cn=x,dc=y");
  EXPECT_EQ(normalize_dn("cn=a\tb,dc=y"), "cn=a b,dc=y");
}

TEST(NormalizeDn, EscapedSeparatorsAreNotSeparators) {
  EXPECT_EQ(normalize_dn("CN=Smith\\, John , OU=People"), "cn=smith\\, john,ou=people");
  EXPECT_NE(normalize_dn("cn=a\\,b"), normalize_dn("cn=a,b"));
  EXPECT_EQ(normalize_dn("cn=a\\+b"), "cn=a\\+b");
  EXPECT_NE(normalize_dn("cn=a\\+b"), normalize_dn("cn=a+b"));
}

TEST(NormalizeDn, EmptyStaysEmpty) {
  EXPECT_EQ(normalize_dn(""), "");
  EXPECT_EQ(normalize_dn("   "), "");
}

// Issue 14.3: slapd returns entry DNs in one escaping and member values as they were loaded;
// these are all one DN to the server (distinguishedNameMatch) and must be one to trustgate.
TEST(NormalizeDn, EscapedCommaHexAndQuotedFormsAreOneDn) {
  const std::string want = normalize_dn("cn=Smith\\, John,ou=People,dc=x");
  EXPECT_EQ(want, "cn=smith\\, john,ou=people,dc=x");
  for (const char* dn : {
           "cn=Smith\\2C John,ou=People,dc=x",   // hex pair
           "cn=Smith\\2c John,ou=People,dc=x",   // lower-case hex
           "cn=\"Smith, John\",ou=People,dc=x",  // RFC 1779/2253 quoted value
           "CN = \"Smith, John\" ; OU=People ; DC=x",
           "cn=\\53mith\\2C\\20John,ou=People,dc=x",  // any character may be hex-escaped
       })
    EXPECT_EQ(normalize_dn(dn), want) << dn;
  // Other specials, escaped or quoted.
  EXPECT_EQ(normalize_dn("cn=a\\+b\\;c\\<d\\>e\\\"f\\\\g\\=h"),
            normalize_dn("cn=\"a+b;c<d>e\\\"f\\\\g=h\""));
  EXPECT_EQ(normalize_dn("cn=a\\2Bb"), normalize_dn("cn=a\\+b"));
  // A leading '#' escaped is a string, not a BER value.
  EXPECT_EQ(normalize_dn("cn=\\#1"), normalize_dn("cn=\\231"));
  EXPECT_EQ(normalize_dn("cn=\"#1\""), normalize_dn("cn=\\#1"));
  EXPECT_NE(normalize_dn("cn=\\#01"), normalize_dn("cn=#01"));
  EXPECT_EQ(normalize_dn("cn=#04024869,dc=x"), "cn=#04024869,dc=x");
  EXPECT_EQ(normalize_dn("cn=#04024A69 ,dc=x"), "cn=#04024a69,dc=x");
  // Multi-valued RDNs in any order; types in any case.
  EXPECT_EQ(normalize_dn("uid=ann+CN=Ann Smith,dc=x"), normalize_dn("cn=ann smith+UID=Ann,dc=x"));
  // OID types are kept as written (not mapped to "cn").
  EXPECT_EQ(normalize_dn("2.5.4.3=Staff,dc=x"), "2.5.4.3=staff,dc=x");
}

// Issue 14.3: caseIgnoreMatch folds case beyond ASCII, after NFKC (RFC 4518).
TEST(NormalizeDn, NonAsciiCaseDifferencesAreOneDn) {
  const std::string want = normalize_dn("cn=żaneta łukasiewicz,ou=kraków,dc=x");
  for (const char* dn : {
           "cn=Żaneta Łukasiewicz,ou=Kraków,dc=x", "CN=ŻANETA ŁUKASIEWICZ,OU=KRAKÓW,DC=X",
           "cn=\\C5\\BBaneta \\C5\\81ukasiewicz,ou=Krak\\C3\\B3w,dc=x",  // hex pairs forming UTF-8
           "cn=\\c5\\bbaneta  \\c5\\81ukasiewicz,ou=Krak\\c3\\b3w,dc=x",
           "cn=Z\xcc\x87"
           "aneta \xc5\x81ukasiewicz,ou=Krako\xcc\x81w,dc=x",  // decomposed
       })
    EXPECT_EQ(normalize_dn(dn), want) << dn;
  EXPECT_NE(normalize_dn("cn=Kraków"), normalize_dn("cn=Krakow"));
  EXPECT_EQ(normalize_dn("cn=STRASSE"), normalize_dn("cn=Straße"));          // full case folding
  EXPECT_EQ(normalize_dn("cn=ΣΊΣΥΦΟΣ"), normalize_dn("cn=σίσυφος"));         // final sigma
  EXPECT_EQ(normalize_dn("cn=ＡＢＣ"), normalize_dn("cn=abc"));              // NFKC: full width
  EXPECT_EQ(normalize_dn("cn=a\xc2\xa0 b"), normalize_dn("cn=a b"));         // no-break space
  EXPECT_EQ(normalize_dn("cn=\xe3\x80\x80\xc5\xbb"), normalize_dn("cn=ż"));  // ideographic space
}

TEST(NormalizeDn, BytesThatAreNotUtf8AreKeptAsHex) {
  EXPECT_EQ(normalize_dn("cn=a\xff"), "cn=a\\ff");
  EXPECT_EQ(normalize_dn("cn=a\\FF"), "cn=a\\ff");
  EXPECT_EQ(normalize_dn("cn=\xc5"), "cn=\\c5");  // a truncated sequence
  EXPECT_EQ(normalize_dn("cn=\xc5\xbb\xff\xc5\xbb"), "cn=ż\\ffż");
  EXPECT_EQ(normalize_dn("cn=a\\00b"), "cn=a\\00b");
  EXPECT_NE(normalize_dn("cn=a\\00b"), normalize_dn("cn=ab"));
}

// Found by fuzz_rule_strings: U+034F (CGJ, prepared to nothing) between the bytes C5 and BB,
// neither UTF-8 alone, was dropped and joined them into "ż", which the next normalization kept.
TEST(NormalizeDn, FuzzIgnorableBetweenBytesThatAreNotUtf8DoesNotJoinThem) {
  const std::string once = normalize_dn("cn=\xc5\xcd\x8f\xbb");
  EXPECT_EQ(normalize_dn(once), once);
  EXPECT_NE(once, normalize_dn("cn=ż"));
  const std::string found = normalize_dn("cn=\xcd\xcd\x8f\x8f");  // the fuzzer's input
  EXPECT_EQ(normalize_dn(found), found);
  EXPECT_EQ(normalize_dn("cn=a\xcd\x8f"), "cn=a");  // elsewhere an ignorable is still dropped
}

// --- properties over random DNs -------------------------------------------------------------

// A raw value's characters: already prepared (lower case, NFKC_Casefold-stable), so distinct
// raw values are distinct DNs; each has an upper-case or decomposed variant to present.
struct Char {
  std::string prepared;
  std::vector<std::string> variants;  // other ways to write it that prepare to the same
};

const std::vector<Char>& alphabet() {
  static const std::vector<Char> chars = [] {
    std::vector<Char> c;
    for (char l = 'a'; l <= 'e'; ++l) c.push_back({std::string(1, l), {std::string(1, l - 32)}});
    for (char d : std::string("019")) c.push_back({std::string(1, d), {}});
    for (char s : std::string("\",+;<>\\=#")) c.push_back({std::string(1, s), {}});
    c.push_back({std::string(1, '\0'), {}});
    c.push_back({"ż", {"Ż", "Z\xcc\x87", "z\xcc\x87"}});
    c.push_back({"ł", {"Ł"}});
    c.push_back({"ó", {"Ó", "o\xcc\x81", "O\xcc\x81"}});
    c.push_back({"я", {"Я"}});
    c.push_back({"中", {}});
    c.push_back({"😀", {}});
    return c;
  }();
  return chars;
}

bool is_rfc4514_special(char c) {
  return std::string_view("\"+,;<>\\=#").find(c) != std::string::npos;
}

std::string hex_escape(std::string_view s, bool upper) {
  static constexpr char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
  // One pointer, not `(upper ? up : lo)[i]`: g++ 12 with -fsanitize=undefined at -O2 compiles
  // that expression to the wrong digit ("\00" for '0'), seen in this test's sanitizer run.
  const char* digits = upper ? up : lo;
  std::string out;
  for (unsigned char b : s) {
    out += '\\';
    out += digits[b >> 4];
    out += digits[b & 0xF];
  }
  return out;
}

// One character of a value (at `pos`, of a value of `len` characters) in a random legal
// RFC 4514 form.
std::string escape_char(const std::string& c, bool first, std::mt19937& rng) {
  const unsigned pick = rng() % 4;
  if (pick == 0) return hex_escape(c, rng() % 2);
  if (c.size() == 1 && (c[0] == '\0')) return hex_escape(c, rng() % 2);
  if (c.size() == 1 && is_rfc4514_special(c[0])) {
    if (c[0] == '#' && !first && pick == 1) return c;  // '#' needs escaping only in front
    if (c[0] == '=' && pick == 1) return c;            // RFC 4514 allows a bare '='
    return "\\" + c;
  }
  return c;
}

struct RawAva {
  std::string type;                // lower case
  std::vector<std::size_t> value;  // indices into alphabet()
};
using RawDn = std::vector<std::vector<RawAva>>;

RawDn random_dn(std::mt19937& rng) {
  static const char* types[] = {"cn", "uid", "ou", "dc", "o", "sn"};
  RawDn dn(1 + rng() % 4);
  for (auto& rdn : dn) {
    rdn.resize(rng() % 6 == 0 ? 2 + rng() % 2 : 1);
    for (auto& ava : rdn) {
      ava.type = types[rng() % 6];
      const std::size_t len = rng() % 8;
      for (std::size_t k = 0; k < len; ++k) ava.value.push_back(rng() % alphabet().size());
      // Inner single spaces only: a space is a character of the raw value (index npos).
      if (len >= 2 && rng() % 2) ava.value.insert(ava.value.begin() + 1, SIZE_MAX);
    }
  }
  return dn;
}

// The raw DN as a key: RDNs in order, AVAs sorted (their order carries no meaning).
std::string raw_key(const RawDn& dn) {
  std::string key;
  for (const auto& rdn : dn) {
    std::vector<std::string> avas;
    for (const auto& ava : rdn) {
      std::string a = ava.type + '\x01';
      for (std::size_t c : ava.value)
        a += c == SIZE_MAX ? std::string(" ") : alphabet()[c].prepared;
      avas.push_back(a);
    }
    std::sort(avas.begin(), avas.end());
    for (const auto& a : avas) key += a + '\x02';
    key += '\x03';
  }
  return key;
}

// A random way of writing `dn` that the server would take for the same DN. Every call to `rng`
// is a statement of its own: the order of operands is unspecified, and two builds would
// otherwise draw different spellings from one seed.
std::string present(const RawDn& dn, std::mt19937& rng) {
  auto spaces = [&] { return std::string(rng() % 3 == 0 ? rng() % 3 : 0, ' '); };
  std::string out = spaces();
  for (std::size_t r = 0; r < dn.size(); ++r) {
    if (r > 0) {
      out += spaces();
      out += rng() % 5 == 0 ? ";" : ",";
      out += spaces();
    }
    std::vector<RawAva> avas = dn[r];
    std::shuffle(avas.begin(), avas.end(), rng);
    for (std::size_t a = 0; a < avas.size(); ++a) {
      if (a > 0) {
        out += spaces();
        out += "+";
        out += spaces();
      }
      std::string type = avas[a].type;
      if (rng() % 2) std::transform(type.begin(), type.end(), type.begin(), ::toupper);
      out += type;
      out += spaces();
      out += "=";
      out += spaces();
      std::vector<std::string> chars;  // each character written some legal way
      for (std::size_t c : avas[a].value) {
        if (c == SIZE_MAX) {
          chars.push_back(std::string(1 + rng() % 3, ' '));  // a run of spaces is one space
          continue;
        }
        const Char& ch = alphabet()[c];
        const bool variant = !ch.variants.empty() && rng() % 2;
        chars.push_back(variant ? ch.variants[rng() % ch.variants.size()] : ch.prepared);
      }
      const bool quoted = rng() % 4 == 0;
      std::string value;
      if (quoted) {
        value = "\"";
        for (const auto& c : chars)
          value += c == "\"" || c == "\\" ? "\\" + c : c == std::string(1, '\0') ? "\\00" : c;
        value += "\"";
      } else {
        for (std::size_t k = 0; k < chars.size(); ++k) {
          if (chars[k][0] == ' ') {
            for (char s : chars[k])
              value += rng() % 3 == 0 ? std::string("\\20") : std::string(1, s);
            continue;
          }
          value += escape_char(chars[k], k == 0, rng);
        }
      }
      // Leading and trailing spaces are insignificant when escaped.
      if (!quoted && rng() % 4 == 0) value = "\\ " + value + "\\20";
      out += value;
    }
  }
  return out + spaces();
}

TEST(NormalizeDnProperty, EveryLegalEscapingOfARawDnIsOneDnAndDistinctDnsDiffer) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    std::map<std::string, std::string> seen;  // normalised -> raw key
    for (int d = 0; d < 40; ++d) {
      const RawDn dn = random_dn(rng);
      const std::string key = raw_key(dn);
      const std::string first = present(dn, rng);
      const std::string want = normalize_dn(first);
      ASSERT_EQ(normalize_dn(want), want) << "seed " << seed << ": " << first;
      for (int p = 0; p < 4; ++p) {
        const std::string other = present(dn, rng);
        ASSERT_EQ(normalize_dn(other), want)
            << "seed " << seed << ": '" << other << "' vs '" << first << "'";
      }
      auto [it, inserted] = seen.emplace(want, key);
      ASSERT_EQ(it->second, key) << "seed " << seed << ": two DNs normalise to " << want;
    }
  }
}

TEST(NormalizeDnProperty, IsIdempotentOnArbitraryBytes) {
  const std::string pieces[] = {
      "\\",  "\"",       "#",   "+",    ",",    ";",    "=",    " ", "a",  "Z",
      "0",   "F",        "\\2", "\\2c", "\xc5", "\xbb", "\xff", "Ż", "\t", std::string(1, '\0'),
      "cn=", "\xcc\x87", "ß"};
  for (unsigned seed = 1; seed <= 2000; ++seed) {
    std::mt19937 rng(seed);
    std::string dn;
    const std::size_t n = rng() % 24;
    for (std::size_t k = 0; k < n; ++k) dn += pieces[rng() % std::size(pieces)];
    const std::string once = normalize_dn(dn);
    ASSERT_EQ(normalize_dn(once), once) << "seed " << seed << ": " << testing::PrintToString(dn);
    (void)first_rdn_value(dn);
  }
}

// The ASCII fast path writes what the general path does, whenever it takes a DN.
TEST(NormalizeDnProperty, FastPathAgreesWithTheGeneralPath) {
  const std::string pieces[] = {"cn",   "=",   "=",    ",",    ",",    ";",   " ",   "  ",
                                "\t",   "A",   "b",    "Z",    "0",    "F",   "\\,", "\\+",
                                "\\\\", "\\=", "\\\"", "\\",   "\\2C", "\\ ", "#",   "\"",
                                "+",    "<",   "\\#",  "ou=x", "dc=y,"};
  std::size_t fast = 0;
  for (unsigned seed = 1; seed <= 20000; ++seed) {
    std::mt19937 rng(seed);
    std::string dn = rng() % 2 ? "cn=" : "";
    const std::size_t n = rng() % 12;
    for (std::size_t k = 0; k < n; ++k) dn += pieces[rng() % std::size(pieces)];
    std::string quick, general;
    dn_detail::normalize_dn_general(dn, general);
    if (!dn_detail::normalize_simple_dn(dn, quick)) continue;
    ++fast;
    ASSERT_EQ(quick, general) << "seed " << seed << ": " << dn;
  }
  EXPECT_GT(fast, 1000u);  // the fast path was exercised
}

TEST(NormalizeDn, HostileInputNeverCrashes) {
  const std::size_t big = 100 * 1024;
  std::vector<std::string> inputs = {
      "cn=" + std::string(big, 'A'),
      std::string(big, '\\'),
      "cn=" + std::string(big, '\\'),
      std::string(big, '"'),
      std::string(big, ','),
      std::string(big, '+'),
      std::string(big, '='),
      std::string(big, '#'),
      std::string(big, ' '),
      std::string(big, '\xff'),
      "cn=\"" + std::string(big, 'a'),  // unterminated quote
      "cn=\\",
      "cn=\\4",
      "cn=\\4g",
      "cn=\\\xc5",
      "cn=#",
      "cn=#0",
      "cn=#zz",
      "=",
      "=,=+=",
  };
  std::string many;
  for (std::size_t k = 0; k < big / 8; ++k) many += "cn=Ż\\2C+";
  inputs.push_back(many);
  std::string plus;
  for (std::size_t k = 0; k < big / 4; ++k) plus += k % 2 ? "b=1+" : "a=2+";
  inputs.push_back(plus);
  std::string utf8;
  while (utf8.size() < big) utf8 += "\xc5\xbb\xcc\x87\xe2\x80";
  inputs.push_back("cn=" + utf8);
  for (const auto& in : inputs) {
    const std::string once = normalize_dn(in);
    EXPECT_EQ(normalize_dn(once), once) << in.substr(0, 20);
    (void)first_rdn_value(in);
  }
  EXPECT_EQ(normalize_dn("cn=\\"), "cn=\\\\");    // a trailing '\' stands for itself
  EXPECT_EQ(normalize_dn("cn=\\4g"), "cn=4g");    // '\' before a non-special: that character
  EXPECT_EQ(normalize_dn("cn=#zz"), "cn=\\#zz");  // not a hex string: a plain value
}

TEST(FirstRdnValue, ReturnsTheFirstValueAsWritten) {
  EXPECT_EQ(first_rdn_value("cn=Primaries,ou=g,dc=x"), "Primaries");
  EXPECT_EQ(first_rdn_value("CN = Primary Staff , OU=g"), "Primary Staff");
  EXPECT_EQ(first_rdn_value("cn=Only"), "Only");
  EXPECT_EQ(first_rdn_value("cn=a+sn=b,dc=x"), "a");
}

TEST(FirstRdnValue, UnescapesValue) {
  EXPECT_EQ(first_rdn_value("cn=Smith\\, John,ou=People"), "Smith, John");
  EXPECT_EQ(first_rdn_value("cn=Smith\\2C John,ou=People"), "Smith, John");
  EXPECT_EQ(first_rdn_value("cn=\"Smith, John\",ou=People"), "Smith, John");
  EXPECT_EQ(first_rdn_value("cn=\\C5\\BBaneta,ou=People"), "Żaneta");
  EXPECT_EQ(first_rdn_value("cn=x\\ ,dc=y"), "x ");  // an escaped trailing space is kept
  EXPECT_EQ(first_rdn_value("cn=#04024869,dc=y"), "#04024869");
}

TEST(FirstRdnValue, EmptyWhenMalformed) {
  EXPECT_EQ(first_rdn_value(""), "");
  EXPECT_EQ(first_rdn_value("no equals sign"), "");
  EXPECT_EQ(first_rdn_value(",cn=x"), "");
}

}  // namespace
}  // namespace trustgate
