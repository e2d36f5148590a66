#include "tests/harness/samba_dc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace trustgate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

[[noreturn]] void fail_harness(const std::string& message) {
  throw std::runtime_error("samba harness: " + message);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) fail_harness("cannot write " + path);
  }
  ::chmod(path.c_str(), mode);
}

std::string tail(const std::string& s, std::size_t n = 3000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// An executable named `name` on PATH or in the sbin/bin folders; "" when none.
std::string find_program(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
  for (const char* d : {"/usr/sbin", "/usr/bin", "/sbin", "/bin"}) dirs.emplace_back(d);
  for (const auto& d : dirs) {
    const std::string p = d + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string require_program(const std::string& name, const std::string& package) {
  std::string p = find_program(name);
  if (p.empty())
    fail_harness(fmt::format("'{}' is not installed (package {}; scripts/setup.sh installs it)",
                             name, package));
  return p;
}

// Children get our environment minus LDAP* (libldap must ignore ldap.conf/.ldaprc) and with
// TDB_NO_FSYNC=1 (Samba's own test suite setting: no fsync for throwaway databases).
std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "LDAP", 4) != 0 && std::strncmp(*e, "TDB_NO_FSYNC=", 13) != 0)
      env.emplace_back(*e);
  }
  env.emplace_back("LDAPNOINIT=1");
  env.emplace_back("TDB_NO_FSYNC=1");
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts argv[0] with stdin from /dev/null and stdout+stderr written to `log_path`.
pid_t spawn(std::vector<std::string> argv, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  auto env = child_environment();
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) fail_harness("cannot run " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Whether nothing listens on (or holds) the LDAP/GC ports of `address`.
bool address_free(const std::string& address) {
  for (int port : {389, 636, 3268, 3269}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail_harness("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
      ::close(fd);
      fail_harness("bad address " + address);
    }
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (!ok) return false;
  }
  return true;
}

std::string pick_address() {
  if (address_free("127.0.0.2")) return "127.0.0.2";
  std::random_device rd;
  std::mt19937 gen(rd());
  std::uniform_int_distribution<int> octet(1, 254);
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::string a = fmt::format("127.{}.{}.{}", octet(gen), octet(gen), octet(gen));
    if (address_free(a)) return a;
  }
  fail_harness("no free 127.x.y.z address for the LDAP ports");
}

std::string make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "trustgate-samba-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) fail_harness("mkdtemp failed: " + std::string(std::strerror(errno)));
  return tmpl;
}

std::string pad(std::size_t n, int width) { return fmt::format("{:0{}}", n, width); }

}  // namespace

// --- AdPopulation -------------------------------------------------------------------------

std::string AdPopulation::ou_dn() const { return fmt::format("OU={},{}", ou, SambaDc::kBaseDn); }
std::string AdPopulation::people_dn() const { return "OU=People," + ou_dn(); }
std::string AdPopulation::groups_dn() const { return "OU=Groups," + ou_dn(); }
std::string AdPopulation::user_name(std::size_t i) const { return prefix + "u" + pad(i, 6); }
std::string AdPopulation::group_name(std::size_t j) const { return prefix + "g" + pad(j, 6); }
std::string AdPopulation::user_dn(std::size_t i) const {
  return fmt::format("CN={},{}", user_name(i), people_dn());
}
std::string AdPopulation::group_dn(std::size_t j) const {
  return fmt::format("CN={},{}", group_name(j), groups_dn());
}

std::string AdPopulation::ldif() const {
  std::string out;
  out.reserve(users * 220 + groups * (200 + members_per_group * 64));
  for (const auto& dn : {ou_dn(), people_dn(), groups_dn()})
    out += fmt::format("dn: {}\nobjectClass: organizationalUnit\n\n", dn);
  for (std::size_t i = 0; i < users; ++i) {
    const std::string name = user_name(i);
    out += fmt::format(
        "dn: {}\nobjectClass: user\nsAMAccountName: {}\nuserPrincipalName: {}@la.example\n"
        "displayName: User {}\nmail: {}@la.example\nuserAccountControl: 512\n\n",
        user_dn(i), name, name, i, name);
  }
  for (std::size_t j = 0; j < groups; ++j) {
    out += fmt::format("dn: {}\nobjectClass: group\nsAMAccountName: {}\ndescription: group {}\n",
                       group_dn(j), group_name(j), j);
    if (users > 0) {
      for (std::size_t k = 0; k < members_per_group && k < users; ++k)
        out += fmt::format("member: {}\n", user_dn((j * members_per_group + k) % users));
    }
    out += "\n";
  }
  return out;
}

