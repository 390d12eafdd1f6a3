#include "iot/mqtt_client.h"

#include <mosquitto.h>

#include <charconv>
#include <chrono>
#include <thread>

#include "iot/broker.h"

namespace zhizhi::iot {

namespace {

// mosquitto_lib_init once per process, before the first client.
void InitLibrary() {
  static const int once = [] {
    mosquitto_lib_init();
    return 0;
  }();
  (void)once;
}

}  // namespace

Result<MqttOptions> ParseMqttUrl(std::string_view url) {
  constexpr std::string_view kScheme = "mqtt://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Status::InvalidArgument("mqtt", "the broker URL starts with mqtt://");
  url.remove_prefix(kScheme.size());
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  MqttOptions o;
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = url.substr(0, at);
    url.remove_prefix(at + 1);
    const auto colon = credentials.find(':');
    o.username = std::string(credentials.substr(0, colon));
    if (colon != std::string_view::npos) o.password = std::string(credentials.substr(colon + 1));
  }
  std::string_view host = url;
  if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    const std::string_view port = url.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return Status::InvalidArgument("mqtt", "the broker URL's port is 1 to 65535");
    o.port = static_cast<std::uint16_t>(value);
  }
  if (host.empty() || host.find_first_of("/?# ") != std::string_view::npos)
    return Status::InvalidArgument("mqtt", "the broker URL names no host");
  o.host = std::string(host);
  return o;
}

MqttClient::MqttClient(MqttOptions options) : options_(std::move(options)) {
  InitLibrary();
  if (options_.client_id.empty()) options_.client_id = "zz-" + RandomHex(8);
  m_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this);
  if (m_ == nullptr) return;
  if (!options_.username.empty())
    mosquitto_username_pw_set(m_, options_.username.c_str(),
                              options_.password.empty() ? nullptr : options_.password.c_str());
  mosquitto_reconnect_delay_set(m_, 1, 30, true);
  if (!options_.ca_file.empty())
    tls_error_ =
        mosquitto_tls_set(m_, options_.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
  mosquitto_connect_callback_set(m_, &MqttClient::HandleConnect);
  mosquitto_disconnect_callback_set(m_, &MqttClient::HandleDisconnect);
  mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
    auto* client = static_cast<MqttClient*>(self);
    if (!client->on_message_ || msg->topic == nullptr) return;
    client->on_message_(
        msg->topic,
        std::string_view(static_cast<const char*>(msg->payload),
                         msg->payloadlen > 0 ? static_cast<std::size_t>(msg->payloadlen) : 0));
  });
}

void MqttClient::Stop() {
  if (m_ == nullptr || !loop_started_) return;
  mosquitto_disconnect(m_);
  mosquitto_loop_stop(m_, /*force=*/false);
  loop_started_ = false;
  connected_.store(false);
}

MqttClient::~MqttClient() {
  if (m_ == nullptr) return;
  Stop();
  mosquitto_destroy(m_);
}

void MqttClient::HandleConnect(mosquitto* m, void* self, int rc) {
  auto* client = static_cast<MqttClient*>(self);
  client->connack_.store(rc);
  if (rc != 0) return;
  for (const auto& [filter, qos] : client->filters_)
    mosquitto_subscribe(m, nullptr, filter.c_str(), qos);
  client->connected_.store(true);
}

void MqttClient::HandleDisconnect(mosquitto*, void* self, int) {
  static_cast<MqttClient*>(self)->connected_.store(false);
}

Status MqttClient::Connect(int timeout_ms) {
  if (m_ == nullptr) return Status::Internal("libmosquitto could not create a client");
  if (tls_error_ != MOSQ_ERR_SUCCESS)
    return Status::InvalidArgument("ca_file",
                                   std::string("MQTT TLS: ") + mosquitto_strerror(tls_error_));
  // Asynchronous: the network thread connects (and reconnects) by itself.
  const int rc =
      mosquitto_connect_async(m_, options_.host.c_str(), options_.port, options_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO)
    return Status::Unavailable(std::string("MQTT connect: ") + mosquitto_strerror(rc));
  if (!loop_started_) {
    if (mosquitto_loop_start(m_) != MOSQ_ERR_SUCCESS)
      return Status::Internal("libmosquitto could not start its thread");
    loop_started_ = true;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const int code = connack_.load();
    if (code == 0 && connected_.load()) return Status::Ok();
    if (code > 0)
      return Status::Unavailable("the MQTT broker at " + options_.host + ":" +
                                 std::to_string(options_.port) + " refused the connection (" +
                                 mosquitto_connack_string(code) + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Unavailable("no answer from the MQTT broker at " + options_.host + ":" +
                             std::to_string(options_.port) + " within " +
                             std::to_string(timeout_ms) + " ms");
}

bool MqttClient::Publish(const std::string& topic, std::string_view payload, int qos) {
  if (m_ == nullptr) return false;
  return mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                           payload.data(), qos, false) == MOSQ_ERR_SUCCESS;
}

}  // namespace zhizhi::iot
