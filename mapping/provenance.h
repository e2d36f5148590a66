#pragma once
// Why a user holds a role or an association, and the immutable shared handle grants hold it by.
// Pure values.
#include <memory>
#include <string>
#include <vector>

namespace trustgate {

struct Provenance {
  enum class Kind { Rule, Manual };
  Kind kind = Kind::Rule;
  std::string rule;   // Kind::Rule: the rule id
  std::string group;  // Kind::Rule: DN of the group the rule matched
  // Kind::Rule: the nesting chain, user's direct group first, ending with `group`. Size 1 when
  // the user is a direct member.
  std::vector<std::string> chain;
  std::string source;  // Kind::Rule: the directory source; Kind::Manual: who made it
  bool operator==(const Provenance&) const = default;
};

// A Provenance held through a shared pointer to an immutable value. Every member of a group
// that a rule matches holds the same provenance (rule, group, chain, source), so the mapper
// makes one and the grants share it: a grant costs a pointer, not four strings and a chain.
// Behaves as a value: equality compares the provenances; there is no way to change a shared one
// (assign a new Provenance instead).
class SharedProvenance {
 public:
  SharedProvenance() = default;   // a default Provenance
  SharedProvenance(Provenance p)  // NOLINT(google-explicit-constructor): reads as a value
      : p_(std::make_shared<const Provenance>(std::move(p))) {}

  const Provenance& operator*() const { return p_ ? *p_ : empty(); }
  const Provenance* operator->() const { return &**this; }
  // The same object (not just an equal value): lets writers cache per provenance.
  const Provenance* identity() const { return p_.get(); }

  friend bool operator==(const SharedProvenance& a, const SharedProvenance& b) {
    return a.p_ == b.p_ || *a == *b;
  }

 private:
  static const Provenance& empty() {
    static const Provenance kEmpty;
    return kEmpty;
  }
  std::shared_ptr<const Provenance> p_;
};

}  // namespace trustgate
