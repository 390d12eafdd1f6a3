// libFuzzer target: the CSV import end to end — encoding detection (UTF-8, GB18030), the CSV
// grammar, the header check, every row through the registry's parsers and rules, into a real
// database (in /dev/shm when there is one), all-or-nothing or partial.
//
// An input is `KIND[ partial]\n` followed by the file, e.g. "persons\nid_type,id_number,name\n…".
// Invariants beyond "no crash, no sanitizer report": an all-or-nothing import that rejected a
// row imported nothing; a committed import accounts for every row.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "base/csv.h"
#include "registry/registry.h"
#include "registry/registry_import.h"
#include "security/field_cipher.h"
#include "store/database.h"

namespace {

using namespace zhizhi;

struct Env {
  std::string dir;
  std::unique_ptr<store::Database> db;
  security::FieldCipher cipher = security::FieldCipher::FromMasterKey(security::FieldCipher::Key{});
  std::unique_ptr<registry::Registry> registry;

  Env() {
    std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string pattern = base + "/zhizhi-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir = pattern;
    auto opened = store::Database::Open(dir + "/zhizhi.db");
    if (!opened.ok()) std::abort();
    db = std::move(opened).value();
    registry = std::make_unique<registry::Registry>(&cipher);
    // A corp, a project it takes part in and a person, so enrolments and teams can succeed.
    for (const auto& [kind, text] : std::vector<std::pair<std::string, std::string>>{
             {"corps", "uscc,name\n91350100M000100Y43,钱塘建设\n"},
             {"projects", "code,name,region_code,status\nP1,一号工地,330114,active\n"},
             {"project_corps", "project_code,uscc,corp_type\nP1,91350100M000100Y43,009\n"},
             {"persons", "id_type,id_number,name\n01,11010519491231002X,张三\n"}}) {
      Write(text);
      auto report = registry::ImportCsv(*db, *registry, kind, path(), {});
      if (!report.ok() || !report->committed) std::abort();
    }
  }
  ~Env() {
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string path() const { return dir + "/input.csv"; }
  void Write(std::string_view bytes) const {
    std::ofstream out(path(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
};

Env& TheEnv() {
  static Env* env = new Env();  // lives for the process; removed at exit
  static const bool cleanup = (std::atexit([] { delete env; }), true);
  (void)cleanup;
  return *env;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Env& env = TheEnv();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t newline = bytes.find('\n');
  if (newline == std::string_view::npos || newline > 40) return 0;
  std::string kind(bytes.substr(0, newline));
  registry::ImportOptions options;
  if (const size_t space = kind.find(' '); space != std::string::npos) {
    options.partial = kind.substr(space + 1) == "partial";
    kind.resize(space);
  }
  const std::string_view file = bytes.substr(newline + 1);

  // The reader alone, in memory.
  if (auto csv = CsvReader::FromBuffer(std::string(file)); csv.ok()) {
    std::vector<std::string> fields;
    while (csv->Next(&fields)) {
    }
  }

  env.Write(file);
  auto report = registry::ImportCsv(*env.db, *env.registry, kind, env.path(), options);
  if (!report.ok()) return 0;
  Check(report->rejected == static_cast<std::int64_t>(report->errors.size()));
  if (!options.partial && report->rejected > 0) Check(!report->committed && report->imported == 0);
  if (report->committed) Check(report->imported + report->rejected == report->rows);
  return 0;
}
