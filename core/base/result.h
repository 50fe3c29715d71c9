// Expected failures as values: an operation returns its result or an Error that says what
// happened and what to do next. Exceptions are kept for bugs and truly exceptional I/O.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <utility>
#include <variant>

namespace parhelia::core {

enum class ErrorCode { invalid_input, not_found, unavailable, conflict, io_failure, internal };

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;  // what happened, one sentence
  std::string hint;     // what to do about it; may be empty

  // The message and the hint as one line for a person or a model.
  std::string sentence() const { return hint.empty() ? message : message + " " + hint; }
};

// Bad input from the caller: what is wrong, and what to pass instead.
inline Error invalid(std::string message, std::string hint) {
  return Error{ErrorCode::invalid_input, std::move(message), std::move(hint)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(state_); }
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> state_;
};

// For operations that return nothing but may fail.
struct Done {};

// For results whose failure changes nothing for the caller (another process recorded the
// same outcome first, say) but must not pass unseen.
template <class T>
void warn_on_error(const Result<T>& result, const char* what) {
  if (!result) spdlog::warn("{}: {}", what, result.error().sentence());
}

}  // namespace parhelia::core
