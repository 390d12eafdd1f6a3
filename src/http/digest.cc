#include "http/digest.h"

#include <cctype>
#include <cstdio>
#include <map>

#include <openssl/evp.h>

namespace zhizhi::http {

namespace {

// name=value and name="value" pairs, comma-separated, names in lower case.
std::map<std::string, std::string> Params(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '\t'))
      ++i;
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name;
    for (size_t k = i; k < eq; ++k) {
      if (text[k] != ' ')
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
    }
    i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i++];
      }
      ++i;
    } else {
      while (i < text.size() && text[i] != ',')
        value += text[i++];
      while (!value.empty() && value.back() == ' ')
        value.pop_back();
    }
    out[name] = value;
  }
  return out;
}

std::string_view AfterScheme(std::string_view header, std::string_view scheme) {
  while (!header.empty() && header.front() == ' ')
    header.remove_prefix(1);
  if (header.size() < scheme.size()) return {};
  for (size_t k = 0; k < scheme.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(header[k])) != scheme[k]) return {};
  }
  return header.substr(scheme.size());
}

std::string Response(std::string_view ha1, std::string_view nonce, std::string_view nc,
                     std::string_view cnonce, std::string_view qop, std::string_view ha2) {
  if (qop.empty()) {
    return Md5Hex(std::string(ha1) + ":" + std::string(nonce) + ":" + std::string(ha2));
  }
  return Md5Hex(std::string(ha1) + ":" + std::string(nonce) + ":" + std::string(nc) + ":" +
                std::string(cnonce) + ":" + std::string(qop) + ":" + std::string(ha2));
}

}  // namespace

std::string Md5Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

std::optional<DigestChallenge> ParseDigestChallenge(std::string_view header) {
  const std::string_view rest = AfterScheme(header, "digest");
  if (rest.empty() || rest.front() != ' ') return std::nullopt;
  auto p = Params(rest);
  if (p["nonce"].empty()) return std::nullopt;
  if (!p["algorithm"].empty() && p["algorithm"] != "MD5" && p["algorithm"] != "md5") {
    return std::nullopt;
  }
  DigestChallenge c;
  c.realm = p["realm"];
  c.nonce = p["nonce"];
  c.opaque = p["opaque"];
  // "auth,auth-int": auth is the one we answer.
  c.qop = p["qop"].find("auth") != std::string::npos ? "auth" : "";
  return c;
}

std::string DigestAuthorization(const DigestChallenge& c, std::string_view method,
                                std::string_view uri, std::string_view user,
                                std::string_view password, std::uint32_t nc,
                                std::string_view cnonce) {
  char nc_text[9];
  std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
  const std::string ha1 = Md5Hex(std::string(user) + ":" + c.realm + ":" + std::string(password));
  const std::string ha2 = Md5Hex(std::string(method) + ":" + std::string(uri));
  std::string out = "Digest username=\"" + std::string(user) + "\", realm=\"" + c.realm +
                    "\", nonce=\"" + c.nonce + "\", uri=\"" + std::string(uri) +
                    "\", algorithm=MD5, response=\"" +
                    Response(ha1, c.nonce, nc_text, cnonce, c.qop, ha2) + "\"";
  if (!c.qop.empty()) {
    out += ", qop=" + c.qop + ", nc=" + nc_text + ", cnonce=\"" + std::string(cnonce) + "\"";
  }
  if (!c.opaque.empty()) out += ", opaque=\"" + c.opaque + "\"";
  return out;
}

bool DigestVerifies(std::string_view authorization, std::string_view method, std::string_view realm,
                    std::string_view nonce, std::string_view user, std::string_view password) {
  const std::string_view rest = AfterScheme(authorization, "digest");
  if (rest.empty()) return false;
  auto p = Params(rest);
  if (p["username"] != user || p["realm"] != realm || p["nonce"] != nonce) return false;
  const std::string ha1 =
      Md5Hex(std::string(user) + ":" + std::string(realm) + ":" + std::string(password));
  const std::string ha2 = Md5Hex(std::string(method) + ":" + p["uri"]);
  return p["response"] == Response(ha1, nonce, p["nc"], p["cnonce"], p["qop"], ha2);
}

}  // namespace zhizhi::http