// --- SambaDc ------------------------------------------------------------------------------

SambaDc::SambaDc(SambaDcOptions options) : options_(std::move(options)) {
  if (::geteuid() != 0)
    fail_harness("the Samba AD DC fixture must run as root (samba refuses otherwise)");
  for (auto [program, package] : {std::pair{"samba", "samba"},
                                  {"samba-tool", "samba"},
                                  {"ldapadd", "ldap-utils"},
                                  {"openssl", "openssl"}})
    require_program(program, package);
  address_ = options_.address.empty() ? pick_address() : options_.address;
  dir_ = make_temp_dir();
  const auto started = std::chrono::steady_clock::now();
  try {
    if (options_.reuse_template) {
      prepare_from_template();
    } else {
      provision(dir_);
    }
    make_certificates();
    write_smb_conf(dir_);
    password_file_ = dir_ + "/admin.pass";
    write_file(password_file_, kAdminPassword);  // no newline: ldap tools read it verbatim
    start();
  } catch (...) {
    stop();
    std::error_code ec;
    if (!std::getenv("TRUSTGATE_KEEP_SAMBA")) fs::remove_all(dir_, ec);
    throw;
  }
  provision_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
}

SambaDc::~SambaDc() {
  stop();
  std::error_code ec;
  if (!std::getenv("TRUSTGATE_KEEP_SAMBA")) fs::remove_all(dir_, ec);
}

SambaDc& SambaDc::shared() {
  static std::unique_ptr<SambaDc> dc = std::make_unique<SambaDc>();
  return *dc;
}

std::string SambaDc::ldap_url() const { return "ldap://" + address_; }
std::string SambaDc::ldaps_url() const { return "ldaps://" + address_; }

std::string SambaDc::run_tool(const std::vector<std::string>& argv, const std::string& what) {
  const std::string log = fmt::format("{}/tool-{}.log", dir_, temp_files_++);
  const int rc = wait_for(spawn(argv, log));
  std::string output = read_file(log);
  fs::remove(log);
  if (rc != 0)
    fail_harness(fmt::format("{} failed (exit {}): {}\n{}", what, rc, join(argv), tail(output)));
  return output;
}

std::string SambaDc::write_temp_file(const std::string& content) {
  const std::string path = fmt::format("{}/input-{}.ldif", dir_, temp_files_++);
  write_file(path, content);
  return path;
}

void SambaDc::make_certificates() {
  const std::string tls = dir_ + "/tls";
  fs::create_directories(tls);
  ca_file_ = tls + "/ca.pem";
  cert_file_ = tls + "/cert.pem";
  key_file_ = tls + "/key.pem";
  const std::string openssl = require_program("openssl", "openssl");
  run_tool({openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tls + "/ca.key",
            "-out", ca_file_, "-days", "2", "-subj", "/CN=trustgate test CA"},
           "making the test CA");
  run_tool({openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key_file_, "-out",
            tls + "/server.csr", "-subj", "/CN=dc1.la.example"},
           "making the server key");
  write_file(tls + "/ext.cnf",
             fmt::format("subjectAltName=IP:{},DNS:localhost,DNS:dc1.la.example\n", address_));
  run_tool({openssl, "x509", "-req", "-in", tls + "/server.csr", "-CA", ca_file_, "-CAkey",
            tls + "/ca.key", "-CAcreateserial", "-out", cert_file_, "-days", "2", "-extfile",
            tls + "/ext.cnf"},
           "signing the server certificate");
  ::chmod(key_file_.c_str(), 0600);  // Samba refuses a key others can read
}

