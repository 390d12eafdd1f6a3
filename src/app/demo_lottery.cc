#include "app/demo_lottery.h"

#include <chrono>

#include "lottery/demo_inputs.h"

namespace zhizhi::app {

namespace {

using nlohmann::json;

Result<std::int64_t> CommittedDraw(lottery::LotteryService& lotteries, const std::string& title,
                                   int households, int interval_ms, std::uint64_t seed,
                                   const security::Actor& operator_) {
  json inputs = lottery::DemoInputs(households, seed);
  inputs["title"] = title;
  ZZ_ASSIGN_OR_RETURN(
      json draft,
      lotteries.Create({{"title", title}, {"rules", inputs["rules"]}, {"interval_ms", interval_ms}},
                       operator_));
  const std::int64_t id = draft["id"];
  ZZ_RETURN_IF_ERROR(lotteries.PutInputs(id, inputs, operator_).status());
  ZZ_RETURN_IF_ERROR(lotteries.Commit(id, operator_).status());
  return id;
}

}  // namespace

Status SeedDemoLotteries(Platform& p, int households) {
  if (households <= 0) return Status::Ok();
  lottery::LotteryService& lotteries = p.lotteries();
  const auto operator_ = security::Actor::Command("demo housing bureau");
  const auto notary = security::Actor::Command("demo notary");
  ZZ_ASSIGN_OR_RETURN(std::int64_t first, CommittedDraw(lotteries, "钱塘区安置房分房（演示）第一批",
                                                        households, 0, 1544, operator_));
  ZZ_RETURN_IF_ERROR(p.StartLottery());
  ZZ_RETURN_IF_ERROR(lotteries.Draw(first, "07 23 41 15 09 33", notary).status());
  if (!lotteries.WaitUntilDrawn(first, std::chrono::minutes(5)))
    return Status::Internal("the demo draw did not finish");
  ZZ_RETURN_IF_ERROR(
      lotteries.Sign(first, "经现场监督，抽签过程公开、公平、公正，结果有效。（演示）", notary)
          .status());
  lotteries.Stop();
  return CommittedDraw(lotteries, "钱塘区安置房分房（演示）第二批", std::max(households / 10, 20),
                       1500, 2026, operator_)
      .status();
}

}  // namespace zhizhi::app
