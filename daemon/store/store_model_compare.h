#pragma once
// Field-by-field equality of access-model entities (access_model.h defines == only for
// provenance and grants). The store uses it to write only what changed; tests use
// first_difference() to check round trips.
#include <string>

#include "mapping/access_model.h"

namespace trustgate {

bool same_permission(const Permission& a, const Permission& b);
bool same_role(const Role& a, const Role& b);
bool same_institution(const Institution& a, const Institution& b);
bool same_cluster(const Cluster& a, const Cluster& b);
bool same_user(const User& a, const User& b);  // every field, grants in order
bool same_model(const AccessModel& a, const AccessModel& b);

// Empty when same_model(a, b); else names the first entity that differs ("user u42").
std::string first_difference(const AccessModel& a, const AccessModel& b);

}  // namespace trustgate
