#include "tests/harness/daemon_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/harness/process_stop.h"

namespace trustgate::testing {
namespace fs = std::filesystem;

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

void write(const fs::path& p, const std::string& content, fs::perms perms = fs::perms::none) {
  std::ofstream(p) << content;
  if (perms != fs::perms::none) fs::permissions(p, perms);
}

}  // namespace

DaemonProcess::DaemonProcess(DaemonOptions options) : options_(std::move(options)) {
  std::string tmpl = (fs::temp_directory_path() / "tg-e2e-XXXXXX").string();
  dir_ = ::mkdtemp(tmpl.data());
  port_ = free_loopback_port();
  fs::create_directories(dir_ / "secrets");
  write(dir_ / "directory.ldif", options_.ldif);
  std::string clients;
  for (const auto& c : options_.clients) {
    const fs::path secret = dir_ / "secrets" / (c.id + ".secret");
    write(secret, c.secret + "\n", fs::perms::owner_read | fs::perms::owner_write);
    clients +=
        fmt::format("[[client]]\nid = {}\nkind = {}\n", toml_string(c.id), toml_string(c.kind));
    if (!c.institution.empty()) clients += "institution = " + toml_string(c.institution) + "\n";
    if (!c.certificate_name.empty()) {
      clients += "certificate_name = " + toml_string(c.certificate_name) + "\n";
    }
    clients += "secret_file = " + toml_string(secret.string()) + "\n\n";
  }
  const std::string config = fmt::format(
      "[daemon]\ndatabase = {}\nlog_level = {}\nsync_interval = 3600\n\n"
      "[http]\nlisten = \"127.0.0.1:{}\"\nmax_body_bytes = {}\n{}\n\n"
      "[handoff]\nttl_seconds = {}\n\n"
      "[[source]]\nname = \"test\"\ntype = \"ldif\"\npath = {}\n{}\n\n{}\n{}\n{}\n",
      toml_string(database().string()), toml_string(options_.log_level), port_,
      options_.max_body_bytes, options_.http_toml, options_.ttl_seconds,
      toml_string((dir_ / "directory.ldif").string()), options_.source_toml, options_.mapping_toml,
      clients, options_.extra_toml);
  write(dir_ / "trustgate.toml", config);
  spawn();
}

DaemonProcess::~DaemonProcess() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void DaemonProcess::spawn() {
  const std::string bin = TRUSTGATED_BIN;
  const std::string config = (dir_ / "trustgate.toml").string();
  const std::string log = (dir_ / "daemon.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("CREDENTIALS_DIRECTORY");
    ::unsetenv("TRUSTGATE_CONFIG");
    ::execl(bin.c_str(), bin.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

void DaemonProcess::restart() {
  if (pid_ > 0) stop();
  spawn();
}

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

bool DaemonProcess::wait_ready(std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (!running()) return false;
    try {
      Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
      session.setTimeout(Poco::Timespan(5, 0));
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/readyz",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      session.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::istream& in = session.receiveResponse(resp);
      std::string ignored((std::istreambuf_iterator<char>(in)), {});
      if (resp.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) return true;
    } catch (...) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int DaemonProcess::stop(std::chrono::seconds grace) { return stop_process(pid_, grace); }

bool DaemonProcess::wait_listening(std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (!running()) return false;
    try {
      Poco::Net::StreamSocket probe(
          Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
      return true;
    } catch (...) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void DaemonProcess::write_ldif(const std::string& ldif) {
  // Write then rename: a sync running meanwhile reads the old file or the new, never half.
  const fs::path next = dir_ / "directory.ldif.next";
  write(next, ldif);
  fs::rename(next, dir_ / "directory.ldif");
}

CtlRun DaemonProcess::ctl(const std::vector<std::string>& args) const {
#ifdef TRUSTGATECTL_BIN
  const std::string bin = TRUSTGATECTL_BIN;
#else
  const std::string bin;
#endif
  if (bin.empty()) throw std::runtime_error("daemon harness: no trustgatectl binary");
  std::vector<std::string> argv = {bin, "--config", config_path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path out = dir_ / "ctl.out";
  std::error_code ec;
  fs::remove(out, ec);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("daemon harness: fork failed");
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("CREDENTIALS_DIRECTORY");
    ::unsetenv("TRUSTGATE_CONFIG");
    std::vector<char*> cargs;
    for (const auto& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
    cargs.push_back(nullptr);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  CtlRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  run.output = ss.str();
  return run;
}

long long DaemonProcess::served_revision() const {
  const ApiReply r = http_call(port_, "GET", "/readyz");
  if (r.status != 200) return -1;
  const std::string key = "\"revision\":";
  const auto at = r.body.find(key);
  if (at == std::string::npos) return -1;
  return std::strtoll(r.body.c_str() + at + key.size(), nullptr, 10);
}

ApiReply http_call(int port, const std::string& method, const std::string& target,
                   const std::string& authorization, const std::string& body,
                   const std::string& content_type) {
  ApiReply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!authorization.empty()) req.set("Authorization", authorization);
    const bool with_body = method == "POST" || !body.empty();
    if (with_body) {
      req.setContentType(content_type);
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    std::ostream& out = session.sendRequest(req);
    if (with_body) out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    reply.status = resp.getStatus();
    reply.content_type = resp.getContentType();
    Poco::StreamCopier::copyToString(in, reply.body);
  } catch (...) {
    reply.status = -1;
  }
  return reply;
}

std::string DaemonProcess::log() const {
  std::ifstream in(dir_ / "daemon.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace trustgate::testing
