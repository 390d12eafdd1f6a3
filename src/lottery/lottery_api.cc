#include "lottery/lottery_api.h"

#include "base/base64.h"
#include "http/handler_support.h"

namespace zhizhi::lottery {

namespace {

using http::Operation;
using http::Reply;
using http::Request;
using http::Response;
using http::Route;
using http::Verb;
using nlohmann::json;
using security::Right;

// A body of exactly the fields `known`, as JSON.
Result<json> BodyOf(const Request& request, std::initializer_list<const char*> known) {
  ZZ_ASSIGN_OR_RETURN(json body, http::JsonBody(request));
  for (const auto& item : body.items()) {
    const std::string& name = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return name == k; }))
      return Status::InvalidArgument(name, "unknown field " + name);
  }
  return body;
}

Result<std::string> TextField(const json& body, const char* name, bool required) {
  if (!body.contains(name)) {
    if (required) return Status::InvalidArgument(name, std::string(name) + " is needed");
    return std::string();
  }
  if (!body[name].is_string()) return Status::InvalidArgument(name, "a string");
  return body[name].get<std::string>();
}

// The CSV file of a part: text in `content`, or bytes (UTF-8 or GBK) in `content_base64`.
Result<std::string> FileOf(const Request& request) {
  ZZ_ASSIGN_OR_RETURN(json body, BodyOf(request, {"content", "content_base64"}));
  const bool text = body.contains("content"), bytes = body.contains("content_base64");
  if (text == bytes)
    return Status::InvalidArgument(
        "content", "the file goes in content (text) or in content_base64 (bytes), not both");
  if (text) return TextField(body, "content", true);
  ZZ_ASSIGN_OR_RETURN(std::string encoded, TextField(body, "content_base64", true));
  return DecodeBase64(encoded, "content_base64");
}

// `?after=N` (results already shown) and `?wait=S` (0–25 s).
Result<std::pair<int, int>> BoardQuery(const Request& request) {
  const auto number = [&](const char* name, int high) -> Result<int> {
    const std::string text = request.Query(name).value_or("0");
    if (text.empty() || text.size() > 7 ||
        text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) > high)
      return Status::InvalidArgument(
          name, std::string(name) + ": a whole number, 0–" + std::to_string(high));
    return std::stoi(text);
  };
  ZZ_ASSIGN_OR_RETURN(int after, number("after", 1'000'000));
  ZZ_ASSIGN_OR_RETURN(int wait, number("wait", 25));
  return std::make_pair(after, wait);
}

}  // namespace

