#include "residence/police_endpoint.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/civil_time.h"
#include "base/resident_id.h"

namespace zhizhi::residence {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using net::ip::tcp;
using nlohmann::json;

struct PoliceEndpoint::Acceptor {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
};

PoliceEndpoint::PoliceEndpoint(EndpointOptions options) : options_(std::move(options)) {}

PoliceEndpoint::~PoliceEndpoint() {
  Stop();
}

Result<std::uint16_t> PoliceEndpoint::Start(const std::string& bind, std::uint16_t port) {
  acceptor_ = std::make_unique<Acceptor>();
  beast::error_code ec;
  const tcp::endpoint endpoint(net::ip::make_address(bind, ec), port);
  if (ec) return Status::InvalidArgument("bind", "bad address " + bind);
  acceptor_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->acceptor.bind(endpoint, ec);
  if (!ec) acceptor_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on " + bind + ": " + ec.message());
  port_ = acceptor_->acceptor.local_endpoint().port();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return port_;
}

void PoliceEndpoint::Stop() {
  if (!acceptor_ || stopping_.exchange(true)) return;
  {
    // Unblock accept() with a connection of our own.
    net::io_context ioc;
    tcp::socket poke(ioc);
    beast::error_code ec;
    poke.connect(tcp::endpoint(acceptor_->acceptor.local_endpoint().address(), port_), ec);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (auto& weak : sockets_) {
      if (auto socket = weak.lock()) {
        beast::error_code ec;
        static_cast<tcp::socket*>(socket.get())->shutdown(tcp::socket::shutdown_both, ec);
      }
    }
    threads.swap(connections_);
  }
  for (auto& t : threads)
    t.join();
  beast::error_code ec;
  acceptor_->acceptor.close(ec);
}

std::vector<ReceivedMessage> PoliceEndpoint::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

void PoliceEndpoint::AcceptLoop() {
  while (!stopping_) {
    auto socket = std::make_shared<tcp::socket>(acceptor_->ioc);
    beast::error_code ec;
    acceptor_->acceptor.accept(*socket, ec);
    if (stopping_) return;
    if (ec) continue;
    std::lock_guard lock(mu_);
    sockets_.push_back(socket);
    connections_.emplace_back([this, socket] { Serve(socket); });
  }
}

void PoliceEndpoint::Serve(std::shared_ptr<void> handle) {
  auto& socket = *static_cast<tcp::socket*>(handle.get());
  beast::flat_buffer buffer;
  while (!stopping_) {
    http::request<http::string_body> request;
    beast::error_code ec;
    http::read(socket, buffer, request, ec);
    if (ec) return;
    std::map<std::string, std::string> headers;
    for (const auto& field : request) {
      headers[std::string(field.name_string())] = std::string(field.value());
    }
    Reply reply;
    if (request.method() != http::verb::post) {
      reply = Reply{405, {{"error", "POST only"}}};
    } else {
      reply = Handle(std::string(request.target()), headers, request.body());
    }
    if (reply.mode == Reply::Mode::kDrop) return;  // the work is done, the answer is lost
    if (reply.mode == Reply::Mode::kSlow) {
      for (int waited = 0; waited < options_.slow_ms && !stopping_; waited += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    http::response<http::string_body> response{static_cast<http::status>(reply.status),
                                               request.version()};
    response.set(http::field::content_type, "application/json; charset=utf-8");
    response.keep_alive(request.keep_alive());
    response.body() = reply.body.dump();
    response.prepare_payload();
    http::write(socket, response, ec);
    if (!ec && options_.answer_twice) http::write(socket, response, ec);
    if (ec || !request.keep_alive()) {
      socket.shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
  }
}

PoliceEndpoint::Reply PoliceEndpoint::Handle(const std::string& target,
                                             const std::map<std::string, std::string>& raw,
                                             const std::string& body) {
  if (target != options_.path) return Reply{404, {{"error", "no such path"}}};
  const int n = ++requests_;
  if (n <= options_.fail_first) return Reply{503, {{"error", "busy, try later"}}};
  // Faults after the work is done: a late answer, then a lost one (first-time or duplicate).
  Reply::Mode mode = Reply::Mode::kNormal;
  if (n <= options_.fail_first + options_.slow_first) {
    mode = Reply::Mode::kSlow;
  } else if (n <= options_.fail_first + options_.slow_first + options_.drop_first) {
    mode = Reply::Mode::kDrop;
  }
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : raw) {
    std::string lower;
    for (char c : name)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[lower] = value;
  }
  auto header = [&](std::string name) {
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  const std::string key = header(kHeaderIdempotency);
  const std::string timestamp = header(kHeaderTimestamp);
  if (key.empty() || timestamp.empty() || header(kHeaderClient).empty() ||
      header(kHeaderSignature).empty()) {
    return Reply{400, {{"error", "missing signature headers"}}};
  }
  const std::string digest = Sha256Hex(body);
  if (header(kHeaderContentSha256) != digest) {
    return Reply{400, {{"error", "X-ZZ-Content-SHA256 does not match the body"}}};
  }
  CanonicalRequest canonical;
  canonical.path = target;
  canonical.client_id = header(kHeaderClient);
  canonical.key_id = header(kHeaderKeyId);
  try {
    canonical.timestamp_ms = std::stoll(timestamp);
  } catch (...) {
    return Reply{400, {{"error", "bad X-ZZ-Timestamp"}}};
  }
  canonical.idempotency_key = key;
  canonical.body_sha256_hex = digest;
  if (!SignatureMatches(options_.hmac_key, CanonicalString(canonical), header(kHeaderSignature))) {
    ++bad_signatures_;
    return Reply{401, {{"error", "bad signature"}}};
  }
  const json message = json::parse(body, nullptr, false);
  if (!message.is_object() || message.value("idempotency_key", "") != key) {
    return Reply{400, {{"error", "body is not a message with this idempotency key"}}};
  }

  std::lock_guard lock(mu_);
  if (auto it = answers_.find(key); it != answers_.end()) {
    ++duplicates_;
    json again = it->second;
    again["duplicate"] = true;
    return Reply{200, again, mode};
  }
  const json& applicant = message.contains("applicant") ? message["applicant"] : json();
  auto id_number = DecryptField(options_.id_key, applicant.value("id_number_enc", ""), key);
  if (!id_number.ok()) return Reply{400, {{"error", id_number.status().message()}}};

  json answer;
  std::optional<std::string> reason;
  if (applicant.value("id_type", "") == "01" && !ResidentIdNumber::Parse(*id_number).ok()) {
    reason = "证件号码无效 (invalid ID number)";
  } else if (options_.reject) {
    reason = options_.reject(message);
  }
  if (reason) {
    answer = {{"result", "rejected"}, {"reason", *reason}};
  } else {
    char receipt[64];
    std::snprintf(receipt, sizeof receipt, "%s%s%06d", options_.receipt_prefix.c_str(),
                  TodayInChina().ToString().c_str(), ++receipts_);
    std::string r = receipt;
    r.erase(std::remove(r.begin(), r.end(), '-'), r.end());
    answer = {{"result", "accepted"}, {"receipt_no", r}};
  }
  answers_[key] = answer;
  ReceivedMessage m{key,
                    message.value("message_type", ""),
                    message.value("registration_ref", ""),
                    *id_number,
                    message,
                    answer};
  messages_.push_back(m);
  if (observer_) observer_(m);

  return Reply{200, answer, mode};
}

}  // namespace zhizhi::residence
