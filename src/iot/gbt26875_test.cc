// GB/T 26875.3 frames and application data: a frame laid out byte by byte as the standard says
// (not through the encoder), round trips of every type the centre reads, the confirm, a stream of
// frames, and every way a frame can be wrong — each with its code, never a read past the input.
#include "iot/gbt26875.h"

#include <gtest/gtest.h>

namespace zhizhi::iot::gbt26875 {
namespace {

const DeviceTime kTime{5, 31, 7, 2, 3, 2026};  // 2026-03-02 07:31:05

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values)
    out += static_cast<char>(v);
  return out;
}

TEST(Gbt26875, ReadsAFrameLaidOutByHand) {
  // A confirm (command 3) with no application data, serial 0x0102.
  std::string body = Bytes({0x02, 0x01,                          // serial, low first
                            0x01, 0x00,                          // version 1.0
                            0x05, 0x1F, 0x07, 0x02, 0x03, 0x1A,  // 07:31:05 2026-03-02
                            0x01, 0x02, 0x03, 0x04, 0x05, 0x06,  // source
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // destination
                            0x00, 0x00,                          // app data length
                            0x03});                              // command
  int sum = 0;
  for (char c : body)
    sum += static_cast<unsigned char>(c);
  const std::string frame = "@@" + body + static_cast<char>(sum & 0xFF) + "##";
  ASSERT_EQ(frame.size(), kFrameOverhead);
  std::size_t consumed = 0;
  auto f = DecodeFrame(frame, &consumed);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(consumed, frame.size());
  EXPECT_EQ(f->serial, 0x0102);
  EXPECT_EQ(f->command, Command::kConfirm);
  EXPECT_EQ(f->time, kTime);
  EXPECT_EQ(f->source, (Address{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(f->app_data.empty());
  EXPECT_EQ(EncodeFrame(*f), frame);  // the encoder writes the same bytes
  EXPECT_EQ(*ToRfc3339(f->time), "2026-03-02T07:31:05+08:00");
}

TEST(Gbt26875, AFireAlarmOfAPartRoundTripsAndIsConfirmed) {
  AppData alarm;
  alarm.type = 2;
  alarm.parts.push_back(
      {1, 1, 40, 0x00010203, kRunning | kFireAlarm, "3号楼3层东侧走道感烟探测器", kTime});
  alarm.parts.push_back({1, 1, 40, 0x00010204, kRunning | kFault, "4层配电间", kTime});
  auto data = EncodeAppData(alarm);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->size(), 2u + 2 * 46);
  Frame frame;
  frame.serial = 777;
  frame.time = kTime;
  frame.source = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
  frame.command = Command::kSendData;
  frame.app_data = *data;
  const std::string wire = EncodeFrame(frame);

  auto back = DecodeFrame(wire);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  auto parts = DecodeAppData(back->app_data);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->parts.size(), 2u);
  EXPECT_EQ(parts->parts[0].part_address, 0x00010203u);
  EXPECT_TRUE(parts->parts[0].status & kFireAlarm);
  EXPECT_FALSE(parts->parts[1].status & kFireAlarm);
  EXPECT_TRUE(parts->parts[1].status & kFault);
  // 15 characters of GB 18030 are 30 bytes: the 31-byte field keeps them whole.
  EXPECT_EQ(parts->parts[0].description, "3号楼3层东侧走道感烟探测器");
  EXPECT_EQ(parts->parts[1].description, "4层配电间");

  const Frame confirm = ConfirmOf(*back, kTime);
  auto confirmed = DecodeFrame(EncodeFrame(confirm));
  ASSERT_TRUE(confirmed.ok());
  EXPECT_EQ(confirmed->serial, 777);
  EXPECT_EQ(confirmed->command, Command::kConfirm);
  EXPECT_EQ(confirmed->destination, frame.source);
  EXPECT_TRUE(confirmed->app_data.empty());
}

TEST(Gbt26875, SystemsAnalogsAndTheDeviceRoundTrip) {
  AppData systems{1, {{1, 1, kRunning | kFireAlarm, kTime}}, {}, {}, {}};
  AppData analogs{3, {}, {}, {{1, 1, 128, 7, 3, -125, kTime}, {1, 1, 129, 8, 9, 350, kTime}}, {}};
  AppData uitd{21, {}, {}, {}, {{kRunning, kTime}}};
  for (const AppData& d : {systems, analogs, uitd}) {
    auto bytes = EncodeAppData(d);
    ASSERT_TRUE(bytes.ok()) << int(d.type);
    auto back = DecodeAppData(*bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->type, d.type);
    EXPECT_EQ(back->systems.size(), d.systems.size());
    EXPECT_EQ(back->analogs.size(), d.analogs.size());
    EXPECT_EQ(back->uitd.size(), d.uitd.size());
  }
  auto back = DecodeAppData(*EncodeAppData(analogs));
  EXPECT_EQ(back->analogs[0].value, -125);  // signed
  EXPECT_EQ(back->analogs[1].value, 350);
  EXPECT_EQ(back->analogs[1].analog_type, 9);
}

TEST(Gbt26875, ALongDescriptionIsCutAtACharacterBoundary) {
  AppData d{
      2, {}, {{1, 1, 40, 1, kRunning, std::string(20, 'x') + "感烟探测器故障", kTime}}, {}, {}};
  auto bytes = EncodeAppData(d);
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeAppData(*bytes);
  ASSERT_TRUE(back.ok());
  // 20 + 5 characters of 2 bytes = 30 bytes fit; the sixth would make 32.
  EXPECT_EQ(back->parts[0].description, std::string(20, 'x') + "感烟探测器");
}

TEST(Gbt26875, AStreamOfFramesIsWalkedByTheirLengths) {
  Frame a, b;
  a.time = b.time = kTime;
  a.serial = 1;
  b.serial = 2;
  b.app_data = *EncodeAppData({21, {}, {}, {}, {{kRunning, kTime}}});
  const std::string stream = EncodeFrame(a) + EncodeFrame(b);
  std::size_t used = 0;
  auto first = DecodeFrame(stream, &used);
  ASSERT_TRUE(first.ok());
  auto second = DecodeFrame(std::string_view(stream).substr(used));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->serial, 2);
}

