# The pinyin of each CJK character, compiled in: Debian's golang-github-mozillazg-go-pinyin-dev
# ships mozillazg's pinyin-data (MIT; from Unihan's kHanyuPinyin, kXHC1983 and others) as a Go map
# literal, one `0x4E2D: "zhōng,zhòng",` line per character. We keep the readings without tones
# (ü → v), which is what homophone typos share, and write them into src/pinyin/pinyin_table.cc.in.
find_file(ZHIZHI_PINYIN_DICT pinyin_dict.go
          PATHS /usr/share/gocode/src/github.com/mozillazg/go-pinyin NO_DEFAULT_PATH REQUIRED)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ZHIZHI_PINYIN_DICT}
             ${CMAKE_SOURCE_DIR}/src/pinyin/pinyin_table.cc.in)
file(STRINGS ${ZHIZHI_PINYIN_DICT} pinyin_lines REGEX "^\t0x[0-9A-F]+: \"[^\"]+\",$" ENCODING UTF-8)
list(JOIN pinyin_lines "\n" pinyin_text)
string(REGEX REPLACE "\t(0x[0-9A-F]+): (\"[^\"]+\")," "  {\\1, \\2}," pinyin_text "${pinyin_text}")
foreach(pair "ā;a" "á;a" "ǎ;a" "à;a" "ē;e" "é;e" "ě;e" "è;e" "ê̄;e" "ế;e" "ê̌;e" "ề;e" "ê;e"
             "ī;i" "í;i" "ǐ;i" "ì;i" "ō;o" "ó;o" "ǒ;o" "ò;o" "ū;u" "ú;u" "ǔ;u" "ù;u"
             "ǖ;v" "ǘ;v" "ǚ;v" "ǜ;v" "ü;v" "ń;n" "ň;n" "ǹ;n" "ḿ;m" "m̀;m" "m̄;m")
  list(GET pair 0 from)
  list(GET pair 1 to)
  string(REPLACE "${from}" "${to}" pinyin_text "${pinyin_text}")
endforeach()
if(pinyin_text MATCHES "[^\n -~]")
  string(REGEX MATCH "[^\n -~]+" odd "${pinyin_text}")
  message(FATAL_ERROR "pinyin: a toned letter without a rule: '${odd}'")
endif()
list(LENGTH pinyin_lines ZHIZHI_PINYIN_COUNT)
set(ZHIZHI_PINYIN_ENTRIES "${pinyin_text}")
configure_file(${CMAKE_SOURCE_DIR}/src/pinyin/pinyin_table.cc.in
               ${CMAKE_BINARY_DIR}/generated/pinyin_table.cc @ONLY)
