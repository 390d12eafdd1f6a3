#include "app/basedata_feeds.h"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/divisions.h"
#include "base/civil_time.h"
#include "base/csv.h"
#include "base/resident_id.h"
#include "base/text.h"
#include "base/uscc.h"

namespace zhizhi::app {

namespace {

namespace fs = std::filesystem;

// The day the feeds were exported: every birth date is on or before it.
constexpr Date kAsOf{2025, 6, 30};
constexpr int kAsOfYmd = 20250630;
constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// ---------------------------------------------------------------------------------- randomness

// xoshiro256** seeded by splitmix64: the same numbers with every compiler and standard library
// (the std:: distributions differ between libraries, so none is used). One stream per stage, so
// that a change in one stage does not reshuffle the others.
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t x = seed ^ (0x9E3779B97F4A7C15ull * (stream + 1));
    for (auto& s : s_)
      s = SplitMix(x);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // 0 <= result < n; n > 0. The modulo bias is below 2^-40 for the sizes used here.
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }
  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[Below(i)]);
  }

 private:
  static std::uint64_t SplitMix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<std::uint64_t, 4> s_{};
};

// Picks an index with probability proportional to its weight.
class WeightedIndex {
 public:
  WeightedIndex() = default;
  explicit WeightedIndex(const std::vector<std::uint64_t>& weights) {
    std::uint64_t sum = 0;
    for (const std::uint64_t w : weights)
      cumulative_.push_back(sum += w);
  }
  size_t operator()(Rng& rng) const {
    const std::uint64_t r = rng.Below(cumulative_.back());
    return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), r) -
                               cumulative_.begin());
  }
  bool empty() const { return cumulative_.empty() || cumulative_.back() == 0; }

 private:
  std::vector<std::uint64_t> cumulative_;
};

struct Weighted {
  const char* text;
  int weight;
};

template <size_t N>
WeightedIndex MakeWeighted(const Weighted (&items)[N]) {
  std::vector<std::uint64_t> weights;
  for (const Weighted& w : items)
    weights.push_back(static_cast<std::uint64_t>(w.weight));
  return WeightedIndex(weights);
}

// ---------------------------------------------------------------------------------- word lists

// The hundred commonest surnames with weights in about per ten thousand (2020 census order).
constexpr Weighted kSurnames[] = {
    {"王", 710}, {"李", 700}, {"张", 660}, {"刘", 540}, {"陈", 450}, {"杨", 310}, {"黄", 230},
    {"赵", 220}, {"吴", 200}, {"周", 190}, {"徐", 140}, {"孙", 140}, {"马", 130}, {"朱", 120},
    {"胡", 120}, {"郭", 110}, {"何", 110}, {"林", 100}, {"罗", 90},  {"高", 90},  {"郑", 80},
    {"梁", 80},  {"谢", 70},  {"宋", 60},  {"唐", 60},  {"许", 60},  {"韩", 60},  {"邓", 60},
    {"冯", 60},  {"曹", 50},  {"彭", 50},  {"曾", 50},  {"肖", 50},  {"田", 50},  {"董", 50},
    {"潘", 40},  {"袁", 40},  {"蔡", 40},  {"蒋", 40},  {"余", 40},  {"于", 40},  {"杜", 40},
    {"叶", 40},  {"程", 40},  {"魏", 30},  {"苏", 30},  {"吕", 30},  {"丁", 30},  {"任", 30},
    {"卢", 30},  {"姚", 30},  {"沈", 30},  {"钟", 30},  {"姜", 30},  {"崔", 30},  {"谭", 30},
    {"陆", 30},  {"范", 20},  {"汪", 20},  {"廖", 20},  {"石", 20},  {"金", 20},  {"韦", 20},
    {"贾", 20},  {"夏", 20},  {"付", 20},  {"方", 20},  {"邹", 20},  {"熊", 20},  {"白", 20},
    {"孟", 20},  {"秦", 20},  {"邱", 20},  {"侯", 20},  {"江", 20},  {"尹", 20},  {"薛", 20},
    {"闫", 20},  {"段", 20},  {"雷", 20},  {"龙", 15},  {"黎", 15},  {"史", 15},  {"陶", 15},
    {"贺", 15},  {"毛", 15},  {"郝", 15},  {"顾", 15},  {"龚", 15},  {"邵", 15},  {"万", 10},
    {"覃", 10},  {"武", 10},  {"钱", 10},  {"戴", 10},  {"严", 10},  {"莫", 10},  {"孔", 10},
    {"向", 10},  {"常", 10}};
static_assert(std::size(kSurnames) <= 256, "a surname index is one byte");

// Whole given names that many people share (张伟, 王芳), by weight; the rest are composed.
constexpr Weighted kMaleNames[] = {
    {"伟", 60},   {"磊", 40},   {"强", 40},   {"军", 40},   {"勇", 40},   {"杰", 40},
    {"涛", 35},   {"斌", 30},   {"超", 30},   {"明", 30},   {"刚", 30},   {"平", 25},
    {"辉", 30},   {"鹏", 30},   {"华", 25},   {"飞", 25},   {"鑫", 25},   {"波", 25},
    {"宇", 25},   {"浩", 25},   {"峰", 20},   {"亮", 20},   {"健", 15},   {"建华", 15},
    {"建国", 15}, {"建军", 15}, {"志强", 15}, {"国强", 12}, {"海波", 10}, {"俊杰", 12},
    {"浩然", 10}, {"子轩", 12}, {"宇轩", 10}, {"文杰", 10}, {"晓东", 10}, {"志刚", 10},
    {"永刚", 8},  {"红兵", 6},  {"卫东", 6},  {"建平", 8},  {"建明", 8},  {"国华", 8},
    {"海涛", 8},  {"文斌", 8},  {"晓明", 8},  {"志明", 8},  {"家豪", 6},  {"博文", 6},
    {"一鸣", 6},  {"立新", 6},  {"春生", 5}};
constexpr Weighted kFemaleNames[] = {
    {"芳", 60},   {"娜", 50},   {"敏", 50},   {"静", 60},   {"丽", 50},   {"艳", 45},
    {"娟", 40},   {"霞", 35},   {"燕", 40},   {"玲", 35},   {"丹", 30},   {"萍", 30},
    {"红", 30},   {"梅", 25},   {"婷", 35},   {"慧", 25},   {"琳", 25},   {"倩", 25},
    {"雪", 20},   {"莉", 15},   {"秀英", 50}, {"桂英", 25}, {"秀兰", 25}, {"玉兰", 25},
    {"桂兰", 20}, {"丽娟", 15}, {"海燕", 15}, {"晓燕", 15}, {"红梅", 12}, {"雪梅", 10},
    {"美玲", 10}, {"春梅", 8},  {"秀珍", 10}, {"子涵", 12}, {"欣怡", 12}, {"梓涵", 10},
    {"雨涵", 10}, {"思雨", 8},  {"佳怡", 8},  {"晓丽", 8},  {"丽华", 8},  {"文静", 10},
    {"婷婷", 10}, {"静怡", 8},  {"雅婷", 8},  {"玉梅", 8},  {"凤英", 6},  {"小红", 6},
    {"巧玲", 5}};
// Characters that composed given names are made of: first and second place, by sex.
constexpr const char* kMaleFirst[] = {
    "志", "建", "国", "文", "俊", "明", "晓", "海", "永", "宏", "子", "浩", "家", "宇", "振", "天",
    "嘉", "伟", "立", "新", "德", "成", "佳", "思", "一", "泽", "博", "世", "春", "金", "洪", "兴",
    "光", "学", "朝", "昊", "少", "云", "正", "军", "鸿", "鹏", "峰", "华", "杰", "辉", "东", "林",
    "长", "庆", "红", "卫", "玉", "荣", "瑞", "锦", "梓", "铭", "景", "胜", "元", "润", "安", "毅"};
constexpr const char* kMaleSecond[] = {
    "伟", "强", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
    "波", "宇", "浩", "峰", "亮", "健", "磊", "龙", "林", "东", "兵", "锋", "阳", "彬", "凯", "俊",
    "轩", "然", "豪", "晨", "航", "文", "诚", "晖", "铭", "鸣", "钧", "君", "永", "涌", "彪", "洋",
    "彦", "翔", "威", "霖", "楠", "坤", "岩", "睿", "哲", "恒", "源", "达", "盛", "伦", "奇", "福"};
constexpr const char* kFemaleFirst[] = {
    "秀", "丽", "晓", "美", "雅", "静", "婷", "玉", "海", "春", "雪", "佳", "欣", "思", "梦", "雨",
    "子", "诗", "可", "紫", "慧", "彩", "月", "桂", "凤", "金", "小", "艳", "红", "文", "淑", "素",
    "琳", "佩", "嘉", "婉", "怡", "心", "倩", "丹", "惠", "芳", "燕", "玲", "宇", "涵", "萍", "英",
    "晶", "莉", "巧", "秋", "冬", "兰", "翠", "银", "爱", "亚", "珊", "若", "语", "欢", "芷", "依"};
constexpr const char* kFemaleSecond[] = {
    "英", "兰", "芳", "娟", "敏", "丽", "静", "燕", "艳", "霞", "梅", "玲", "萍", "红", "婷", "琳",
    "倩", "雪", "莉", "娜", "怡", "涵", "琪", "颖", "洁", "慧", "蕾", "璐", "悦", "茜", "薇", "瑶",
    "丹", "妍", "佳", "然", "月", "珍", "凤", "蓉", "婧", "萱", "雯", "岚", "菲", "瑛", "莹", "晗",
    "娅", "婕", "媛", "菁", "嫣", "彤", "露", "霏", "佩", "楠", "欣", "馨", "宁", "曦", "卉", "雁"};
// Homophones a clerk's input method offers for a name character: a typo replaces one character
// by another of its group.
constexpr std::string_view kHomophones[] = {
    "伟玮炜韦维", "丽莉俐利",   "静婧靖晶菁", "军君钧俊峻", "芳方舫", "敏民旻",   "娟鹃涓",
    "燕艳雁",     "华桦骅",     "明铭鸣茗",   "杰洁婕捷",   "涛韬滔", "斌彬滨",   "磊垒蕾",
    "超朝",       "勇永涌",     "峰锋枫丰",   "强蔷",       "霞侠",   "平萍苹",   "刚钢",
    "辉晖徽",     "红宏虹鸿洪", "建健剑",     "国帼",       "文雯",   "玲铃灵伶", "婷亭庭廷",
    "雪学",       "慧惠蕙",     "鹏朋",       "宇雨羽语",   "浩昊皓", "轩萱宣",   "涵晗寒",
    "飞菲",       "波博",       "梅美玫",     "英瑛莹颖",   "兰岚蓝", "佳嘉家",   "怡宜仪依",
    "欣新心馨鑫", "晨辰",       "林琳霖",     "龙隆",       "志智",   "东冬",     "秀绣",
    "珍贞真",     "倩茜",       "琪琦淇祺",   "瑶遥",       "源原元", "泽择",     "达大",
    "盛胜",       "祥翔",       "凯恺",       "诚成城",     "瑞锐",   "通同"};

// Roads per street: the Xiasha numbered roads (added in code) and named ones.
struct StreetRoads {
  const char* town;
  const char* roads;  // separated by spaces
};
constexpr StreetRoads kStreetRoads[] = {
    {"下沙街道", "学林街 文渊路 下沙路 金沙大道 文津路 文海南路 文海北路 听涛路 幸福南路 天城东路"},
    {"白杨街道", "学源街 文泽路 福城路 海达南路 学正街 文卓路 明珠路 诚业路 德胜东路 文沁路"},
    {"河庄街道", "江东大道 河庄路 青西三路 青西二路 纬一路 纬二路 经一路 建塘路 同协路"},
    {"义蓬街道", "义蓬路 青六北路 江东二路 义府大街 纬五路 经三路 朝阳路 头蓬路"},
    {"新湾街道", "新湾路 纬十路 青六中路 经二路 新湾大道 纬十一路 经四路 海塘路"},
    {"临江街道", "临江大道 纬七路 经五路 围垦路 纬八路 经六路 临江路"},
    {"前进街道", "前进路 江东大道 纬九路 经七路 纬十二路 观潮路"},
};
// For a street the list does not know (a later gazetteer).
constexpr const char* kFallbackRoads = "建设路 人民路 新华路 和平路 解放路";

