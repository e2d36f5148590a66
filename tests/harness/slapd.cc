#include "tests/harness/slapd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace trustgate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSlapd = "/usr/sbin/slapd";
constexpr const char* kSlapadd = "/usr/sbin/slapadd";
constexpr const char* kSchemaDir = "/etc/ldap/schema";
constexpr const char* kModuleDir = "/usr/lib/ldap";

struct ProcessResult {
  int exit_code = -1;
  std::string output;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("slapd harness: cannot write " + path);
}

std::string tail(const std::string& s, std::size_t n = 2000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// The environment for child processes: ours, with libldap told to ignore ldap.conf/.ldaprc.
std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "LDAP", 4) != 0) env.emplace_back(*e);
  }
  env.emplace_back("LDAPNOINIT=1");
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts argv[0] with stdin from /dev/null and stdout+stderr appended to `log_path`.
pid_t spawn(std::vector<std::string> argv, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  auto env = child_environment();
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("slapd harness: cannot run " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

ProcessResult run(const std::vector<std::string>& argv, const std::string& log_path) {
  fs::remove(log_path);
  const pid_t pid = spawn(argv, log_path);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = read_file(log_path);
  return result;
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("slapd harness: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("slapd harness: cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string url_encode_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/')
      out += "%2F";
    else
      out += c;
  }
  return out;
}

std::string make_temp_dir() {
  std::string base = "/tmp";
  if (const char* t = std::getenv("TMPDIR"); t && *t && std::strlen(t) < 60) base = t;
  std::string templ = base + "/tg-slapd-XXXXXX";
  if (!::mkdtemp(templ.data()))
    throw std::runtime_error("slapd harness: cannot create a temp folder under " + base);
  return templ;
}

}  // namespace

std::string SlapdServer::base_ldif() {
  return "dn: dc=la,dc=example\n"
         "objectClass: dcObject\n"
         "objectClass: organization\n"
         "dc: la\n"
         "o: Local Authority\n"
         "\n"
         "dn: ou=people,dc=la,dc=example\n"
         "objectClass: organizationalUnit\n"
         "ou: people\n"
         "\n"
         "dn: ou=groups,dc=la,dc=example\n"
         "objectClass: organizationalUnit\n"
         "ou: groups\n"
         "\n";
}

SlapdServer::SlapdServer(SlapdOptions options) : options_(std::move(options)) {
  for (const char* tool :
       {kSlapd, kSlapadd, "/usr/bin/ldapsearch", "/usr/bin/ldapadd", "/usr/bin/openssl"}) {
    if (::access(tool, X_OK) != 0)
      throw std::runtime_error(std::string("slapd is not installed (missing ") + tool +
                               "): run scripts/setup.sh (packages slapd ldap-utils openssl)");
  }
  dir_ = make_temp_dir();
  try {
    make_certificates();
    write_config();
    const std::string data = dir_ + "/data.ldif";
    write_file(data, options_.ldif.empty() ? base_ldif() : options_.ldif);
    std::vector<std::string> load = {kSlapadd, "-q", "-w", "-F", dir_ + "/slapd.d",
                                     "-n",     "1",  "-l", data};
    auto r = run(load, dir_ + "/slapadd-data.log");
    if (r.exit_code != 0)
      throw std::runtime_error("slapd harness: slapadd of the test data failed: " + tail(r.output));
    std::string why;
    for (int attempt = 0; attempt < 5; ++attempt) {
      ldap_port_ = free_port();
      ldaps_port_ = free_port();
      if (ldaps_port_ == ldap_port_) continue;
      if (try_start(why)) return;
    }
    throw std::runtime_error("slapd harness: slapd did not start: " + why);
  } catch (...) {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

SlapdServer::~SlapdServer() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SlapdServer::ldap_url() const {
  return "ldap://127.0.0.1:" + std::to_string(ldap_port_);
}
std::string SlapdServer::ldaps_url() const {
  return "ldaps://127.0.0.1:" + std::to_string(ldaps_port_);
}
std::string SlapdServer::ldapi_url() const { return "ldapi://" + url_encode_path(dir_ + "/ldapi"); }

void SlapdServer::make_certificates() {
  ca_file_ = dir_ + "/ca.pem";
  wrong_ca_file_ = dir_ + "/wrong-ca.pem";
  cert_file_ = dir_ + "/server.pem";
  key_file_ = dir_ + "/server.key";
  const std::string log = dir_ + "/openssl.log";
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                       "-nodes"};
  auto openssl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    auto r = run(args, log);
    if (r.exit_code != 0)
      throw std::runtime_error("slapd harness: `" + join(args) + "` failed: " + tail(r.output));
  };
  auto ca = [&](const std::string& name, const std::string& cn) {
    std::vector<std::string> args = {"req", "-x509"};
    args.insert(args.end(), ec.begin(), ec.end());
    args.insert(args.end(), {"-keyout", dir_ + "/" + name + ".key", "-out",
                             dir_ + "/" + name + ".pem", "-days", "3", "-subj", "/CN=" + cn});
    openssl(args);
  };
  ca("ca", "trustgate test CA");
  ca("wrong-ca", "unrelated test CA");
  std::vector<std::string> csr = {"req", "-new"};
  csr.insert(csr.end(), ec.begin(), ec.end());
  csr.insert(csr.end(),
             {"-keyout", key_file_, "-out", dir_ + "/server.csr", "-subj", "/CN=localhost"});
  openssl(csr);
  write_file(dir_ + "/server.ext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
             "basicConstraints=CA:FALSE\n"
             "keyUsage=digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=serverAuth\n");
  openssl({"x509", "-req", "-in", dir_ + "/server.csr", "-CA", ca_file_, "-CAkey", dir_ + "/ca.key",
           "-CAcreateserial", "-out", cert_file_, "-days", "3", "-extfile", dir_ + "/server.ext"});
}

void SlapdServer::write_config() {
  fs::create_directories(dir_ + "/slapd.d");
  fs::create_directories(dir_ + "/data");
  std::string modules = "olcModuleLoad: back_mdb\nolcModuleLoad: syncprov\n";
  if (options_.memberof) modules += "olcModuleLoad: memberof\n";
  if (options_.refint) modules += "olcModuleLoad: refint\n";
  std::string ldif =
      "dn: cn=config\n"
      "objectClass: olcGlobal\n"
      "cn: config\n"
      "olcPidFile: " +
      dir_ +
      "/slapd.pid\n"
      "olcArgsFile: " +
      dir_ +
      "/slapd.args\n"
      "olcTLSCACertificateFile: " +
      ca_file_ +
      "\n"
      "olcTLSCertificateFile: " +
      cert_file_ +
      "\n"
      "olcTLSCertificateKeyFile: " +
      key_file_ +
      "\n"
      "\n"
      "dn: cn=module{0},cn=config\n"
      "objectClass: olcModuleList\n"
      "cn: module{0}\n"
      "olcModulePath: " +
      std::string(kModuleDir) + "\n" + modules +
      "\n"
      "dn: cn=schema,cn=config\n"
      "objectClass: olcSchemaConfig\n"
      "cn: schema\n"
      "\n";
  for (const char* schema : {"core", "cosine", "inetorgperson", "nis"})
    ldif += "include: file://" + std::string(kSchemaDir) + "/" + schema + ".ldif\n\n";
  ldif +=
      "dn: olcDatabase={-1}frontend,cn=config\n"
      "objectClass: olcDatabaseConfig\n"
      "objectClass: olcFrontendConfig\n"
      "olcDatabase: {-1}frontend\n"
      "olcSizeLimit: unlimited\n"
      "\n"
      "dn: olcDatabase={0}config,cn=config\n"
      "objectClass: olcDatabaseConfig\n"
      "olcDatabase: {0}config\n"
      "olcAccess: {0}to * by * none\n"
      "\n"
      "dn: olcDatabase={1}mdb,cn=config\n"
      "objectClass: olcDatabaseConfig\n"
      "objectClass: olcMdbConfig\n"
      "olcDatabase: {1}mdb\n"
      "olcDbDirectory: " +
      dir_ +
      "/data\n"
      "olcSuffix: " +
      std::string(kSuffix) +
      "\n"
      "olcRootDN: " +
      std::string(kRootDn) +
      "\n"
      "olcRootPW: " +
      std::string(kRootPassword) +
      "\n"
      "olcSizeLimit: " +
      options_.size_limit +
      "\n"
      "olcDbNoSync: TRUE\n"
      "olcDbMaxSize: 1073741824\n"
      "olcDbIndex: objectClass eq\n"
      "olcDbIndex: entryUUID,entryCSN eq\n"
      "olcDbIndex: member,uniqueMember eq\n"
      "olcAccess: {0}to * by * read\n"
      "\n"
      "dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config\n"
      "objectClass: olcOverlayConfig\n"
      "objectClass: olcSyncProvConfig\n"
      "olcOverlay: {0}syncprov\n"
      "olcSpCheckpoint: 100 10\n"
      "olcSpSessionlog: 100000\n"
      "\n";
  int overlay = 1;
  if (options_.memberof) {
    ldif += "dn: olcOverlay={" + std::to_string(overlay) +
            "}memberof,olcDatabase={1}mdb,cn=config\n"
            "objectClass: olcOverlayConfig\n"
            "objectClass: olcMemberOf\n"
            "olcOverlay: {" +
            std::to_string(overlay) +
            "}memberof\n"
            "olcMemberOfRefInt: TRUE\n"
            "\n";
    ++overlay;
  }
  if (options_.refint) {
    ldif += "dn: olcOverlay={" + std::to_string(overlay) +
            "}refint,olcDatabase={1}mdb,cn=config\n"
            "objectClass: olcOverlayConfig\n"
            "objectClass: olcRefintConfig\n"
            "olcOverlay: {" +
            std::to_string(overlay) +
            "}refint\n"
            "olcRefintAttribute: member uniqueMember\n"
            "\n";
  }
  const std::string path = dir_ + "/config.ldif";
  write_file(path, ldif);
  auto r =
      run({kSlapadd, "-n", "0", "-F", dir_ + "/slapd.d", "-l", path}, dir_ + "/slapadd-config.log");
  if (r.exit_code != 0)
    throw std::runtime_error("slapd harness: slapadd of cn=config failed: " + tail(r.output));
}

bool SlapdServer::try_start(std::string& why) {
  const std::string urls = ldap_url() + "/ " + ldaps_url() + "/ " + ldapi_url() + "/";
  const std::string log = dir_ + "/slapd.log";
  pid_ = spawn({kSlapd, "-d", "0", "-F", dir_ + "/slapd.d", "-h", urls}, log);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      why = "slapd exited at start-up: " + tail(read_file(log));
      return false;
    }
    auto r = run({"/usr/bin/ldapsearch", "-x", "-H", ldap_url(), "-b", "", "-s", "base", "-LLL",
                  "namingContexts"},
                 dir_ + "/probe.log");
    if (r.exit_code == 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  why = "the rootDSE did not answer within 20s: " + tail(read_file(log));
  stop();
  return false;
}

void SlapdServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void SlapdServer::start() {
  if (pid_ > 0) return;
  std::string why;
  if (!try_start(why)) throw std::runtime_error("slapd harness: restart failed: " + why);
}

void SlapdServer::restart() {
  stop();
  start();
}

std::string SlapdServer::write_temp_file(const std::string& content) {
  const std::string path = dir_ + "/change-" + std::to_string(++temp_files_) + ".ldif";
  write_file(path, content);
  return path;
}

void SlapdServer::run_tool(const std::vector<std::string>& argv, const std::string& what) {
  std::vector<std::string> full = {argv[0], "-x",    "-H", ldap_url(),
                                   "-D",    kRootDn, "-w", kRootPassword};
  full.insert(full.end(), argv.begin() + 1, argv.end());
  auto r = run(full, dir_ + "/tool.log");
  if (r.exit_code != 0)
    throw std::runtime_error("slapd harness: " + what + " failed (exit " +
                             std::to_string(r.exit_code) + "): " + tail(r.output));
}

void SlapdServer::add(const std::string& ldif) {
  run_tool({"/usr/bin/ldapadd", "-f", write_temp_file(ldif)}, "ldapadd");
}

void SlapdServer::modify(const std::string& ldif) {
  run_tool({"/usr/bin/ldapmodify", "-f", write_temp_file(ldif)}, "ldapmodify");
}

void SlapdServer::remove(const std::string& dn) {
  run_tool({"/usr/bin/ldapdelete", dn}, "ldapdelete " + dn);
}

void SlapdServer::modrdn(const std::string& dn, const std::string& new_rdn,
                         const std::string& new_superior) {
  std::vector<std::string> argv = {"/usr/bin/ldapmodrdn", "-r"};
  if (!new_superior.empty()) {
    argv.push_back("-s");
    argv.push_back(new_superior);
  }
  argv.push_back(dn);
  argv.push_back(new_rdn);
  run_tool(argv, "ldapmodrdn " + dn);
}

}  // namespace trustgate
