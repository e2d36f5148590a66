#pragma once
// API clients and their credentials. Only SHA-256 of each secret is kept in memory; presented
// secrets are hashed and compared in constant time.
//
// Credentials, on every authenticated request (use TLS off loopback):
//   Authorization: Bearer <client_id>:<secret>
//   Authorization: Basic base64(<client_id>:<secret>)
// Client ids cannot contain ':'; the secret is everything after the first ':'.
//
// Who may call what (enforced by the router):
//   site   — POST /v1/handoffs and all GET reads (users, institutions, clusters, explain)
//   school — POST /v1/handoffs/redeem only, and only for its own institution's tickets
//   admin  — all GET reads and POST/DELETE /v1/users/{id}/associations
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "daemon/config/config.h"
#include "daemon/handoff/secret_digest.h"

namespace trustgate {

struct ApiClient {
  std::string id;
  ClientKind kind = ClientKind::Site;
  std::string institution;  // school clients
  // The name a TLS client certificate presented with its requests must carry (the id unless
  // configured), and whether its requests must present one (certificate_name configured).
  std::string certificate_name;
  bool certificate_required = false;
};

struct ClientSecret {  // one client with its plain secret, as read at start-up
  ApiClient client;
  std::string secret;
};

enum class AuthFailure {
  Missing,      // no or unsupported Authorization header -> 401
  Malformed,    // unparseable credential -> 401
  Invalid,      // unknown client or wrong secret -> 401
  Certificate,  // right secret, but the TLS client certificate does not name the client -> 401
};

// Whether the TLS client certificate of a request may speak for `client`. `names` are the
// verified certificate's subject CN and DNS subjectAltNames; nullopt when the request presented
// none. A certificate naming another client never passes, so a stolen secret is not enough where
// certificates are in use; without one, only a client that must present one is refused.
// Names compare ASCII case-insensitively (DNS names do).
bool certificate_speaks_for(const ApiClient& client,
                            const std::optional<std::vector<std::string>>& names);

std::string_view to_string(ClientKind kind);

class ClientRegistry {
 public:
  // Reads every client's secret_file (common/private_files.h read_secret). Fails naming the client
  // whose secret can't be read or is empty, or on duplicate ids / ids containing ':'.
  static Result<ClientRegistry> from_config(const std::vector<ClientConfig>& clients);
  static Result<ClientRegistry> from_secrets(std::vector<ClientSecret> clients);

  // Authenticates an Authorization header value.
  std::expected<const ApiClient*, AuthFailure> authenticate(std::string_view authorization) const;
  // The client id an Authorization header claims (nothing is verified); nullopt when it
  // names none. For logs and throttling only.
  static std::optional<std::string> claimed_id(std::string_view authorization);
  // Authenticates a (client id, secret) pair.
  const ApiClient* verify(std::string_view client_id, std::string_view secret) const;

  const ApiClient* find(std::string_view id) const;
  std::size_t size() const { return clients_.size(); }

 private:
  struct Entry {
    ApiClient client;
    Sha256 secret_hash;
  };
  std::map<std::string, Entry, std::less<>> clients_;
};

}  // namespace trustgate
