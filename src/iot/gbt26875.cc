#include "iot/gbt26875.h"

#include "base/civil_time.h"
#include "base/csv.h"

namespace zhizhi::iot::gbt26875 {

namespace {

constexpr std::size_t kSystemSize = 10, kPartSize = 46, kAnalogSize = 16, kUitdSize = 7;
constexpr std::size_t kDescriptionSize = 31;

Status Bad(const char* code, std::string message) {
  return Status::Invalid(code, "frame", std::move(message));
}

std::uint8_t Byte(std::string_view b, std::size_t i) {
  return static_cast<std::uint8_t>(b[i]);
}
std::uint16_t U16(std::string_view b, std::size_t i) {
  return static_cast<std::uint16_t>(Byte(b, i) | (Byte(b, i + 1) << 8));
}
std::uint32_t U32(std::string_view b, std::size_t i) {
  return static_cast<std::uint32_t>(U16(b, i)) | (static_cast<std::uint32_t>(U16(b, i + 2)) << 16);
}

void Put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}
void Put32(std::string& out, std::uint32_t v) {
  Put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
  Put16(out, static_cast<std::uint16_t>(v >> 16));
}

bool ValidTime(const DeviceTime& t) {
  return t.second >= 0 && t.second <= 59 && t.minute >= 0 && t.minute <= 59 && t.hour >= 0 &&
         t.hour <= 23 && Date::FromYmd(t.year, t.month, t.day).has_value();
}

Result<DeviceTime> TimeAt(std::string_view b, std::size_t i) {
  DeviceTime t{Byte(b, i),     Byte(b, i + 1), Byte(b, i + 2),
               Byte(b, i + 3), Byte(b, i + 4), 2000 + Byte(b, i + 5)};
  if (!ValidTime(t))
    return Bad("bad_time", "time " + std::to_string(t.year) + "-" + std::to_string(t.month) + "-" +
                               std::to_string(t.day) + " " + std::to_string(t.hour) + ":" +
                               std::to_string(t.minute) + ":" + std::to_string(t.second) +
                               " is no clock reading");
  return t;
}

void PutTime(std::string& out, const DeviceTime& t) {
  for (int v : {t.second, t.minute, t.hour, t.day, t.month, t.year - 2000})
    out += static_cast<char>(static_cast<std::uint8_t>(v));
}

std::uint8_t Sum(std::string_view bytes) {
  unsigned sum = 0;
  for (char c : bytes)
    sum += static_cast<std::uint8_t>(c);
  return static_cast<std::uint8_t>(sum & 0xFF);
}

// The description field: GB 18030 padded with NULs (or spaces), as UTF-8; bytes that are not
// GB 18030 are kept out rather than failing the whole part.
std::string Description(std::string_view raw) {
  std::size_t end = raw.size();
  while (end > 0 && (raw[end - 1] == '\0' || raw[end - 1] == ' '))
    --end;
  raw = raw.substr(0, end);
  if (const auto nul = raw.find('\0'); nul != std::string_view::npos) raw = raw.substr(0, nul);
  auto utf8 = ConvertGb18030ToUtf8(raw);
  return utf8.ok() ? *utf8 : std::string();
}

Result<std::string> DescriptionBytes(const std::string& utf8) {
  ZZ_ASSIGN_OR_RETURN(std::string gb, ConvertUtf8ToGb18030(utf8));
  if (gb.size() > kDescriptionSize) {
    // Cut at a character boundary: GB 18030 lead bytes are 0x81–0xFE (2 or 4 bytes each).
    std::size_t i = 0, keep = 0;
    while (i < gb.size()) {
      const auto c = static_cast<std::uint8_t>(gb[i]);
      std::size_t n = c < 0x80 ? 1
                      : (i + 1 < gb.size() && static_cast<std::uint8_t>(gb[i + 1]) >= 0x30 &&
                         static_cast<std::uint8_t>(gb[i + 1]) <= 0x39)
                          ? 4
                          : 2;
      if (i + n > kDescriptionSize) break;
      i += n;
      keep = i;
    }
    gb.resize(keep);
  }
  gb.resize(kDescriptionSize, '\0');
  return gb;
}

}  // namespace

