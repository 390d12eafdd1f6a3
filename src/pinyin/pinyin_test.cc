#include "pinyin/pinyin.h"

#include <gtest/gtest.h>

namespace zhizhi::pinyin {
namespace {

TEST(PinyinTest, TableCoversTheUnifiedIdeographs) {
  EXPECT_GT(TableSize(), 40000u);
  EXPECT_EQ(SyllableText(Of(U'张').first()), "zhang");
  EXPECT_EQ(SyllableText(Of(U'吕').first()), "lv");  // ü is written v
  EXPECT_EQ(Of(U'A').count, 0);
  EXPECT_EQ(Of(0x20000).count > 0, true);  // Extension B, outside the flat index
}

TEST(PinyinTest, ToneMarksAreGoneAndRepeatsFolded) {
  // 欸: āi ǎi ê̄ ế ê̌ ề xiè éi ěi èi ēi → ai e xie ei (six ids at most).
  const Readings& r = Of(U'欸');
  ASSERT_GE(r.count, 3);
  EXPECT_EQ(SyllableText(r.ids[0]), "ai");
  for (int i = 0; i < r.count; ++i)
    for (int j = i + 1; j < r.count; ++j)
      EXPECT_NE(r.ids[i], r.ids[j]);
}

TEST(PinyinTest, HomophonesSoundAlike) {
  EXPECT_TRUE(SoundAlike(U'张', U'章'));
  EXPECT_TRUE(SoundAlike(U'丽', U'莉'));
  EXPECT_TRUE(SoundAlike(U'伟', U'玮'));
  EXPECT_TRUE(SoundAlike(U'曾', U'增'));  // 曾 is ceng and zeng
  EXPECT_TRUE(SoundAlike(U'曾', U'层'));
  EXPECT_FALSE(SoundAlike(U'张', U'王'));
  EXPECT_TRUE(SoundAlike(U'伟', U'卫'));  // wei3 and wei4: tones are ignored
  EXPECT_FALSE(SoundAlike(U'伟', U'玲'));
  EXPECT_TRUE(SoundAlike(U'a', U'a'));
  EXPECT_FALSE(SoundAlike(U'a', U'b'));
}

TEST(PinyinTest, FuzzyPinyinSoundsNear) {
  EXPECT_TRUE(SoundsNear(U'明', U'民'));   // ming / min
  EXPECT_TRUE(SoundsNear(U'山', U'三'));   // shan / san
  EXPECT_TRUE(SoundsNear(U'南', U'兰'));   // nan / lan
  EXPECT_TRUE(SoundsNear(U'城', U'陈'));   // cheng / chen
  EXPECT_TRUE(SoundsNear(U'张', U'赞'));   // zhang / zan: both folds
  EXPECT_TRUE(SoundsNear(U'源', U'元'));   // alike is near
  EXPECT_FALSE(SoundsNear(U'明', U'光'));  // ming / guang
  EXPECT_FALSE(SoundsNear(U'南', U'北'));  // nan / bei
  EXPECT_FALSE(SoundsNear(U'林', U'源'));  // lin / yuan
  EXPECT_FALSE(SoundsNear(U'江', U'坚'));  // jiang / jian: iang is not folded
  EXPECT_FALSE(SoundsNear(U'光', U'关'));  // guang / guan: nor uang
  EXPECT_FALSE(SoundAlike(U'明', U'民'));  // near is not alike
}

TEST(PinyinTest, ToPinyinSpellsFirstReadings) {
  EXPECT_EQ(ToPinyin("张伟"), "zhang wei");
  EXPECT_EQ(ToPinyin("吕AB丽"), "lv ab li");
  EXPECT_EQ(ToPinyin(""), "");
  EXPECT_EQ(ToPinyin("21号"), "21 hao");
  EXPECT_EQ(ToPinyin(" 张  伟 "), "zhang wei");
}

}  // namespace
}  // namespace zhizhi::pinyin
