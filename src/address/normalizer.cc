#include "address/normalizer.h"

#include <opencc/opencc.h>

#include <memory>

#include "base/text.h"

namespace zhizhi::address {

namespace {

bool IsAsciiDigit(char32_t c) {
  return c >= U'0' && c <= U'9';
}

}  // namespace

Result<Normalizer> Normalizer::Create() {
  Normalizer n;
  n.simplified_.resize(kLast - kFirst + 1);
  for (char32_t c = kFirst; c <= kLast; ++c)
    n.simplified_[c - kFirst] = c;
  opencc_t cc = opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP);
  if (cc == reinterpret_cast<opencc_t>(-1)) {
    return Status::Internal(std::string("OpenCC: cannot open t2s.json: ") + opencc_error());
  }
  std::unique_ptr<void, int (*)(opencc_t)> closer(cc, opencc_close);
  // Every character on its own line, converted in one call; a line that comes back as one other
  // character is a table entry (phrases cannot span lines).
  std::string all;
  all.reserve((kLast - kFirst + 1) * 4);
  for (char32_t c = kFirst; c <= kLast; ++c) {
    AppendUtf8(all, c);
    all += '\n';
  }
  char* converted = opencc_convert_utf8(cc, all.data(), all.size());
  if (converted == nullptr) {
    return Status::Internal(std::string("OpenCC: conversion failed: ") + opencc_error());
  }
  const std::string out(converted);
  opencc_convert_utf8_free(converted);
  char32_t c = kFirst;
  size_t begin = 0;
  while (begin < out.size() && c <= kLast) {
    size_t end = out.find('\n', begin);
    if (end == std::string::npos) end = out.size();
    const std::string_view line(out.data() + begin, end - begin);
    if (IsValidUtf8(line)) {
      const std::u32string points = FromUtf8(line);
      if (points.size() == 1 && points[0] != c) {
        n.simplified_[c - kFirst] = points[0];
        ++n.changed_;
      }
    }
    begin = end + 1;
    ++c;
  }
  if (c <= kLast) return Status::Internal("OpenCC: the conversion lost lines");
  return n;
}

bool Normalizer::IsSeparator(char32_t c) {
  switch (c) {
    case U' ':
    case U'\t':
    case U',':
    case U';':
    case U':':
    case U'/':
    case U'\\':
    case U'|':
    case U'.':
    case U'、':
    case U'。':
    case U'·':
    case U'"':
    case U'\'':
    case U'“':
    case U'”':
    case U'‘':
    case U'’':
      return true;
    default:
      return false;
  }
}

char32_t Normalizer::Fold(char32_t c) const {
  if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;  // full-width ASCII
  if (c == 0x3000) return U' ';
  if (c >= U'a' && c <= U'z') return c - U'a' + U'A';
  if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xFE63 || c == U'~' || c == U'～') {
    return U'-';
  }
  if (c == U'【' || c == U'〔' || c == U'[' || c == U'{') return U'(';
  if (c == U'】' || c == U'〕' || c == U']' || c == U'}') return U')';
  if (c >= kFirst && c <= kLast) return simplified_[c - kFirst];
  return c;
}

bool Normalizer::Normalize(std::string_view utf8, std::u32string* out) const {
  out->clear();
  if (!IsValidUtf8(utf8)) return false;
  bool pending_separator = false;
  for (size_t i = 0; i < utf8.size();) {
    const char32_t c = Fold(DecodeUtf8(utf8, i));
    if (IsSeparator(c) || c < 0x20 || c == 0x7F) {
      pending_separator = true;
      continue;
    }
    if (pending_separator && !out->empty() && IsAsciiDigit(out->back()) && IsAsciiDigit(c)) {
      out->push_back(U'-');
    }
    pending_separator = false;
    out->push_back(c);
  }
  return true;
}

}  // namespace zhizhi::address
