#pragma once
// JSON views of the domain, shared by the handlers. Field names are the API's contract.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "mapping/access_model.h"
#include "mapping/decision.h"

namespace trustgate {

// {"kind":"rule"|"manual","rule","group","chain":[...],"source"}
Poco::JSON::Object::Ptr provenance_json(const Provenance& p);
// {"kind","target","name","via":{provenance},"description"}
Poco::JSON::Object::Ptr association_json(const AccessModel& m, const Association& a);
// {"id","username","display_name","email"}
Poco::JSON::Object::Ptr user_brief_json(const User& u);
// {"id","name"}
Poco::JSON::Object::Ptr institution_brief_json(const Institution& i);
// The user's distinct roles: [{"id","name"}], sorted by id.
Poco::JSON::Array::Ptr roles_brief_json(const AccessModel& m, const User& u);
// [permission ids]
Poco::JSON::Array::Ptr permission_ids_json(const AccessModel& m, const User& u);
// {"path","association":{...}|null,"permission_via":[{"role","via"}]}
Poco::JSON::Object::Ptr granted_via_json(const AccessModel& m, const Decision& d);
// {"allowed","reason","preconditions":{"profile","permission","association"},"path",
//  "granted_via":{...}}
Poco::JSON::Object::Ptr decision_json(const AccessModel& m, const Decision& d);

}  // namespace trustgate