// Units: business lines with the suffix of their names, individual businesses (个体工商户,
// USCC category 92) apart.
struct Industry {
  const char* line;
  const char* suffix;
  bool individual;
  int weight;
};
constexpr Industry kIndustries[] = {{"科技", "有限公司", false, 20},
                                    {"建筑劳务", "有限公司", false, 6},
                                    {"贸易", "有限公司", false, 10},
                                    {"电子商务", "有限公司", false, 8},
                                    {"物流", "有限公司", false, 5},
                                    {"机械制造", "有限公司", false, 5},
                                    {"餐饮管理", "有限公司", false, 4},
                                    {"装饰工程", "有限公司", false, 5},
                                    {"生物科技", "有限公司", false, 4},
                                    {"新材料", "有限公司", false, 3},
                                    {"汽车服务", "有限公司", false, 3},
                                    {"餐饮", "店", true, 8},
                                    {"便利", "店", true, 6},
                                    {"小吃", "店", true, 5},
                                    {"五金", "店", true, 3},
                                    {"理发", "店", true, 2},
                                    {"汽车维修", "服务部", true, 3}};
constexpr const char* kCompanyPrefixes[] = {"杭州",     "杭州",     "杭州",     "杭州",
                                            "杭州",     "杭州",     "杭州",     "杭州",
                                            "杭州钱塘", "杭州钱塘", "杭州钱塘", "浙江"};
constexpr const char* kShopPrefixes[] = {"杭州市钱塘区", "杭州市钱塘区", "钱塘区", "钱塘区", ""};
// Characters of trade names (字号).
constexpr const char* kBrandChars[] = {
    "鑫", "恒", "华", "达", "瑞", "泰", "盛", "兴", "宏", "信", "源", "德", "丰", "祥", "嘉", "博",
    "锦", "诚", "金", "联", "创", "越", "宇", "翔", "昌", "顺", "安", "通", "汇", "科", "智", "云",
    "海", "天", "新", "中", "正", "明", "凯", "伟", "远", "康", "乐", "美", "欣", "晟", "悦", "辰",
    "睿", "轩", "腾", "飞", "领", "捷", "航", "驰", "亿", "万", "佳", "润", "和", "合", "成", "业",
    "邦", "立", "方", "圆", "宝", "钱", "潮", "江", "东", "沙", "湾", "蓝", "绿", "星", "月", "阳",
    "光", "辉", "耀", "卓", "尚", "品", "优", "艺", "匠", "筑", "鼎", "森", "林", "峰", "川", "石",
    "玉", "致", "恺", "朗", "拓", "启", "迪", "众", "益", "协", "力", "精", "工", "赛", "骏", "驿"};
constexpr const char* kUnitStatus[] = {"存续", "在业", "注销", "吊销"};
constexpr int kUnitStatusWeight[] = {88, 5, 4, 3};

constexpr const char* kPhonePrefixes[] = {
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "170", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "184", "185", "186", "187", "188", "189", "198", "199"};

constexpr const char* kUseNames[] = {"自住", "出租", "空置", "单位宿舍"};      // public security
constexpr const char* kGridUseNames[] = {"自住", "出租", "空置", "宿舍"};      // grid collection
constexpr const char* kUseCodes[] = {"own", "rental", "vacant", "dormitory"};  // the importer's

// ---------------------------------------------------------------------------------- text helpers

void AppendUint(std::string& out, std::uint64_t v, int width = 0) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  for (int i = static_cast<int>(end - buf); i < width; ++i)
    out.push_back('0');
  out.append(buf, end);
}

// Centi-units as "89.52".
void AppendCenti(std::string& out, std::uint32_t centi) {
  AppendUint(out, centi / 100);
  out.push_back('.');
  AppendUint(out, centi % 100, 2);
}

void AppendEntity(std::string& out, char kind, size_t index) {
  out.push_back(kind);
  AppendUint(out, index + 1, 7);
}

// ASCII digits (and #) as their full-width forms, as some input methods type them.
std::string FullWidthDigits(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      out += "\xEF\xBC";
      out.push_back(static_cast<char>(0x90 + (c - '0')));
    } else if (c == '#') {
      out += "\xEF\xBC\x83";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

constexpr const char* kChineseDigits[] = {"〇", "一", "二", "三", "四",
                                          "五", "六", "七", "八", "九"};

// 15 → 十五, 188 → 一百八十八, 1001 → 一千零一 (1 … 9999).
std::string ChineseNumber(int n) {
  static constexpr const char* kPlaces[] = {"", "十", "百", "千"};
  std::string out;
  bool started = false, zero = false;
  for (int place = 3, scale = 1000; place >= 0; --place, scale /= 10) {
    const int digit = n / scale % 10;
    if (digit == 0) {
      zero = started;
      continue;
    }
    if (zero) out += "零";
    zero = false;
    if (!(place == 1 && digit == 1 && !started)) out += kChineseDigits[digit];
    out += kPlaces[place];
    started = true;
  }
  return out;
}

// 501 → 五〇一: room numbers are read digit by digit.
std::string ChineseDigitsOf(int n) {
  std::string out;
  for (const char c : std::to_string(n))
    out += kChineseDigits[c - '0'];
  return out;
}

// Replaces one character of `text` (UTF-8) by a homophone; false when none of its characters has
// one.
bool HomophoneTypo(std::string& text, Rng& rng) {
  std::vector<std::pair<size_t, std::string_view>> candidates;  // offset, group
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (length == 3 && i + 3 <= text.size()) {
      const std::string_view ch(text.data() + i, 3);
      for (const std::string_view group : kHomophones) {
        for (size_t k = 0; k + 3 <= group.size(); k += 3) {
          if (group.substr(k, 3) == ch) candidates.emplace_back(i, group);
        }
      }
    }
    i += length;
  }
  if (candidates.empty()) return false;
  const auto [offset, group] = candidates[rng.Below(candidates.size())];
  const size_t members = group.size() / 3;
  for (;;) {
    const std::string_view other = group.substr(rng.Below(members) * 3, 3);
    if (other != std::string_view(text.data() + offset, 3)) {
      text.replace(offset, 3, other);
      return true;
    }
  }
}

// ---------------------------------------------------------------------------------- files

// A feed file written through one big buffer; GBK files are converted buffer by buffer (always
// at a row boundary, so no character is cut) with iconv's GBK converter rather than base/csv.h's
// GB18030 one, so that a character GBK does not have is an error instead of a four-byte GB18030
// sequence a GBK reader cannot read. An error is kept and reported by Close.
class FeedFile {
 public:
  FeedFile(const fs::path& path, bool gbk) : path_(path.string()) {
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) Fail("cannot create");
    if (gbk) {
      cd_ = iconv_open("GBK", "UTF-8");
      if (cd_ == reinterpret_cast<iconv_t>(-1)) {
        cd_ = nullptr;
        Fail("no UTF-8 to GBK converter");
      }
    }
    buffer_.reserve(kFlushBytes + 4096);
  }
  ~FeedFile() {
    if (cd_ != nullptr) iconv_close(cd_);
  }
  FeedFile(const FeedFile&) = delete;
  FeedFile& operator=(const FeedFile&) = delete;

  std::string& out() { return buffer_; }
  // Ends a row (the caller wrote its line break) and writes the buffer out once it is big.
  void EndRow() {
    ++rows_;
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  size_t rows() const { return rows_; }

  Status Close() {
    Flush();
    if (status_.ok()) {
      out_.close();
      if (out_.fail()) Fail("cannot close");
    }
    return status_;
  }

 private:
  static constexpr size_t kFlushBytes = 8 << 20;

  void Fail(const char* what) {
    if (status_.ok()) status_ = Status::Internal(std::string(what) + " " + path_);
  }

  void Flush() {
    if (!status_.ok() || buffer_.empty()) {
      buffer_.clear();
      return;
    }
    if (cd_ == nullptr) {
      out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    } else {
      converted_.resize(buffer_.size() + 64);  // GBK never takes more bytes than UTF-8
      char* in = buffer_.data();
      size_t in_left = buffer_.size();
      char* to = converted_.data();
      size_t to_left = converted_.size();
      if (iconv(cd_, &in, &in_left, &to, &to_left) == static_cast<size_t>(-1)) {
        Fail(errno == EILSEQ ? "a character GBK does not have in" : "cannot convert to GBK");
        buffer_.clear();
        return;
      }
      out_.write(converted_.data(), static_cast<std::streamsize>(converted_.size() - to_left));
    }
    if (!out_) Fail("cannot write");
    buffer_.clear();
  }

  std::string path_;
  std::ofstream out_;
  iconv_t cd_ = nullptr;
  std::string buffer_;
  std::string converted_;
  size_t rows_ = 0;
  Status status_;
};

// ---------------------------------------------------------------------------------- the model

// Noise in the copies kept by sources other than public security, per row.
struct Rates {
  double name_typo;
  double birth_swap;
  double id_typo;
  double phone_drop;  // on top of people without a phone
  double phone_typo;
  double address_noisy;
  double moved;
  double full_width;
  double duplicate;
  double grid_id_missing;
  double grid_phone_drop;  // the grid's own gaps, instead of phone_drop
  double grid_birth_missing;
  double grid_sex_missing;
  double null_for_missing;  // a missing JSON value written as null rather than ""
  double rental_id_missing;
  double uscc_missing;
  double use_mismatch;
  double not_standard;  // units at an address that is not a standard address
};

Rates RatesFor(bool hard) {
  if (!hard) {
    return {.name_typo = 0.03,
            .birth_swap = 0.02,
            .id_typo = 0.01,
            .phone_drop = 0.10,
            .phone_typo = 0.01,
            .address_noisy = 0.20,
            .moved = 0.05,
            .full_width = 0.01,
            .duplicate = 0.005,
            .grid_id_missing = 0.25,
            .grid_phone_drop = 0.18,
            .grid_birth_missing = 0.03,
            .grid_sex_missing = 0.0,
            .null_for_missing = 0.0,
            .rental_id_missing = 0.02,
            .uscc_missing = 0.30,
            .use_mismatch = 0.04,
            .not_standard = 0.03};
  }
  return {.name_typo = 0.06,
          .birth_swap = 0.04,
          .id_typo = 0.02,
          .phone_drop = 0.20,
          .phone_typo = 0.02,
          .address_noisy = 0.35,
          .moved = 0.10,
          .full_width = 0.02,
          .duplicate = 0.01,
          .grid_id_missing = 0.40,
          .grid_phone_drop = 0.35,
          .grid_birth_missing = 0.08,
          .grid_sex_missing = 0.03,
          .null_for_missing = 0.3,
          .rental_id_missing = 0.05,
          .uscc_missing = 0.45,
          .use_mismatch = 0.08,
          .not_standard = 0.05};
}

enum class DoorKind : std::uint8_t { kCompound, kVillageHouse, kShop };
enum class Use : std::uint8_t { kOwn = 0, kRental = 1, kVacant = 2, kDormitory = 3 };
enum class OwnerKind : std::uint8_t { kPerson, kOutsider, kUnit };
enum class Role : std::uint8_t { kFamily, kTenant };

struct Town {
  std::string name;              // 下沙街道
  std::string short_name;        // 下沙
  bool former_jianggan = false;  // 下沙, 白杨 were 江干区's until 2021; the rest 萧山区's
  std::vector<std::uint16_t> roads;
  std::vector<std::uint16_t> communities;
};

struct Community {
  std::string code;  // 12 digits
  std::string name;  // as addresses write it: 头格社区, 义盛村
  std::uint16_t town = 0;
  bool village = false;  // a 村 of village houses rather than a 社区 of compounds
  std::vector<std::uint16_t> roads;
  std::uint32_t doors = 0;
};

