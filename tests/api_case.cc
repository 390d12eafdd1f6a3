#include "api_case.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/base64.h"
#include "base/civil_time.h"

namespace zhizhi::e2e {

namespace {

using nlohmann::json;

struct Line {
  int number = 0;
  std::string text;  // right-trimmed
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Trim(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin])))
    ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1])))
    --end;
  return std::string(s.substr(begin, end - begin));
}

// Drops a `#` comment that starts outside a JSON string (JSON has no `#` elsewhere).
std::string StripJsonComment(const std::string& line) {
  bool in_string = false;
  bool escape = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '#') return Trim(line.substr(0, i));
  }
  return Trim(line);
}

// `METHOD /target`: an upper-case token, one space, a target starting with '/'.
bool IsRequestLine(const std::string& line) {
  const size_t space = line.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 >= line.size()) return false;
  for (size_t i = 0; i < space; ++i) {
    if (!std::isupper(static_cast<unsigned char>(line[i]))) return false;
  }
  return line[space + 1] == '/';
}

bool IsDirective(const std::string& line) {
  static const char* const kDirectives[] = {"capture ", "sql ",          "header ", "contains ",
                                            "set ",     "not-contains ", "restart"};
  return std::any_of(std::begin(kDirectives), std::end(kDirectives),
                     [&](const char* d) { return StartsWith(line, d); });
}