void SambaDc::write_smb_conf(const std::string& d) {
  // Everything under `d`: provisioning leaves /var/log/samba and /run/samba paths behind.
  for (const char* sub : {"run", "log", "cache", "run/ncalrpc", "run/winbindd", "run/ntp_signd"})
    fs::create_directories(d + "/" + sub);
  write_file(d + "/etc/smb.conf",
             fmt::format(R"([global]
	netbios name = DC1
	realm = {realm}
	workgroup = {domain}
	server role = active directory domain controller
	server services = ldap
	interfaces = {addr}/8
	bind interfaces only = yes
	ldap server require strong auth = no
	private dir = {d}/private
	state directory = {d}/state
	cache directory = {d}/cache
	lock directory = {d}
	pid directory = {d}/run
	ncalrpc dir = {d}/run/ncalrpc
	winbindd socket directory = {d}/run/winbindd
	ntp signd socket directory = {d}/run/ntp_signd
	binddns dir = {d}/bind-dns
	log file = {d}/log/samba.log
	log level = 1
	tls enabled = yes
	tls keyfile = {key}
	tls certfile = {cert}
	tls cafile = {ca}
	idmap_ldb:use rfc2307 = yes
)",
                         fmt::arg("realm", kRealm), fmt::arg("domain", kDomain),
                         fmt::arg("addr", address_), fmt::arg("d", d), fmt::arg("key", key_file_),
                         fmt::arg("cert", cert_file_), fmt::arg("ca", ca_file_)),
             0644);
}

void SambaDc::provision(const std::string& dir) {
  const std::string tool = require_program("samba-tool", "samba");
  run_tool({tool, "domain", "provision", "--targetdir=" + dir, std::string("--realm=") + kRealm,
            std::string("--domain=") + kDomain, "--server-role=dc", "--dns-backend=NONE",
            "--use-rfc2307", "--host-name=dc1", "--host-ip=" + address_,
            std::string("--adminpass=") + kAdminPassword, "--option=interfaces=" + address_ + "/8",
            "--option=bind interfaces only=yes"},
           "provisioning the Samba AD DC (samba-ad-provision, samba-dsdb-modules and "
           "samba-vfs-modules must be installed)");
  write_smb_conf(dir);
  // Offline: users may then be created without passwords (none of the tests log in as them).
  run_tool({tool, "domain", "passwordsettings", "set", "-s", dir + "/etc/smb.conf", "-H",
            dir + "/private/sam.ldb", "--complexity=off", "--min-pwd-length=0",
            "--history-length=0", "--min-pwd-age=0", "--max-pwd-age=0"},
           "relaxing the password policy");
}

void SambaDc::prepare_from_template() {
  // The databases hold no absolute paths (smb.conf, rewritten per DC, does), and the LDAP
  // service does not care which address the DC was provisioned with, so a copy serves.
  std::string version =
      run_tool({require_program("samba", "samba"), "--version"}, "samba --version");
  std::string key;
  for (char c : version)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.') key += c;
  const fs::path tmp = fs::temp_directory_path();
  const std::string name = fmt::format("trustgate-samba-template-v1-{}-{}", ::geteuid(), key);
  const fs::path template_dir = tmp / name;
  const std::string lock_path = (tmp / (name + ".lock")).string();
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) fail_harness("cannot open " + lock_path + ": " + std::strerror(errno));
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing drops the flock
  } unlock{lock};
  while (::flock(lock, LOCK_EX) != 0) {
    if (errno != EINTR) fail_harness("cannot lock " + lock_path + ": " + std::strerror(errno));
  }
  if (!fs::exists(template_dir / "READY")) {
    std::error_code ec;
    fs::remove_all(template_dir, ec);
    std::string building = (tmp / (name + "-XXXXXX")).string();
    if (!::mkdtemp(building.data()))
      fail_harness("mkdtemp failed: " + std::string(std::strerror(errno)));
    try {
      provision(building);
      write_file(building + "/READY", "");
      fs::rename(building, template_dir);
    } catch (...) {
      fs::remove_all(building, ec);
      throw;
    }
  }
  fs::copy(template_dir, dir_, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::remove(fs::path(dir_) / "READY");
}

