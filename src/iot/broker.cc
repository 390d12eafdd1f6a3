#include "iot/broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/base64.h"
#include "base/file.h"
#include "base/thread_name.h"

namespace zhizhi::iot {

namespace {

Result<std::uint16_t> FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return Status::Internal(std::string("no free loopback port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The TLS listener's lines (none without a TLS port). Options that belong to a listener follow
// its `listener` line; the password file and ACL are global, so they apply to it too.
std::string TlsListener(const BrokerOptions& o) {
  if (o.tls_port == 0) return "";
  return "\nlistener " + std::to_string(o.tls_port) + " " + o.tls_bind + "\ncertfile " +
         o.tls_cert + "\nkeyfile " + o.tls_key + "\ntls_version tlsv1.2\n";
}

bool LoopbackPortFree(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

bool Accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool SafeName(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (c == ':' || c == '\n' || c == '\r' || c == ' ' || c == '\0') return false;
  return true;
}

bool SafeTopic(const std::string& s) {
  return !s.empty() && s.size() <= 256 && s.find_first_of("\n\r\0", 0, 3) == std::string::npos;
}

}  // namespace

std::string MosquittoPasswordHash(std::string_view password) {
  unsigned char salt[12];
  unsigned char hash[64];
  if (RAND_bytes(salt, sizeof salt) != 1 ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt, sizeof salt, 101,
                        EVP_sha512(), sizeof hash, hash) != 1)
    std::abort();  // OpenSSL without randomness or SHA-512: nothing safe to write
  return "$7$101$" + EncodeBase64(std::string_view(reinterpret_cast<char*>(salt), sizeof salt)) +
         "$" + EncodeBase64(std::string_view(reinterpret_cast<char*>(hash), sizeof hash));
}

std::string RandomHex(int bytes) {
  std::string raw(static_cast<std::size_t>(bytes), '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), bytes) != 1) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Result<std::unique_ptr<Broker>> Broker::Start(BrokerOptions options,
                                              std::vector<BrokerClient> clients) {
  std::unique_ptr<Broker> b(new Broker());
  b->options_ = std::move(options);
  if (b->options_.dir.empty()) return Status::InvalidArgument("dir", "the broker needs a folder");
  if (b->options_.tls_port != 0) {
    const std::string& bind = b->options_.tls_bind;
    if (bind.empty() || bind.find_first_of(" \t\n\r") != std::string::npos)
      return Status::InvalidArgument("mqtt-tls-bind", "an address, e.g. 0.0.0.0");
    for (const std::string* file : {&b->options_.tls_cert, &b->options_.tls_key}) {
      if (file->empty() || ::access(file->c_str(), R_OK) != 0 ||
          file->find_first_of("\n\r") != std::string::npos)
        return Status::InvalidArgument("mqtt-tls",
                                       "the MQTT TLS listener needs a readable "
                                       "certificate and key (PEM): " +
                                           *file);
    }
  }
  if (::mkdir(b->options_.dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::Internal("mkdir " + b->options_.dir + ": " + std::strerror(errno));
  if (b->options_.port == 0) {
    // The port devices were told stays theirs across restarts while it is free.
    const std::string port_file = b->options_.dir + "/port";
    auto kept = ReadWholeFile(port_file, 16);
    const int previous = kept.ok() ? std::atoi(kept->c_str()) : 0;
    if (previous > 0 && previous < 65536 &&
        LoopbackPortFree(static_cast<std::uint16_t>(previous))) {
      b->port_ = static_cast<std::uint16_t>(previous);
    } else {
      ZZ_ASSIGN_OR_RETURN(b->port_, FreeLoopbackPort());
      ZZ_RETURN_IF_ERROR(WriteFileDurably(port_file, std::to_string(b->port_) + "\n"));
    }
  } else {
    b->port_ = b->options_.port;
  }
  ZZ_RETURN_IF_ERROR(b->WriteFiles(clients));
  const passwd* user = ::getpwuid(::geteuid());
  const std::string dir = b->options_.dir;
  ZZ_RETURN_IF_ERROR(WriteFileDurably(
      dir + "/mosquitto.conf",
      "# Written by zhizhi (src/iot/broker.cc); rewritten at every start.\n"
      "listener " +
          std::to_string(b->port_) +
          " 127.0.0.1\n"
          "allow_anonymous false\n"
          "password_file " +
          dir +
          "/passwords\n"
          "acl_file " +
          dir +
          "/acl\n"
          "persistence false\n"
          // Bursts wait in the broker rather than being dropped (QoS 0 to
          // zhizhi's subscriber counts here too).
          "max_queued_messages 200000\n"
          "max_queued_bytes 268435456\n"
          "max_packet_size 131072\n"
          "log_dest file " +
          dir +
          "/mosquitto.log\n"
          "log_type error\nlog_type warning\nlog_type notice\n"
          "log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
          "user " +
          std::string(user ? user->pw_name : "root") + "\n" + TlsListener(b->options_)));
  ZZ_RETURN_IF_ERROR(b->Spawn());
  b->supervisor_ = std::thread([raw = b.get()] { raw->Supervise(); });
  return b;
}

Status Broker::WriteFiles(const std::vector<BrokerClient>& clients) {
  return WriteBrokerFiles(options_.dir, options_.patterns, clients);
}

Status WriteBrokerFiles(const std::string& dir, const std::vector<std::string>& patterns,
                        const std::vector<BrokerClient>& clients) {
  std::string passwords, acl;
  for (const std::string& p : patterns) {
    if (!SafeTopic(p)) return Status::InvalidArgument("pattern", "a pattern on one line");
    acl += "pattern " + p + "\n";
  }
  if (!acl.empty()) acl += "\n";
  for (const BrokerClient& c : clients) {
    if (!SafeName(c.username) || c.password_hash.rfind("$7$", 0) != 0)
      return Status::InvalidArgument("username", "a broker client needs a plain name and a hash");
    passwords += c.username + ":" + c.password_hash + "\n";
    if (c.write.empty() && c.read.empty()) continue;  // the patterns say what it may
    acl += "user " + c.username + "\n";
    for (const std::string& t : c.write) {
      if (!SafeTopic(t)) return Status::InvalidArgument("topic", "a topic on one line");
      acl += "topic write " + t + "\n";
    }
    for (const std::string& t : c.read) {
      if (!SafeTopic(t)) return Status::InvalidArgument("topic", "a topic on one line");
      acl += "topic read " + t + "\n";
    }
    acl += "\n";
  }
  ZZ_RETURN_IF_ERROR(WriteFileDurably(dir + "/passwords", passwords));
  return WriteFileDurably(dir + "/acl", acl);
}

Status Broker::Spawn() {
  const std::string conf = options_.dir + "/mosquitto.conf";
  std::string binary = options_.binary;
  if (binary == "mosquitto" && ::access("/usr/sbin/mosquitto", X_OK) == 0)
    binary = "/usr/sbin/mosquitto";  // not on a non-root PATH
  const std::string out = options_.dir + "/mosquitto.out";
  const char* argv[] = {binary.c_str(), "-c", conf.c_str(), nullptr};
  // fork and exec rather than posix_spawn: the child asks to be killed when zhizhi dies, so a
  // zhizhi killed with SIGKILL leaves no broker behind. Between fork and exec only
  // async-signal-safe calls.
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Status::Unavailable(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // zhizhi died before the prctl
    const int in = ::open("/dev/null", O_RDONLY);
    const int log = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in >= 0) ::dup2(in, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::execvp(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  {
    std::lock_guard lock(mu_);
    pid_ = pid;
  }
  for (int i = 0; i < 100; ++i) {
    if (Accepts(port_)) {
      spdlog::info("event=mqtt_broker_started port={} pid={}", port_, pid);
      return Status::Ok();
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      std::lock_guard lock(mu_);
      pid_ = -1;
      return Status::Unavailable(
          "the MQTT broker exited at start (is Debian's mosquitto "
          "installed?); see " +
          options_.dir + "/mosquitto.log and mosquitto.out");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Unavailable("the MQTT broker did not listen on port " + std::to_string(port_) +
                             " within 5 s");
}

void Broker::Supervise() {
  NameThisThread("zz-mqtt-broker");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (pid_ > 0) {
      const pid_t pid = pid_;
      lock.unlock();
      int status = 0;
      ::waitpid(pid, &status, 0);
      lock.lock();
      pid_ = -1;
      cv_.notify_all();
      if (stopping_) break;
      spdlog::warn("event=mqtt_broker_exited pid={} status={} restarting=true", pid, status);
    }
    // Dead (or a start that failed): again in a second, for as long as zhizhi runs.
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    ++restarts_;
    if (Status s = Spawn(); !s.ok())
      spdlog::error("event=mqtt_broker_restart_failed error=\"{}\"", s.ToString());
    lock.lock();
    if (stopping_ && pid_ > 0) {
      // Stopped while starting it again: the new one goes too.
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
}

Status Broker::SetClients(std::vector<BrokerClient> clients) {
  ZZ_RETURN_IF_ERROR(WriteFiles(clients));
  std::lock_guard lock(mu_);
  if (pid_ > 0) ::kill(pid_, SIGHUP);  // reload the password and ACL files; connections stay
  return Status::Ok();
}

pid_t Broker::pid() {
  std::lock_guard lock(mu_);
  return pid_;
}

Broker::~Broker() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  if (pid_ > 0) ::kill(pid_, SIGTERM);
  if (!cv_.wait_for(lock, std::chrono::seconds(5), [this] { return pid_ <= 0; }) && pid_ > 0)
    ::kill(pid_, SIGKILL);
  cv_.notify_all();
  lock.unlock();
  if (supervisor_.joinable()) supervisor_.join();
}

}  // namespace zhizhi::iot
