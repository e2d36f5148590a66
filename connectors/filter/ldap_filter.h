#pragma once
// RFC 4515 string filters parsed into a tree: config validation checks the filters given to
// every source type, and the LDIF source evaluates them (ldif_filter_match.h).
//
// Why our own parser: libldap parses filters only inside ldap_search_ext, straight into BER
// for the wire; it exposes no parsed tree and no evaluator (ldap.h, lber.h), and the LDIF
// source must not need a server. The grammar is small; this is a recursive-descent parser
// with a nesting limit and a length limit, so hostile or mistyped input is an error value,
// never a crash or a stack overflow.
//
// Accepted: RFC 4515 filters, plus what libldap also accepts when it sends a filter: spaces
// between components (around a filter inside a list, after '(' of a list, after '!') and the
// absolute filters "(&)" (TRUE) and "(|)" (FALSE) of RFC 4526. Not accepted: a filter without
// its enclosing parentheses, RFC 1960 style escapes ("\*"), empty substring components
// ("(cn=a**b)").
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace trustgate {

struct LdapFilterLimits {
  std::size_t max_length = 16 * 1024;  // characters of filter text
  std::size_t max_depth = 64;          // nesting of (&...), (|...), (!...)
};

struct LdapFilter {
  enum class Kind {
    And,             // children: all must hold
    Or,              // children: one must hold
    Not,             // children: exactly one
    Equality,        // attribute=value
    Substrings,      // attribute=initial*any*...*final
    GreaterOrEqual,  // attribute>=value
    LessOrEqual,     // attribute<=value
    Approx,          // attribute~=value
    Present,         // attribute=*
    Extensible,      // [attribute][:dn][:rule]:=value
  };

  Kind kind = Kind::And;
  std::vector<LdapFilter> children;  // And, Or, Not
  // The attribute description as written, options kept ("cn;lang-en"); empty only for an
  // extensible match without one.
  std::string attribute;
  std::string value;  // the assertion value, \XX escapes decoded (may hold any byte)
  // Substrings: each component decoded; `initial`/`final_` absent when the value starts/ends
  // with '*'. At least one of the three is non-empty.
  std::optional<std::string> initial;
  std::vector<std::string> any;
  std::optional<std::string> final_;
  // Extensible.
  std::string matching_rule;  // an OID or a descriptor; empty when not given
  bool dn_attributes = false;
};

// Parses `text`. Errors: "filter.syntax" (the message names the 1-based character position
// and what was expected there) and "filter.limit" (too long, nested too deep). Messages quote
// at most the attribute description, never assertion values.
Result<LdapFilter> parse_ldap_filter(std::string_view text, const LdapFilterLimits& limits = {});

}  // namespace trustgate
