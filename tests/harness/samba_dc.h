#pragma once
// A private Samba Active Directory domain controller for integration tests and benchmarks:
// provisioned into its own temp folder (nothing system-wide is touched), LDAP only, on a
// loopback address of its own (Samba hard-codes ports 389/636, so it gets e.g. 127.0.0.2 or a
// random free 127.x.y.z instead of a port), with its own TLS files from a throwaway CA and a
// relaxed password policy so that users can be created without passwords. Stopped by PID
// (SIGTERM, then SIGKILL; never by name) and its folder removed in the destructor;
// `--maximum-runtime` stops it anyway if this process dies without cleaning up.
//
// Needs root and the samba, samba-ad-provision, samba-dsdb-modules, samba-vfs-modules and
// ldap-utils packages (scripts/setup.sh installs them). Every failure throws
// std::runtime_error saying what broke ("samba is not installed", "must run as root", the
// tool's output), so a test fails loudly instead of skipping.
//
// Provisioning takes seconds: tests share one DC per process through SambaDc::shared(), and
// processes start from a copy of one provisioned template (SambaDcOptions::reuse_template).
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace trustgate {

struct SambaDcOptions {
  // Loopback address to serve on; empty: 127.0.0.2 if free, else a random free 127.x.y.z.
  std::string address;
  // Samba stops itself after this long (a safety net for a crashed test process).
  std::chrono::seconds max_runtime{std::chrono::minutes(20)};
  // Provisioning is done once per machine into a template folder under the temp directory
  // (keyed by the Samba version; guarded by a file lock against concurrent test processes)
  // and each DC starts from a copy of it: ctest runs every test case in its own process.
  // false: provision afresh into this DC's own folder.
  bool reuse_template = true;
};

// A synthetic population for bulk loads (tests and benchmarks). Everything goes under
// OU=<ou>,<base>: users CN=<prefix>u<i>,OU=People,... (sAMAccountName <prefix>u<i>, i
// zero-padded to 6 digits, mail <sam>@la.example, userAccountControl 512 = enabled, no
// password) and groups CN=<prefix>g<j>,OU=Groups,... each with `members_per_group` users
// (group j has users (j * members_per_group + k) mod users, k < members_per_group).
struct AdPopulation {
  std::string ou = "Trustgate";
  std::string prefix = "tg";
  std::size_t users = 0;
  std::size_t groups = 0;
  std::size_t members_per_group = 0;

  std::string ou_dn() const;
  std::string people_dn() const;                // OU=People,OU=<ou>,<base>
  std::string groups_dn() const;                // OU=Groups,OU=<ou>,<base>
  std::string user_name(std::size_t i) const;   // sAMAccountName and CN
  std::string group_name(std::size_t j) const;  // sAMAccountName and CN
  std::string user_dn(std::size_t i) const;
  std::string group_dn(std::size_t j) const;
  // The whole population as LDIF for ldapadd (the OUs first, users before groups).
  std::string ldif() const;
};

class SambaDc {
 public:
  static constexpr const char* kRealm = "LA.EXAMPLE";
  static constexpr const char* kDomain = "LA";
  static constexpr const char* kBaseDn = "DC=la,DC=example";
  static constexpr const char* kAdminDn = "CN=Administrator,CN=Users,DC=la,DC=example";
  static constexpr const char* kAdminPassword = "Tg-Admin-Pass-1";

  // Provisions and starts. Throws std::runtime_error on any failure.
  explicit SambaDc(SambaDcOptions options = {});
  ~SambaDc();
  SambaDc(const SambaDc&) = delete;
  SambaDc& operator=(const SambaDc&) = delete;

  // One DC for the whole process, created on first use, stopped at exit. Not thread-safe on
  // first use.
  static SambaDc& shared();

  const std::string& address() const { return address_; }
  std::string ldap_url() const;   // ldap://ADDR (simple binds allowed; StartTLS available)
  std::string ldaps_url() const;  // ldaps://ADDR
  const std::string& ca_file() const { return ca_file_; }  // signed the server certificate
  const std::string& dir() const { return dir_; }
  // How long provisioning (or copying the template) and the first start took.
  std::chrono::milliseconds provision_time() const { return provision_time_; }

  void stop();
  void start();
  bool running() const { return pid_ > 0; }

  // Online changes as Administrator (simple bind over ldap://ADDR) through ldapadd /
  // ldapmodify / ldapdelete / ldapmodrdn. Throw with the tool's output on failure.
  void add(const std::string& ldif);     // any size: written to a file, then `ldapadd -f`
  void modify(const std::string& ldif);  // changetype records or plain modify records
  void remove(const std::string& dn);
  void rename(const std::string& dn, const std::string& new_rdn,
              const std::string& new_superior = "");
  // Bulk-loads `population` and returns how long ldapadd took.
  std::chrono::milliseconds load(const AdPopulation& population);

  // `ldapsearch -LLL` output (base scope when `base_scope`), for assertions and debugging.
  std::string search(const std::string& base, const std::string& filter,
                     const std::vector<std::string>& attributes, bool base_scope = false);

 private:
  // samba-tool provision plus the offline settings, into `dir`.
  void provision(const std::string& dir);
  void prepare_from_template();
  void write_smb_conf(const std::string& dir);
  void make_certificates();
  void wait_until_ready();
  std::string run_tool(const std::vector<std::string>& argv, const std::string& what);
  std::string write_temp_file(const std::string& content);

  SambaDcOptions options_;
  std::string dir_;
  std::string address_;
  std::string ca_file_, cert_file_, key_file_, password_file_;
  pid_t pid_ = -1;
  int temp_files_ = 0;
  std::chrono::milliseconds provision_time_{0};
};

}  // namespace trustgate
