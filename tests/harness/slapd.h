#pragma once
// A private OpenLDAP server for integration tests: its own temp folder, cn=config, throwaway CA
// and server certificate, free loopback ports (ldap://, ldaps://) and an ldapi:// socket;
// syncprov configured for RFC 4533 syncrepl. Stopped by PID (SIGTERM, then SIGKILL) and its
// folder removed in the destructor.
//
// Every failure throws std::runtime_error with a message saying what broke (including "slapd
// is not installed" when the binaries are missing), so a test fails loudly instead of skipping.
#include <sys/types.h>

#include <string>
#include <vector>

namespace trustgate {

struct SlapdOptions {
  // Entries bulk-loaded with `slapadd -q` before the first start; must include the suffix entry.
  // Empty: SlapdServer::base_ldif().
  std::string ldif;
  bool memberof = false;  // load the memberof overlay
  bool refint = false;    // load the refint overlay (member, uniqueMember)
  // olcSizeLimit of the database (binds other than the rootdn), e.g.
  // "size.soft=50 size.hard=50 size.prtotal=unlimited".
  std::string size_limit = "unlimited";
};

class SlapdServer {
 public:
  static constexpr const char* kSuffix = "dc=la,dc=example";
  static constexpr const char* kRootDn = "cn=admin,dc=la,dc=example";
  static constexpr const char* kRootPassword = "root-secret";
  // The suffix entry plus ou=people and ou=groups under it.
  static std::string base_ldif();

  explicit SlapdServer(SlapdOptions options = {});
  ~SlapdServer();
  SlapdServer(const SlapdServer&) = delete;
  SlapdServer& operator=(const SlapdServer&) = delete;

  std::string ldap_url() const;   // ldap://127.0.0.1:PORT (StartTLS available)
  std::string ldaps_url() const;  // ldaps://127.0.0.1:PORT2
  std::string ldapi_url() const;  // ldapi://<socket> (SASL EXTERNAL maps to the process uid)
  const std::string& ca_file() const { return ca_file_; }              // signed the server cert
  const std::string& wrong_ca_file() const { return wrong_ca_file_; }  // an unrelated CA
  const std::string& dir() const { return dir_; }

  // Stops and starts slapd on the same ports and data (for outage tests).
  void stop();
  void start();
  void restart();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }  // -1 when stopped

  // Online changes as the rootdn, through the OpenLDAP command-line tools. Throw on failure
  // with the tool's output.
  void add(const std::string& ldif);
  void modify(const std::string& ldif);
  void remove(const std::string& dn);
  void modrdn(const std::string& dn, const std::string& new_rdn,
              const std::string& new_superior = "");

 private:
  void write_config();
  void make_certificates();
  bool try_start(std::string& why);
  void run_tool(const std::vector<std::string>& argv, const std::string& what);
  std::string write_temp_file(const std::string& content);

  SlapdOptions options_;
  std::string dir_;
  std::string ca_file_, wrong_ca_file_, cert_file_, key_file_;
  int ldap_port_ = 0;
  int ldaps_port_ = 0;
  pid_t pid_ = -1;
  int temp_files_ = 0;
};

}  // namespace trustgate
