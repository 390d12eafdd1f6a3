#include "app/lottery_command.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include <CLI/CLI.hpp>

#include "base/file.h"
#include "lottery/demo_inputs.h"
#include "lottery/draw.h"
#include "lottery/record.h"

namespace zhizhi::app {

namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxRecordBytes = 512ull << 20;

struct DemoFlags {
  int households = 1544;
  std::string out;
  std::string entropy;
  std::string secret;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Six numbers 1–49, as a notary might draw them from a ball machine.
Result<std::string> MadeUpEntropy() {
  ZZ_ASSIGN_OR_RETURN(std::string random, lottery::NewSecret());
  std::string entropy;
  for (int i = 0; i < 6; ++i) {
    const int ball = std::stoi(random.substr(static_cast<size_t>(i) * 4, 4), nullptr, 16) % 49 + 1;
    char text[8];
    std::snprintf(text, sizeof(text), "%s%02d", i ? " " : "", ball);
    entropy += text;
  }
  return entropy;
}

int RunDemo(const DemoFlags& flags) {
  std::string secret = flags.secret;
  if (secret.empty()) {
    auto made = lottery::NewSecret();
    if (!made.ok()) return Fail(made.status());
    secret = *made;
  } else if (!lottery::IsHex256(secret)) {
    return Fail(Status::InvalidArgument("secret", "64 lowercase hex digits"));
  }
  std::string entropy = flags.entropy;
  if (entropy.empty()) {
    auto made = MadeUpEntropy();
    if (!made.ok()) return Fail(made.status());
    entropy = *made;
  }
  const json inputs = lottery::DemoInputs(flags.households);
  const auto start = std::chrono::steady_clock::now();
  auto record = lottery::DrawRecord(inputs, secret, entropy);
  if (!record.ok()) return Fail(record.status());
  const double seconds = SecondsSince(start);
  std::ofstream out(flags.out, std::ios::binary | std::ios::trunc);
  out << record->dump(1) << '\n';
  out.close();
  if (!out) return Fail(Status::Internal("cannot write " + flags.out));
  std::printf("drew %d households in %.3f s: %s\ncommitment %s\nentropy %s\n", flags.households,
              seconds, flags.out.c_str(), (*record)["commitment"].get<std::string>().c_str(),
              entropy.c_str());
  return 0;
}

int RunVerify(const std::string& path) {
  auto text = ReadWholeFile(path, kMaxRecordBytes);
  if (!text.ok()) return Fail(text.status());
  const json record = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) return Fail(Status::InvalidJson(path + " is not JSON"));
  const auto start = std::chrono::steady_clock::now();
  const lottery::Verdict verdict = lottery::VerifyRecord(record);
  if (!verdict.verified) {
    std::printf("differs: %s\n", verdict.difference.c_str());
    return 1;
  }
  std::printf("verified: %zu results follow from the record (%.3f s)\n", verdict.results,
              SecondsSince(start));
  return 0;
}

}  // namespace

Command AddLotteryCommand(CLI::App& app) {
  auto* lottery = app.add_subcommand("lottery", "the resettlement-housing draw (docs/lottery.md)");
  lottery->require_subcommand(1);
  auto flags = std::make_shared<DemoFlags>();
  auto* demo = lottery->add_subcommand("demo", "draw made-up households and write the record");
  demo->add_option("--households", flags->households, "households (default 1544)")
      ->check(CLI::Range(1, 100000));
  demo->add_option("--out", flags->out, "where the record goes")->required();
  demo->add_option("--entropy", flags->entropy,
                   "the public entropy (default: six made-up numbers 1–49)");
  demo->add_option("--secret", flags->secret,
                   "the committed secret, 64 hex digits (default: random)");
  auto record = std::make_shared<std::string>();
  auto* verify = lottery->add_subcommand("verify", "re-run a draw from its record alone");
  verify->add_option("record", *record, "the record (JSON)")->required();
  return Command{lottery, [flags, record, demo, verify] {
                   if (*demo) return RunDemo(*flags);
                   if (*verify) return RunVerify(*record);
                   return 1;
                 }};
}

}  // namespace zhizhi::app
