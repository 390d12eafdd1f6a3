// Status and Result<T>: how errors travel in zhizhi.
//
// A Status is a small value: a kind (which decides the HTTP status), a stable machine code
// (`invalid_argument`, `already_exists`, `identity_conflict`, ...), a human message, the offending
// field when there is one, and optional JSON details (e.g. the id of the existing record on a 409).
// Errors never cross module boundaries as exceptions. Status and Result are plain values; they are
// safe to copy between threads but a single instance is not synchronised.
//
// Both are [[nodiscard]]: an error that nobody looks at does not compile. Where dropping one is
// right, say so with `.IgnoreError()` and a comment giving the reason.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace zhizhi {

enum class StatusKind {
  kOk,
  kInvalid,               // 400: malformed input (bad JSON, wrong type, bad format or checksum)
  kUnauthenticated,       // 401
  kPermissionDenied,      // 403
  kNotFound,              // 404
  kMethodNotAllowed,      // 405
  kConflict,              // 409: duplicate or conflicting state
  kTooLarge,              // 413
  kUnsupportedMediaType,  // 415
  kRuleViolation,         // 422: well-formed but breaks a domain rule
  kRateLimited,           // 429
  kInternal,              // 500
  kUnavailable,           // 503: shutting down, overloaded
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidJson(std::string message) {
    return Status(StatusKind::kInvalid, "invalid_json", std::move(message));
  }
  static Status InvalidArgument(std::string field, std::string message) {
    return Status(StatusKind::kInvalid, "invalid_argument", std::move(message), std::move(field));
  }
  // Malformed input of a kind with its own stable code (invalid_form, invalid_attlog, …).
  static Status Invalid(std::string code, std::string field, std::string message) {
    return Status(StatusKind::kInvalid, std::move(code), std::move(message), std::move(field));
  }
  static Status Unauthenticated(std::string message) {
    return Status(StatusKind::kUnauthenticated, "unauthenticated", std::move(message));
  }
  static Status PermissionDenied(std::string message) {
    return Status(StatusKind::kPermissionDenied, "permission_denied", std::move(message));
  }
  static Status NotFound(std::string message, std::string field = {}) {
    return Status(StatusKind::kNotFound, "not_found", std::move(message), std::move(field));
  }
  static Status MethodNotAllowed(std::string message) {
    return Status(StatusKind::kMethodNotAllowed, "method_not_allowed", std::move(message));
  }
  static Status AlreadyExists(std::string field, std::string message) {
    return Status(StatusKind::kConflict, "already_exists", std::move(message), std::move(field));
  }
  static Status Conflict(std::string code, std::string field, std::string message) {
    return Status(StatusKind::kConflict, std::move(code), std::move(message), std::move(field));
  }
  static Status TooLarge(std::string message) {
    return Status(StatusKind::kTooLarge, "body_too_large", std::move(message));
  }
  static Status UnsupportedMediaType(std::string message) {
    return Status(StatusKind::kUnsupportedMediaType, "unsupported_media_type", std::move(message));
  }
  // A domain rule was broken; `code` is a stable snake_case name of the rule.
  static Status Rule(std::string code, std::string field, std::string message) {
    return Status(StatusKind::kRuleViolation, std::move(code), std::move(message),
                  std::move(field));
  }
  static Status RateLimited(std::string message) {
    return Status(StatusKind::kRateLimited, "rate_limited", std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusKind::kInternal, "internal", std::move(message));
  }
  static Status Unavailable(std::string message) {
    return Status(StatusKind::kUnavailable, "unavailable", std::move(message));
  }

  bool ok() const { return kind_ == StatusKind::kOk; }
  StatusKind kind() const { return kind_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  // An object, empty unless With() added keys.
  const nlohmann::json& details() const {
    static const nlohmann::json kNone = nlohmann::json::object();
    return details_.is_null() ? kNone : details_;
  }

  // Adds a key to the error's details (e.g. `id` of the existing record). Returns *this.
  Status& With(const std::string& key, nlohmann::json value) {
    details_[key] = std::move(value);
    return *this;
  }

  // Drops the status on purpose; the caller's comment says why that is right.
  void IgnoreError() const {}

  std::string ToString() const {
    if (ok()) return "ok";
    std::string s = code_ + ": " + message_;
    if (!field_.empty()) s += " (field " + field_ + ")";
    return s;
  }

 private:
  Status(StatusKind kind, std::string code, std::string message, std::string field = {})
      : kind_(kind),
        code_(std::move(code)),
        message_(std::move(message)),
        field_(std::move(field)) {}

  StatusKind kind_ = StatusKind::kOk;
  std::string code_;
  std::string message_;
  std::string field_;
  // Null until With() adds a key, so that a Status costs no allocation: every write job and
  // every statement makes one.
  nlohmann::json details_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  // Drops the result on purpose; the caller's comment says why that is right.
  void IgnoreError() const {}

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

template <typename T>
struct IsResult : std::false_type {};
template <typename T>
struct IsResult<Result<T>> : std::true_type {};
// Status or some Result<T>: what a function that can fail returns.
template <typename T>
concept StatusOrResult = std::is_same_v<T, Status> || IsResult<T>::value;

}  // namespace zhizhi

#define ZZ_CONCAT_INNER(a, b) a##b
#define ZZ_CONCAT(a, b) ZZ_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define ZZ_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::zhizhi::Status zz_status_ = (expr);    \
    if (!zz_status_.ok()) return zz_status_; \
  } while (0)

// `ZZ_ASSIGN_OR_RETURN(auto x, MakeX());` — unwraps a Result or returns its Status.
#define ZZ_ASSIGN_OR_RETURN(lhs, expr) \
  ZZ_ASSIGN_OR_RETURN_IMPL(ZZ_CONCAT(zz_result_, __LINE__), lhs, expr)
#define ZZ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
