#include "app/basedata_command.h"

#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/platform.h"
#include "base/file.h"
#include "basedata/feed.h"
#include "basedata/mapping.h"

namespace zhizhi::app {

namespace {

struct ImportSourceFlags {
  std::string data;
  std::string source;
  std::string file;
  std::string mapping;
  bool no_link = false;
};

int ImportSource(const ImportSourceFlags& flags) {
  SetUpLogging("info");  // the import's and the linking run's timings, on stderr
  auto mapping_text = ReadWholeFile(flags.mapping, 1 << 20);
  if (!mapping_text.ok()) return Fail(mapping_text.status());
  nlohmann::json mapping_json = nlohmann::json::parse(*mapping_text, nullptr, false);
  if (mapping_json.is_discarded()) return Fail(Status::InvalidJson(flags.mapping + " is not JSON"));
  if (mapping_json.is_object() && mapping_json.contains("source") &&
      mapping_json["source"] != flags.source)
    return Fail(Status::InvalidArgument(
        "mapping.source", flags.mapping + " names source " + mapping_json["source"].dump()));
  if (mapping_json.is_object()) mapping_json["source"] = flags.source;
  auto mapping = basedata::Mapping::FromJson(mapping_json, "mapping");
  if (!mapping.ok()) return Fail(mapping.status());
  auto bytes = ReadWholeFile(flags.file, basedata::kMaxFeedBytes);
  if (!bytes.ok()) return Fail(bytes.status());

  auto platform = Platform::Open(flags.data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto started =
      p.base_data().Import(*mapping, std::move(*bytes), security::Actor::Command("import-source"));
  if (!started.ok()) return Fail(started.status());
  const std::int64_t id = (*started)["id"].get<std::int64_t>();
  // Link this import's kind when it, or an earlier import stored with --no-link, waits for it.
  auto waiting = p.db().Read([&](store::Connection& conn) -> Result<std::int64_t> {
    auto s =
        conn.Prepare("SELECT COUNT(*) FROM basedata_imports WHERE kind = ? AND status = 'running'");
    s.Bind(1, basedata::KindName(mapping->kind));
    if (!s.Step()) return s.status();
    return s.Int(0);
  });
  if (!waiting.ok()) return Fail(waiting.status());
  if (!flags.no_link && *waiting > 0) {
    if (Status linked = p.base_data().LinkNow(mapping->kind); !linked.ok()) return Fail(linked);
  }
  auto status = p.base_data().ImportStatus(id);
  if (!status.ok()) return Fail(status.status());
  std::cout << status->dump(2) << "\n";
  return (*status)["status"] == "failed" ? 1 : 0;
}

}  // namespace

Command AddImportSourceCommand(CLI::App& app) {
  auto flags = std::make_shared<ImportSourceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import-source",
      "Import a base-data source feed (people, houses or units) through its mapping and link it");
  cmd->add_option("--data", flags->data, "data directory")->required();
  cmd->add_option("source", flags->source, "the source's name, e.g. ps_population")->required();
  cmd->add_option("file", flags->file, "the feed: CSV with a header line, or JSON lines")
      ->required();
  cmd->add_option("--mapping", flags->mapping, "the mapping (JSON file; docs/basedata.md)")
      ->required();
  cmd->add_flag("--no-link", flags->no_link, "store only; the server links at its next start");
  return {cmd, [flags] { return ImportSource(*flags); }};
}

}  // namespace zhizhi::app
