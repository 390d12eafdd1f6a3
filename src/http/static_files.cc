#include "http/static_files.h"

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace zhizhi::http {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxTotalBytes = 64u << 20;

std::string EtagOf(const std::string& body) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string etag = "\"";
  for (unsigned char b : hash) {
    etag.push_back(kHex[b >> 4]);
    etag.push_back(kHex[b & 15]);
  }
  etag.push_back('"');
  return etag;
}

bool HasExtension(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

// Does If-None-Match (a list of ETags, or *) name `etag`?
bool EtagMatches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(start, end - start);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::string StaticFiles::ContentType(std::string_view name) {
  const size_t dot = name.rfind('.');
  std::string ext = dot == std::string_view::npos ? "" : std::string(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"txt", "text/plain; charset=utf-8"},
  };
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

Result<std::shared_ptr<const StaticFiles>> StaticFiles::Load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::InvalidArgument("web", dir +
                                              " is not a directory (build the screen: "
                                              "npm ci && npm run build in web/)");
  }
  auto files = std::make_shared<StaticFiles>();
  files->dir_ = dir;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return Status::Internal("cannot resolve " + dir + ": " + ec.message());
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Status::Internal("cannot read " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::Internal("cannot read " + dir + ": " + ec.message());
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (!name.empty() && name.front() == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;  // dot-files and dot-directories are never served
    }
    if (it->is_symlink() || !it->is_regular_file()) continue;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) return Status::Internal("cannot read " + path.string());
    File file;
    file.body = body.str();
    files->total_bytes_ += file.body.size();
    if (files->total_bytes_ > kMaxTotalBytes) {
      return Status::InvalidArgument("web", dir + " holds more than 64 MiB; is it a build?");
    }
    file.content_type = ContentType(name);
    file.etag = EtagOf(file.body);
    files->files_.emplace("/" + fs::relative(path, root).generic_string(), std::move(file));
  }
  if (!files->files_.count("/index.html")) {
    return Status::InvalidArgument("web", dir + " has no index.html");
  }
  return std::shared_ptr<const StaticFiles>(std::move(files));
}

bool StaticFiles::Wants(const Request& request) {
  if (request.method != Verb::get && request.method != Verb::head) return false;
  const std::string_view path = request.path;
  return path != "/api" && path.rfind("/api/", 0) != 0;
}

Response StaticFiles::Serve(const Request& request, std::string_view if_none_match) const {
  // The raw path is matched as written (percent-escapes decoded): only names of loaded files
  // answer, so nothing outside the directory can ever be named.
  std::string path = request.path;
  if (auto decoded = PercentDecode(path, /*form=*/false)) path = std::move(*decoded);
  auto found = files_.find(path);
  if (found == files_.end()) {
    if (HasExtension(path) || path.find('\0') != std::string::npos) {
      return Response::Error(Status::NotFound("no such file"));
    }
    // A client-side route: the phone page's (/m, /m/…) is m/index.html, every other the
    // command screen's index.html.
    const bool phone = path == "/m" || path.rfind("/m/", 0) == 0;
    found = phone ? files_.find("/m/index.html") : files_.end();
    if (found == files_.end()) found = files_.find("/index.html");
  }
  const File& file = found->second;
  const bool hashed = found->first.rfind("/assets/", 0) == 0;
  Response response;
  response.content_type = file.content_type;
  response.headers.emplace_back("ETag", file.etag);
  response.headers.emplace_back("Cache-Control",
                                hashed ? "public, max-age=31536000, immutable" : "no-cache");
  // Content-Security-Policy and the other security headers: the server's (SecurityHeaders).
  if (EtagMatches(if_none_match, file.etag)) {
    response.status = 304;
    return response;
  }
  response.status = 200;
  response.body = file.body;
  return response;
}

}  // namespace zhizhi::http