struct Road {
  std::string name;
  std::uint32_t last_number = 0;
};

struct Door {
  std::uint32_t first_room = 0;
  std::uint32_t rooms = 0;
  std::uint32_t number = 0;
  std::uint32_t serial = 0;  // within its community
  std::uint16_t community = 0;
  std::uint16_t road = 0;
  DoorKind kind = DoorKind::kVillageHouse;
};

struct Room {
  std::uint32_t door = 0;
  std::uint16_t building = 0;  // 0: none (a village house)
  std::uint16_t number = 0;    // 501
  std::uint8_t unit = 0;       // 0: none
};

struct House {
  std::uint32_t room = 0;
  std::uint32_t area = 0;  // centi-m²
  std::uint32_t owner = 0;
  std::uint16_t occupants = 0;
  Use use = Use::kOwn;
  OwnerKind owner_kind = OwnerKind::kOutsider;
  bool overcrowded = false;
  bool family = true;  // a family lives there rather than unrelated tenants
};

struct Person {
  std::uint64_t id17 = 0;   // the first 17 digits: region, birth date, sequence
  std::uint64_t phone = 0;  // 0: none
  std::string given;
  std::uint32_t house = kNone;
  std::uint8_t surname = 0;
  Role role = Role::kFamily;

  int ymd() const { return static_cast<int>(id17 / 1000 % 100'000'000); }
  bool male() const { return id17 % 2 == 1; }
};

struct Location {
  std::uint32_t door = 0;
  std::uint32_t room = kNone;  // kNone: the door itself
};

struct Unit {
  std::string brand;
  std::string uscc;
  std::string legal_person;
  std::string phone;
  std::string odd_address;  // the address when it is not a standard one
  Location location;
  std::uint8_t industry = 0;
  std::uint8_t prefix = 0;
  std::uint8_t status = 0;
  bool not_standard = false;
};

// One row of a non-PS source: whose copy, and whether it is a planted second copy.
struct CopyRow {
  std::uint32_t entity;
  bool duplicate;
};

std::string HumanVillageName(std::string_view name, bool* village) {
  *village = false;
  if (name.ends_with("村村委会")) {  // 三丰村村委会: the committee of 三丰村
    *village = true;
    return std::string(name.substr(0, name.size() - std::string_view("村委会").size()));
  }
  if (name.ends_with("村委会")) {  // 义盛村委会
    *village = true;
    return std::string(name.substr(0, name.size() - std::string_view("委会").size()));
  }
  if (name.ends_with("居委会")) {
    return std::string(name.substr(0, name.size() - std::string_view("居委会").size())) + "社区";
  }
  return std::string(name);
}

std::vector<std::string> SplitSpaces(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(' ', i), text.size());
    if (end > i) out.emplace_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

class Generator {
 public:
  Generator(const address::Gazetteer& g, const BaseDataFeedOptions& options)
      : g_(g), options_(options), rates_(RatesFor(options.hard)) {}

  Result<BaseDataFeedCounts> Run(const std::string& dir);

 private:
  // Building the district.
  Status BuildGeography();
  void BuildAddresses();
  void BuildHouses();
  void PlanOccupancy();
  void BuildPeople();
  void PlantTwins();
  void PlantNamesakes();
  void BuildUnits();
  void AssignOwners();

  // People's identities.
  std::uint32_t PickRegion(Rng& rng, int origin, int birth_year, const Town& town);
  std::uint64_t NewId17(Rng& rng, std::uint32_t region, int ymd, bool male);
  std::string GivenName(Rng& rng, bool male);
  std::uint64_t NewPhone(Rng& rng);
  int BirthYmd(Rng& rng, int age_lo, int age_hi);
  std::uint32_t AddPerson(Rng& rng, std::uint32_t house, Role role, std::uint8_t surname, bool male,
                          int ymd, std::uint32_t region, double phone_share);

  // Text.
  const Town& TownOf(const Door& d) const { return towns_[communities_[d.community].town]; }
  void AppendDoorPlate(std::string& out, const Door& d) const;  // road + number号
  void AppendRoomDetail(std::string& out, const Room& r) const;
  void AppendCanonical(std::string& out, Location at, bool with_community = true) const;
  void AppendNoisy(std::string& out, Location at, Rng& rng) const;
  Location HouseLocation(std::uint32_t house) const {
    return {rooms_[houses_[house].room].door, houses_[house].room};
  }
  std::string FullName(const Person& p) const {
    return std::string(kSurnames[p.surname].text) + p.given;
  }
  std::string IdNumber(std::uint64_t id17) const;
  std::string UnitName(const Unit& u) const;
  std::string GridUnitName(const Unit& u, Rng& rng) const;
  void AppendPersonAddress(std::string& out, std::uint32_t house, Rng& rng);
  std::string NoisyId(const std::string& id, Rng& rng) const;
  std::string NoisyPhone(std::uint64_t phone, Rng& rng) const;
  std::string OwnerName(const House& h) const;
  std::string OwnerId(const House& h) const;
  std::uint64_t OwnerPhone(const House& h) const;

  // Writing.
  std::vector<CopyRow> Sample(size_t entities, const std::vector<double>& share, Rng& rng,
                              size_t* duplicates) const;
  Status WriteAddresses(const fs::path& dir);
  Status WriteHouses(const fs::path& dir, FeedFile& truth);
  Status WritePeople(const fs::path& dir, FeedFile& truth);
  Status WriteUnits(const fs::path& dir, FeedFile& truth, FeedFile& odd);
  Status WriteTruthExtras(const fs::path& dir);
  Status WriteMappings(const fs::path& dir);

  const address::Gazetteer& g_;
  const BaseDataFeedOptions options_;
  const Rates rates_;
  std::uint64_t Seed() const { return options_.seed; }

  std::vector<Town> towns_;
  std::vector<Community> communities_;
  std::vector<Road> roads_;
  std::vector<Door> doors_;
  std::vector<Room> rooms_;
  std::vector<House> houses_;
  std::vector<Person> people_;
  std::vector<Person> outsiders_;  // owners who do not live in the district
  std::vector<Unit> units_;
  std::unordered_set<std::uint64_t> ids_;  // every id17 handed out
  std::unordered_set<std::string> usccs_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> siblings_;  // twin candidates
  std::vector<std::pair<std::uint32_t, std::uint32_t>> twins_, namesakes_;

  // Regions of birth (GB/T 2260): migrant provinces by weight, Zhejiang, Hangzhou.
  std::vector<std::vector<std::uint32_t>> migrant_counties_;
  WeightedIndex migrant_provinces_;
  std::vector<std::uint32_t> zhejiang_counties_, hangzhou_counties_;
  WeightedIndex surnames_ = MakeWeighted(kSurnames);
  WeightedIndex male_names_ = MakeWeighted(kMaleNames);
  WeightedIndex female_names_ = MakeWeighted(kFemaleNames);

  BaseDataFeedCounts counts_;
};

// ---------------------------------------------------------------------------------- geography

Status Generator::BuildGeography() {
  const auto county = g_.Find("330114");
  if (!county) return Status::NotFound("the gazetteer has no county 330114 (钱塘区)");
  auto road_index = [&](const std::string& name) {
    for (size_t i = 0; i < roads_.size(); ++i) {
      if (roads_[i].name == name) return static_cast<std::uint16_t>(i);
    }
    roads_.push_back({name, 0});
    return static_cast<std::uint16_t>(roads_.size() - 1);
  };
  for (const std::uint32_t t : g_.Children(*county)) {
    if (g_.Children(t).empty()) continue;
    Town town;
    town.name = std::string(g_.Name(t));
    town.short_name = town.name.ends_with("街道")
                          ? town.name.substr(0, town.name.size() - std::string_view("街道").size())
                          : town.name;
    town.former_jianggan = town.name == "下沙街道" || town.name == "白杨街道";
    std::vector<std::string> names = SplitSpaces(kFallbackRoads);
    for (const StreetRoads& s : kStreetRoads) {
      if (town.name == s.town) names = SplitSpaces(s.roads);
    }
    // The numbered roads of Xiasha: odd ones (and 6号大街) in 下沙, even ones in 白杨.
    for (int n = 1; n <= 29; ++n) {
      if ((town.name == "下沙街道" && (n % 2 == 1 || n == 6)) ||
          (town.name == "白杨街道" && n % 2 == 0 && n != 6)) {
        names.push_back(std::to_string(n) + "号大街");
      }
    }
    for (const std::string& name : names)
      town.roads.push_back(road_index(name));
    const auto town_index = static_cast<std::uint16_t>(towns_.size());
    for (const std::uint32_t v : g_.Children(t)) {
      Community c;
      c.code = g_.Code(v);
      c.name = HumanVillageName(g_.Name(v), &c.village);
      c.town = town_index;
      town.communities.push_back(static_cast<std::uint16_t>(communities_.size()));
      communities_.push_back(std::move(c));
    }
    towns_.push_back(std::move(town));
  }
  if (communities_.empty()) return Status::NotFound("the gazetteer has no communities in 330114");

  // Each community lies along two to four roads of its street.
  Rng rng(Seed(), 1);
  for (Community& c : communities_) {
    std::vector<std::uint16_t> roads = towns_[c.town].roads;
    rng.Shuffle(roads);
    roads.resize(std::min<size_t>(roads.size(), static_cast<size_t>(rng.Between(2, 4))));
    c.roads = std::move(roads);
  }

  // Regions of birth.
  std::vector<std::uint64_t> province_weights;
  std::vector<std::string> provinces;
  for (const DivisionCounty& county_row : kSourceCounties) {
    const std::string_view code = county_row.code;
    const auto region = static_cast<std::uint32_t>(std::stoul(std::string(code)));
    if (code.starts_with("3301")) {
      hangzhou_counties_.push_back(region);
    } else if (code.starts_with("33")) {
      zhejiang_counties_.push_back(region);
    } else {
      const std::string province(code.substr(0, 2));
      const auto p = static_cast<size_t>(std::find(provinces.begin(), provinces.end(), province) -
                                         provinces.begin());
      if (p == provinces.size()) {
        provinces.push_back(province);
        province_weights.push_back(static_cast<std::uint64_t>(county_row.weight));
        migrant_counties_.emplace_back();
      }
      migrant_counties_[p].push_back(region);
    }
  }
  migrant_provinces_ = WeightedIndex(province_weights);
  if (migrant_counties_.empty() || zhejiang_counties_.empty() || hangzhou_counties_.empty()) {
    return Status::Internal("divisions table has no source counties");
  }
  return Status::Ok();
}

