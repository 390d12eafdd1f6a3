// StaticFiles: the command screen's built files (web/dist) served by the HTTP server.
//
// The directory is read once, at start: every regular file under it (no dot-files, no symbolic
// links) is held in memory with its content type and a strong ETag. A request can therefore only
// ever get one of those files — there is no path to join, so `..`, encoded slashes, NUL bytes or
// links cannot reach anything else. Rules:
//   * GET and HEAD only, and never under /api/ (those stay JSON 404s);
//   * `/` and any path without a file extension that is not a file (a client-side route such as
//     /projects/QT2025001) get index.html, so deep links and reloads work;
//   * a missing path with an extension is 404;
//   * `If-None-Match` with the file's ETag answers 304;
//   * Vite's content-hashed files under /assets/ are cached for a year (`immutable`); everything
//     else is `no-cache` (revalidated with the ETag), so a new build shows up on the next load;
//   * HTML carries a Content-Security-Policy that allows only this origin (and its WebSocket).
// Static files are not API routes: they are not in the route table or the OpenAPI document and
// need no token (the screen logs in with the API).
//
// Thread-safety: immutable after Load(); Serve() may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/router.h"

namespace zhizhi::http {

class StaticFiles {
 public:
  // Reads every file under `dir` (at most 64 MiB in all); an error when `dir` is not a
  // directory or has no index.html.
  static Result<std::shared_ptr<const StaticFiles>> Load(const std::string& dir);

  // True when this request is one for the static files (GET/HEAD outside /api/).
  static bool Wants(const Request& request);
  // The answer for a request that Wants() — a file, index.html, 304 or 404.
  Response Serve(const Request& request, std::string_view if_none_match) const;

  size_t file_count() const { return files_.size(); }
  size_t total_bytes() const { return total_bytes_; }
  const std::string& dir() const { return dir_; }

  // The content type for a file name (by extension); application/octet-stream when unknown.
  static std::string ContentType(std::string_view name);

 private:
  struct File {
    std::string body;
    std::string content_type;
    std::string etag;
  };
  std::string dir_;
  std::map<std::string, File, std::less<>> files_;  // "/index.html" → file
  size_t total_bytes_ = 0;
};

}  // namespace zhizhi::http