bool IsName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// Replaces every ${…} with 0 so that the JSON syntax of an expectation can be checked early.
std::string BlankVariables(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "${") == 0) {
      const size_t close = text.find('}', i);
      if (close != std::string::npos) {
        out += "0";
        i = close;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string Shorten(const std::string& text, size_t max = 600) {
  return text.size() <= max ? text
                            : text.substr(0, max) + "… (" + std::to_string(text.size()) + " bytes)";
}

std::string Dump(const json& value) {
  return Shorten(value.dump(-1, ' ', false, json::error_handler_t::replace), 300);
}

class Parser {
 public:
  Parser(std::string path, std::string* error) : path_(std::move(path)), error_(error) {}

  bool Fail(int line, const std::string& message) {
    *error_ = path_ + ":" + std::to_string(line) + ": " + message;
    return false;
  }

  // `NAME = VALUE` after a keyword.
  bool NameValue(const Line& line, std::string_view rest, CaseAction* action) {
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return Fail(line.number, "expected NAME = VALUE");
    action->name = Trim(rest.substr(0, eq));
    action->text = Trim(rest.substr(eq + 1));
    if (!IsName(action->name))
      return Fail(line.number, "bad variable name \"" + action->name + "\"");
    if (action->text.empty()) return Fail(line.number, "empty value after '='");
    return true;
  }

  bool Directive(const Line& line, bool has_request, CaseStep* step) {
    const std::string& s = line.text;
    CaseAction action;
    action.line = line.number;
    auto needs_request = [&](const char* what) {
      return has_request ? true
                         : Fail(line.number, std::string(what) + " needs a request in its step");
    };
    if (StartsWith(s, "capture ")) {
      if (!needs_request("capture")) return false;
      action.kind = CaseAction::Kind::kCapture;
      if (!NameValue(line, std::string_view(s).substr(8), &action)) return false;
    } else if (StartsWith(s, "set ")) {
      action.kind = CaseAction::Kind::kSet;
      if (!NameValue(line, std::string_view(s).substr(4), &action)) return false;
    } else if (StartsWith(s, "sql ")) {
      action.kind = CaseAction::Kind::kSql;
      const size_t arrow = s.rfind(" => ");
      if (arrow == std::string::npos || arrow < 4) {
        return Fail(line.number, "expected `sql QUERY => VALUE`");
      }
      action.text = Trim(std::string_view(s).substr(4, arrow - 4));
      action.value = Trim(std::string_view(s).substr(arrow + 4));
    } else if (StartsWith(s, "header ")) {
      if (!needs_request("header")) return false;
      action.kind = CaseAction::Kind::kHeader;
      const size_t colon = s.find(':');
      if (colon == std::string::npos) return Fail(line.number, "expected `header Name: value`");
      action.name = Trim(std::string_view(s).substr(7, colon - 7));
      action.text = Trim(std::string_view(s).substr(colon + 1));
    } else if (StartsWith(s, "contains ")) {
      if (!needs_request("contains")) return false;
      action.kind = CaseAction::Kind::kContains;
      action.text = Trim(std::string_view(s).substr(9));
    } else if (StartsWith(s, "not-contains ")) {
      if (!needs_request("not-contains")) return false;
      action.kind = CaseAction::Kind::kNotContains;
      action.text = Trim(std::string_view(s).substr(13));
    } else if (s == "restart") {
      action.kind = CaseAction::Kind::kRestart;
    } else if (s == "restart crash") {
      action.kind = CaseAction::Kind::kCrash;
    } else {
      return Fail(line.number, "unexpected line \"" + s +
                                   "\" (a directive, JSON after `=>`, "
                                   "or a blank line before the next step?)");
    }
    step->actions.push_back(std::move(action));
    return true;
  }

  bool RequestModifier(const Line& line, CaseRequest* request, bool* consumed) {
    const std::string& s = line.text;
    *consumed = true;
    if (StartsWith(s, "auth ")) {
      const std::string arg = Trim(std::string_view(s).substr(5));
      if (arg == "none") {
        request->auth = CaseRequest::Auth::kNone;
      } else if (arg == "bad") {
        request->auth = CaseRequest::Auth::kBad;
      } else if (arg == "admin") {
        request->auth = CaseRequest::Auth::kAdmin;
      } else if (StartsWith(arg, "raw ")) {
        request->auth = CaseRequest::Auth::kRaw;
        request->auth_raw = Trim(std::string_view(arg).substr(4));
      } else {
        return Fail(line.number, "auth must be none, bad, admin or `raw VALUE`");
      }
      return true;
    }
    if (StartsWith(s, "header ")) {
      const size_t colon = s.find(':');
      if (colon == std::string::npos) return Fail(line.number, "expected `header Name: value`");
      request->headers.emplace_back(Trim(std::string_view(s).substr(7, colon - 7)),
                                    Trim(std::string_view(s).substr(colon + 1)));
      return true;
    }
    if (StartsWith(s, "body-repeat ")) {
      std::istringstream in(s.substr(12));
      std::size_t count = 0;
      std::string text;
      in >> count >> text;
      if (count == 0 || count > (64u << 20)) {
        return Fail(line.number, "expected `body-repeat COUNT [TEXT]`, COUNT 1..67108864");
      }
      request->body_repeat.emplace(count, text.empty() ? "x" : text);
      return true;
    }
    *consumed = false;
    return true;
  }

  bool Block(const std::vector<Line>& block, std::vector<CaseStep>* steps) {
    CaseStep step;
    step.line = block.front().number;
    size_t i = 0;
    const size_t n = block.size();
    if (IsRequestLine(block[0].text)) {
      CaseRequest request;
      request.line = block[0].number;
      const size_t space = block[0].text.find(' ');
      request.method = block[0].text.substr(0, space);
      request.target = Trim(std::string_view(block[0].text).substr(space + 1));
      for (i = 1; i < n; ++i) {
        bool consumed = false;
        if (!RequestModifier(block[i], &request, &consumed)) return false;
        if (!consumed) break;
      }
      for (; i < n && !StartsWith(block[i].text, "=>"); ++i) {
        const std::string text = StripJsonComment(block[i].text);
        if (text.empty()) continue;
        if (!request.body.empty()) request.body += "\n";
        request.body += text;
      }
      if (request.body_repeat && !request.body.empty()) {
        return Fail(request.line, "a request has either a body or body-repeat, not both");
      }
      if (i == n) return Fail(request.line, "the request has no `=> STATUS` line");
      std::string status_text = block[i].text.substr(2);
      if (size_t hash = status_text.find('#'); hash != std::string::npos) {
        status_text.resize(hash);
      }
      status_text = Trim(status_text);
      int status = 0;
      const auto [end, ec] =
          std::from_chars(status_text.data(), status_text.data() + status_text.size(), status);
      if (ec != std::errc() || end != status_text.data() + status_text.size() || status < 100 ||
          status > 599) {
        return Fail(block[i].number, "expected `=> STATUS` with a status 100..599");
      }
      request.expect_status = status;
      ++i;
      CaseAction expected;
      expected.kind = CaseAction::Kind::kJson;
      for (; i < n && !IsDirective(block[i].text); ++i) {
        const std::string text = StripJsonComment(block[i].text);
        if (text.empty()) continue;
        if (expected.line == 0) expected.line = block[i].number;
        expected.text += text + "\n";
      }
      if (expected.line != 0) {
        if (json::parse(BlankVariables(expected.text), nullptr, false).is_discarded()) {
          return Fail(expected.line, "the expected response is not valid JSON");
        }
        step.actions.push_back(std::move(expected));
      }
      step.request = std::move(request);
    }
    for (; i < n; ++i) {
      if (!Directive(block[i], step.request.has_value(), &step)) return false;
    }
    steps->push_back(std::move(step));
    return true;
  }

  std::optional<ApiCase> Parse() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      Fail(0, "cannot read the file");
      return std::nullopt;
    }
    ApiCase result;
    result.path = path_;
    result.name = std::filesystem::path(path_).stem().string();

    std::vector<std::vector<Line>> blocks(1);
    bool in_request_head = false;  // between a request line and its `=>`
    std::string raw;
    int number = 0;
    while (std::getline(in, raw)) {
      ++number;
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      const std::string text = Trim(raw);
      if (text.empty()) {
        if (!blocks.back().empty()) blocks.emplace_back();
        in_request_head = false;
        continue;
      }
      if (text[0] == '#') continue;
      if (IsRequestLine(text) && !in_request_head) {
        if (!blocks.back().empty()) blocks.emplace_back();
        in_request_head = true;
      } else if (in_request_head && StartsWith(text, "=>")) {
        in_request_head = false;
      }
      blocks.back().push_back(Line{number, text});
    }
    for (const auto& block : blocks) {
      if (block.empty()) continue;
      if (!Block(block, &result.steps)) return std::nullopt;
    }
    if (result.steps.empty()) {
      Fail(1, "no steps");
      return std::nullopt;
    }
    return result;
  }

 private:
  std::string path_;
  std::string* error_;
};