// Door plates and rooms: compounds (小区) of flats in the communities, village houses (农居房)
// of rental rooms, and shop fronts; `addresses` in all, of which `houses` rooms or more.
void Generator::BuildAddresses() {
  Rng rng(Seed(), 2);
  const size_t total = options_.addresses;
  const size_t door_count =
      std::clamp<size_t>(static_cast<size_t>(std::llround(static_cast<double>(total) / 24.0)), 1,
                         total - options_.houses);
  const size_t room_count = total - door_count;
  const double mean = static_cast<double>(room_count) / static_cast<double>(door_count);
  // Shares of door kinds so that the rooms per door average out: shops ~2, village houses ~14,
  // compounds ~400.
  const double compound_share = std::clamp((mean - 0.15 * 2 - 0.85 * 14) / (400.0 - 14), 0.0, 0.85);
  std::vector<DoorKind> kinds(door_count, DoorKind::kVillageHouse);
  size_t compounds =
      static_cast<size_t>(std::llround(compound_share * static_cast<double>(door_count)));
  if (compounds == 0 && door_count >= 10 && mean > 14) compounds = 1;
  const size_t shops =
      std::min(door_count - compounds,
               static_cast<size_t>(std::llround(0.15 * static_cast<double>(door_count))));
  std::fill(kinds.begin(), kinds.begin() + static_cast<std::ptrdiff_t>(compounds),
            DoorKind::kCompound);
  std::fill(kinds.begin() + static_cast<std::ptrdiff_t>(compounds),
            kinds.begin() + static_cast<std::ptrdiff_t>(compounds + shops), DoorKind::kShop);
  rng.Shuffle(kinds);

  // Communities by kind: compounds in 社区 (anywhere when a street has none), village houses
  // mostly in 村, shops mostly in 社区.
  std::vector<std::uint64_t> w_compound, w_village, w_shop;
  for (const Community& c : communities_) {
    w_compound.push_back(c.village ? 0 : 4);
    w_village.push_back(c.village ? 4 : 1);
    w_shop.push_back(c.village ? 1 : 2);
  }
  WeightedIndex pick_compound(w_compound), pick_village(w_village), pick_shop(w_shop);
  if (pick_compound.empty()) pick_compound = pick_village;

  std::vector<std::uint32_t> sizes(door_count);
  doors_.resize(door_count);
  std::uint64_t size_sum = 0;
  for (size_t i = 0; i < door_count; ++i) {
    Door& d = doors_[i];
    d.kind = kinds[i];
    switch (d.kind) {
      case DoorKind::kCompound:
        d.community = static_cast<std::uint16_t>(pick_compound(rng));
        sizes[i] = static_cast<std::uint32_t>(rng.Between(120, 680));
        break;
      case DoorKind::kVillageHouse:
        d.community = static_cast<std::uint16_t>(pick_village(rng));
        sizes[i] = static_cast<std::uint32_t>(rng.Between(6, 22));
        break;
      case DoorKind::kShop:
        d.community = static_cast<std::uint16_t>(pick_shop(rng));
        sizes[i] = static_cast<std::uint32_t>(rng.Between(1, 3));
        break;
    }
    size_sum += sizes[i];
  }
  // The base lists its doors community by community.
  std::vector<std::uint32_t> order(door_count);
  for (size_t i = 0; i < door_count; ++i)
    order[i] = static_cast<std::uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return doors_[a].community < doors_[b].community;
  });
  std::vector<Door> sorted(door_count);
  std::vector<std::uint32_t> sorted_sizes(door_count);
  for (size_t i = 0; i < door_count; ++i) {
    sorted[i] = doors_[order[i]];
    sorted_sizes[i] = sizes[order[i]];
  }
  doors_ = std::move(sorted);

  // Rooms per door, scaled so that they add up to room_count exactly.
  rooms_.reserve(room_count);
  std::uint64_t cumulative = 0;
  std::uint64_t placed = 0;
  for (size_t i = 0; i < door_count; ++i) {
    Door& d = doors_[i];
    Community& c = communities_[d.community];
    d.serial = ++c.doors;
    d.road = rng.Pick(c.roads);
    // Odd numbers on one side, even on the other; now and then a gap.
    d.number = roads_[d.road].last_number +=
        static_cast<std::uint32_t>(rng.Chance(0.7) ? 2 : rng.Between(1, 8));
    cumulative += sorted_sizes[i];
    const std::uint64_t until = cumulative * room_count / size_sum;
    const auto n = static_cast<std::uint32_t>(until - placed);
    placed = until;
    d.first_room = static_cast<std::uint32_t>(rooms_.size());
    d.rooms = n;
    // The layout: buildings × units × floors × rooms per floor.
    int units = 0, floors = 0, per_floor = 0;
    bool buildings = true;
    switch (d.kind) {
      case DoorKind::kCompound:
        units = rng.Between(1, 3);
        floors = rng.Chance(0.4) ? rng.Between(6, 7) : rng.Between(11, 33);
        per_floor = rng.Between(2, 4);
        if (units == 1) units = 0;
        break;
      case DoorKind::kVillageHouse:
        floors = rng.Between(3, 6);
        per_floor = rng.Between(2, 6);
        buildings = static_cast<int>(n) > floors * per_floor;
        break;
      case DoorKind::kShop:
        floors = 9;
        per_floor = 9;
        buildings = static_cast<int>(n) > floors * per_floor;
        break;
    }
    const int per_unit = floors * per_floor;
    const int per_building = per_unit * std::max(units, 1);
    for (std::uint32_t k = 0; k < n; ++k) {
      Room r;
      r.door = static_cast<std::uint32_t>(i);
      const int b = static_cast<int>(k) / per_building;
      const int in_building = static_cast<int>(k) % per_building;
      r.building = buildings ? static_cast<std::uint16_t>(b + 1) : 0;
      r.unit = units > 0 ? static_cast<std::uint8_t>(in_building / per_unit + 1) : 0;
      const int in_unit = in_building % per_unit;
      r.number =
          static_cast<std::uint16_t>((in_unit / per_floor + 1) * 100 + in_unit % per_floor + 1);
      rooms_.push_back(r);
    }
  }
  counts_.doors = doors_.size();
  counts_.addresses = doors_.size() + rooms_.size();
}

// ---------------------------------------------------------------------------------- houses

void Generator::BuildHouses() {
  Rng rng(Seed(), 3);
  // Which rooms are houses: all but (rooms - houses) chosen at random (unregistered flats).
  std::vector<std::uint8_t> is_house(rooms_.size(), 1);
  {
    std::vector<std::uint32_t> all(rooms_.size());
    for (size_t i = 0; i < all.size(); ++i)
      all[i] = static_cast<std::uint32_t>(i);
    const size_t spare = rooms_.size() - options_.houses;
    for (size_t i = 0; i < spare; ++i) {  // a partial Fisher–Yates
      std::swap(all[i], all[i + rng.Below(all.size() - i)]);
      is_house[all[i]] = 0;
    }
  }
  houses_.reserve(options_.houses);
  std::vector<std::uint32_t> rental_rooms;
  for (size_t i = 0; i < rooms_.size(); ++i) {
    if (!is_house[i]) continue;
    House h;
    h.room = static_cast<std::uint32_t>(i);
    const int u = rng.Between(0, 99);
    int m2 = 0;
    switch (doors_[rooms_[i].door].kind) {
      case DoorKind::kCompound: {
        h.use = u < 68 ? Use::kOwn : u < 86 ? Use::kRental : Use::kVacant;
        const int shape = rng.Between(0, 99);
        m2 = shape < 15   ? rng.Between(40, 59)
             : shape < 60 ? rng.Between(75, 95)
             : shape < 95 ? rng.Between(100, 139)
                          : rng.Between(40, 139);
        h.family = h.use == Use::kOwn || rng.Chance(0.5);
        break;
      }
      case DoorKind::kVillageHouse:
        h.use = u < 10   ? Use::kOwn
                : u < 88 ? Use::kRental
                : u < 95 ? Use::kVacant
                         : Use::kDormitory;
        m2 = h.use == Use::kOwn         ? rng.Between(40, 89)
             : h.use == Use::kDormitory ? rng.Between(30, 119)
                                        : rng.Between(12, 29);
        h.family = h.use == Use::kOwn;
        if (h.use == Use::kRental)
          rental_rooms.push_back(static_cast<std::uint32_t>(houses_.size()));
        break;
      case DoorKind::kShop:
        h.use = u < 50 ? Use::kRental : u < 75 ? Use::kDormitory : Use::kVacant;
        m2 = h.use == Use::kDormitory ? rng.Between(30, 79) : rng.Between(20, 59);
        h.family = false;
        break;
    }
    h.area = static_cast<std::uint32_t>(m2 * 100 + rng.Between(0, 99));
    houses_.push_back(h);
  }
  // Grossly overcrowded rental rooms (群租): 10–30 people in 15–25 m².
  size_t planted =
      static_cast<size_t>(std::llround(0.004 * static_cast<double>(rental_rooms.size())));
  if (planted == 0 && !rental_rooms.empty() && options_.people >= 100) planted = 1;
  rng.Shuffle(rental_rooms);
  for (size_t i = 0; i < planted && i < rental_rooms.size(); ++i) {
    House& h = houses_[rental_rooms[i]];
    h.overcrowded = true;
    h.area = static_cast<std::uint32_t>(rng.Between(15, 24) * 100 + rng.Between(0, 99));
    h.occupants = static_cast<std::uint16_t>(rng.Between(10, 30));
  }
  counts_.houses = houses_.size();
}

// How many live in each house: families in own flats, tenants in rental rooms (never below 6 m²
// each, so that only the planted rooms are overcrowded), then scaled to `people` exactly.
void Generator::PlanOccupancy() {
  Rng rng(Seed(), 4);
  const auto cap_of = [](const House& h) {
    return static_cast<int>(std::max<std::uint32_t>(1, h.area / 600));
  };
  std::int64_t fixed = 0;
  for (const House& h : houses_)
    fixed += h.overcrowded ? h.occupants : 0;
  if (fixed * 2 > static_cast<std::int64_t>(options_.people)) {  // too few people to plant
    for (House& h : houses_)
      h.overcrowded = false;
    fixed = 0;
  }
  std::vector<std::uint32_t> flexible;
  std::int64_t wanted = 0;
  for (size_t i = 0; i < houses_.size(); ++i) {
    House& h = houses_[i];
    if (h.overcrowded) continue;
    int n = 0;
    if (h.use == Use::kVacant) {
      n = 0;
    } else if (h.use == Use::kDormitory) {
      n = rng.Between(std::max(1, cap_of(h) * 3 / 4), cap_of(h));
    } else if (h.family) {
      static constexpr int kFamilySizes[] = {1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 6};
      n = rng.Pick(kFamilySizes);
    } else {
      static constexpr int kTenants[] = {1, 1, 1, 2, 2, 2, 3};
      n = rng.Pick(kTenants);
    }
    n = std::min(n, std::max(cap_of(h), h.use == Use::kVacant ? 0 : 1));
    h.occupants = static_cast<std::uint16_t>(n);
    if (n > 0) {
      flexible.push_back(static_cast<std::uint32_t>(i));
      wanted += n;
    }
  }
  if (flexible.empty()) {
    for (size_t i = 0; i < houses_.size(); ++i) {
      if (!houses_[i].overcrowded) flexible.push_back(static_cast<std::uint32_t>(i));
    }
    if (flexible.empty()) flexible.push_back(0);
  }
  const std::int64_t target = static_cast<std::int64_t>(options_.people) - fixed;
  const bool at_least_one = target >= static_cast<std::int64_t>(flexible.size());
  const double factor =
      wanted > 0 ? static_cast<double>(target) / static_cast<double>(wanted) : 1.0;
  std::int64_t sum = 0;
  for (const std::uint32_t i : flexible) {
    House& h = houses_[i];
    const double x = h.occupants * factor;
    int n = static_cast<int>(x) + (rng.Unit() < x - std::floor(x) ? 1 : 0);
    n = std::clamp(n, at_least_one ? 1 : 0, std::max(cap_of(h), 1));
    h.occupants = static_cast<std::uint16_t>(n);
    sum += n;
  }
  // The remainder, one person at a time over the houses in random order; caps give way only
  // when nothing else is left.
  rng.Shuffle(flexible);
  bool capped = true;
  while (sum != target) {
    bool changed = false;
    for (const std::uint32_t i : flexible) {
      if (sum == target) break;
      House& h = houses_[i];
      if (sum < target && (!capped || h.occupants < cap_of(h)) && h.occupants < 60000) {
        ++h.occupants;
        ++sum;
        changed = true;
      } else if (sum > target && h.occupants > (at_least_one ? 1 : 0)) {
        --h.occupants;
        --sum;
        changed = true;
      }
    }
    if (!changed) {
      if (!capped && !at_least_one) break;
      capped = false;
    }
  }
}

// ---------------------------------------------------------------------------------- people

int Generator::BirthYmd(Rng& rng, int age_lo, int age_hi) {
  const std::int64_t days = kAsOf.DaysSinceEpoch() - rng.Between(age_lo * 365, age_hi * 365 + 364);
  const Date d = Date::FromDays(days);
  return d.year * 10000 + d.month * 100 + d.day;
}