void SambaDc::start() {
  if (pid_ > 0) return;
  const std::string samba = require_program("samba", "samba");
  pid_ = spawn(
      {samba, "-s", dir_ + "/etc/smb.conf", "-M", "single", "--foreground", "--no-process-group",
       "--debug-stdout", fmt::format("--maximum-runtime={}", options_.max_runtime.count())},
      dir_ + "/samba.out");
  wait_until_ready();
}

void SambaDc::wait_until_ready() {
  const std::string ldapsearch = require_program("ldapsearch", "ldap-utils");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      fail_harness(fmt::format("samba exited while starting:\n{}\n{}",
                               tail(read_file(dir_ + "/samba.out")),
                               tail(read_file(dir_ + "/log/samba.log"))));
    }
    const std::string log = fmt::format("{}/ready.log", dir_);
    const int rc = wait_for(spawn({ldapsearch, "-x", "-LLL", "-o", "nettimeout=2", "-H", ldap_url(),
                                   "-b", "", "-s", "base", "dsServiceName"},
                                  log));
    if (rc == 0) return;
    std::this_thread::sleep_for(100ms);
  }
  stop();
  fail_harness(fmt::format("samba did not answer LDAP on {} within 60 s:\n{}", ldap_url(),
                           tail(read_file(dir_ + "/samba.out"))));
}

void SambaDc::stop() {
  if (pid_ <= 0) return;
  int status = 0;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void SambaDc::add(const std::string& ldif) {
  const std::string file = write_temp_file(ldif);
  run_tool({require_program("ldapadd", "ldap-utils"), "-x", "-H", ldap_url(), "-D", kAdminDn, "-y",
            password_file_, "-f", file},
           "ldapadd");
  fs::remove(file);
}

void SambaDc::modify(const std::string& ldif) {
  const std::string file = write_temp_file(ldif);
  run_tool({require_program("ldapmodify", "ldap-utils"), "-x", "-H", ldap_url(), "-D", kAdminDn,
            "-y", password_file_, "-f", file},
           "ldapmodify");
  fs::remove(file);
}

void SambaDc::remove(const std::string& dn) {
  run_tool({require_program("ldapdelete", "ldap-utils"), "-x", "-H", ldap_url(), "-D", kAdminDn,
            "-y", password_file_, dn},
           "ldapdelete");
}

void SambaDc::rename(const std::string& dn, const std::string& new_rdn,
                     const std::string& new_superior) {
  std::vector<std::string> argv = {require_program("ldapmodrdn", "ldap-utils"),
                                   "-x",
                                   "-H",
                                   ldap_url(),
                                   "-D",
                                   kAdminDn,
                                   "-y",
                                   password_file_,
                                   "-r"};
  if (!new_superior.empty()) {
    argv.push_back("-s");
    argv.push_back(new_superior);
  }
  argv.push_back(dn);
  argv.push_back(new_rdn);
  run_tool(argv, "ldapmodrdn");
}

std::chrono::milliseconds SambaDc::load(const AdPopulation& population) {
  const auto started = std::chrono::steady_clock::now();
  add(population.ldif());
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started);
}

std::string SambaDc::search(const std::string& base, const std::string& filter,
                            const std::vector<std::string>& attributes, bool base_scope) {
  std::vector<std::string> argv = {require_program("ldapsearch", "ldap-utils"),
                                   "-x",
                                   "-LLL",
                                   "-o",
                                   "ldif-wrap=no",
                                   "-H",
                                   ldap_url(),
                                   "-D",
                                   kAdminDn,
                                   "-y",
                                   password_file_,
                                   "-b",
                                   base,
                                   "-s",
                                   base_scope ? "base" : "sub",
                                   filter};
  argv.insert(argv.end(), attributes.begin(), attributes.end());
  return run_tool(argv, "ldapsearch");
}

}  // namespace trustgate
