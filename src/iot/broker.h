// The MQTT broker IoT devices publish to: a real Eclipse Mosquitto (Debian `mosquitto`) that
// zhizhi starts on a free loopback port, supervises (started again if it dies) and stops.
//
// Every client has its own credentials and may use only its own topics: the broker's password
// file (PBKDF2-SHA512, Mosquitto's own "$7$" format) and ACL file are written by zhizhi. A change
// of credentials never disturbs live connections: both files are written to a copy, renamed into
// place, and the broker is told to reload them (SIGHUP).
//
//   DIR/mosquitto.conf  the configuration (listener, files, no anonymous clients, no persistence)
//   DIR/passwords       username:$7$101$salt$hash per client
//   DIR/acl             per client: the topics it may write and read
//   DIR/mosquitto.log   the broker's log
//
// Thread-safety: SetClients and the destructor may be called from any thread (one at a time).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"

namespace zhizhi::iot {

struct BrokerClient {
  std::string username;
  std::string password_hash;       // MosquittoPasswordHash(password)
  std::vector<std::string> write;  // topics (MQTT filters) it may publish on
  std::vector<std::string> read;   // topics it may subscribe to
};

// Mosquitto's password-file hash of `password`: "$7$101$" + base64(12-byte salt) + "$" +
// base64(PBKDF2-HMAC-SHA512(password, salt, 101 iterations, 64 bytes)).
std::string MosquittoPasswordHash(std::string_view password);
// `bytes` random bytes from OpenSSL's generator, as lower-case hex (passwords, client ids).
std::string RandomHex(int bytes);

// Writes `dir`/passwords and `dir`/acl for `clients` (each file to a copy, renamed into place),
// with `patterns` (ACL lines for every client) first.
Status WriteBrokerFiles(const std::string& dir, const std::vector<std::string>& patterns,
                        const std::vector<BrokerClient>& clients);

struct BrokerOptions {
  std::string dir;                   // where its files go (created, mode 0700)
  std::string binary = "mosquitto";  // found on PATH, or /usr/sbin/mosquitto
  std::uint16_t port = 0;            // 0: a free loopback port
  // ACL patterns for every client ("write zz/dev/%u/up": a client's own topics by its name),
  // so that thousands of devices need no line of their own.
  std::vector<std::string> patterns;
  // A second listener with TLS for devices elsewhere (0: none): the same credentials and ACL.
  std::uint16_t tls_port = 0;
  std::string tls_bind = "0.0.0.0";
  std::string tls_cert, tls_key;  // PEM files
};

class Broker {
 public:
  // Writes the files for `clients`, starts the broker and waits until it accepts connections.
  static Result<std::unique_ptr<Broker>> Start(BrokerOptions options,
                                               std::vector<BrokerClient> clients);
  ~Broker();  // stops it (SIGTERM, then SIGKILL after 5 s)

  std::uint16_t port() const { return port_; }
  // Replaces the clients: files rewritten (copy, rename) and the broker told to reload them.
  Status SetClients(std::vector<BrokerClient> clients);
  // Times the broker was started again after it died.
  int restarts() const { return restarts_.load(); }
  // The broker's process (-1 between a death and its restart).
  pid_t pid();

 private:
  Broker() = default;
  Status WriteFiles(const std::vector<BrokerClient>& clients);
  Status Spawn();
  void Supervise();

  BrokerOptions options_;
  std::uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = -1;
  bool stopping_ = false;
  std::atomic<int> restarts_{0};
  std::thread supervisor_;
};

}  // namespace zhizhi::iot