// origin: 0 local (this street's county by birth year), 1 Hangzhou, 2 Zhejiang, 3 migrant.
std::uint32_t Generator::PickRegion(Rng& rng, int origin, int birth_year, const Town& town) {
  switch (origin) {
    case 0:
      if (birth_year >= 2021) return 330114;        // 钱塘区
      if (town.former_jianggan) return 330104;      // 江干区
      return birth_year >= 2001 ? 330109 : 330181;  // 萧山区, 萧山市
    case 1:
      return rng.Pick(hangzhou_counties_);
    case 2:
      return rng.Pick(zhejiang_counties_);
    default:
      return rng.Pick(migrant_counties_[migrant_provinces_(rng)]);
  }
}

std::uint64_t Generator::NewId17(Rng& rng, std::uint32_t region, int ymd, bool male) {
  const std::uint64_t base = static_cast<std::uint64_t>(region) * 100'000'000'000ull +
                             static_cast<std::uint64_t>(ymd) * 1000;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::uint64_t id = base + rng.Below(500) * 2 + (male ? 1 : 0);
    if (ids_.insert(id).second) return id;
  }
  for (std::uint64_t seq = male ? 1 : 0; seq < 1000; seq += 2) {
    if (ids_.insert(base + seq).second) return base + seq;
  }
  // Every sequence number of the day is taken: the day before.
  const Date before = Date{ymd / 10000, ymd / 100 % 100, ymd % 100}.AddDays(-1);
  return NewId17(rng, region, before.year * 10000 + before.month * 100 + before.day, male);
}

std::string Generator::GivenName(Rng& rng, bool male) {
  if (rng.Chance(0.2)) {
    return male ? kMaleNames[male_names_(rng)].text : kFemaleNames[female_names_(rng)].text;
  }
  if (rng.Chance(0.12)) return male ? rng.Pick(kMaleSecond) : rng.Pick(kFemaleSecond);
  return male ? std::string(rng.Pick(kMaleFirst)) + rng.Pick(kMaleSecond)
              : std::string(rng.Pick(kFemaleFirst)) + rng.Pick(kFemaleSecond);
}

std::uint64_t Generator::NewPhone(Rng& rng) {
  return std::stoull(rng.Pick(kPhonePrefixes)) * 100'000'000ull + rng.Below(100'000'000);
}

std::uint32_t Generator::AddPerson(Rng& rng, std::uint32_t house, Role role, std::uint8_t surname,
                                   bool male, int ymd, std::uint32_t region, double phone_share) {
  Person p;
  p.id17 = NewId17(rng, region, ymd, male);
  p.phone = rng.Chance(phone_share) ? NewPhone(rng) : 0;
  p.given = GivenName(rng, male);
  p.house = house;
  p.surname = surname;
  p.role = role;
  people_.push_back(std::move(p));
  return static_cast<std::uint32_t>(people_.size() - 1);
}

void Generator::BuildPeople() {
  Rng rng(Seed(), 5);
  people_.reserve(options_.people);
  ids_.reserve(options_.people * 2 + options_.houses / 2);
  auto surname = [&] { return static_cast<std::uint8_t>(surnames_(rng)); };
  for (size_t hi = 0; hi < houses_.size(); ++hi) {
    const House& h = houses_[hi];
    const int n = h.occupants;
    if (n == 0) continue;
    const auto house = static_cast<std::uint32_t>(hi);
    const Door& door = doors_[rooms_[h.room].door];
    const Town& town = TownOf(door);
    if (h.family) {
      // Origin of the family: villagers are local; flat owners a mix; tenants migrants.
      const int u = rng.Between(0, 99);
      const int origin = door.kind == DoorKind::kVillageHouse ? (u < 92 ? 0 : 2)
                         : h.use == Use::kOwn                 ? (u < 25   ? 0
                                                                 : u < 40 ? 1
                                                                 : u < 60 ? 2
                                                                          : 3)
                                                              : (u < 85 ? 3 : 2);
      const bool head_male = rng.Chance(0.8);
      const int head_age = rng.Between(28, 62);
      const int head_ymd = BirthYmd(rng, head_age, head_age);
      const std::uint32_t region = PickRegion(rng, origin, head_ymd / 10000, town);
      const std::uint8_t head_surname = surname();
      const std::uint32_t head =
          AddPerson(rng, house, Role::kFamily, head_surname, head_male, head_ymd, region, 0.95);
      std::uint8_t family_surname = head_surname;
      int members = 1;
      if (n >= 3 || (n == 2 && rng.Chance(0.8))) {
        const int age = std::max(20, head_age + rng.Between(-4, 4));
        const std::uint8_t s = surname();
        if (!head_male) family_surname = s;
        AddPerson(rng, house, Role::kFamily, s, !head_male, BirthYmd(rng, age, age),
                  rng.Chance(0.7) ? region : PickRegion(rng, origin, 1990, town), 0.9);
        ++members;
      }
      std::uint32_t previous_child = kNone;
      for (; members < n; ++members) {
        if (members >= 4 && rng.Chance(0.4)) {  // the head's parent
          const int age = std::min(95, head_age + rng.Between(22, 32));
          AddPerson(rng, house, Role::kFamily, head_surname, rng.Chance(0.4),
                    BirthYmd(rng, age, age), region, 0.6);
          continue;
        }
        const int age = rng.Between(0, std::min(head_age - 22, 30));
        const int ymd = BirthYmd(rng, age, age);
        const std::uint32_t child_region =
            origin <= 1 || rng.Chance(0.15) ? PickRegion(rng, 0, ymd / 10000, town) : region;
        const double phone = age >= 16 ? 0.85 : 0.0;
        const std::uint32_t child = AddPerson(rng, house, Role::kFamily, family_surname,
                                              rng.Chance(0.52), ymd, child_region, phone);
        if (age < 16 && rng.Chance(0.4)) people_[child].phone = people_[head].phone;
        if (previous_child != kNone) siblings_.emplace_back(previous_child, child);
        previous_child = child;
      }
    } else {
      // Unrelated tenants, often from the same county as each other.
      const double male_share = h.use == Use::kDormitory || h.overcrowded ? 0.75 : 0.58;
      std::uint32_t first_region = 0;
      for (int k = 0; k < n; ++k) {
        const int age = rng.Between(18, 55);
        const int ymd = BirthYmd(rng, age, age);
        const std::uint32_t region =
            k > 0 && rng.Chance(0.4) ? first_region
                                     : PickRegion(rng, rng.Chance(0.85) ? 3 : 2, ymd / 10000, town);
        if (k == 0) first_region = region;
        AddPerson(rng, house, Role::kTenant, surname(), rng.Chance(male_share), ymd, region, 0.92);
      }
    }
  }
  counts_.persons = people_.size();
}

// Twins: a family's two children born the same day, the same surname and place of birth, the
// sequence numbers next to each other, different given names (often sharing a character).
void Generator::PlantTwins() {
  Rng rng(Seed(), 6);
  size_t wanted = static_cast<size_t>(std::llround(0.0015 * static_cast<double>(people_.size())));
  if (wanted == 0 && !siblings_.empty()) wanted = 1;
  rng.Shuffle(siblings_);
  std::vector<std::uint8_t> used(people_.size(), 0);
  for (const auto& [a, b] : siblings_) {
    if (twins_.size() >= wanted) break;
    if (used[a] || used[b]) continue;
    Person& first = people_[a];
    Person& second = people_[b];
    const bool male = rng.Chance(0.5);
    const std::uint64_t base = first.id17 - first.id17 % 1000;
    const std::uint64_t seq = first.id17 % 1000;
    std::uint64_t id = 0;
    for (std::uint64_t s = seq + 1; s < 1000 && id == 0; ++s) {
      if (s % 2 == (male ? 1u : 0u) && !ids_.count(base + s)) id = base + s;
    }
    if (id == 0) continue;
    ids_.erase(second.id17);
    ids_.insert(id);
    second.id17 = id;
    std::string given;
    do {
      given =
          first.given.size() == 6 && rng.Chance(0.5)
              ? first.given.substr(0, 3) + (male ? rng.Pick(kMaleSecond) : rng.Pick(kFemaleSecond))
              : GivenName(rng, male);
    } while (given == first.given);
    second.given = std::move(given);
    used[a] = used[b] = 1;
    twins_.emplace_back(a, b);
  }
  counts_.twin_pairs = twins_.size();
}

