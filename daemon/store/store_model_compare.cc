#include "daemon/store/store_model_compare.h"

#include <fmt/format.h>

namespace trustgate {

bool same_permission(const Permission& a, const Permission& b) {
  return a.id == b.id && a.name == b.name;
}

bool same_role(const Role& a, const Role& b) {
  return a.id == b.id && a.name == b.name && a.permissions == b.permissions;
}

bool same_institution(const Institution& a, const Institution& b) {
  return a.id == b.id && a.name == b.name && a.mis_url == b.mis_url &&
         a.skip_second_factor == b.skip_second_factor;
}

bool same_cluster(const Cluster& a, const Cluster& b) {
  return a.id == b.id && a.name == b.name && a.institutions == b.institutions;
}

bool same_user(const User& a, const User& b) {
  return a.id == b.id && a.username == b.username && a.display_name == b.display_name &&
         a.email == b.email && a.dn == b.dn && a.source == b.source && a.enabled == b.enabled &&
         a.roles == b.roles && a.associations == b.associations;
}

namespace {

// Empty when both maps hold the same keys with same() values; else "<what> <key>".
template <typename Map, typename Same>
std::string map_difference(const Map& a, const Map& b, Same same, std::string_view what) {
  auto ia = a.begin();
  auto ib = b.begin();
  for (; ia != a.end() && ib != b.end(); ++ia, ++ib) {
    if (ia->first != ib->first) {
      return fmt::format("{} {}", what, std::min(ia->first, ib->first));
    }
    if (!same(ia->second, ib->second)) return fmt::format("{} {}", what, ia->first);
  }
  if (ia != a.end()) return fmt::format("{} {}", what, ia->first);
  if (ib != b.end()) return fmt::format("{} {}", what, ib->first);
  return {};
}

}  // namespace

std::string first_difference(const AccessModel& a, const AccessModel& b) {
  for (std::string d :
       {map_difference(a.permissions, b.permissions, same_permission, "permission"),
        map_difference(a.roles, b.roles, same_role, "role"),
        map_difference(a.institutions, b.institutions, same_institution, "institution"),
        map_difference(a.clusters, b.clusters, same_cluster, "cluster"),
        map_difference(a.users, b.users, same_user, "user")}) {
    if (!d.empty()) return d;
  }
  return {};
}

bool same_model(const AccessModel& a, const AccessModel& b) {
  return first_difference(a, b).empty();
}

}  // namespace trustgate
