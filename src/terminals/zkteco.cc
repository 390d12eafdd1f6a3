#include "terminals/zkteco.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/civil_time.h"

namespace zhizhi::terminals {

namespace {

std::string_view TrimLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  return text;
}

std::optional<std::int64_t> Int(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Splits on tabs; a line without tabs is split on runs of spaces, keeping the time's date and
// clock together ("1 2026-12-07 08:01:02 0 15").
std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  if (line.find('\t') != std::string_view::npos) {
    size_t pos = 0;
    while (true) {
      const size_t tab = line.find('\t', pos);
      out.push_back(TrimLine(line.substr(pos, tab - pos)));
      if (tab == std::string_view::npos) break;
      pos = tab + 1;
    }
    return out;
  }
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && line[pos] == ' ')
      ++pos;
    if (pos == line.size()) break;
    const size_t end = std::min(line.find(' ', pos), line.size());
    out.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  // Rejoin "date" "clock" as one field.
  if (out.size() >= 3 && out[1].size() == 10 && out[2].size() == 8 && out[2][2] == ':') {
    out[1] = std::string_view(out[1].data(), out[2].data() + out[2].size() - out[1].data());
    out.erase(out.begin() + 2);
  }
  return out;
}

bool IsLocalTime(std::string_view t) {
  if (t.size() != 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' || t[13] != ':' ||
      t[16] != ':') {
    return false;
  }
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
    if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
  // A real calendar date and clock (no Feb 30, no 24:00).
  return Timestamp::ParseRfc3339(std::string(t) + "+08:00", "time").ok();
}

bool IsPin(std::string_view pin) {
  return !pin.empty() && pin.size() <= 24 &&
         std::all_of(pin.begin(), pin.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

}  // namespace

bool IsZkSerial(std::string_view sn) {
  return !sn.empty() && sn.size() <= 32 &&
         std::all_of(sn.begin(), sn.end(), [](unsigned char c) { return std::isalnum(c); });
}

Result<AttlogBatch> ParseAttlog(std::string_view body, size_t max_lines) {
  AttlogBatch batch;
  int number = 0;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    const std::string_view raw = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    ++number;
    if (static_cast<size_t>(number) > max_lines) {
      return Status::Invalid("invalid_attlog", "",
                             "more than " + std::to_string(max_lines) + " ATTLOG lines");
    }
    const std::string_view line = TrimLine(raw);
    if (line.empty()) continue;
    auto fail = [&](std::string field, std::string message) {
      batch.errors.emplace_back(number,
                                Status::InvalidArgument(std::move(field), std::move(message)));
    };
    const auto f = SplitFields(line);
    if (f.size() < 2) {
      fail("line", "an ATTLOG line needs at least PIN and time");
      continue;
    }
    AttlogLine a;
    a.line = number;
    if (!IsPin(f[0])) {
      fail("pin", "PIN must be 1–24 of [A-Za-z0-9_-]");
      continue;
    }
    a.pin = std::string(f[0]);
    if (!IsLocalTime(f[1])) {
      fail("time", "time must be YYYY-MM-DD HH:MM:SS");
      continue;
    }
    a.local_time = std::string(f[1]);
    if (f.size() > 2 && !f[2].empty()) {
      auto status = Int(f[2]);
      if (!status || *status < 0 || *status > 255) {
        fail("status", "status must be a punch state 0–255");
        continue;
      }
      a.status = static_cast<int>(*status);
    }
    if (f.size() > 3 && !f[3].empty()) {
      auto verify = Int(f[3]);
      if (!verify || *verify < 0 || *verify > 255) {
        fail("verify", "verify must be a code 0–255");
        continue;
      }
      a.verify = static_cast<int>(*verify);
    }
    if (f.size() > 4) a.workcode = std::string(f[4].substr(0, 24));
    batch.lines.push_back(std::move(a));
  }
  return batch;
}

std::optional<std::string> ZkDirection(int status) {
  switch (status) {
    case 0:
    case 3:
    case 4:
      return "in";
    case 1:
    case 2:
    case 5:
      return "out";
    default:
      return std::nullopt;
  }
}

int ZkPassMode(int verify) {
  switch (verify) {
    case 15:
      return 1;  // face
    case 1:
      return 3;  // fingerprint
    case 25:
      return 4;  // palm
    case 2:
    case 4:
      return 6;  // card
    default:
      return 11;  // password and combinations
  }
}

ZkInfo ParseZkInfo(std::string_view info) {
  ZkInfo out;
  std::vector<std::string_view> f;
  size_t pos = 0;
  while (pos <= info.size()) {
    const size_t comma = info.find(',', pos);
    f.push_back(TrimLine(info.substr(pos, comma - pos)));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (!f.empty() && !f[0].empty()) out.firmware = std::string(f[0].substr(0, 64));
  if (f.size() > 1) out.users = Int(f[1]);
  if (f.size() > 8) out.faces = Int(f[8]);
  if (out.users && *out.users < 0) out.users.reset();
  if (out.faces && *out.faces < 0) out.faces.reset();
  return out;
}

std::string ZkOptions(std::string_view sn, std::int64_t attlog_stamp) {
  std::string out = "GET OPTION FROM: " + std::string(sn) + "\n";
  out += "ATTLOGStamp=" + std::to_string(attlog_stamp) + "\n";
  out += "OPERLOGStamp=9999\n";
  out += "ATTPHOTOStamp=None\n";
  out += "ErrorDelay=30\n";
  out += "Delay=10\n";
  out += "TransTimes=00:00;14:05\n";
  out += "TransInterval=1\n";
  out += "TransFlag=TransData AttLog OpLog EnrollUser ChgUser UserPic\n";
  out += "TimeZone=8\n";
  out += "Realtime=1\n";
  out += "Encrypt=None\n";
  return out;
}

Result<std::vector<ZkCommandResult>> ParseZkCommandResults(std::string_view body) {
  std::vector<ZkCommandResult> out;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    const std::string_view line = TrimLine(body.substr(0, nl));
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    if (line.empty()) continue;
    if (out.size() == 1000) return Status::Invalid("invalid_devicecmd", "", "over 1000 results");
    ZkCommandResult r;
    bool has_id = false, has_return = false;
    size_t pos = 0;
    while (pos <= line.size()) {
      const size_t amp = line.find('&', pos);
      const std::string_view pair = line.substr(pos, amp - pos);
      const size_t eq = pair.find('=');
      const std::string_view key = pair.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      if (key == "ID") {
        auto id = Int(value);
        if (!id || *id <= 0) return Status::Invalid("invalid_devicecmd", "ID", "ID must be > 0");
        r.id = *id;
        has_id = true;
      } else if (key == "Return") {
        auto code = Int(value);
        if (!code || *code < -100000 || *code > 100000) {
          return Status::Invalid("invalid_devicecmd", "Return", "Return must be a number");
        }
        r.return_code = static_cast<int>(*code);
        has_return = true;
      } else if (key == "CMD") {
        r.command = std::string(value.substr(0, 32));
      }
      if (amp == std::string_view::npos) break;
      pos = amp + 1;
    }
    if (!has_id || !has_return) {
      return Status::Invalid("invalid_devicecmd", has_id ? "Return" : "ID",
                             "each line needs ID= and Return=");
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string ZkCommand(std::int64_t id, std::string_view command) {
  return "C:" + std::to_string(id) + ":" + std::string(command) + "\n";
}

}  // namespace zhizhi::terminals