Result<Frame> DecodeFrame(std::string_view b, std::size_t* consumed) {
  if (b.size() < kFrameOverhead)
    return Bad("truncated", "a frame has at least " + std::to_string(kFrameOverhead) +
                                " bytes, not " + std::to_string(b.size()));
  if (b[0] != '@' || b[1] != '@') return Bad("bad_delimiter", "a frame starts with @@");
  const std::size_t length = U16(b, 24);
  if (length > kMaxAppData)
    return Bad("length_too_large",
               "application data of " + std::to_string(length) + " bytes (at most 1,024)");
  const std::size_t total = kFrameOverhead + length;
  if (b.size() < total)
    return Bad("truncated", "the frame says " + std::to_string(total) + " bytes; " +
                                std::to_string(b.size()) + " came");
  if (b[total - 2] != '#' || b[total - 1] != '#')
    return Bad("bad_delimiter", "a frame ends with ##");
  const std::uint8_t checksum = Byte(b, 27 + length);
  const std::uint8_t sum = Sum(b.substr(2, 25 + length));
  if (checksum != sum)
    return Bad("bad_checksum", "checksum " + std::to_string(checksum) + ", the bytes sum to " +
                                   std::to_string(sum));
  Frame f;
  f.serial = U16(b, 2);
  f.version_major = Byte(b, 4);
  f.version_minor = Byte(b, 5);
  ZZ_ASSIGN_OR_RETURN(f.time, TimeAt(b, 6));
  for (std::size_t i = 0; i < 6; ++i) {
    f.source[i] = Byte(b, 12 + i);
    f.destination[i] = Byte(b, 18 + i);
  }
  const std::uint8_t command = Byte(b, 26);
  if (command < 1 || command > 6)
    return Bad("bad_command", "command " + std::to_string(command) + " (1–6)");
  f.command = static_cast<Command>(command);
  f.app_data = std::string(b.substr(27, length));
  if (consumed) *consumed = total;
  return f;
}

std::string EncodeFrame(const Frame& f) {
  std::string body;
  Put16(body, f.serial);
  body += static_cast<char>(f.version_major);
  body += static_cast<char>(f.version_minor);
  PutTime(body, f.time);
  body.append(reinterpret_cast<const char*>(f.source.data()), 6);
  body.append(reinterpret_cast<const char*>(f.destination.data()), 6);
  Put16(body, static_cast<std::uint16_t>(f.app_data.size()));
  body += static_cast<char>(f.command);
  body += f.app_data;
  std::string out = "@@" + body;
  out += static_cast<char>(Sum(body));
  out += "##";
  return out;
}

Frame ConfirmOf(const Frame& received, const DeviceTime& now) {
  Frame f;
  f.serial = received.serial;
  f.version_major = received.version_major;
  f.version_minor = received.version_minor;
  f.time = now;
  f.source = received.destination;
  f.destination = received.source;
  f.command = Command::kConfirm;
  return f;
}

Result<AppData> DecodeAppData(std::string_view b) {
  if (b.size() < 2) return Bad("truncated", "application data has a type and an object count");
  AppData d;
  d.type = Byte(b, 0);
  const std::size_t count = Byte(b, 1);
  std::size_t size = 0;
  switch (d.type) {
    case 1:
      size = kSystemSize;
      break;
    case 2:
      size = kPartSize;
      break;
    case 3:
      size = kAnalogSize;
      break;
    case 21:
      size = kUitdSize;
      break;
    default:
      return Bad("unknown_type", "application data type " + std::to_string(d.type) +
                                     " (this centre reads 1, 2, 3 and 21)");
  }
  if (count == 0 || 2 + count * size != b.size())
    return Bad("bad_object_count",
               std::to_string(count) + " objects of type " + std::to_string(d.type) + " are " +
                   std::to_string(2 + count * size) + " bytes, not " + std::to_string(b.size()));
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = 2 + k * size;
    switch (d.type) {
      case 1: {
        SystemStatus s{Byte(b, i), Byte(b, i + 1), U16(b, i + 2), {}};
        ZZ_ASSIGN_OR_RETURN(s.time, TimeAt(b, i + 4));
        d.systems.push_back(s);
        break;
      }
      case 2: {
        PartStatus p{Byte(b, i),
                     Byte(b, i + 1),
                     Byte(b, i + 2),
                     U32(b, i + 3),
                     U16(b, i + 7),
                     Description(b.substr(i + 9, kDescriptionSize)),
                     {}};
        ZZ_ASSIGN_OR_RETURN(p.time, TimeAt(b, i + 40));
        d.parts.push_back(std::move(p));
        break;
      }
      case 3: {
        PartAnalog a{Byte(b, i),
                     Byte(b, i + 1),
                     Byte(b, i + 2),
                     U32(b, i + 3),
                     Byte(b, i + 7),
                     static_cast<std::int16_t>(U16(b, i + 8)),
                     {}};
        ZZ_ASSIGN_OR_RETURN(a.time, TimeAt(b, i + 10));
        d.analogs.push_back(a);
        break;
      }
      case 21: {
        UitdStatus u{Byte(b, i), {}};
        ZZ_ASSIGN_OR_RETURN(u.time, TimeAt(b, i + 1));
        d.uitd.push_back(u);
        break;
      }
    }
  }
  return d;
}

