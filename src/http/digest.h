// HTTP Digest access authentication (RFC 7616 with MD5, qop=auth, as RFC 2617 clients do): what
// Hikvision terminals ask of whoever calls their ISAPI. The client side — answering a 401's
// challenge — and the server side a simulated device needs to check an answer.
//
// Thread-safety: a DigestSession belongs to one client (one thread); the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zhizhi::http {

struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string qop;  // "auth" or empty
};

// The challenge of a `WWW-Authenticate: Digest realm="…", nonce="…", qop="auth"` header;
// nullopt when it is no Digest challenge (or names no MD5 algorithm we can answer).
std::optional<DigestChallenge> ParseDigestChallenge(std::string_view www_authenticate);

// The lower-case hex MD5 of `text`.
std::string Md5Hex(std::string_view text);

// Answers the challenge for one request: the value of its Authorization header. `uri` is the
// request target exactly as sent (path and query); `nc` counts the uses of this nonce.
std::string DigestAuthorization(const DigestChallenge& challenge, std::string_view method,
                                std::string_view uri, std::string_view user,
                                std::string_view password, std::uint32_t nc,
                                std::string_view cnonce);

// The server side: whether `authorization` (a Digest header) answers `nonce` in `realm` for
// `method` with `user`'s `password`.
bool DigestVerifies(std::string_view authorization, std::string_view method, std::string_view realm,
                    std::string_view nonce, std::string_view user, std::string_view password);

}  // namespace zhizhi::http
