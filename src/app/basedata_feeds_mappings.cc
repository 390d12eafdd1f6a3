// The mapping files of the base-data feeds (mappings/<source>.json, basedata_feeds.h): how each
// feed's columns and codes map to the importer's fields.
#include "app/basedata_feeds_model.h"

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace zhizhi::app::feeds {

Status Generator::WriteMappings(const std::filesystem::path& dir) {
  using ordered = nlohmann::ordered_json;
  // Which source wins a golden field on a tie: the public-security and market-regulation
  // registers over grid collection, grid collection over landlords' reports.
  const auto priority = [](std::string_view source) {
    if (source == "rental_tenants") return 40;
    return source.starts_with("grid_") ? 50 : 80;
  };
  const auto mapping = [&](const char* source, const char* kind, const char* format,
                           const char* encoding, const char* key, ordered fields, ordered codes) {
    ordered m;
    m["source"] = source;
    m["kind"] = kind;
    m["format"] = format;
    m["encoding"] = encoding;
    m["key"] = key;
    m["priority"] = priority(source);
    m["fields"] = std::move(fields);
    m["codes"] = std::move(codes);
    return m;
  };
  ordered ps_use, grid_use;
  for (size_t i = 0; i < std::size(kUseCodes); ++i) {
    ps_use[kUseNames[i]] = kUseCodes[i];
    grid_use[kGridUseNames[i]] = kUseCodes[i];
  }
  const std::vector<std::pair<std::string, ordered>> all = {
      {"ps_population", mapping("ps_population", "person", "csv", "utf-8", "人员编号",
                                {{"name", "姓名"},
                                 {"id_number", "公民身份号码"},
                                 {"sex", "性别"},
                                 {"birth_date", "出生日期"},
                                 {"phone", "联系电话"},
                                 {"address", "居住地址"}},
                                {{"sex", {{"1", "M"}, {"2", "F"}}}})},
      {"grid_people", mapping("grid_people", "person", "jsonl", "utf-8", "rybh",
                              {{"name", "xm"},
                               {"id_number", "sfzh"},
                               {"sex", "xb"},
                               {"birth_date", "csrq"},
                               {"phone", "sjhm"},
                               {"address", "dz"}},
                              {{"sex", {{"男", "M"}, {"女", "F"}}}})},
      {"rental_tenants", mapping("rental_tenants", "person", "csv", "gbk", "登记编号",
                                 {{"name", "租客姓名"},
                                  {"id_number", "证件号码"},
                                  {"phone", "手机"},
                                  {"address", "租住地址"}},
                                 ordered::object())},
      {"ps_housing", mapping("ps_housing", "house", "csv", "utf-8", "房屋编号",
                             {{"address", "房屋地址"},
                              {"area", "建筑面积"},
                              {"use", "房屋用途"},
                              {"owner_name", "产权人姓名"},
                              {"owner_id_number", "产权人证件号码"},
                              {"owner_phone", "产权人电话"}},
                             {{"use", ps_use}})},
      {"grid_houses", mapping("grid_houses", "house", "jsonl", "utf-8", "fwbh",
                              {{"address", "dz"},
                               {"area", "mj"},
                               {"use", "yt"},
                               {"owner_name", "fzxm"},
                               {"owner_phone", "fzdh"}},
                              {{"use", grid_use}})},
      {"market_units", mapping("market_units", "unit", "csv", "utf-8", "统一社会信用代码",
                               {{"uscc", "统一社会信用代码"},
                                {"name", "企业名称"},
                                {"address", "注册地址"},
                                {"phone", "联系电话"},
                                {"legal_person", "法定代表人"}},
                               ordered::object())},
      {"grid_units",
       mapping("grid_units", "unit", "jsonl", "utf-8", "dwbh",
               {{"uscc", "tyshxydm"}, {"name", "dwmc"}, {"address", "dz"}, {"phone", "lxdh"}},
               ordered::object())},
  };
  for (const auto& [name, m] : all) {
    FeedFile f(dir / "mappings" / (name + ".json"), false);
    f.out() += m.dump(2);
    f.out().push_back('\n');
    ZZ_RETURN_IF_ERROR(f.Close());
  }
  return Status::Ok();
}

}  // namespace zhizhi::app::feeds