// Namesakes: two tenants in different houses with the same name and birth date, and different
// ID numbers (different places of birth or sequence numbers).
void Generator::PlantNamesakes() {
  Rng rng(Seed(), 7);
  std::vector<std::uint32_t> tenants;
  for (size_t i = 0; i < people_.size(); ++i) {
    if (people_[i].role == Role::kTenant) tenants.push_back(static_cast<std::uint32_t>(i));
  }
  if (tenants.size() < 2) return;
  size_t wanted = static_cast<size_t>(std::llround(0.001 * static_cast<double>(people_.size())));
  wanted = std::max<size_t>(wanted, 1);
  rng.Shuffle(tenants);
  for (size_t i = 0; i + 1 < tenants.size() && namesakes_.size() < wanted; i += 2) {
    const Person& a = people_[tenants[i]];
    Person& b = people_[tenants[i + 1]];
    if (a.house == b.house) continue;
    ids_.erase(b.id17);
    const std::uint32_t region = static_cast<std::uint32_t>(b.id17 / 100'000'000'000ull);
    b.id17 = NewId17(rng, region, a.ymd(), a.male());
    b.surname = a.surname;
    b.given = a.given;
    namesakes_.emplace_back(tenants[i], tenants[i + 1]);
  }
  counts_.namesake_pairs = namesakes_.size();
}

// ---------------------------------------------------------------------------------- units

void Generator::BuildUnits() {
  Rng rng(Seed(), 8);
  units_.resize(options_.units);
  std::unordered_set<std::string> names;
  names.reserve(options_.units * 2);
  usccs_.reserve(options_.units * 2);
  std::vector<std::uint64_t> industry_weights, door_weights;
  for (const Industry& i : kIndustries)
    industry_weights.push_back(static_cast<std::uint64_t>(i.weight));
  const WeightedIndex industries(industry_weights);
  // Doors for units at a door plate: shop fronts and village houses (workshops) first.
  for (const Door& d : doors_)
    door_weights.push_back(d.kind == DoorKind::kShop           ? 6
                           : d.kind == DoorKind::kVillageHouse ? 2
                                                               : 1);
  const WeightedIndex pick_door(door_weights);
  std::vector<std::uint32_t> shop_rooms;
  for (size_t i = 0; i < rooms_.size(); ++i) {
    if (doors_[rooms_[i].door].kind == DoorKind::kShop)
      shop_rooms.push_back(static_cast<std::uint32_t>(i));
  }
  std::vector<std::uint64_t> status_weights(std::begin(kUnitStatusWeight),
                                            std::end(kUnitStatusWeight));
  const WeightedIndex statuses(status_weights);
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

  for (Unit& u : units_) {
    u.industry = static_cast<std::uint8_t>(industries(rng));
    const Industry& ind = kIndustries[u.industry];
    u.prefix = static_cast<std::uint8_t>(ind.individual ? rng.Below(std::size(kShopPrefixes))
                                                        : rng.Below(std::size(kCompanyPrefixes)));
    for (int attempt = 0;; ++attempt) {
      if (ind.individual && rng.Chance(0.3) && !people_.empty()) {
        u.brand = FullName(people_[rng.Below(people_.size())]);
      } else {
        u.brand = std::string(rng.Pick(kBrandChars)) + rng.Pick(kBrandChars);
        if (attempt > 4 || rng.Chance(0.05)) u.brand += rng.Pick(kBrandChars);
      }
      if (names.insert(u.brand + ind.line).second) break;
    }
    // USCC: 9 (市场监管) + 1 company / 2 individual, the registering authority's region, then
    // the organisation code (MA… for codes issued since 2015).
    for (;;) {
      std::string first17 = ind.individual ? "92" : "91";
      const int r = rng.Between(0, 99);
      first17 += r < 60 ? "330114" : r < 75 ? "330100" : r < 88 ? "330104" : "330109";
      if (rng.Chance(0.8)) {
        first17 += "MA";
        for (int k = 0; k < 7; ++k)
          first17 += kAlphabet[rng.Below(kAlphabet.size())];
      } else {
        for (int k = 0; k < 9; ++k)
          first17 += static_cast<char>('0' + rng.Below(10));
      }
      std::string uscc = MakeUscc(first17);
      if (usccs_.insert(uscc).second) {
        u.uscc = std::move(uscc);
        break;
      }
    }
    u.legal_person =
        rng.Chance(0.6) && !people_.empty()
            ? FullName(people_[rng.Below(people_.size())])
            : std::string(kSurnames[surnames_(rng)].text) + GivenName(rng, rng.Chance(0.7));
    const int p = rng.Between(0, 99);
    if (p < 75) {
      u.phone = std::to_string(NewPhone(rng));
    } else if (p < 95) {
      u.phone = "0571-8" + std::to_string(1000000 + rng.Below(9000000));
    }
    u.status = static_cast<std::uint8_t>(statuses(rng));
    // Where: a door plate or a room (offices, flats companies are registered at).
    if (rng.Chance(0.4) || rooms_.empty()) {
      u.location = {static_cast<std::uint32_t>(pick_door(rng)), kNone};
    } else {
      const std::uint32_t room = !shop_rooms.empty() && rng.Chance(0.3)
                                     ? rng.Pick(shop_rooms)
                                     : static_cast<std::uint32_t>(rng.Below(rooms_.size()));
      u.location = {rooms_[room].door, room};
    }
    if (rng.Chance(rates_.not_standard)) {
      // A number the road does not have, or a place described by its crossing.
      u.not_standard = true;
      const Door& d = doors_[u.location.door];
      const Town& town = TownOf(d);
      std::string text = town.name;
      // The other road of a crossing is a named one: 与11号大街 would read as door number 11.
      const std::uint16_t other = rng.Pick(town.roads);
      if (rng.Chance(0.25) && other != d.road && !roads_[other].name.ends_with("号大街")) {
        text += roads_[d.road].name + "与" + roads_[other].name + "交叉口" +
                rng.Pick({"东北侧", "西北侧", "东南侧", "西南侧"});
      } else {
        // Above every number the road has: never a door of the base.
        const std::uint32_t number =
            roads_[d.road].last_number + static_cast<std::uint32_t>(rng.Between(2, 400));
        text += roads_[d.road].name + std::to_string(number) + "号";
        if (rng.Chance(0.3))
          text += std::to_string(rng.Between(1, 9)) + "幢" +
                  std::to_string(rng.Between(1, 12) * 100 + rng.Between(1, 8)) + "室";
      }
      u.odd_address = std::move(text);
    }
  }
  counts_.units = units_.size();
}

// Owners: the family head of an own house; the landlord of a village rental room is the head of
// an own room at the same door when there is one; dormitories often belong to units.
void Generator::AssignOwners() {
  Rng rng(Seed(), 9);
  // The head (first person) of every own house, by house; and per door its own house.
  std::vector<std::uint32_t> head_of(houses_.size(), kNone);
  for (size_t i = 0; i < people_.size(); ++i) {
    std::uint32_t& head = head_of[people_[i].house];
    if (head == kNone) head = static_cast<std::uint32_t>(i);
  }
  std::vector<std::uint32_t> own_at_door(doors_.size(), kNone);
  std::vector<std::uint32_t> own_houses;
  for (size_t i = 0; i < houses_.size(); ++i) {
    const House& h = houses_[i];
    if (h.use != Use::kOwn || head_of[i] == kNone) continue;
    own_at_door[rooms_[h.room].door] = static_cast<std::uint32_t>(i);
    own_houses.push_back(static_cast<std::uint32_t>(i));
  }
  auto outsider = [&] {
    Person p;
    const int age = rng.Between(35, 75);
    const int ymd = BirthYmd(rng, age, age);
    const bool male = rng.Chance(0.6);
    const int origin = rng.Between(0, 2);
    p.id17 = NewId17(rng,
                     origin == 0   ? (rng.Chance(0.5) ? 330104u : 330181u)
                     : origin == 1 ? rng.Pick(hangzhou_counties_)
                                   : rng.Pick(zhejiang_counties_),
                     ymd, male);
    p.surname = static_cast<std::uint8_t>(surnames_(rng));
    p.given = GivenName(rng, male);
    p.phone = rng.Chance(0.85) ? NewPhone(rng) : 0;
    outsiders_.push_back(std::move(p));
    return static_cast<std::uint32_t>(outsiders_.size() - 1);
  };
  for (size_t i = 0; i < houses_.size(); ++i) {
    House& h = houses_[i];
    const std::uint32_t door = rooms_[h.room].door;
    if (h.use == Use::kOwn && head_of[i] != kNone) {
      h.owner_kind = OwnerKind::kPerson;
      h.owner = head_of[i];
    } else if (h.use == Use::kDormitory && !units_.empty() && rng.Chance(0.7)) {
      h.owner_kind = OwnerKind::kUnit;
      h.owner = static_cast<std::uint32_t>(rng.Below(units_.size()));
    } else if (doors_[door].kind == DoorKind::kVillageHouse && own_at_door[door] != kNone) {
      h.owner_kind = OwnerKind::kPerson;
      h.owner = head_of[own_at_door[door]];
    } else if (!own_houses.empty() && rng.Chance(0.45)) {  // a resident's second flat
      h.owner_kind = OwnerKind::kPerson;
      h.owner = head_of[rng.Pick(own_houses)];
    } else {
      h.owner_kind = OwnerKind::kOutsider;
      h.owner = outsider();
    }
  }
}

// ---------------------------------------------------------------------------------- text

void Generator::AppendDoorPlate(std::string& out, const Door& d) const {
  out += roads_[d.road].name;
  AppendUint(out, d.number);
  out += "号";
}

void Generator::AppendRoomDetail(std::string& out, const Room& r) const {
  if (r.building > 0) {
    AppendUint(out, r.building);
    out += "幢";
  }
  if (r.unit > 0) {
    AppendUint(out, r.unit);
    out += "单元";
  }
  AppendUint(out, r.number);
  out += "室";
}

void Generator::AppendCanonical(std::string& out, Location at, bool with_community) const {
  const Door& d = doors_[at.door];
  const Community& c = communities_[d.community];
  out += "浙江省杭州市钱塘区";
  out += towns_[c.town].name;
  if (with_community) out += c.name;
  AppendDoorPlate(out, d);
  if (at.room != kNone) AppendRoomDetail(out, rooms_[at.room]);
}

// An address as clerks and residents write it: old division names (江干区, 萧山区, 大江东),
// no province or city, the street without 街道, no community, 栋/#/号楼 for 幢, 3-2-501, Chinese
// numerals, now and then a road typed with a homophone.
void Generator::AppendNoisy(std::string& out, Location at, Rng& rng) const {
  const Door& d = doors_[at.door];
  const Community& c = communities_[d.community];
  const Town& town = towns_[c.town];
  const int form = rng.Between(0, 99);
  if (form < 10) {
    out += "浙江省杭州市钱塘区";
  } else if (form < 28) {
    out += "杭州市钱塘区";
  } else if (form < 43) {
    out += "钱塘区";
  } else if (form < 48) {
    out += "杭州钱塘";
  } else if (form < 58) {
    // the street first
  } else if (town.former_jianggan) {
    out += form < 80 ? "杭州市江干区" : form < 90 ? "江干区" : "浙江省杭州市江干区";
  } else {
    out += form < 72 ? "杭州市萧山区" : form < 82 ? "萧山区" : form < 92 ? "大江东" : "杭州大江东";
  }
  out += rng.Chance(0.8) ? town.name : town.short_name;
  if (rng.Chance(0.7)) out += c.name;
  if (rng.Chance(0.04)) out.push_back(' ');
  std::string road = roads_[d.road].name;
  if (options_.hard && rng.Chance(0.05)) HomophoneTypo(road, rng);
  out += road;
  if (rng.Chance(0.03)) {
    out += ChineseNumber(static_cast<int>(std::min<std::uint32_t>(d.number, 9999)));
  } else {
    AppendUint(out, d.number);
  }
  out += "号";
  if (at.room == kNone) return;
  const Room& r = rooms_[at.room];
  if (r.building > 0 && r.unit > 0 && rng.Chance(0.15)) {  // 3-2-501
    AppendUint(out, r.building);
    out.push_back('-');
    AppendUint(out, r.unit);
    out.push_back('-');
    AppendUint(out, r.number);
    if (rng.Chance(0.3)) out += "室";
    return;
  }
  if (r.building > 0) {
    const int b = rng.Between(0, 99);
    if (b < 8) {
      out += ChineseNumber(r.building);
      out += "幢";
    } else {
      AppendUint(out, r.building);
      out += b < 45 ? "幢" : b < 70 ? "栋" : b < 85 ? "号楼" : "#";
    }
  }
  if (r.unit > 0) {
    if (rng.Chance(0.15)) {
      out += ChineseNumber(r.unit);
    } else {
      AppendUint(out, r.unit);
    }
    out += "单元";
  }
  const int f = rng.Between(0, 99);
  if (f < 10) {
    out += ChineseDigitsOf(r.number);
    out += "室";
  } else {
    AppendUint(out, r.number);
    if (f < 80) out += "室";
  }
}

std::string Generator::IdNumber(std::uint64_t id17) const {
  std::string id = std::to_string(id17);
  id.push_back(ResidentIdNumber::CheckCharacter(id));
  return id;
}

std::string Generator::UnitName(const Unit& u) const {
  const Industry& ind = kIndustries[u.industry];
  const char* prefix = ind.individual ? kShopPrefixes[u.prefix] : kCompanyPrefixes[u.prefix];
  return std::string(prefix) + u.brand + ind.line + ind.suffix;
}

// Names as grid workers write them: without 杭州 or 有限公司, 科技(杭州)有限公司, full-width
// brackets.
std::string Generator::GridUnitName(const Unit& u, Rng& rng) const {
  const Industry& ind = kIndustries[u.industry];
  std::string brand = u.brand;
  if (rng.Chance(rates_.name_typo)) HomophoneTypo(brand, rng);
  if (ind.individual) {
    if (rng.Chance(0.4)) return brand + ind.line + ind.suffix;
    return std::string(kShopPrefixes[u.prefix]) + brand + ind.line + ind.suffix;
  }
  const std::string prefix = kCompanyPrefixes[u.prefix];
  const int v = rng.Between(0, 99);
  if (v < 50) return prefix + brand + ind.line + ind.suffix;
  if (v < 62) return (prefix == "杭州钱塘" ? "钱塘" : "") + brand + ind.line + ind.suffix;
  if (v < 74) return prefix + brand + ind.line;
  const std::string place = prefix == "杭州钱塘" ? (rng.Chance(0.5) ? "钱塘" : "杭州")
                            : prefix == "浙江"   ? "浙江"
                                                 : "杭州";
  if (v < 88) return brand + ind.line + "(" + place + ")" + ind.suffix;
  return brand + ind.line + "（" + place + "）" + ind.suffix;
}

std::string Generator::NoisyId(const std::string& id, Rng& rng) const {
  std::string out = id;
  if (rng.Chance(rates_.id_typo)) {  // one digit off: the check character no longer fits
    const size_t at = rng.Below(17);
    const int digit = out[at] - '0';
    out[at] = static_cast<char>('0' + (digit + rng.Between(1, 9)) % 10);
  }
  if (out.back() == 'X' && rng.Chance(0.3)) out.back() = 'x';
  return out;
}

std::string Generator::NoisyPhone(std::uint64_t phone, Rng& rng) const {
  std::string out = std::to_string(phone);
  if (rng.Chance(rates_.phone_typo)) {
    const size_t at = 3 + rng.Below(8);
    out[at] = static_cast<char>('0' + (out[at] - '0' + rng.Between(1, 9)) % 10);
  }
  return out;
}

std::string Generator::OwnerName(const House& h) const {
  switch (h.owner_kind) {
    case OwnerKind::kPerson:
      return FullName(people_[h.owner]);
    case OwnerKind::kOutsider:
      return FullName(outsiders_[h.owner]);
    case OwnerKind::kUnit:
      return UnitName(units_[h.owner]);
  }
  return "";
}

std::string Generator::OwnerId(const House& h) const {
  switch (h.owner_kind) {
    case OwnerKind::kPerson:
      return IdNumber(people_[h.owner].id17);
    case OwnerKind::kOutsider:
      return IdNumber(outsiders_[h.owner].id17);
    case OwnerKind::kUnit:
      return units_[h.owner].uscc;
  }
  return "";
}

std::uint64_t Generator::OwnerPhone(const House& h) const {
  switch (h.owner_kind) {
    case OwnerKind::kPerson:
      return people_[h.owner].phone;
    case OwnerKind::kOutsider:
      return outsiders_[h.owner].phone;
    case OwnerKind::kUnit:
      return 0;
  }
  return 0;
}

// ---------------------------------------------------------------------------------- writing

// Which entities a partial source holds (each with its own share), with planted second rows,
// in an order that says nothing about who is who.
std::vector<CopyRow> Generator::Sample(size_t entities, const std::vector<double>& share, Rng& rng,
                                       size_t* duplicates) const {
  std::vector<CopyRow> rows;
  rows.reserve(entities / 2);
  for (size_t i = 0; i < entities; ++i) {
    if (!rng.Chance(share.size() == 1 ? share[0] : share[i])) continue;
    rows.push_back({static_cast<std::uint32_t>(i), false});
    if (rng.Chance(rates_.duplicate)) {
      rows.push_back({static_cast<std::uint32_t>(i), true});
      ++*duplicates;
    }
  }
  rng.Shuffle(rows);
  return rows;
}

void AppendTruth(FeedFile& truth, std::string_view source, std::string_view id, char kind,
                 size_t entity) {
  std::string& t = truth.out();
  t += source;
  t.push_back(',');
  t += CsvField(id);
  t.push_back(',');
  AppendEntity(t, kind, entity);
  t.push_back('\n');
  truth.EndRow();
}

Status Generator::WriteAddresses(const fs::path& dir) {
  FeedFile f(dir / "addresses.csv", false);
  std::string& out = f.out();
  out += "code,kind,address,village,parent_code\n";
  std::string door_code;
  for (size_t i = 0; i < doors_.size(); ++i) {
    const Door& d = doors_[i];
    const Community& c = communities_[d.community];
    door_code = "A" + c.code;
    AppendUint(door_code, d.serial, 5);
    out += door_code;
    out += ",door,";
    AppendCanonical(out, {static_cast<std::uint32_t>(i), kNone});
    out.push_back(',');
    out += c.code;
    out += ",\n";
    f.EndRow();
    for (std::uint32_t k = 0; k < d.rooms; ++k) {
      out += door_code;
      out.push_back('-');
      AppendUint(out, k + 1, 4);
      out += ",household,";
      AppendCanonical(out, {static_cast<std::uint32_t>(i), d.first_room + k});
      out.push_back(',');
      out += c.code;
      out.push_back(',');
      out += door_code;
      out.push_back('\n');
      f.EndRow();
    }
  }
  return f.Close();
}

Status Generator::WriteHouses(const fs::path& dir, FeedFile& truth) {
  {
    FeedFile f(dir / "ps_housing.csv", false);
    std::string& out = f.out();
    out += "房屋编号,房屋地址,建筑面积,房屋用途,产权人姓名,产权人证件号码,产权人电话\n";
    std::string id;
    for (size_t i = 0; i < houses_.size(); ++i) {
      const House& h = houses_[i];
      id = "FW";
      AppendUint(id, i + 1, 10);
      out += id;
      out.push_back(',');
      AppendCanonical(out, HouseLocation(static_cast<std::uint32_t>(i)));
      out.push_back(',');
      AppendCenti(out, h.area);
      out.push_back(',');
      out += kUseNames[static_cast<int>(h.use)];
      out.push_back(',');
      out += CsvField(OwnerName(h));
      out.push_back(',');
      out += OwnerId(h);
      out.push_back(',');
      if (const std::uint64_t phone = OwnerPhone(h); phone != 0) AppendUint(out, phone);
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "ps_housing", id, 'H', i);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.ps_housing = f.rows();
  }
  Rng rng(Seed(), 20);
  const std::vector<CopyRow> rows =
      Sample(houses_.size(), {0.4}, rng, &counts_.duplicate_house_rows);
  FeedFile f(dir / "grid_houses.jsonl", false);
  std::string& out = f.out();
  std::string id, text;
  for (size_t r = 0; r < rows.size(); ++r) {
    const House& h = houses_[rows[r].entity];
    id = "G";
    AppendUint(id, r + 1, 9);
    out += "{\"fwbh\":\"";
    out += id;
    out += "\",\"dz\":";
    text.clear();
    if (rng.Chance(rates_.address_noisy)) {
      AppendNoisy(text, HouseLocation(rows[r].entity), rng);
    } else {
      AppendCanonical(text, HouseLocation(rows[r].entity));
    }
    if (rng.Chance(rates_.full_width)) text = FullWidthDigits(text);
    AppendJsonString(out, text);
    // Area: as registered, rounded, measured again, or not taken.
    out += ",\"mj\":";
    const int a = rng.Between(0, 99);
    text.clear();
    if (a < 60) {
      AppendCenti(text, h.area);
    } else if (a < 85) {
      AppendUint(text, (h.area + 50) / 100);
    } else if (a < 95) {
      AppendCenti(text, static_cast<std::uint32_t>(h.area * (0.92 + 0.16 * rng.Unit())));
    }
    AppendJsonString(out, text);
    out += ",\"yt\":";
    int use = static_cast<int>(h.use);
    if (rng.Chance(rates_.use_mismatch)) use = rng.Between(0, 3);  // as seen on the visit
    AppendJsonString(out, kGridUseNames[use]);
    out += ",\"fzxm\":";
    text = OwnerName(h);
    if (h.owner_kind != OwnerKind::kUnit && rng.Chance(rates_.name_typo)) HomophoneTypo(text, rng);
    AppendJsonString(out, text);
    out += ",\"fzdh\":";
    const std::uint64_t phone = OwnerPhone(h);
    AppendJsonString(out, phone != 0 && !rng.Chance(0.3) ? NoisyPhone(phone, rng) : "");
    out += "}\n";
    f.EndRow();
    AppendTruth(truth, "grid_houses", id, 'H', rows[r].entity);
  }
  ZZ_RETURN_IF_ERROR(f.Close());
  counts_.grid_houses = f.rows();
  return Status::Ok();
}

// A person's address in a partial source: where they live, or (moved) a house they left; in a
// noisy form now and then.
void Generator::AppendPersonAddress(std::string& out, std::uint32_t house, Rng& rng) {
  if (rng.Chance(rates_.moved) && houses_.size() > 1) {
    std::uint32_t other = house;
    while (other == house)
      other = static_cast<std::uint32_t>(rng.Below(houses_.size()));
    house = other;
  }
  if (rng.Chance(rates_.address_noisy)) {
    AppendNoisy(out, HouseLocation(house), rng);
  } else {
    AppendCanonical(out, HouseLocation(house));
  }
}

// Birth date as YYYYMMDD digits with two adjacent digits transposed or day and month swapped,
// keeping to real dates where it can.
int SwapBirthDigits(int ymd, Rng& rng) {
  const int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
  if (d <= 12 && d != m && rng.Chance(0.5)) return y * 10000 + d * 100 + m;
  std::string s = std::to_string(ymd);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const size_t at = rng.Below(7);
    if (s[at] == s[at + 1]) continue;
    std::string t = s;
    std::swap(t[at], t[at + 1]);
    const int v = std::stoi(t);
    if (Date::FromYmd(v / 10000, v / 100 % 100, v % 100) && v <= kAsOfYmd) return v;
  }
  return ymd;
}

