#pragma once
// RAII owners for libldap's C objects. Each deleter tolerates null.
#include <ldap.h>

#include <memory>

namespace trustgate {

struct LdapUnbind {
  void operator()(LDAP* ld) const {
    if (ld) ldap_unbind_ext_s(ld, nullptr, nullptr);
  }
};
using LdapPtr = std::unique_ptr<LDAP, LdapUnbind>;

struct LdapMsgFree {
  void operator()(LDAPMessage* msg) const {
    if (msg) ldap_msgfree(msg);
  }
};
using LdapMessagePtr = std::unique_ptr<LDAPMessage, LdapMsgFree>;

struct LdapControlFree {
  void operator()(LDAPControl* ctrl) const {
    if (ctrl) ldap_control_free(ctrl);
  }
};
using LdapControlPtr = std::unique_ptr<LDAPControl, LdapControlFree>;

struct LdapControlsFree {
  void operator()(LDAPControl** ctrls) const {
    if (ctrls) ldap_controls_free(ctrls);
  }
};
using LdapControlsPtr = std::unique_ptr<LDAPControl*, LdapControlsFree>;

struct LdapMemFree {
  void operator()(void* p) const {
    if (p) ldap_memfree(p);
  }
};
template <typename T>
using LdapMemPtr = std::unique_ptr<T, LdapMemFree>;

struct BerValFree {
  void operator()(berval* bv) const {
    if (bv) ber_bvfree(bv);
  }
};
using BerValPtr = std::unique_ptr<berval, BerValFree>;

struct BerValsFree {
  void operator()(berval** bvs) const {
    if (bvs) ldap_value_free_len(bvs);
  }
};
using BerValsPtr = std::unique_ptr<berval*, BerValsFree>;

}  // namespace trustgate
