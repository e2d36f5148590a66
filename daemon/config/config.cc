#include "daemon/config/config.h"

namespace trustgate {

LdapUserSchema active_directory_user_schema() {
  LdapUserSchema u;
  u.filter = "(&(objectCategory=person)(objectClass=user))";
  u.id_attr = "objectGUID";
  u.username_attr = "sAMAccountName";
  u.display_name_attr = "displayName";
  u.email_attr = "mail";
  // Disabled accounts come from userAccountControl / accountExpires (the AD connector).
  u.disabled_attr.clear();
  return u;
}

LdapGroupSchema active_directory_group_schema() {
  LdapGroupSchema g;
  g.id_attr = "objectGUID";
  g.name_attr = "cn";
  g.member_attrs = {"member"};
  g.member_uid_attr.clear();
  return g;
}

}  // namespace trustgate
