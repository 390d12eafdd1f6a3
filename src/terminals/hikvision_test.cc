#include "terminals/hikvision.h"

#include <gtest/gtest.h>

#include "terminals/terminals.h"

namespace zhizhi::terminals {
namespace {

// A capture's shape (abridged): an access event pushed as multipart with its picture.
std::string Push(const std::string& event_json, const std::string& boundary = "MIME_boundary") {
  return "--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\r\n"
         "Content-Type: application/json\r\nContent-Length: " +
         std::to_string(event_json.size()) + "\r\n\r\n" + event_json + "\r\n--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"Picture\"; filename=\"Picture.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\xE0jpeg\xFF\xD9\r\n--" +
         boundary + "--\r\n";
}

const char* kEvent = R"({"ipAddress":"10.70.18.20","portNo":80,"protocol":"HTTP",
  "macAddress":"88:de:39:7a:22:cf","channelID":1,"dateTime":"2026-12-07T08:02:38+08:00",
  "activePostCount":1,"eventType":"AccessControllerEvent","eventState":"active",
  "eventDescription":"Access Controller Event","shortSerialNumber":"GS7020902",
  "AccessControllerEvent":{"deviceName":"Access Controller","majorEventType":5,
  "subEventType":75,"name":"张三","employeeNoString":"17","cardReaderNo":1,"serialNo":217,
  "currentVerifyMode":"cardOrFaceOrFp","attendanceStatus":"checkIn","picturesNumber":1}})";

TEST(HikvisionTest, AnAccessEventWithItsPicture) {
  auto e = ParseHikPush("multipart/form-data; boundary=MIME_boundary", Push(kEvent));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->heartbeat);
  ASSERT_TRUE(e->time);
  EXPECT_EQ(e->time->ToRfc3339(), "2026-12-07T08:02:38+08:00");
  EXPECT_EQ(e->mac, "88:de:39:7a:22:cf");
  EXPECT_EQ(e->short_serial, "GS7020902");
  EXPECT_EQ(e->major, 5);
  EXPECT_EQ(e->minor, 75);
  EXPECT_EQ(e->serial_no, 217);
  EXPECT_EQ(e->employee, "17");
  EXPECT_EQ(e->attendance, "checkIn");
  ASSERT_TRUE(e->picture);
  EXPECT_EQ(*e->picture, "\xFF\xD8\xFF\xE0jpeg\xFF\xD9");

  VendorDevice device;
  device.direction = "both";
  auto event = Terminals::HikvisionEvent(device, *e);
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_TRUE(*event);
  EXPECT_EQ((*event)->event_id, "hik-217");
  EXPECT_EQ((*event)->person_id, 17);
  EXPECT_EQ((*event)->direction, "in");
  EXPECT_EQ((*event)->pass_mode, 1);
  EXPECT_EQ((*event)->terminal_opened, true);
}

TEST(HikvisionTest, EventsAsFirmwareVariesThem) {
  // event_log instead of AccessControllerEvent, the boundary in another case, no employee, a
  // refused face, a time without a zone.
  std::string json = kEvent;
  json.replace(json.find("\"employeeNoString\":\"17\""), 23, "\"employeeNoString\":\"null\"");
  json.replace(json.find("\"subEventType\":75"), 17, "\"subEventType\":76");
  json.replace(json.find("2026-12-07T08:02:38+08:00"), 25, "2026-12-07T08:02:38");
  std::string body = Push(json);
  body.replace(body.find("AccessControllerEvent\"\r\n"), 21, "event_log");
  auto e = ParseHikPush("multipart/form-data; boundary=mime_boundary", body);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->employee);
  EXPECT_FALSE(e->time);
  EXPECT_EQ(e->local_time, "2026-12-07T08:02:38");
  VendorDevice device;
  device.direction = "in";
  device.clock_offset_ms = 60'000;
  auto event = Terminals::HikvisionEvent(device, *e);
  ASSERT_TRUE(event.ok() && *event);
  EXPECT_TRUE((*event)->stranger);
  EXPECT_EQ((*event)->terminal_opened, false);
  EXPECT_EQ((*event)->time.ToRfc3339(), "2026-12-07T08:01:38+08:00") << "clock 60 s fast";
  EXPECT_FALSE((*event)->direction) << "the device's own direction";
}

TEST(HikvisionTest, HeartbeatsNonPassesAndRefusals) {
  auto beat = ParseHikPush("application/json",
                           R"({"ipAddress":"10.0.0.5","dateTime":"2026-12-07T08:00:00+08:00",
                               "activePostCount":1,"eventType":"heartBeat","eventState":"active"})");
  ASSERT_TRUE(beat.ok()) << beat.status().ToString();
  EXPECT_TRUE(beat->heartbeat);
  // A door unlocked (minor 22) is no pass.
  std::string json = kEvent;
  json.replace(json.find("\"subEventType\":75"), 17, "\"subEventType\":22");
  auto door = ParseHikPush("application/json", json);
  ASSERT_TRUE(door.ok());
  VendorDevice device;
  device.direction = "in";
  auto none = Terminals::HikvisionEvent(device, *door);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  // A two-way device needs the direction.
  json = kEvent;
  json.replace(json.find("\"attendanceStatus\":\"checkIn\""), 28,
               "\"attendanceStatus\":\"undefined\"");
  auto undefined = ParseHikPush("application/json", json);
  ASSERT_TRUE(undefined.ok());
  device.direction = "both";
  EXPECT_EQ(Terminals::HikvisionEvent(device, *undefined).status().field(), "attendanceStatus");

  auto code = [](std::string_view type, std::string_view body) {
    auto e = ParseHikPush(type, body);
    return e.ok() ? std::string("ok") : e.status().code();
  };
  EXPECT_EQ(code("application/json", "<EventNotificationAlert/>"), "invalid_json");
  EXPECT_EQ(code("application/json", R"({"eventType":"AccessControllerEvent"})"),
            "invalid_argument");
  EXPECT_EQ(code("application/json", R"({"dateTime":"x","eventType":"heartBeat"})"),
            "invalid_argument");
  EXPECT_EQ(code("multipart/form-data; boundary=b",
                 "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--"),
            "invalid_multipart");
  EXPECT_EQ(HikDoorOpened(5, 1), true);
  EXPECT_EQ(HikDoorOpened(5, 9), false);
  EXPECT_EQ(HikDoorOpened(3, 75), std::nullopt);
  EXPECT_EQ(HikPassMode("fingerPrint"), 3);
  EXPECT_EQ(HikPassMode("card"), 6);
  EXPECT_EQ(HikDirection("overtimeOut"), "out");
  EXPECT_NE(HikSuccess().find("\"statusCode\":1"), std::string::npos);
}

}  // namespace
}  // namespace zhizhi::terminals