void AddLotteryRoutes(http::Router& router, LotteryService& lotteries_ref) {
  LotteryService* lotteries = &lotteries_ref;
  // Lotteries are the district's, not a project's: only district-wide roles hold their rights.
  router.AddScopeCheck("lotteries/{id}", nullptr);
  router.AddScopeCheck("inputs/{part}", nullptr);

  router.Add(Route{Verb::get, "/api/v1/lotteries", Right::kLotteryRead,
                   "Every lottery, drafts too, newest first", Operation({}, {}),
                   [=](Request&) { return Reply(lotteries->List(/*published_only=*/false)); }});
  router.Add(Route{
      Verb::post, "/api/v1/lotteries", Right::kLotteryOperate,
      "Create a draft draw: its title, its priority rules and the pause between results on the "
      "board",
      Operation({{"title", "string", true, "e.g. 义蓬街道安置房第三批分房"},
                 {"rules", "array", false,
                  "priority rules: {tag, name, tier 0–9 (higher draws first), max_floor}"},
                 {"interval_ms", "integer", false,
                  "pause between two results on the board, 0–60000 (default 1000)"}},
                {400}, 201),
      [=](Request& request) {
        auto body = http::JsonBody(request);
        if (!body.ok()) return Response::Error(body.status());
        return Reply(lotteries->Create(*body, http::ActorOf(request)), 201);
      }});
  router.Add(Route{Verb::get, "/api/v1/lotteries/{id}", Right::kLotteryRead,
                   "One lottery: state, counts, commitment, progress; for a draft, what still "
                   "keeps it from being committed (`problems`)",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(lotteries->Get(*id));
                   }});
  router.Add(Route{
      Verb::put, "/api/v1/lotteries/{id}/inputs", Right::kLotteryOperate,
      "Replace a draft's whole inputs document (docs/lottery.md, Inputs)",
      Operation({{"inputs", "object", true, "title, rules, households, pools"}}, {400, 404, 409}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        auto body = BodyOf(request, {"inputs"});
        if (!body.ok()) return Response::Error(body.status());
        if (!body->contains("inputs"))
          return Response::Error(
              Status::InvalidArgument("inputs", "the inputs document is needed"));
        return Reply(lotteries->PutInputs(*id, (*body)["inputs"], http::ActorOf(request)));
      }});
  router.Add(Route{
      Verb::put, "/api/v1/lotteries/{id}/inputs/{part}", Right::kLotteryOperate,
      "Replace one part of a draft's inputs — households, flat, parking or farm_room — with a "
      "CSV file (English or Chinese column names); a file with problems is refused whole, each "
      "problem with its line",
      Operation({{"content", "string", false, "the CSV file's text"},
                 {"content_base64", "string", false, "or its bytes (UTF-8 or GBK), in base64"}},
                {400, 404, 409, 413}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        auto file = FileOf(request);
        if (!file.ok()) return Response::Error(file.status());
        return Reply(lotteries->PutPart(*id, std::string(request.Param("part")), std::move(*file),
                                        http::ActorOf(request)));
      }});
  router.Add(
      Route{Verb::post, "/api/v1/lotteries/{id}/commit", Right::kLotteryOperate,
            "Freeze the inputs and publish the commitment (a secret is drawn and sealed); refused "
            "while any household could be left without its due (lottery_shortfall)",
            Operation({}, {400, 404, 409, 422}), [=](Request& request) {
              auto id = http::IdParam(request, "id");
              if (!id.ok()) return Response::Error(id.status());
              return Reply(lotteries->Commit(*id, http::ActorOf(request)));
            }});
  router.Add(Route{
      Verb::post, "/api/v1/lotteries/{id}/draw", Right::kLotteryNotarise,
      "The notary enters the public entropy (e.g. the numbers a physical device drew): the seed "
      "is fixed and the draw starts on the board",
      Operation({{"entropy", "string", true, "the public entropy as text, 1–1000 bytes"}},
                {400, 404, 409}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        auto body = BodyOf(request, {"entropy"});
        if (!body.ok()) return Response::Error(body.status());
        auto entropy = TextField(*body, "entropy", true);
        if (!entropy.ok()) return Response::Error(entropy.status());
        return Reply(lotteries->Draw(*id, *entropy, http::ActorOf(request)));
      }});
  router.Add(Route{
      Verb::post, "/api/v1/lotteries/{id}/sign", Right::kLotteryNotarise,
      "The notary signs the drawn record off (it is verified first; its hash is kept)",
      Operation({{"statement", "string", false, "the notary's statement, at most 2000 bytes"}},
                {400, 404, 409}),
      [=](Request& request) {
        auto id = http::IdParam(request, "id");
        if (!id.ok()) return Response::Error(id.status());
        auto body = BodyOf(request, {"statement"});
        if (!body.ok()) return Response::Error(body.status());
        auto statement = TextField(*body, "statement", false);
        if (!statement.ok()) return Response::Error(statement.status());
        return Reply(lotteries->Sign(*id, *statement, http::ActorOf(request)));
      }});
  router.Add(Route{Verb::get, "/api/v1/lotteries/{id}/record", Right::kLotteryRead,
                   "The record so far (api-v1.md): the secret and the seed once the draw is over",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(lotteries->Record(*id));
                   }});

  // The public side: no token. Drafts are not published (404).
  router.Add(Route{Verb::get, "/api/v1/public/lotteries", std::nullopt,
                   "The published draws (committed or later), for the public board",
                   Operation({}, {}),
                   [=](Request&) { return Reply(lotteries->List(/*published_only=*/true)); }});
  Route board{Verb::get,
              "/api/v1/public/lotteries/{id}/board",
              std::nullopt,
              "The live board: commitment, entropy, progress and the results after `after`; "
              "with `wait`, answered when there is news (results, or a status other than "
              "`status`)",
              Operation({}, {400, 404}, 200,
                        {{"after", "integer", false, "results already shown (default 0)"},
                         {"status", "string", false,
                          "the status the board shows: news is also any other status (the draw "
                          "starting, ending, signed off)"},
                         {"wait", "integer", false, "seconds (0–25) to wait for news"}}),
              nullptr};
  board.async = [=](Request& request, http::Respond respond) {
    auto id = http::IdParam(request, "id");
    if (!id.ok()) return respond(Response::Error(id.status()));
    auto query = BoardQuery(request);
    if (!query.ok()) return respond(Response::Error(query.status()));
    std::string known = request.Query("status").value_or("");
    if (!known.empty() && known != "committed" && known != "drawing" && known != "drawn" &&
        known != "signed")
      return respond(Response::Error(
          Status::InvalidArgument("status", "committed, drawing, drawn or signed")));
    lotteries->WatchBoard(*id, query->first, std::move(known), std::chrono::seconds(query->second),
                          [respond](Result<json> answer) { respond(Reply(answer)); });
  };
  router.Add(std::move(board));
  router.Add(Route{Verb::get, "/api/v1/public/lotteries/{id}/record", std::nullopt,
                   "The record, for anyone to verify (`zhizhi lottery verify`, "
                   "tools/lottery-verify.mjs)",
                   Operation({}, {404}), [=](Request& request) {
                     auto id = http::IdParam(request, "id");
                     if (!id.ok()) return Response::Error(id.status());
                     return Reply(lotteries->Record(*id));
                   }});
}

}  // namespace zhizhi::lottery
