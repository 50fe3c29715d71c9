#include "transport/bounded_json.h"

#include <optional>
#include <vector>

namespace parhelia::transport {
namespace {

using json = nlohmann::json;

// nlohmann's SAX interface, building the value as nlohmann's own DOM parser does, except that
// it stops at the first container beyond the cap (so a 100,000-level line costs 64 levels of
// work, not a stack overflow later) and keeps a failure instead of throwing one.
class BoundedDomBuilder {
 public:
  explicit BoundedDomBuilder(std::size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return put(nullptr) != nullptr; }
  bool boolean(bool value) { return put(value) != nullptr; }
  bool number_integer(json::number_integer_t value) { return put(value) != nullptr; }
  bool number_unsigned(json::number_unsigned_t value) { return put(value) != nullptr; }
  bool number_float(json::number_float_t value, const json::string_t&) {
    return put(value) != nullptr;
  }
  bool string(json::string_t& value) { return put(std::move(value)) != nullptr; }
  bool binary(json::binary_t&) { return false; }  // JSON text has no binary values
  bool start_object(std::size_t) { return open(json::object()); }
  bool key(json::string_t& key) {
    key_ = std::move(key);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() { return close(); }

  template <class Exception>
  bool parse_error(std::size_t byte, const std::string&, const Exception& error) {
    JsonFailure failure = JsonFailure::syntax;
    if (error.id == 406) {
      failure = JsonFailure::number_range;  // out_of_range.406: the number overflows a double
    } else if (std::string_view(error.what()).find("UTF-8") != std::string_view::npos) {
      failure = JsonFailure::invalid_utf8;
    }
    error_ = JsonParseError{failure, byte};
    return false;
  }

  json take_root() { return std::move(root_); }
  const std::optional<JsonParseError>& error() const { return error_; }

 private:
  // Places a finished value where the parser is: the root, the next array element, or the
  // member named by the last key (a repeated key keeps the last value, as nlohmann does).
  json* put(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }

  bool open(json container) {
    if (open_.size() >= max_depth_) {
      error_ = JsonParseError{JsonFailure::too_deep, 0};
      return false;
    }
    open_.push_back(put(std::move(container)));
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  std::size_t max_depth_;
  json root_;
  // The containers still open, innermost last. Each lives inside its parent, which gets no
  // new member while it is open, so the pointers stay valid.
  std::vector<json*> open_;
  json::string_t key_;
  std::optional<JsonParseError> error_;
};

}  // namespace

std::string JsonParseError::describe(std::size_t max_depth) const {
  const std::string at = " (error at byte " + std::to_string(byte) + ")";
  switch (failure) {
    case JsonFailure::invalid_utf8:
      return "the line is not valid UTF-8" + at;
    case JsonFailure::number_range:
      return "the line holds a number too large for a double" + at;
    case JsonFailure::too_deep:
      return "the message nests arrays and objects more than " + std::to_string(max_depth) +
             " levels deep";
    case JsonFailure::syntax:
      break;
  }
  return "the line is not valid JSON" + at;
}

std::variant<nlohmann::json, JsonParseError> parse_bounded_json(std::string_view text,
                                                                std::size_t max_depth) {
  BoundedDomBuilder builder(max_depth);
  const bool parsed = json::sax_parse(text.begin(), text.end(), &builder);
  if (parsed && !builder.error()) return builder.take_root();
  return builder.error().value_or(JsonParseError{});
}

}  // namespace parhelia::transport
