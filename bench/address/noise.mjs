// Text transformations for the address benchmark's noise kinds: traditional characters,
// full-width ASCII, Chinese numerals, homophone typos in road names.

// Simplified → traditional for common characters of addresses and place names. Characters whose
// traditional form depends on the word (干 乾/幹, 余 餘/余, 台 臺/台, 里 裏/里, 发 發/髮 is kept as
// 發, 后 後/后, 沈 瀋/沈, 冲 沖/衝, 范, 谷, 斗, 面, 系, 只, 几, 才, 岳, 杰, 昆, 筑, 扎, 漓 …) are left
// out: they stay as they are.
const PAIRS = `
区區 县縣 镇鎮 乡鄉 号號 楼樓 单單 门門 广廣 东東 车車 长長 华華 兴興 龙龍 园園 岭嶺 湾灣 阳陽
会會 员員 钱錢 苏蘇 关關 开開 发發 业業 学學 泽澤 渊淵 达達 义義 庄莊 临臨 进進 杨楊 萧蕭 丽麗 兰蘭
宁寧 温溫 绍紹 汉漢 宝寶 坝壩 场場 厂廠 产產 乐樂 云雲 万萬 与與 专專 丛叢 丝絲 两兩 严嚴 丰豐 为為
举舉 乌烏 乔喬 书書 买買 亚亞 亲親 仓倉 从從 仪儀 们們 价價 众眾 优優 伟偉 传傳 伦倫 体體 侨僑 俭儉
储儲 儿兒 党黨 养養 冈岡 军軍 农農 冯馮 决決 况況 冻凍 净淨 凤鳳 凯凱 击擊 刘劉 则則 刚剛 创創 划劃
动動 务務 劳勞 势勢 勋勳 医醫 协協 卢盧 卫衛 厅廳 历歷 压壓 厦廈 参參 双雙 变變 叶葉 吕呂 吴吳 响響
团團 围圍 图圖 圆圓 圣聖 坚堅 坛壇 垦墾 垒壘 墙牆 壮壯 声聲 处處 备備 头頭 夹夾 奋奮 奖獎 妇婦 娄婁
孙孫 实實 宪憲 宫宮 对對 寻尋 导導 寿壽 将將 尔爾 尘塵 层層 屿嶼 岁歲 岗崗 岚嵐 岛島 峡峽 峦巒 崂嶗
巩鞏 师師 帅帥 带帶 帮幫 庆慶 库庫 应應 庙廟 庐廬 异異 张張 弯彎 归歸 当當 录錄 径徑 怀懷 总總 战戰
扩擴 扬揚 护護 报報 挥揮 换換 据據 数數 斋齋 断斷 无無 旧舊 时時 显顯 晋晉 晓曉 晖暉 术術 机機 杂雜
权權 极極 构構 枣棗 栅柵 标標 栋棟 栏欄 树樹 样樣 桥橋 梦夢 检檢 欢歡 欧歐 毕畢 气氣 汇匯 汤湯 沟溝
沪滬 泸瀘 洁潔 浅淺 测測 济濟 浏瀏 浑渾 浒滸 浓濃 涛濤 润潤 涧澗 涨漲 渐漸 渔漁 湿濕 满滿 滨濱 滩灘
潇瀟 潜潛 澜瀾 灵靈 炉爐 点點 烟煙 热熱 爱愛 狮獅 环環 现現 玛瑪 珑瓏 琼瓊 电電 画畫 畅暢 疗療 盐鹽
监監 盖蓋 盘盤 矿礦 码碼 砖磚 硕碩 确確 礼禮 离離 种種 积積 称稱 稳穩 穷窮 窑窯 竞競 笕筧 简簡 类類
粮糧 紧緊 纪紀 红紅 纬緯 纳納 纺紡 线線 练練 组組 细細 织織 经經 结結 绕繞 给給 络絡 绝絕 统統 继繼
绩績 续續 绵綿 综綜 绿綠 缙縉 罗羅 习習 联聯 肃肅 胜勝 艺藝 节節 芦蘆 苍蒼 苹蘋 荣榮 药藥 莱萊 莲蓮
获獲 营營 萝蘿 萨薩 蓝藍 蚕蠶 补補 装裝 见見 观觀 规規 视視 览覽 觉覺 认認 讲講 许許 论論 设設 访訪
证證 识識 诚誠 话話 语語 诸諸 谊誼 谢謝 谭譚 贝貝 贡貢 财財 责責 贤賢 贵貴 贸貿 资資 赣贛 赵趙 跃躍
轩軒 转轉 轮輪 轻輕 辉輝 辽遼 边邊 迁遷 过過 运運 还還 这這 远遠 连連 选選 遗遺 邓鄧 邮郵 邹鄒 邻鄰
郑鄭 郸鄲 钟鐘 钢鋼 钦欽 铁鐵 铜銅 银銀 铺鋪 锡錫 锦錦 闵閔 闸閘 闻聞 阁閣 队隊 阴陰 阵陣 际際 陆陸
陇隴 陈陳 陕陝 随隨 隐隱 难難 雾霧 韩韓 页頁 顶頂 项項 顺順 顾顧 顿頓 颍潁 颐頤 颖穎 额額 风風 飞飛
饶饒 马馬 驰馳 驻駐 驿驛 骏駿 鱼魚 鲁魯 鲜鮮 鸟鳥 鸡雞 鸣鳴 鸭鴨 鸿鴻 鹤鶴 鹰鷹 麦麥 齐齊 龟龜 栖棲
郓鄆 荡蕩 坞塢 岙嶴 莼蒓 渎瀆 坟墳 垅壟 滦灤 岘峴 沥瀝 芜蕪 闽閩 赛賽 蓟薊 宾賓 鹏鵬 赖賴 粤粵 贺賀
凉涼 潍濰 抚撫 绥綏 沧滄 维維 辖轄 级級 计計 馆館 网網 办辦 饭飯 货貨 输輸 择擇 侧側 讯訊 蕴蘊 纸紙
`;

