// Request, Response and the Router that maps `METHOD /path/{param}` patterns to handlers.
//
// Each route declares the right it needs (or none for public routes such as /healthz) and its
// OpenAPI operation, so the published API description and the authorisation rules are generated
// from the same table that dispatches requests: an endpoint cannot exist without both.
//
// Scope: for a caller limited to some projects (Principal::all_projects false), every path
// parameter is checked by the scope check registered for it, named by the segment before it and
// the parameter ("projects/{code}", "persons/{id}"). A parameter without a registered check is
// refused (fail closed): a new route with a new kind of {id} is out of reach of scoped callers
// until its module says how to scope it. tests/access_matrix.txt pins who may call what.
//
// Thread-safety: routes are added before the server starts; afterwards the Router is read-only
// and Find() is safe from any thread. Handlers run concurrently on the server's threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "security/principal.h"

namespace zhizhi::http {

using Verb = boost::beast::http::verb;

struct Request {
  Verb method = Verb::get;
  std::string path;                                         // without the query string
  std::vector<std::pair<std::string, std::string>> query;   // decoded
  std::vector<std::pair<std::string, std::string>> params;  // from {name} path segments, decoded
  std::string body;
  std::string content_type;  // the Content-Type header as sent (empty when absent)
  std::string request_id;
  std::string remote;
  security::Principal principal;  // set for authenticated routes

  std::string_view Param(std::string_view name) const;
  std::optional<std::string> Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(int status, const nlohmann::json& body);
  static Response Error(const Status& status);
  static Response Text(int status, std::string body, std::string content_type);
};

// The HTTP status of a Status kind (200 for OK).
int HttpStatusOf(StatusKind kind);

using Handler = std::function<Response(Request&)>;

// Answers a request later, from any thread; called exactly once.
using Respond = std::function<void(Response)>;
// A handler that answers after waiting for something (e.g. a group commit) without holding a
// server thread. It must copy what it needs from the Request before returning.
using AsyncHandler = std::function<void(Request&, Respond)>;

// The server side of an open WebSocket. Send() is thread-safe and never blocks: messages queue,
// and a peer that falls too far behind is disconnected.
class WebSocketPeer {
 public:
  virtual ~WebSocketPeer() = default;
  virtual void Send(std::string text) = 0;
  virtual bool open() const = 0;
};
// Called once the upgrade succeeded; keep the peer (weakly) to send to it.
using WebSocketHandler = std::function<void(Request&, std::shared_ptr<WebSocketPeer>)>;

struct Route {
  Verb method = Verb::get;
  std::string pattern;                   // e.g. /api/v1/persons/{id}
  std::optional<security::Right> right;  // nullopt: public
  std::string summary;
  nlohmann::json openapi = nlohmann::json::object();  // OpenAPI operation fields to merge
  Handler handler;                                    // exactly one of handler, async, websocket
  AsyncHandler async = nullptr;
  WebSocketHandler websocket = nullptr;
  // Media types the body may have besides JSON (lower case, no parameters), for the protocols of
  // other makers' terminals: form fields, multipart, plain text ("*": anything). Such a route
  // authenticates its caller itself, so a cross-site form post carries nothing it could use.
  std::vector<std::string> media_types = {};
  // The path holds a secret (a terminal's callback path): logs name the route, not the path.
  bool secret_path = false;
};

// Ok when `principal` may see what `value` names, else (usually) 404 not_found.
using ScopeCheck =
    std::function<Status(const security::Principal& principal, const std::string& value)>;
// The same for a parameter that holds a record id, given as the number it spells.
using IdScopeCheck = std::function<Status(const security::Principal& principal, std::int64_t id)>;

// The record id in path parameter `name` (base/record_id.h: "12", never "012", "+12" or "12abc"),
// else 404 not_found naming the parameter: no record can be named otherwise. The Router's id
// scope checks and every handler (http::IdParam) read path ids with it, so they never disagree.
Result<std::int64_t> PathId(std::string_view name, std::string_view text);

class Router {
 public:
  void Add(Route route);

  // Registers the check for a path parameter, e.g. "projects/{code}". A null check declares the
  // parameter unscoped (district reference data such as corps).
  void AddScopeCheck(std::string key, ScopeCheck check);
  // Registers the check for a parameter that holds a record id, e.g. "persons/{id}": the Router
  // reads the id with PathId (404 when the text is no id) and gives `check` the number.
  void AddIdScopeCheck(std::string key, IdScopeCheck check);
  // Runs the scope checks of route `index` for a scoped caller (nothing for the others).
  Status CheckScope(int index, const Request& request) const;
  // The scope keys of route `index`, e.g. {"projects/{code}"}.
  const std::vector<std::string>& ScopeKeys(int index) const { return scope_keys_[index]; }

  struct Match {
    const Route* route = nullptr;  // null when no route matched
    int index = -1;
    Status status;      // 404 or 405 when route is null
    std::string allow;  // for a 405: the methods the path does accept
  };
  // Fills request.params on a match.
  Match Find(Verb method, std::string_view path, Request& request) const;

  const std::vector<Route>& routes() const { return routes_; }

  // The OpenAPI 3 document for every route.
  nlohmann::json OpenApi(const std::string& version) const;

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;    // split patterns
  std::vector<std::vector<std::string>> scope_keys_;  // per route, per path parameter
  std::vector<std::pair<std::string, ScopeCheck>> scope_checks_;
};

// Percent-decodes `text` (and '+' as space when `form` is set); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view text, bool form);

}  // namespace zhizhi::http

namespace zhizhi::http {

// Describes one body or query field for the OpenAPI document.
struct FieldDoc {
  const char* name;
  const char* type;  // string, integer, number, boolean, date, date-time
  bool required;
  const char* description;
};

// An OpenAPI operation fragment: JSON request body fields, query parameters, the success status
// and the error statuses the endpoint can return.
nlohmann::json Operation(std::initializer_list<FieldDoc> body, std::initializer_list<int> errors,
                         int success = 200, std::initializer_list<FieldDoc> query = {});

}  // namespace zhizhi::http
