// What the demo district (demo_district.h) is drawn from: Qiantang's code, surnames and given
// names (and the long names of minority workers), home towns and villages, Qiantang's streets with
// their roads, kinds of projects, and the work types of teams.
//
// Thread-safety: constants.
#pragma once

#include <array>
#include <string_view>

namespace zhizhi::app::demo {

inline constexpr const char* kRegion = "330114";  // 钱塘区
// The characters of a USCC (GB 32100: no I, O, S, V or Z).
inline constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// Surnames by frequency (the commonest first); picked with a Zipf-like weight.
inline constexpr std::array<const char*, 80> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯"};
inline constexpr std::array<const char*, 64> kMaleGiven = {
    "伟",   "强",   "磊",   "军",   "勇",   "杰",   "涛",   "斌",   "超",   "明",   "刚",
    "平",   "辉",   "鹏",   "华",   "飞",   "建国", "建华", "国强", "志强", "海波", "春生",
    "红兵", "永刚", "德明", "文军", "小龙", "立新", "卫东", "长青", "金龙", "富贵", "广平",
    "大勇", "家豪", "俊杰", "子轩", "浩然", "宏伟", "志刚", "建军", "庆丰", "国华", "新民",
    "振华", "保国", "学文", "玉林", "德胜", "春雷", "海军", "双喜", "有才", "水生", "根生",
    "福林", "成龙", "天佑", "明辉", "先锋", "忠诚", "光明", "东升", "连生"};
inline constexpr std::array<const char*, 32> kFemaleGiven = {
    "秀英", "桂兰", "丽",   "敏",   "静",   "燕",   "艳",   "娟",   "霞",   "芳",   "玉兰",
    "红梅", "春花", "翠萍", "丽娟", "美玲", "小红", "海燕", "金凤", "淑珍", "桂英", "雪梅",
    "晓燕", "凤英", "秀兰", "月英", "巧云", "彩霞", "婷",   "慧",   "琳",   "倩"};
// Minority workers from Liangshan (彝族), Xinjiang and Tibet with their full names: the long
// names the screen must lay out without breaking.
struct MinorityName {
  const char* name;
  const char* nation;  // GB/T 3304
  bool female;
  const char* region;  // county code prefix where such names are at home
};
inline constexpr std::array<MinorityName, 16> kMinorityNames = {{
    {"阿卜杜热合曼·买买提", "05", false, "65"},
    {"艾合买提江·吐尔逊", "05", false, "65"},
    {"买买提依明·艾则孜", "05", false, "65"},
    {"热依汗古丽·阿不都热依木", "05", true, "65"},
    {"努尔兰·阿依达尔别克", "17", false, "65"},
    {"吉克伍沙", "07", false, "5134"},
    {"阿苏木呷", "07", false, "5134"},
    {"沙马阿果", "07", false, "5134"},
    {"马海尔布", "07", false, "5134"},
    {"俄木拉则", "07", false, "5134"},
    {"吉伍木呷", "07", false, "5134"},
    {"阿西阿呷", "07", true, "5134"},
    {"扎西多吉", "04", false, "5133"},
    {"次仁旺堆", "04", false, "5133"},
    {"泽仁邓珠", "04", false, "5132"},
    {"拉姆卓玛", "04", true, "5133"},
}};

inline constexpr std::array<const char*, 24> kTownNames = {
    "城关", "新集", "王店", "李集", "黄岭", "石桥", "白沙", "柳林", "高庙", "双河", "杨楼", "陈湾",
    "大王", "张寨", "刘庄", "河口", "青山", "马坪", "龙泉", "三里", "朱集", "花园", "平安", "长岭"};
inline constexpr std::array<const char*, 16> kVillageNames = {
    "前进", "光明", "红旗", "新华", "团结", "和平", "东风", "胜利",
    "建设", "幸福", "民主", "友谊", "永安", "兴隆", "太平", "丰收"};

// Streets: the share of projects, a centre inside the district's box (lat 30.28–30.38, lng
// 120.30–120.55) and roads to name addresses after.
struct StreetSeed {
  const char* name;
  double lat, lng;
  int weight;
  std::array<const char*, 4> roads;
};
inline constexpr std::array<StreetSeed, 7> kStreetSeeds = {{
    {"下沙街道", 30.312, 120.338, 26, {"学林街", "文渊路", "6号大街", "下沙路"}},
    {"白杨街道", 30.302, 120.372, 20, {"学源街", "2号大街", "福城路", "文泽路"}},
    {"河庄街道", 30.296, 120.432, 14, {"江东大道", "河庄路", "青西三路", "纬一路"}},
    {"义蓬街道", 30.288, 120.478, 12, {"义蓬路", "青六北路", "头蓬路", "江东二路"}},
    {"新湾街道", 30.333, 120.503, 12, {"新湾路", "纬十路", "青六中路", "经二路"}},
    {"临江街道", 30.364, 120.532, 9, {"临江大道", "纬七路", "经五路", "围垦路"}},
    {"前进街道", 30.346, 120.544, 7, {"前进路", "红十五线", "江东大道", "纬九路"}},
}};

struct ProjectKind {
  const char* name;
  int weight;
  int size;  // relative head-count
};
inline constexpr std::array<ProjectKind, 18> kProjectKinds = {{
    {"安置房", 14, 5},
    {"人才公寓", 6, 4},
    {"商品住宅", 10, 5},
    {"中学新建工程", 4, 3},
    {"小学新建工程", 5, 3},
    {"幼儿园新建工程", 4, 1},
    {"道路改造工程", 7, 2},
    {"综合管廊工程", 3, 2},
    {"半导体厂房", 5, 4},
    {"生物医药产业园", 5, 4},
    {"汽车零部件厂房", 4, 3},
    {"物流仓储中心", 4, 2},
    {"污水处理厂扩建", 2, 2},
    {"地铁站上盖开发", 2, 5},
    {"社区卫生服务中心", 3, 1},
    {"科创园", 6, 4},
    {"商业综合体", 4, 5},
    {"邻里中心", 4, 2},
}};

struct WorkSeed {
  const char* work_type;
  const char* team;
  const char* cert_kind;  // special-operation certificate the work type needs, or null
  const char* cert_type;
  int weight;
};
inline constexpr std::array<WorkSeed, 14> kWork = {{
    {"020", "钢筋", nullptr, nullptr, 18},
    {"240", "木工", nullptr, nullptr, 15},
    {"040", "混凝土", nullptr, nullptr, 11},
    {"010", "砌筑", nullptr, nullptr, 10},
    {"050", "模板", nullptr, nullptr, 7},
    {"030", "架子", "special_operation", "02", 8},
    {"130", "水电", "special_operation", "01", 7},
    {"270", "电焊", "special_operation", "E02", 5},
    {"170", "信号司索", "special_operation", "04", 3},
    {"180", "塔吊安拆", "special_operation", "08", 1},
    {"190", "装饰装修", nullptr, nullptr, 7},
    {"230", "防水", nullptr, nullptr, 3},
    {"110", "管道", nullptr, nullptr, 3},
    {"300", "测量放线", nullptr, nullptr, 2},
}};
inline constexpr std::array<const char*, 10> kOrdinals = {"一", "二", "三", "四", "五",
                                                          "六", "七", "八", "九", "十"};

}  // namespace zhizhi::app::demo
