#include "sim/loopback_client.h"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace zhizhi::sim {

Result<LoopbackUrl> ParseLoopbackUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("url", "the URL must start with http:// (plain HTTP)");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("url", "give the server's base URL, without a path");
  }
  std::string_view host = rest;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8080
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("url", "unclosed [");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return Status::InvalidArgument("url", "bad port");
      port_text = rest.substr(close + 2);
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  LoopbackUrl out;
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Status::InvalidArgument("url", "the port must be 1–65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  if (host == "localhost") {
    out.address = "127.0.0.1";
    return out;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec || !address.is_loopback()) {
    return Status::InvalidArgument(
        "url", "the simulator only talks to a server on this machine (localhost, 127.0.0.1, ::1)");
  }
  out.address = address.to_string();
  return out;
}

nlohmann::json HttpReply::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string HttpReply::Describe() const {
  if (status == 0) return "transport error: " + error;
  std::string text = std::to_string(status) + " " + body.substr(0, 300);
  if (body.size() > 300) text += "…";
  return text;
}

LoopbackClient::LoopbackClient(LoopbackUrl url, std::chrono::milliseconds timeout)
    : client_({.host = std::move(url.address),
               .port = url.port,
               .timeout = timeout,
               .user_agent = "zhizhi-simulate"}) {}

HttpReply LoopbackClient::Request(std::string_view method, std::string_view target,
                                  std::string_view token, std::string body) {
  http::HeaderList headers;
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(token));
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  http::ClientResponse response = client_.Send(method, target, headers, std::move(body));
  return HttpReply{response.status, std::move(response.error), std::move(response.body)};
}

HttpReply LoopbackClient::PostAs(std::string_view target, std::string_view content_type,
                                 std::string body) {
  http::ClientResponse response =
      client_.Send("POST", target, {{"Content-Type", std::string(content_type)}}, std::move(body));
  return HttpReply{response.status, std::move(response.error), std::move(response.body)};
}

}  // namespace zhizhi::sim
