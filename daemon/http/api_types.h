#pragma once
// The API's own request/response values: handlers see these, never Poco's HTTP objects, so
// they can be driven in-process and the HTTP edge stays in one place (daemon/http).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

namespace trustgate {

struct ApiClient;  // daemon/handoff/client_auth.h: who the router authenticated

struct ApiRequest {
  std::string method;                         // "GET", "POST", ...
  std::string target;                         // raw request target (path?query)
  std::vector<std::string> segments;          // decoded, validated path segments
  std::map<std::string, std::string> params;  // path parameters: "{id}" -> "id"
  std::map<std::string, std::string> query;   // decoded, validated; duplicate keys rejected
  std::string authorization;                  // the Authorization header ("" if absent)
  // The caller's IP address as the HTTP edge saw it; "" when the edge does not say (then
  // failed authentications are throttled per claimed client id only).
  std::string peer;
  // The subject CN and DNS subjectAltNames of the verified TLS client certificate this request
  // came with; nullopt when it came with none (or not over TLS).
  std::optional<std::vector<std::string>> certificate_names;
  std::string content_type;
  std::string body;
  Poco::JSON::Object::Ptr json;       // parsed body, for routes that take JSON
  const ApiClient* client = nullptr;  // the authenticated caller, for routes that need one

  const std::string& param(const std::string& name) const { return params.at(name); }
  const std::string* query_value(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
  }
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using ApiHandler = std::function<ApiResponse(const ApiRequest&)>;

}  // namespace trustgate
