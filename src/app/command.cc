#include "app/command.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "iot/iot_simulator.h"
#include "registry/rulebook.h"
#include "sim/gate_simulator.h"
#include "sim/terminal_simulator.h"

namespace zhizhi::app {

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("zhizhi");
  // logfmt: every line is key=value pairs, so logs can be filtered and parsed without guessing.
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

int Fail(const Status& status) {
  std::fprintf(stderr, "zhizhi: %s\n", status.ToString().c_str());
  return 1;
}

bool LoadRules(const std::string& file) {
  if (file.empty()) return true;
  if (auto status = registry::LoadActiveRules(file); !status.ok()) {
    Fail(status);
    return false;
  }
  return true;
}

std::string DefaultModelsDir() {
  if (const char* env = std::getenv("ZHIZHI_MODELS"); env && *env) return env;
  return std::string(ZHIZHI_FACE_DATA) + "/models";
}

Command AddSimulateCommand(CLI::App& app) {
  auto options = std::make_shared<sim::SimulateOptions>();
  CLI::App* cmd = sim::AddSimulateCommand(app, *options);
  // `simulate terminal`: a terminal of another maker (sim/terminal_simulator.h).
  auto terminal = std::make_shared<sim::TerminalSimOptions>();
  CLI::App* terminal_cmd = cmd->add_subcommand(
      "terminal", "play a Uface or ZKTeco terminal against a running server (docs/terminals.md)");
  sim::AddTerminalSimFlags(*terminal_cmd, *terminal);
  // `simulate iot`: fire-safety devices and cranes through the broker (iot/iot_simulator.h).
  auto iot = std::make_shared<iot::IotSimOptions>();
  CLI::App* iot_cmd = cmd->add_subcommand(
      "iot",
      "drive fire-safety devices and tower cranes through a running server's MQTT broker "
      "(docs/iot.md)");
  iot::AddIotSimFlags(*iot_cmd, *iot);
  return {cmd, [options, terminal, terminal_cmd, iot, iot_cmd] {
            if (*terminal_cmd) return sim::RunTerminalSimulator(*terminal);
            if (*iot_cmd) return iot::RunIotSimulator(*iot);
            return sim::RunSimulate(*options);
          }};
}

Command AddVersionCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("version", "print the version");
  return {cmd, [] {
            std::printf("zhizhi %s\n", ZHIZHI_VERSION);
            return 0;
          }};
}

}  // namespace zhizhi::app
