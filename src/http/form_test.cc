#include "http/form.h"

#include <gtest/gtest.h>

namespace zhizhi::http {
namespace {

TEST(FormTest, UrlEncodedFieldsDecodedInOrder) {
  auto fields =
      ParseUrlEncodedForm("deviceKey=84E0F42&personId=12&name=%E5%BC%A0+%E4%B8%89&&x=\r\n");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  ASSERT_EQ(fields->size(), 4u);
  EXPECT_EQ(*FormValue(*fields, "deviceKey"), "84E0F42");
  EXPECT_EQ(*FormValue(*fields, "name"), "张 三");
  EXPECT_EQ(*FormValue(*fields, "x"), "");
  EXPECT_FALSE(FormValue(*fields, "missing"));
}

TEST(FormTest, EncodedFormsReadBack) {
  const FormFields fields = {{"pass", "12 34&5=6"}, {"person", R"({"id":"17","name":"张三"})"}};
  const std::string body = EncodeForm(fields);
  EXPECT_EQ(body.find(' '), std::string::npos);
  auto back = ParseUrlEncodedForm(body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, fields);
}

TEST(FormTest, UrlEncodedRefusesBadEscapesAndTooManyFields) {
  auto bad = ParseUrlEncodedForm("a=%G1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "invalid_form");
  std::string many;
  for (int i = 0; i < 65; ++i)
    many += "f" + std::to_string(i) + "=1&";
  auto over = ParseUrlEncodedForm(many);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), "invalid_form");
  EXPECT_FALSE(ParseUrlEncodedForm("=1").ok()) << "a field needs a name";
}

TEST(FormTest, MediaTypeAndParameters) {
  EXPECT_EQ(MediaType(" Multipart/Form-Data ; boundary=x"), "multipart/form-data");
  EXPECT_EQ(*MediaTypeParameter("multipart/form-data; boundary=\"a b\"", "boundary"), "a b");
  EXPECT_EQ(*MediaTypeParameter("multipart/form-data;charset=utf-8;boundary=MIME", "boundary"),
            "MIME");
  EXPECT_FALSE(MediaTypeParameter("multipart/form-data", "boundary"));
}

TEST(FormTest, MultipartWithCrlfAndBinaryPart) {
  const std::string jpeg("\xFF\xD8\xFF\x00\r\n--not-the-boundary\xFF\xD9", 26);
  const std::string body =
      "preamble\r\n--MIME_boundary\r\n"
      "Content-Disposition: form-data; name=\"AccessControllerEvent\"\r\n"
      "Content-Type: application/json\r\n\r\n"
      "{\"a\":1}\r\n"
      "--MIME_boundary\r\n"
      "content-disposition: form-data; name=\"Picture\"; filename=\"p.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n" +
      jpeg + "\r\n--MIME_boundary--\r\n";
  auto parts = ParseMultipart("multipart/form-data; boundary=MIME_boundary", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "AccessControllerEvent");
  EXPECT_EQ((*parts)[0].content_type, "application/json");
  EXPECT_EQ((*parts)[0].body, "{\"a\":1}");
  EXPECT_EQ((*parts)[1].name, "Picture");
  EXPECT_EQ((*parts)[1].filename, "p.jpg");
  EXPECT_EQ(std::string((*parts)[1].body), jpeg) << "binary, with CR LF and dashes inside";
}

TEST(FormTest, MultipartAsDevicesSendIt) {
  // LF line ends, no closing delimiter.
  const std::string body =
      "--b\nContent-Disposition: form-data; name=\"deviceKey\"\n\nK1\n"
      "--b\nContent-Disposition: form-data; name=\"time\"\n\n1700000000000\n";
  auto parts = ParseMultipart("multipart/form-data; boundary=b", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].body, "K1");
  EXPECT_EQ((*parts)[1].body, "1700000000000");
}

TEST(FormTest, MultipartBoundaryAnnouncedInAnotherCase) {
  // Seen from a Hikvision DS-K1T323: the header says mime_boundary, the body --MIME_boundary.
  const std::string body =
      "--MIME_boundary\r\nContent-Disposition: form-data; name=\"event_log\"\r\n\r\n{}\r\n"
      "--MIME_boundary--\r\n";
  auto parts = ParseMultipart("multipart/form-data; boundary=mime_boundary", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "event_log");
  EXPECT_EQ((*parts)[0].body, "{}");
}

TEST(FormTest, MultipartRefusals) {
  auto code = [](std::string_view type, std::string_view body) {
    auto parts = ParseMultipart(type, body);
    return parts.ok() ? std::string("ok") : parts.status().code();
  };
  EXPECT_EQ(code("multipart/form-data", "--b\r\n"), "invalid_multipart") << "no boundary";
  EXPECT_EQ(code("text/plain; boundary=b", "--b\r\n"), "invalid_multipart");
  EXPECT_EQ(code("multipart/form-data; boundary=b", "no delimiter at all"), "invalid_multipart");
  EXPECT_EQ(
      code("multipart/form-data; boundary=b", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"),
      "invalid_multipart")
      << "a part without a name";
  EXPECT_EQ(code("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data"),
            "invalid_multipart")
      << "headers that never end";
  std::string many;
  for (int i = 0; i < 17; ++i)
    many += "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n";
  many += "--b--\r\n";
  EXPECT_EQ(code("multipart/form-data; boundary=b", many), "invalid_multipart");
  EXPECT_EQ(code("multipart/form-data; boundary=b", "--b--\r\n"), "invalid_multipart")
      << "no parts";
}

}  // namespace
}  // namespace zhizhi::http