Status Generator::WritePeople(const fs::path& dir, FeedFile& truth) {
  {
    FeedFile f(dir / "ps_population.csv", false);
    std::string& out = f.out();
    out += "人员编号,姓名,公民身份号码,性别,出生日期,联系电话,居住地址\n";
    std::string id;
    for (size_t i = 0; i < people_.size(); ++i) {
      const Person& p = people_[i];
      id = "RK";
      AppendUint(id, i + 1, 9);
      out += id;
      out.push_back(',');
      out += kSurnames[p.surname].text;
      out += p.given;
      out.push_back(',');
      out += IdNumber(p.id17);
      out += p.male() ? ",1," : ",2,";
      AppendUint(out, static_cast<std::uint64_t>(p.ymd()));
      out.push_back(',');
      if (p.phone != 0) AppendUint(out, p.phone);
      out.push_back(',');
      AppendCanonical(out, HouseLocation(p.house));
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "ps_population", id, 'P', i);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.ps_population = f.rows();
  }
  const auto missing = [&](std::string& out, Rng& rng) {
    out += rng.Chance(rates_.null_for_missing) ? "null" : "\"\"";
  };
  {
    // Grid collection: families more often than tenants.
    Rng rng(Seed(), 21);
    std::vector<double> share(people_.size());
    for (size_t i = 0; i < people_.size(); ++i) {
      share[i] = people_[i].role == Role::kFamily ? 0.52 : 0.40;
    }
    const std::vector<CopyRow> rows =
        Sample(people_.size(), share, rng, &counts_.duplicate_person_rows);
    FeedFile f(dir / "grid_people.jsonl", false);
    std::string& out = f.out();
    std::string id, text;
    for (size_t r = 0; r < rows.size(); ++r) {
      const Person& p = people_[rows[r].entity];
      const int wide = rng.Chance(rates_.full_width) ? rng.Between(0, 2) : -1;
      id = "GR";
      AppendUint(id, r + 1, 9);
      out += "{\"rybh\":\"";
      out += id;
      out += "\",\"xm\":";
      text = p.given;
      if (rng.Chance(rates_.name_typo)) HomophoneTypo(text, rng);
      AppendJsonString(out, kSurnames[p.surname].text + text);
      out += ",\"sfzh\":";
      if (rng.Chance(rates_.grid_id_missing)) {
        missing(out, rng);
      } else {
        text = NoisyId(IdNumber(p.id17), rng);
        AppendJsonString(out, wide == 0 ? FullWidthDigits(text) : text);
      }
      out += ",\"xb\":";
      if (rng.Chance(rates_.grid_sex_missing)) {
        missing(out, rng);
      } else {
        out += p.male() ? "\"男\"" : "\"女\"";
      }
      out += ",\"csrq\":";
      if (rng.Chance(rates_.grid_birth_missing)) {
        missing(out, rng);
      } else {
        const int ymd = rng.Chance(rates_.birth_swap) ? SwapBirthDigits(p.ymd(), rng) : p.ymd();
        text.clear();
        AppendUint(text, static_cast<std::uint64_t>(ymd / 10000), 4);
        text.push_back('-');
        AppendUint(text, static_cast<std::uint64_t>(ymd / 100 % 100), 2);
        text.push_back('-');
        AppendUint(text, static_cast<std::uint64_t>(ymd % 100), 2);
        AppendJsonString(out, text);
      }
      out += ",\"sjhm\":";
      if (p.phone == 0 || rng.Chance(rates_.grid_phone_drop)) {
        missing(out, rng);
      } else {
        text = NoisyPhone(p.phone, rng);
        AppendJsonString(out, wide == 1 ? FullWidthDigits(text) : text);
      }
      out += ",\"dz\":";
      text.clear();
      AppendPersonAddress(text, p.house, rng);
      AppendJsonString(out, wide == 2 ? FullWidthDigits(text) : text);
      out += "}\n";
      f.EndRow();
      AppendTruth(truth, "grid_people", id, 'P', rows[r].entity);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.grid_people = f.rows();
  }
  {
    // Landlords report the tenants of rental houses (most landlords, most tenants).
    Rng rng(Seed(), 22);
    std::vector<double> reported(houses_.size());
    for (size_t i = 0; i < houses_.size(); ++i) {
      reported[i] = houses_[i].use == Use::kRental && rng.Chance(0.85) ? 0.9 : 0.0;
    }
    std::vector<double> share(people_.size());
    for (size_t i = 0; i < people_.size(); ++i)
      share[i] = reported[people_[i].house];
    const std::vector<CopyRow> rows =
        Sample(people_.size(), share, rng, &counts_.duplicate_person_rows);
    FeedFile f(dir / "rental_tenants.csv", true);
    std::string& out = f.out();
    out += "登记编号,租客姓名,证件号码,手机,租住地址,登记日期\n";
    std::string id, text;
    const std::int64_t first_day = Date{2019, 1, 1}.DaysSinceEpoch();
    const std::int64_t days = kAsOf.DaysSinceEpoch() - first_day;
    for (size_t r = 0; r < rows.size(); ++r) {
      const Person& p = people_[rows[r].entity];
      const int wide = rng.Chance(rates_.full_width) ? rng.Between(0, 2) : -1;
      id = "ZL";
      AppendUint(id, r + 1, 9);
      out += id;
      out.push_back(',');
      text = p.given;
      if (rng.Chance(rates_.name_typo)) HomophoneTypo(text, rng);
      out += kSurnames[p.surname].text;
      out += text;
      out.push_back(',');
      if (!rng.Chance(rates_.rental_id_missing)) {
        text = NoisyId(IdNumber(p.id17), rng);
        out += wide == 0 ? FullWidthDigits(text) : text;
      }
      out.push_back(',');
      if (p.phone != 0 && !rng.Chance(rates_.phone_drop)) {
        text = NoisyPhone(p.phone, rng);
        out += wide == 1 ? FullWidthDigits(text) : text;
      }
      out.push_back(',');
      text.clear();
      AppendPersonAddress(text, p.house, rng);
      out += CsvField(wide == 2 ? FullWidthDigits(text) : text);
      out.push_back(',');
      // Dates as a spreadsheet writes them: 2024/3/5.
      const Date day = Date::FromDays(
          first_day + static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(days))));
      AppendUint(out, static_cast<std::uint64_t>(day.year));
      out.push_back('/');
      AppendUint(out, static_cast<std::uint64_t>(day.month));
      out.push_back('/');
      AppendUint(out, static_cast<std::uint64_t>(day.day));
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "rental_tenants", id, 'P', rows[r].entity);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.rental_tenants = f.rows();
  }
  return Status::Ok();
}

