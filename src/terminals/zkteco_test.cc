#include "terminals/zkteco.h"

#include <gtest/gtest.h>

#include "base/civil_time.h"
#include "terminals/terminals.h"

namespace zhizhi::terminals {
namespace {

TEST(ZktecoTest, AttlogLinesAsDevicesSendThem) {
  // CRLF, a trailing tab, an empty line, fields missing at the end, spaces instead of tabs.
  const std::string body =
      "17\t2026-12-07 08:01:02\t0\t15\t0\t0\t0\r\n"
      "\r\n"
      "18\t2026-12-07 08:01:09\t255\t1\t\t\r\n"
      "19\t2026-12-07 08:02:00\n"
      "20 2026-12-07 17:30:00 1 15\n";
  auto batch = ParseAttlog(body);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->errors.empty()) << batch->errors.front().second.ToString();
  ASSERT_EQ(batch->lines.size(), 4u);
  EXPECT_EQ(batch->lines[0].pin, "17");
  EXPECT_EQ(batch->lines[0].local_time, "2026-12-07 08:01:02");
  EXPECT_EQ(batch->lines[0].status, 0);
  EXPECT_EQ(batch->lines[0].verify, 15);
  EXPECT_EQ(batch->lines[1].status, 255);
  EXPECT_EQ(batch->lines[1].line, 3);
  EXPECT_EQ(batch->lines[2].status, 255) << "no status given";
  EXPECT_EQ(batch->lines[3].pin, "20");
  EXPECT_EQ(batch->lines[3].local_time, "2026-12-07 17:30:00");
  EXPECT_EQ(batch->lines[3].status, 1);
}

TEST(ZktecoTest, ABadLineNeverStopsTheGoodOnes) {
  const std::string body =
      "17\t2026-12-07 08:01:02\t0\t15\n"
      "18\t2026-02-30 08:01:02\t0\t15\n"  // no such date
      "19\t2026-12-07T08:01:02\t0\t15\n"  // not the device's format
      "bad pin!\t2026-12-07 08:01:02\n"
      "20\t2026-12-07 08:01:02\tx\t15\n"
      "21\n"
      "22\t2026-12-07 08:03:00\t1\t1\n";
  auto batch = ParseAttlog(body);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->lines.size(), 2u);
  EXPECT_EQ(batch->lines[0].pin, "17");
  EXPECT_EQ(batch->lines[1].pin, "22");
  ASSERT_EQ(batch->errors.size(), 5u);
  EXPECT_EQ(batch->errors[0].first, 2);
  EXPECT_EQ(batch->errors[0].second.field(), "time");
  EXPECT_EQ(batch->errors[2].second.field(), "pin");
  EXPECT_EQ(batch->errors[3].second.field(), "status");
  std::string huge;
  for (int i = 0; i < 21; ++i)
    huge += "1\t2026-12-07 08:01:02\n";
  auto over = ParseAttlog(huge, 20);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), "invalid_attlog");
}

TEST(ZktecoTest, DirectionsPassModesAndInfo) {
  EXPECT_EQ(ZkDirection(0), "in");
  EXPECT_EQ(ZkDirection(1), "out");
  EXPECT_EQ(ZkDirection(4), "in");
  EXPECT_EQ(ZkDirection(5), "out");
  EXPECT_FALSE(ZkDirection(255));
  EXPECT_EQ(ZkPassMode(15), 1);
  EXPECT_EQ(ZkPassMode(1), 3);
  EXPECT_EQ(ZkPassMode(4), 6);
  EXPECT_EQ(ZkPassMode(0), 11);
  const ZkInfo info = ParseZkInfo("Ver 8.0.4.7-20230403,100,20,1000,192.168.1.201,10,7,12,98,111");
  EXPECT_EQ(info.firmware, "Ver 8.0.4.7-20230403");
  EXPECT_EQ(info.users, 100);
  EXPECT_EQ(info.faces, 98);
  const ZkInfo empty = ParseZkInfo("");
  EXPECT_FALSE(empty.firmware);
  EXPECT_FALSE(empty.users);
}