export const TRADITIONAL = new Map();
for (const pair of PAIRS.split(/\s+/).filter(Boolean)) {
  const [s, t] = [...pair];
  if (s === t) throw new Error(`traditional table: ${s} is the same in both scripts`);
  const prev = TRADITIONAL.get(s);
  if (prev && prev !== t) throw new Error(`traditional table: ${s} → ${prev} and ${t}`);
  TRADITIONAL.set(s, t);
}

export const toTraditional = (text) => [...text].map((c) => TRADITIONAL.get(c) || c).join('');

// ASCII digits, letters, '#', '-' → full-width forms.
export const toFullwidth = (text) => text.replace(/[0-9A-Za-z#-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const DIGITS = '零一二三四五六七八九';
const UNITS = ['', '十', '百', '千', '万'];
// Positional reading: 188 → 一百八十八, 25 → 二十五, 105 → 一百零五, 10 → 十, 1307 → 一千三百零七.
export function cnNumber(n) {
  if (!Number.isInteger(n) || n < 0 || n > 99999) throw new Error(`cnNumber(${n})`);
  if (n === 0) return '零';
  const d = String(n).split('').map(Number);
  let out = '';
  let zero = false;
  for (let i = 0; i < d.length; i++) {
    const pos = d.length - 1 - i;
    if (d[i] === 0) { zero = true; continue; }
    if (zero && out) out += '零';
    zero = false;
    out += (d[i] === 1 && pos === 1 && i === 0 ? '' : DIGITS[d[i]]) + UNITS[pos];
  }
  return out;
}
// Digit by digit: 501 → 五〇一 (or 五零一 with zero = '零').
export const cnDigits = (n, zero = '〇') => String(n).split('').map((c) => (c === '0' ? zero : DIGITS[c])).join('');

// Homophone (or near-homophone) typos of road names' stems.
export const ROAD_TYPOS = {
  学林街: '学琳街', 文渊路: '文元路', 文泽路: '文择路', 学源街: '学元街', 文海南路: '文海楠路', 文海北路: '文海背路',
  海达南路: '海大南路', 海达北路: '海大北路', 江东大道: '江冬大道', 义蓬路: '义篷路', 金沙大道: '金砂大道',
  下沙路: '夏沙路', 福城路: '福成路', 文津路: '文今路', 学正街: '学政街', 月雅路: '月亚路',
  人民路: '人明路', 解放路: '解方路', 建设路: '建社路', 中山路: '钟山路', 幸福路: '幸富路', 和平街: '和苹街',
  新华街: '新化街', 工业大道: '工叶大道', 胜利路: '圣利路', 友谊路: '友宜路', 文化路: '文话路', 光明路: '光名路',
  东风路: '东丰路', 长江路: '长疆路', 黄河路: '皇河路', 青年路: '清年路', 朝阳路: '朝扬路', 团结路: '团洁路',
  育才路: '育材路', 学府路: '学付路', 民主路: '民住路', 健康路: '建康路', 花园路: '花圆路', 滨江路: '宾江路',
  府前街: '府钱街', 环城路: '环成路', 车站路: '车占路', 迎宾大道: '迎滨大道',
};
