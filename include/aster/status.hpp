// Status and Result: how every part of Aster reports failure inside the runtime.
// Exceptions appear only at the typed public API (the four error kinds of the RPC client:
// permission, lookup, RPC status, connection lost), never on hot paths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aster {

// The status codes aster-rpc 0.1.2 puts in RpcStatus.code (aster-rpc@0972ac9:
// bindings/python/aster/status.py): gRPC's 0–16 plus CONTRACT_VIOLATION = 101. A 0.1.2 consumer raises on any other value, so never send one.
enum class StatusCode : int32_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
  kContractViolation = 101,
};

constexpr std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnknown: return "UNKNOWN";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kAborted: return "ABORTED";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    case StatusCode::kContractViolation: return "CONTRACT_VIOLATION";
  }
  return "UNRECOGNIZED";
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: message" — the one-line form tools print.
  std::string to_string() const {
    std::string out(status_code_name(code_));
    if (!message_.empty()) {
      out += ": ";
      out += message_;
    }
    return out;
  }

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none. Modelled on absl::StatusOr
// (abseil-cpp, absl/status/statusor.h):
// - default-constructed, it holds kUnknown "no value yet". Asio's co_spawn and awaitable
//   operators need default-constructible results, so a Result<T> can be returned from any
//   coroutine directly, with no std::optional wrapper (the decision issue 7 asked for);
// - built from an OK Status it holds kInternal instead, so `!r` always comes with a real
//   error and `r.status().is_ok()` iff a value is present.
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result() : v_(Status(StatusCode::kUnknown, "no value yet")) {}
  Result(T value) : v_(std::move(value)) {}                    // NOLINT: implicit by design
  Result(Status status) : v_(checked(std::move(status))) {}    // NOLINT: implicit by design
  Result(StatusCode code, std::string message)
      : v_(checked(Status(code, std::move(message)))) {}

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::get<T>(std::move(v_)); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The value, or `fallback` when there is none.
  T value_or(T fallback) const& { return is_ok() ? value() : std::move(fallback); }

  Status status() const { return is_ok() ? Status() : std::get<Status>(v_); }
  // The error without copying it; only valid when !is_ok().
  Status&& take_status() && { return std::get<Status>(std::move(v_)); }

 private:
  static Status checked(Status s) {
    if (s.is_ok()) return Status(StatusCode::kInternal, "OK status given to Result without a value");
    return s;
  }
  std::variant<T, Status> v_;
};

inline const Status& status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) { return r.status(); }

}  // namespace aster

// Propagates a non-OK Status (or Result's status) to the caller.
#define ASTER_RETURN_IF_ERROR(expr)                      \
  do {                                                   \
    if (auto&& _aster_st = (expr); !_aster_st.is_ok()) { \
      return ::aster::status_of(_aster_st);              \
    }                                                    \
  } while (0)

// The same inside an asio::awaitable coroutine.
#define ASTER_CO_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    if (auto&& _aster_st = (expr); !_aster_st.is_ok()) { \
      co_return ::aster::status_of(_aster_st);           \
    }                                                    \
  } while (0)

#define ASTER_STATUS_CONCAT_INNER_(a, b) a##b
#define ASTER_STATUS_CONCAT_(a, b) ASTER_STATUS_CONCAT_INNER_(a, b)

// `ASTER_ASSIGN_OR_RETURN(auto v, make_value());` declares or assigns `v` from a Result's
// value, or returns its status (absl's ASSIGN_OR_RETURN). `expr` is evaluated once.
#define ASTER_ASSIGN_OR_RETURN(lhs, expr) \
  ASTER_ASSIGN_OR_RETURN_IMPL_(ASTER_STATUS_CONCAT_(_aster_r_, __LINE__), lhs, expr, return)
// The same inside an asio::awaitable coroutine: `ASTER_CO_ASSIGN_OR_RETURN(auto c, co_await f());`
#define ASTER_CO_ASSIGN_OR_RETURN(lhs, expr) \
  ASTER_ASSIGN_OR_RETURN_IMPL_(ASTER_STATUS_CONCAT_(_aster_r_, __LINE__), lhs, expr, co_return)

#define ASTER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                      \
  if (!tmp.is_ok()) ret std::move(tmp).take_status();     \
  lhs = std::move(tmp).value()