// Follows `items.0.id` through objects and arrays; null when the path does not exist.
const json* Follow(const json& root, const std::string& path) {
  const json* at = &root;
  std::string_view rest = path;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    const std::string part(rest.substr(0, dot));
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (at->is_object()) {
      auto it = at->find(part);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      size_t index = 0;
      const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (ec != std::errc() || end != part.data() + part.size() || index >= at->size()) {
        return nullptr;
      }
      at = &(*at)[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

class CaseRunner {
 public:
  explicit CaseRunner(const ApiCase& api_case) : case_(api_case) {}

  void Run() {
    if (!server_.Start()) return;
    for (const CaseStep& step : case_.steps) {
      if (!RunStep(step)) return;
    }
    if (server_.running() && server_.Stop() != 0) return;
    // A 5xx or any other error the server logged is a bug even when the case did not look.
    std::istringstream log(server_.Log());
    std::string errors;
    for (std::string line; std::getline(log, line);) {
      if (line.find("level=error") != std::string::npos ||
          line.find("level=critical") != std::string::npos) {
        errors += "  " + line + "\n";
      }
    }
    if (!errors.empty()) {
      ADD_FAILURE_AT(case_.path.c_str(), 1) << "the server logged errors:\n" << errors;
    }
  }

 private:
  bool Fail(int line, const std::string& message, const HttpResponse* response = nullptr) {
    std::string text = message;
    if (!request_shown_.empty()) text += "\n  request:  " + request_shown_;
    if (response != nullptr) {
      text += "\n  response: " + Shorten(response->Describe(), 4000);
      if (response->status == 0 || response->status >= 500) {
        std::string log = server_.Log();
        if (log.size() > 3000) log = "…" + log.substr(log.size() - 3000);
        text += "\n  server log (tail):\n" + log;
      }
    }
    ADD_FAILURE_AT(case_.path.c_str(), line) << text;
    return false;
  }

  bool Substitute(const std::string& in, int line, std::string* out) {
    out->clear();
    for (size_t i = 0; i < in.size(); ++i) {
      if (in.compare(i, 2, "${") != 0) {
        out->push_back(in[i]);
        continue;
      }
      const size_t close = in.find('}', i + 2);
      if (close == std::string::npos) return Fail(line, "unterminated ${ in \"" + in + "\"");
      const std::string name = in.substr(i + 2, close - i - 2);
      i = close;
      if (StartsWith(name, "today")) {
        int days = 0;
        const std::string offset = name.substr(5);
        if (!offset.empty()) {
          const char* begin = offset.data() + (offset[0] == '+' ? 1 : 0);
          const auto [end, ec] = std::from_chars(begin, offset.data() + offset.size(), days);
          if ((offset[0] != '+' && offset[0] != '-') || ec != std::errc() ||
              end != offset.data() + offset.size()) {
            return Fail(line,
                        "bad date variable ${" + name + "}; use ${today}, ${today+N}, ${today-N}");
          }
        }
        *out += ChinaDate(days);
        continue;
      }
      if (name == "admin_token") {
        *out += server_.token();
        continue;
      }
      if (StartsWith(name, "now_ms")) {
        // Unix milliseconds now, optionally minus N minutes: ${now_ms}, ${now_ms-5}.
        int minutes = 0;
        const std::string offset = name.substr(6);
        if (!offset.empty()) {
          const auto [end, ec] =
              std::from_chars(offset.data() + 1, offset.data() + offset.size(), minutes);
          if (offset[0] != '-' || ec != std::errc() || end != offset.data() + offset.size()) {
            return Fail(line, "bad time variable ${" + name + "}; use ${now_ms}, ${now_ms-N}");
          }
        }
        *out += std::to_string(NowUnixMs() - minutes * 60'000LL);
        continue;
      }
      if (StartsWith(name, "jpeg:")) {
        std::string error;
        const std::string base64 = FacePhotoBase64(name.substr(5), &error);
        if (base64.empty()) return Fail(line, "${" + name + "}: " + error);
        *out += base64;
        continue;
      }
      auto it = vars_.find(name);
      if (it == vars_.end()) return Fail(line, "unknown variable ${" + name + "}");
      *out += it->second;
    }
    return true;
  }

  bool RunStep(const CaseStep& step) {
    request_shown_.clear();
    HttpResponse response;
    if (step.request) {
      const CaseRequest& r = *step.request;
      std::string target;
      std::string body;
      if (!Substitute(r.target, r.line, &target) || !Substitute(r.body, r.line, &body))
        return false;
      if (r.body_repeat) {
        body.reserve(r.body_repeat->first * r.body_repeat->second.size());
        for (size_t k = 0; k < r.body_repeat->first; ++k)
          body += r.body_repeat->second;
      }
      Headers headers;
      for (const auto& [name, value] : r.headers) {
        std::string v;
        if (!Substitute(value, r.line, &v)) return false;
        headers.emplace_back(name, v);
      }
      std::optional<std::string> token;
      switch (r.auth) {
        case CaseRequest::Auth::kAdmin:
          token = server_.token();
          break;
        case CaseRequest::Auth::kNone:
          break;
        case CaseRequest::Auth::kBad:
          // Well-formed (64 hex digits) but unknown to the server.
          token = std::string(64, 'a');
          break;
        case CaseRequest::Auth::kRaw: {
          std::string v;
          if (!Substitute(r.auth_raw, r.line, &v)) return false;
          headers.emplace_back("Authorization", v);
          break;
        }
      }
      request_shown_ = r.method + " " + target;
      if (!body.empty()) request_shown_ += "\n            " + Shorten(body, 400);
      // A request expected to fail must leave every table exactly as it was.
      const bool rejected = r.expect_status >= 400;
      const std::string before = rejected ? DatabaseFingerprint(server_.db_path()) : std::string();
      response = server_.Request(r.method, target, std::move(body), token, headers);
      if (rejected && response.status == r.expect_status &&
          DatabaseFingerprint(server_.db_path()) != before) {
        return Fail(r.line, "the request was rejected but the database changed", &response);
      }
      if (response.status != r.expect_status) {
        return Fail(r.line,
                    "expected status " + std::to_string(r.expect_status) + ", got " +
                        (response.status == 0 ? std::string("no response")
                                              : std::to_string(response.status)),
                    &response);
      }
    }
    for (const CaseAction& action : step.actions) {
      if (!RunAction(action, response)) return false;
    }
    return true;
  }

  bool RunAction(const CaseAction& action, const HttpResponse& response) {
    using Kind = CaseAction::Kind;
    switch (action.kind) {
      case Kind::kJson: {
        std::string text;
        if (!Substitute(action.text, action.line, &text)) return false;
        const json expected = json::parse(text, nullptr, false);
        if (expected.is_discarded()) {
          return Fail(action.line, "the expected JSON is invalid after substitution:\n" + text);
        }
        if (response.json.is_discarded()) {
          return Fail(action.line, "the response body is not JSON", &response);
        }
        const std::string mismatch = MatchJson(expected, response.json);
        if (!mismatch.empty())
          return Fail(action.line, "response mismatch: " + mismatch, &response);
        return true;
      }
      case Kind::kCapture: {
        // PATH:last-segment keeps what follows the last '/' of a string (a path's secret).
        constexpr std::string_view kLast = ":last-segment";
        std::string path = action.text;
        const bool last = path.size() > kLast.size() &&
                          path.compare(path.size() - kLast.size(), kLast.size(), kLast) == 0;
        if (last) path.resize(path.size() - kLast.size());
        const json* value = response.json.is_discarded() ? nullptr : Follow(response.json, path);
        if (value == nullptr) {
          return Fail(action.line, "capture: the response has no \"" + path + "\"", &response);
        }
        std::string text = value->is_string() ? value->get<std::string>() : value->dump();
        if (last) text = text.substr(text.rfind('/') + 1);
        vars_[action.name] = std::move(text);
        return true;
      }
      case Kind::kSet: {
        std::string value;
        if (!Substitute(action.text, action.line, &value)) return false;
        vars_[action.name] = value;
        return true;
      }
      case Kind::kSql: {
        std::string query;
        std::string expected;
        if (!Substitute(action.text, action.line, &query) ||
            !Substitute(action.value, action.line, &expected)) {
          return false;
        }
        const auto actual = server_.Query(query);
        const std::string shown = actual ? *actual : "<no row>";
        if (shown != expected) {
          return Fail(action.line, "sql `" + query + "` gave " + shown + ", expected " + expected);
        }
        return true;
      }
      case Kind::kHeader: {
        std::string expected;
        if (!Substitute(action.text, action.line, &expected)) return false;
        if (!response.HasHeader(action.name)) {
          return Fail(action.line, "the response has no header " + action.name, &response);
        }
        if (response.Header(action.name) != expected) {
          return Fail(action.line,
                      "header " + action.name + " is \"" + response.Header(action.name) +
                          "\", expected \"" + expected + "\"",
                      &response);
        }
        return true;
      }
      case Kind::kContains:
      case Kind::kNotContains: {
        std::string text;
        if (!Substitute(action.text, action.line, &text)) return false;
        const bool found = response.body.find(text) != std::string::npos;
        if (action.kind == Kind::kContains && !found) {
          return Fail(action.line, "the body does not contain: " + text, &response);
        }
        if (action.kind == Kind::kNotContains && found) {
          return Fail(action.line, "the body contains: " + text, &response);
        }
        return true;
      }
      case Kind::kRestart:
        if (!server_.Restart()) return Fail(action.line, "restart failed");
        return true;
      case Kind::kCrash:
        server_.Kill();
        if (!server_.Start()) return Fail(action.line, "start after SIGKILL failed");
        return true;
    }
    return Fail(action.line, "unknown action");
  }

  const ApiCase& case_;
  TestServer server_;
  std::map<std::string, std::string> vars_;
  std::string request_shown_;
};

}  // namespace

// ${jpeg:FILE:X,Y,W,H[:WxH][:flip]} (without ${jpeg: }): base64 of a JPEG cut from a sample photo
// of ZHIZHI_FACE_DATA/samples (then resized, e.g. to an ID card's 102x126, and/or mirrored).
std::string FacePhotoBase64(const std::string& spec, std::string* error) {
  std::vector<std::string> parts;
  std::stringstream in(spec);
  for (std::string part; std::getline(in, part, ':');)
    parts.push_back(part);
  if (parts.size() < 2) {
    *error = "use ${jpeg:FILE:X,Y,W,H[:WxH][:flip]}";
    return "";
  }
  const std::string path = std::string(ZHIZHI_FACE_DATA) + "/samples/" + parts[0];
  cv::Mat img = cv::imread(path);
  if (img.empty()) {
    *error = "cannot read " + path + " (scripts/test fetches the sample photos)";
    return "";
  }
  int x = 0, y = 0, w = 0, h = 0;
  if (std::sscanf(parts[1].c_str(), "%d,%d,%d,%d", &x, &y, &w, &h) != 4 ||
      (cv::Rect(x, y, w, h) & cv::Rect(0, 0, img.cols, img.rows)) != cv::Rect(x, y, w, h)) {
    *error = "bad or out-of-picture rectangle " + parts[1];
    return "";
  }
  cv::Mat out = img(cv::Rect(x, y, w, h)).clone();
  for (size_t i = 2; i < parts.size(); ++i) {
    int rw = 0, rh = 0;
    if (parts[i] == "flip") {
      cv::flip(out, out, 1);
    } else if (std::sscanf(parts[i].c_str(), "%dx%d", &rw, &rh) == 2 && rw > 0 && rh > 0) {
      cv::resize(out, out, cv::Size(rw, rh), 0, 0, cv::INTER_AREA);
    } else {
      *error = "unknown transformation " + parts[i];
      return "";
    }
  }
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", out, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  return EncodeBase64(std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
}

std::optional<ApiCase> ParseCaseFile(const std::string& path, std::string* error) {
  return Parser(path, error).Parse();
}

std::vector<std::string> ListCaseFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".case") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void RunCase(const ApiCase& api_case) {
  CaseRunner(api_case).Run();
}

std::string MatchJson(const json& expected, const json& actual, const std::string& where) {
  const std::string at = where.empty() ? "(top)" : where;
  if (expected.is_string()) {
    const auto& s = expected.get_ref<const std::string&>();
    if (s == "<any>") return {};
    if (s == "<not-null>") return actual.is_null() ? at + ": expected a value, got null" : "";
    if (s == "<absent>") return at + ": \"<absent>\" only works as the value of an object key";
  }
  if (expected.is_object()) {
    if (!actual.is_object()) return at + ": expected an object, got " + Dump(actual);
    for (const auto& [key, value] : expected.items()) {
      const std::string path = where.empty() ? key : where + "." + key;
      const bool absent_wanted =
          value.is_string() && value.get_ref<const std::string&>() == "<absent>";
      auto it = actual.find(key);
      if (absent_wanted) {
        if (it != actual.end()) return path + ": expected no such key, got " + Dump(*it);
        continue;
      }
      if (it == actual.end()) return path + ": missing (expected " + Dump(value) + ")";
      std::string mismatch = MatchJson(value, *it, path);
      if (!mismatch.empty()) return mismatch;
    }
    return {};
  }
  if (expected.is_array()) {
    if (!actual.is_array()) return at + ": expected an array, got " + Dump(actual);
    if (expected.size() != actual.size()) {
      return at + ": expected " + std::to_string(expected.size()) + " elements, got " +
             std::to_string(actual.size()) + ": " + Dump(actual);
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string mismatch =
          MatchJson(expected[i], actual[i], (where.empty() ? "" : where + ".") + std::to_string(i));
      if (!mismatch.empty()) return mismatch;
    }
    return {};
  }
  if (expected != actual) return at + ": expected " + Dump(expected) + ", got " + Dump(actual);
  return {};
}

bool PathMatchesPattern(const std::string& path, const std::string& pattern) {
  auto split = [](std::string_view s) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find('/', start);
      if (end == std::string_view::npos) end = s.size();
      parts.push_back(s.substr(start, end - start));
      start = end + 1;
    }
    return parts;
  };
  const std::string_view bare = std::string_view(path).substr(0, path.find('?'));
  const auto a = split(bare);
  const auto b = split(pattern);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const bool param = b[i].size() > 2 && b[i].front() == '{' && b[i].back() == '}';
    if (param ? a[i].empty() : a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace zhizhi::e2e