Result<std::string> EncodeAppData(const AppData& d) {
  std::string out;
  out += static_cast<char>(d.type);
  std::size_t count = 0;
  std::string objects;
  switch (d.type) {
    case 1:
      for (const SystemStatus& s : d.systems) {
        objects += static_cast<char>(s.system_type);
        objects += static_cast<char>(s.system_address);
        Put16(objects, s.status);
        PutTime(objects, s.time);
      }
      count = d.systems.size();
      break;
    case 2:
      for (const PartStatus& p : d.parts) {
        objects += static_cast<char>(p.system_type);
        objects += static_cast<char>(p.system_address);
        objects += static_cast<char>(p.part_type);
        Put32(objects, p.part_address);
        Put16(objects, p.status);
        ZZ_ASSIGN_OR_RETURN(std::string description, DescriptionBytes(p.description));
        objects += description;
        PutTime(objects, p.time);
      }
      count = d.parts.size();
      break;
    case 3:
      for (const PartAnalog& a : d.analogs) {
        objects += static_cast<char>(a.system_type);
        objects += static_cast<char>(a.system_address);
        objects += static_cast<char>(a.part_type);
        Put32(objects, a.part_address);
        objects += static_cast<char>(a.analog_type);
        Put16(objects, static_cast<std::uint16_t>(a.value));
        PutTime(objects, a.time);
      }
      count = d.analogs.size();
      break;
    case 21:
      for (const UitdStatus& u : d.uitd) {
        objects += static_cast<char>(u.status);
        PutTime(objects, u.time);
      }
      count = d.uitd.size();
      break;
    default:
      return Bad("unknown_type", "application data type " + std::to_string(d.type));
  }
  if (count == 0 || count > 255 || 2 + objects.size() > kMaxAppData)
    return Bad("bad_object_count", std::to_string(count) + " objects do not fit one frame");
  out += static_cast<char>(count);
  out += objects;
  return out;
}

std::optional<std::string> ToRfc3339(const DeviceTime& t) {
  if (!ValidTime(t)) return std::nullopt;
  const auto date = Date::FromYmd(t.year, t.month, t.day);
  const std::int64_t ms =
      StartOfDayInChina(*date) + (std::int64_t{t.hour} * 3600 + t.minute * 60 + t.second) * 1000;
  return FormatRfc3339(ms);
}

DeviceTime DeviceTimeAt(std::int64_t unix_ms) {
  const std::int64_t local_s = unix_ms / 1000 + kChinaUtcOffsetMinutes * 60;
  const std::int64_t days = local_s >= 0 ? local_s / 86400 : (local_s - 86399) / 86400;
  const std::int64_t in_day = local_s - days * 86400;
  const Date date = Date::FromDays(days);
  DeviceTime t;
  t.year = date.year;
  t.month = date.month;
  t.day = date.day;
  t.hour = static_cast<int>(in_day / 3600);
  t.minute = static_cast<int>(in_day / 60 % 60);
  t.second = static_cast<int>(in_day % 60);
  return t;
}

}  // namespace zhizhi::iot::gbt26875