TEST(Gbt26875, EveryBrokenFrameHasItsCode) {
  Frame f;
  f.time = kTime;
  f.app_data = *EncodeAppData({21, {}, {}, {}, {{kRunning, kTime}}});
  const std::string good = EncodeFrame(f);
  const auto code = [](std::string_view bytes) {
    auto r = DecodeFrame(bytes);
    return r.ok() ? std::string("ok") : r.status().code();
  };
  EXPECT_EQ(code(good), "ok");
  EXPECT_EQ(code(good.substr(0, 10)), "truncated");
  EXPECT_EQ(code(good.substr(0, good.size() - 3)), "truncated");
  std::string s = good;
  s[0] = '#';
  EXPECT_EQ(code(s), "bad_delimiter");
  s = good;
  s[s.size() - 1] = '@';
  EXPECT_EQ(code(s), "bad_delimiter");
  s = good;
  s[30] ^= 0x01;  // a byte of the app data
  EXPECT_EQ(code(s), "bad_checksum");
  s = good;
  s[24] = static_cast<char>(0x01);  // length 1025
  s[25] = static_cast<char>(0x04);
  EXPECT_EQ(code(s), "length_too_large");
  Frame bad_command = f;
  bad_command.command = static_cast<Command>(9);
  EXPECT_EQ(code(EncodeFrame(bad_command)), "bad_command");
  Frame bad_time = f;
  bad_time.time.month = 13;
  EXPECT_EQ(code(EncodeFrame(bad_time)), "bad_time");

  EXPECT_EQ(DecodeAppData(Bytes({99, 1, 0})).status().code(), "unknown_type");
  EXPECT_EQ(DecodeAppData(Bytes({21, 2, 1, 5, 31, 7, 2, 3, 26})).status().code(),
            "bad_object_count");
  EXPECT_EQ(DecodeAppData(Bytes({21, 0})).status().code(), "bad_object_count");
  EXPECT_EQ(DecodeAppData(Bytes({2})).status().code(), "truncated");
  EXPECT_EQ(DecodeAppData(Bytes({21, 1, 1, 5, 31, 7, 31, 2, 26})).status().code(), "bad_time");
}

}  // namespace
}  // namespace zhizhi::iot::gbt26875