Status Generator::WriteUnits(const fs::path& dir, FeedFile& truth, FeedFile& odd) {
  Rng rng(Seed(), 23);
  std::string text;
  const auto odd_row = [&](std::string_view source, std::string_view id) {
    std::string& o = odd.out();
    o += source;
    o.push_back(',');
    o += CsvField(id);
    o.push_back('\n');
    odd.EndRow();
  };
  {
    FeedFile f(dir / "market_units.csv", false);
    std::string& out = f.out();
    out += "统一社会信用代码,企业名称,注册地址,法定代表人,联系电话,登记状态\n";
    for (size_t i = 0; i < units_.size(); ++i) {
      const Unit& u = units_[i];
      out += u.uscc;
      out.push_back(',');
      out += CsvField(UnitName(u));
      out.push_back(',');
      text.clear();
      if (u.not_standard) {
        text = "浙江省杭州市钱塘区" + u.odd_address;
      } else if (rng.Chance(0.1)) {  // registered before 2021 and never updated
        const Door& d = doors_[u.location.door];
        text = TownOf(d).former_jianggan ? "浙江省杭州市江干区" : "浙江省杭州市萧山区";
        text += TownOf(d).name;
        AppendDoorPlate(text, d);
        if (u.location.room != kNone) AppendRoomDetail(text, rooms_[u.location.room]);
      } else {
        AppendCanonical(text, u.location, /*with_community=*/rng.Chance(0.4));
      }
      out += CsvField(text);
      out.push_back(',');
      out += CsvField(u.legal_person);
      out.push_back(',');
      out += u.phone;
      out.push_back(',');
      out += kUnitStatus[u.status];
      out.push_back('\n');
      f.EndRow();
      AppendTruth(truth, "market_units", u.uscc, 'U', i);
      if (u.not_standard) odd_row("market_units", u.uscc);
    }
    ZZ_RETURN_IF_ERROR(f.Close());
    counts_.market_units = f.rows();
  }
  // Grid collection finds most units that trade, few that were struck off.
  std::vector<double> share(units_.size());
  for (size_t i = 0; i < units_.size(); ++i)
    share[i] = units_[i].status < 2 ? 0.52 : 0.2;
  const std::vector<CopyRow> rows = Sample(units_.size(), share, rng, &counts_.duplicate_unit_rows);
  FeedFile f(dir / "grid_units.jsonl", false);
  std::string& out = f.out();
  std::string id;
  constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  for (size_t r = 0; r < rows.size(); ++r) {
    const Unit& u = units_[rows[r].entity];
    id = "GD";
    AppendUint(id, r + 1, 9);
    out += "{\"dwbh\":\"";
    out += id;
    out += "\",\"dwmc\":";
    AppendJsonString(out, GridUnitName(u, rng));
    out += ",\"tyshxydm\":";
    if (rng.Chance(rates_.uscc_missing)) {
      out += rng.Chance(rates_.null_for_missing) ? "null" : "\"\"";
    } else {
      text = u.uscc;
      if (rng.Chance(rates_.id_typo)) {
        const size_t at = 8 + rng.Below(9);
        char c = text[at];
        while (c == text[at])
          c = kAlphabet[rng.Below(kAlphabet.size())];
        text[at] = c;
      }
      AppendJsonString(out, text);
    }
    out += ",\"dz\":";
    text.clear();
    if (u.not_standard) {
      text = "钱塘区" + u.odd_address;
    } else {
      Location at = u.location;
      if (rng.Chance(rates_.moved)) {  // trades elsewhere now
        const std::uint32_t room = static_cast<std::uint32_t>(rng.Below(rooms_.size()));
        at = {rooms_[room].door, room};
      }
      if (rng.Chance(rates_.address_noisy)) {
        AppendNoisy(text, at, rng);
      } else {
        AppendCanonical(text, at);
      }
    }
    if (rng.Chance(rates_.full_width)) text = FullWidthDigits(text);
    AppendJsonString(out, text);
    out += ",\"lxdh\":";
    const int p = rng.Between(0, 99);
    if (p < 70 && !u.phone.empty()) {
      AppendJsonString(out, u.phone);
    } else if (p < 85) {
      AppendJsonString(out, std::to_string(NewPhone(rng)));  // the shop's own phone
    } else {
      out += "\"\"";
    }
    out += "}\n";
    f.EndRow();
    AppendTruth(truth, "grid_units", id, 'U', rows[r].entity);
    if (u.not_standard) odd_row("grid_units", id);
  }
  ZZ_RETURN_IF_ERROR(f.Close());
  counts_.grid_units = f.rows();
  for (const Unit& u : units_)
    counts_.units_not_standard += u.not_standard ? 1 : 0;
  return Status::Ok();
}

Status Generator::WriteTruthExtras(const fs::path& dir) {
  {
    FeedFile f(dir / "truth" / "hard_negatives.csv", false);
    std::string& out = f.out();
    out += "kind,entity_a,entity_b\n";
    const auto pairs = [&](const char* kind, const auto& list) {
      for (const auto& [a, b] : list) {
        out += kind;
        out.push_back(',');
        AppendEntity(out, 'P', a);
        out.push_back(',');
        AppendEntity(out, 'P', b);
        out.push_back('\n');
        f.EndRow();
      }
    };
    pairs("twin", twins_);
    pairs("namesake", namesakes_);
    ZZ_RETURN_IF_ERROR(f.Close());
  }
  // Overcrowded: below 5 m² per occupant (occupants: who lives there by public security).
  std::vector<std::uint32_t> occupants(houses_.size(), 0);
  for (const Person& p : people_)
    ++occupants[p.house];
  FeedFile f(dir / "truth" / "overcrowded_houses.csv", false);
  std::string& out = f.out();
  out += "house_id,area,occupants\n";
  for (size_t i = 0; i < houses_.size(); ++i) {
    if (occupants[i] == 0 || houses_[i].area >= 500 * occupants[i]) continue;
    out += "FW";
    AppendUint(out, i + 1, 10);
    out.push_back(',');
    AppendCenti(out, houses_[i].area);
    out.push_back(',');
    AppendUint(out, occupants[i]);
    out.push_back('\n');
    f.EndRow();
  }
  ZZ_RETURN_IF_ERROR(f.Close());
  counts_.overcrowded_houses = f.rows();
  return Status::Ok();
}

Status Generator::WriteMappings(const fs::path& dir) {
  using ordered = nlohmann::ordered_json;
  const auto mapping = [](const char* source, const char* kind, const char* format,
                          const char* encoding, const char* key, ordered fields, ordered codes) {
    ordered m;
    m["source"] = source;
    m["kind"] = kind;
    m["format"] = format;
    m["encoding"] = encoding;
    m["key"] = key;
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

Result<BaseDataFeedCounts> Generator::Run(const std::string& dir_name) {
  const fs::path dir(dir_name);
  std::error_code ec;
  fs::create_directories(dir / "mappings", ec);
  if (!ec) fs::create_directories(dir / "truth", ec);
  if (ec) return Status::Internal("cannot create " + dir_name + ": " + ec.message());

  ZZ_RETURN_IF_ERROR(BuildGeography());
  BuildAddresses();
  BuildHouses();
  PlanOccupancy();
  BuildPeople();
  PlantTwins();
  PlantNamesakes();
  BuildUnits();
  AssignOwners();

  ZZ_RETURN_IF_ERROR(WriteAddresses(dir));
  FeedFile houses(dir / "truth" / "houses.csv", false);
  houses.out() += "source,source_id,entity\n";
  ZZ_RETURN_IF_ERROR(WriteHouses(dir, houses));
  ZZ_RETURN_IF_ERROR(houses.Close());
  FeedFile people(dir / "truth" / "people.csv", false);
  people.out() += "source,source_id,entity\n";
  ZZ_RETURN_IF_ERROR(WritePeople(dir, people));
  ZZ_RETURN_IF_ERROR(people.Close());
  FeedFile units(dir / "truth" / "units.csv", false);
  units.out() += "source,source_id,entity\n";
  FeedFile odd(dir / "truth" / "unit_addresses_not_standard.csv", false);
  odd.out() += "source,source_id\n";
  ZZ_RETURN_IF_ERROR(WriteUnits(dir, units, odd));
  ZZ_RETURN_IF_ERROR(units.Close());
  ZZ_RETURN_IF_ERROR(odd.Close());
  ZZ_RETURN_IF_ERROR(WriteTruthExtras(dir));
  ZZ_RETURN_IF_ERROR(WriteMappings(dir));
  return counts_;
}

}  // namespace

Result<BaseDataFeedCounts> WriteBaseDataFeeds(const address::Gazetteer& gazetteer,
                                              const BaseDataFeedOptions& options,
                                              const std::string& dir) {
  if (options.people == 0) return Status::InvalidArgument("people", "must be at least 1");
  if (options.houses == 0) return Status::InvalidArgument("houses", "must be at least 1");
  if (options.units == 0) return Status::InvalidArgument("units", "must be at least 1");
  if (options.addresses <= options.houses) {
    return Status::InvalidArgument(
        "addresses", "must exceed houses: every house is a room, and rooms need doors");
  }
  if (options.people > 50'000'000 || options.addresses > 50'000'000 || options.units > 50'000'000) {
    return Status::InvalidArgument("people", "at most 50 million of each");
  }
  Generator generator(gazetteer, options);
  return generator.Run(dir);
}

}  // namespace zhizhi::app
