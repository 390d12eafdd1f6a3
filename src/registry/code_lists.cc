#include "registry/code_lists.h"

#include <algorithm>

namespace zhizhi::registry {

const std::vector<Code>& IdTypes() {
  static const std::vector<Code> list = {
      {"01", "居民身份证"},
      {"02", "军官证"},
      {"03", "武警警官证"},
      {"04", "士兵证"},
      {"05", "军队离退休干部证"},
      {"06", "残疾人证"},
      {"07", "残疾军人证"},
      {"08", "护照"},
      {"09", "港澳同胞回乡证"},
      {"10", "港澳居民来往内地通行证"},
      {"11", "往来港澳通行证"},
      {"12", "台湾居民来往大陆通行证"},
      {"13", "大陆居民往来台湾通行证"},
      {"14", "外交官证"},
      {"15", "领事馆证"},
      {"16", "海员证"},
      {"17", "香港身份证"},
  };
  return list;
}

const std::vector<Code>& CorpTypes() {
  static const std::vector<Code> list = {
      {"001", "专业分包"},   {"002", "设备分包"}, {"003", "材料分包"}, {"004", "后勤服务"},
      {"005", "特殊设备"},   {"006", "劳务分包"}, {"007", "监理"},     {"008", "建设单位"},
      {"009", "总承包单位"}, {"010", "勘察"},     {"011", "设计单位"}, {"012", "其它"},
  };
  return list;
}

const std::vector<Code>& WorkRoles() {
  static const std::vector<Code> list = {{"10", "管理人员"}, {"20", "建筑工人"}};
  return list;
}

const std::vector<Code>& WorkTypes() {
  static const std::vector<Code> list = {
      {"010", "砌筑工"},
      {"020", "钢筋工"},
      {"030", "架子工"},
      {"040", "混凝土工"},
      {"050", "模板工"},
      {"060", "机械设备安装工"},
      {"070", "通风工"},
      {"080", "安装起重工"},
      {"090", "安装钳工"},
      {"100", "电气设备安装调试工"},
      {"110", "管道工"},
      {"120", "变电安装工"},
      {"130", "建筑电工"},
      {"140", "司泵工"},
      {"150", "挖掘铲运和桩工机械司机"},
      {"160", "桩机操作工"},
      {"170", "起重信号工"},
      {"180", "建筑起重机械安装拆卸工"},
      {"190", "装饰装修工"},
      {"200", "室内成套设施安装工"},
      {"210", "建筑门窗幕墙安装工"},
      {"220", "幕墙制作工"},
      {"230", "防水工"},
      {"240", "木工"},
      {"250", "石工"},
      {"270", "电焊工"},
      {"280", "爆破工"},
      {"290", "除尘工"},
      {"300", "测量放线工"},
      {"310", "线路架设工"},
      {"320", "古建筑传统石工"},
      {"330", "古建筑传统瓦工"},
      {"340", "古建筑传统彩画工"},
      {"350", "古建筑传统木工"},
      {"900", "管理人员"},
  };
  return list;
}

const std::vector<Code>& Nations() {
  static const std::vector<Code> list = {
      {"01", "汉族"},       {"02", "蒙古族"},
      {"03", "回族"},       {"04", "藏族"},
      {"05", "维吾尔族"},   {"06", "苗族"},
      {"07", "彝族"},       {"08", "壮族"},
      {"09", "布依族"},     {"10", "朝鲜族"},
      {"11", "满族"},       {"12", "侗族"},
      {"13", "瑶族"},       {"14", "白族"},
      {"15", "土家族"},     {"16", "哈尼族"},
      {"17", "哈萨克族"},   {"18", "傣族"},
      {"19", "黎族"},       {"20", "傈僳族"},
      {"21", "佤族"},       {"22", "畲族"},
      {"23", "高山族"},     {"24", "拉祜族"},
      {"25", "水族"},       {"26", "东乡族"},
      {"27", "纳西族"},     {"28", "景颇族"},
      {"29", "柯尔克孜族"}, {"30", "土族"},
      {"31", "达斡尔族"},   {"32", "仫佬族"},
      {"33", "羌族"},       {"34", "布朗族"},
      {"35", "撒拉族"},     {"36", "毛南族"},
      {"37", "仡佬族"},     {"38", "锡伯族"},
      {"39", "阿昌族"},     {"40", "普米族"},
      {"41", "塔吉克族"},   {"42", "怒族"},
      {"43", "乌孜别克族"}, {"44", "俄罗斯族"},
      {"45", "鄂温克族"},   {"46", "德昂族"},
      {"47", "保安族"},     {"48", "裕固族"},
      {"49", "京族"},       {"50", "塔塔尔族"},
      {"51", "独龙族"},     {"52", "鄂伦春族"},
      {"53", "赫哲族"},     {"54", "门巴族"},
      {"55", "珞巴族"},     {"56", "基诺族"},
      {"97", "其他"},       {"98", "外国血统中国籍人士"},
  };
  return list;
}

const std::vector<Code>& CertificateKinds() {
  static const std::vector<Code> list = {
      {"special_operation", "特种作业操作资格证"},
      {"registered", "注册执业资格证"},
      {"safety_post", "安全生产考核合格证书"},
      {"post", "岗位证书"},
  };
  return list;
}

const std::vector<Code>& CertificateTypes(std::string_view kind) {
  // Construction special operations (住建, 01–11) and emergency-management special operations
  // (应急管理部, prefixed E) that work types need, e.g. welding (270) → E02.
  static const std::vector<Code> special = {
      {"01", "建筑电工"},
      {"02", "普通脚手架架子工"},
      {"03", "附着升降脚手架架子工"},
      {"04", "建筑起重信号司索工"},
      {"05", "塔式起重机司机"},
      {"06", "施工升降机司机"},
      {"07", "物料提升机司机"},
      {"08", "塔式起重机安装拆卸工"},
      {"09", "施工升降机安装拆卸工"},
      {"10", "物料提升机安装拆卸工"},
      {"11", "高处作业吊篮安装拆卸工"},
      {"E01", "电工作业 (应急管理)"},
      {"E02", "焊接与热切割作业 (应急管理)"},
      {"E03", "高处作业 (应急管理)"},
  };
  static const std::vector<Code> registered = {
      {"constructor_1", "一级注册建造师"},
      {"constructor_2", "二级注册建造师"},
      {"supervising_engineer", "注册监理工程师"},
  };
  static const std::vector<Code> safety = {
      {"A", "安全生产考核合格证书 A 证 (主要负责人)"},
      {"B", "安全生产考核合格证书 B 证 (项目负责人)"},
      {"C", "安全生产考核合格证书 C 证 (专职安全生产管理人员)"},
  };
  static const std::vector<Code> post = {
      {"constructor", "施工员"},           {"quality_officer", "质量员"},
      {"documentation_officer", "资料员"}, {"labour_manager", "劳务员"},
      {"materials_officer", "材料员"},     {"machinery_officer", "机械员"},
      {"standards_officer", "标准员"},     {"safety_training", "三级安全教育培训合格"},
  };
  static const std::vector<Code> none;
  if (kind == "special_operation") return special;
  if (kind == "registered") return registered;
  if (kind == "safety_post") return safety;
  if (kind == "post") return post;
  return none;
}

const std::vector<PostRule>& PostRules() {
  return ActiveRules().posts();
}

const PostRule* FindPost(std::string_view code) {
  return ActiveRules().FindPost(code);
}

const CertificateRequirements& WorkTypeRequirements(std::string_view work_type) {
  return ActiveRules().WorkTypeRequirements(work_type);
}

std::string_view NameOf(const std::vector<Code>& list, std::string_view code) {
  for (const Code& c : list) {
    if (c.code == code) return c.name;
  }
  return {};
}

bool Contains(const std::vector<Code>& list, std::string_view code) {
  return std::any_of(list.begin(), list.end(), [&](const Code& c) { return c.code == code; });
}

std::string CodeSummary(const std::vector<Code>& list, size_t max_items) {
  std::string out;
  for (size_t i = 0; i < list.size() && i < max_items; ++i) {
    if (i) out += ", ";
    out += list[i].code;
  }
  if (list.size() > max_items) out += ", …";
  return out;
}

}  // namespace zhizhi::registry
