#include "daemon/handoff/client_auth.h"

#include "common/private_files.h"

#include <cctype>

namespace trustgate {
namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The "<id>:<secret>" pair of a Bearer or Basic header.
std::expected<std::string, AuthFailure> credential_of(std::string_view header) {
  header = trim(header);
  if (header.empty()) return std::unexpected(AuthFailure::Missing);
  if (starts_with_ci(header, "Bearer ")) return std::string(trim(header.substr(7)));
  if (starts_with_ci(header, "Basic ")) {
    auto decoded = base64_decode(trim(header.substr(6)));
    if (!decoded) return std::unexpected(AuthFailure::Malformed);
    return std::move(*decoded);
  }
  return std::unexpected(AuthFailure::Missing);
}

}  // namespace

std::optional<std::string> ClientRegistry::claimed_id(std::string_view authorization) {
  auto credential = credential_of(authorization);
  if (!credential) return std::nullopt;
  auto colon = credential->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return credential->substr(0, colon);
}

bool certificate_speaks_for(const ApiClient& client,
                            const std::optional<std::vector<std::string>>& names) {
  if (!names) return !client.certificate_required;
  const std::string& want = client.certificate_name.empty() ? client.id : client.certificate_name;
  for (const auto& name : *names) {
    if (name.size() == want.size() && starts_with_ci(name, want)) return true;
  }
  return false;
}

std::string_view to_string(ClientKind kind) {
  switch (kind) {
    case ClientKind::Site:
      return "site";
    case ClientKind::School:
      return "school";
    case ClientKind::Admin:
      return "admin";
  }
  return "site";
}

Result<ClientRegistry> ClientRegistry::from_config(const std::vector<ClientConfig>& clients) {
  std::vector<ClientSecret> secrets;
  for (const auto& c : clients) {
    auto secret = read_secret(c.secret_file);
    if (!secret) {
      return fail("config.secret",
                  "client " + c.id + ": cannot read secret_file: " + secret.error().message);
    }
    ApiClient client{c.id, c.kind, c.institution, c.certificate_name.value_or(c.id),
                     c.certificate_name.has_value()};
    secrets.push_back({std::move(client), std::move(*secret)});
  }
  return from_secrets(std::move(secrets));
}

Result<ClientRegistry> ClientRegistry::from_secrets(std::vector<ClientSecret> clients) {
  ClientRegistry r;
  for (auto& c : clients) {
    if (c.client.id.empty() || c.client.id.find(':') != std::string::npos) {
      return fail("config.invalid",
                  "client id must be non-empty and contain no ':': " + c.client.id);
    }
    if (c.secret.size() < 16) {
      return fail("config.secret", "client " + c.client.id + ": secret shorter than 16 bytes");
    }
    if (c.client.kind == ClientKind::School && c.client.institution.empty()) {
      return fail("config.invalid", "school client " + c.client.id + " has no institution");
    }
    Entry e{c.client, sha256(c.secret)};
    if (!r.clients_.emplace(c.client.id, std::move(e)).second) {
      return fail("config.invalid", "duplicate client id " + c.client.id);
    }
  }
  return r;
}

const ApiClient* ClientRegistry::verify(std::string_view client_id, std::string_view secret) const {
  const Sha256 presented = sha256(secret);
  auto it = clients_.find(client_id);
  if (it == clients_.end()) {
    // Same work as for a known client, so timing tells little about which ids exist.
    Sha256 dummy{};
    (void)constant_time_equal(presented, dummy);
    return nullptr;
  }
  return constant_time_equal(presented, it->second.secret_hash) ? &it->second.client : nullptr;
}

std::expected<const ApiClient*, AuthFailure> ClientRegistry::authenticate(
    std::string_view header) const {
  auto parsed = credential_of(header);
  if (!parsed) return std::unexpected(parsed.error());
  const std::string& credential = *parsed;
  auto colon = credential.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == credential.size()) {
    return std::unexpected(AuthFailure::Malformed);
  }
  const ApiClient* client = verify(std::string_view(credential).substr(0, colon),
                                   std::string_view(credential).substr(colon + 1));
  if (client == nullptr) return std::unexpected(AuthFailure::Invalid);
  return client;
}

const ApiClient* ClientRegistry::find(std::string_view id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : &it->second.client;
}

}  // namespace trustgate