TEST(ZktecoTest, CommandsAndTheirResults) {
  EXPECT_EQ(ZkCommand(7, "DATA DELETE USERINFO PIN=17"), "C:7:DATA DELETE USERINFO PIN=17\n");
  auto results = ParseZkCommandResults("ID=7&Return=0&CMD=DATA\r\nID=8&Return=-1002&CMD=DATA\n");
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ((*results)[0].id, 7);
  EXPECT_EQ((*results)[1].return_code, -1002);
  EXPECT_FALSE(ParseZkCommandResults("Return=0&CMD=DATA").ok()) << "no ID";
  EXPECT_FALSE(ParseZkCommandResults("ID=x&Return=0").ok());
  const std::string options = ZkOptions("CJDE193560303", 42);
  EXPECT_EQ(options.rfind("GET OPTION FROM: CJDE193560303\n", 0), 0u);
  EXPECT_NE(options.find("ATTLOGStamp=42\n"), std::string::npos);
  EXPECT_NE(options.find("TimeZone=8\n"), std::string::npos);
  EXPECT_TRUE(IsZkSerial("CJDE193560303"));
  EXPECT_FALSE(IsZkSerial("CJDE-1"));
  EXPECT_FALSE(IsZkSerial(""));
}

TEST(ZktecoTest, APunchBecomesAGateEventAtTheRightInstant) {
  VendorDevice device;
  device.id = 3;
  device.serial = "SN1";
  device.direction = "in";
  AttlogLine line;
  line.pin = "17";
  line.local_time = "2026-12-07 08:01:02";
  line.status = 255;
  line.verify = 15;
  auto e = Terminals::AttlogEvent(device, line);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->event_id, "zk-17-20261207080102");
  EXPECT_EQ(e->time.ToRfc3339(), "2026-12-07T08:01:02+08:00") << "China Standard Time";
  EXPECT_EQ(e->person_id, 17);
  EXPECT_FALSE(e->direction) << "the device's own direction";
  EXPECT_EQ(e->pass_mode, 1);
  EXPECT_EQ(e->terminal_opened, true);

  device.clock_offset_ms = 90'000;  // the device clock runs 90 s ahead
  auto corrected = Terminals::AttlogEvent(device, line);
  ASSERT_TRUE(corrected.ok());
  EXPECT_EQ(corrected->time.ToRfc3339(), "2026-12-07T07:59:32+08:00");
  EXPECT_EQ(corrected->event_id, e->event_id) << "a replay after the offset changed is the same";
  device.clock_offset_ms = 300;  // network, not clock
  EXPECT_EQ(Terminals::AttlogEvent(device, line)->time.unix_ms, e->time.unix_ms);

  device.direction = "both";
  auto unknown = Terminals::AttlogEvent(device, line);
  ASSERT_FALSE(unknown.ok()) << "punch state 255 on a two-way device";
  EXPECT_EQ(unknown.status().field(), "status");
  line.status = 1;
  EXPECT_EQ(Terminals::AttlogEvent(device, line)->direction, "out");

  line.pin = "007";
  auto manual = Terminals::AttlogEvent(device, line);
  ASSERT_TRUE(manual.ok());
  EXPECT_FALSE(manual->person_id) << "not a zhizhi person id";
  EXPECT_TRUE(manual->stranger);
}

TEST(ZktecoTest, AUfaceRecognitionBecomesAGateEvent) {
  VendorDevice device;
  device.id = 4;
  device.direction = "out";
  UfaceRecognition r;
  r.person_id = 17;
  r.time_ms = 1'765'065'662'000;
  r.mode = "face";
  r.result = 1;
  r.search_score = 92;
  const auto e = Terminals::UfaceEvent(device, r);
  EXPECT_EQ(e.event_id, "uface-17-1765065662000");
  EXPECT_EQ(e.time.unix_ms, 1'765'065'662'000);
  EXPECT_EQ(e.time.offset_minutes, 480);
  EXPECT_DOUBLE_EQ(*e.score, 0.92);
  EXPECT_EQ(e.terminal_opened, false) << "face_1: known, but its rules kept the door shut";
  r.person_id.reset();
  r.result = 2;
  const auto stranger = Terminals::UfaceEvent(device, r);
  EXPECT_TRUE(stranger.stranger);
  EXPECT_FALSE(stranger.score);
  EXPECT_EQ(stranger.event_id, "uface-stranger-1765065662000");
}

}  // namespace
}  // namespace zhizhi::terminals
