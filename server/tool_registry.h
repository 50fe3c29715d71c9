// The tools this server offers. A tool is registered with typed arguments and result (see
// core/base/typed_schema.h); the registry derives both schemas, validates arguments before the
// handler runs, and shapes the answer for the negotiated protocol version.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/base/typed_schema.h"
#include "server/call_context.h"
#include "server/protocol_version.h"

namespace parhelia::server {

struct ToolSpec {
  std::string name;         // 1-128 of A-Za-z0-9_-.
  std::string title;        // for people
  std::string description;  // for the model: what it does, when to call it, what comes back
  bool read_only = false;
  bool destructive = false;
  bool idempotent = false;
  bool open_world = false;  // reaches outside this machine (a cloud backend)
};

// A resource a result points to instead of carrying it (a long log, a patch): sent as a
// resource_link content item to clients that know them.
struct ResourceLink {
  std::string uri;
  std::string name;
  std::string description;
  std::string mime_type;
};

// A result type may name such resources through `std::vector<ResourceLink>
// resource_links(const Result&)`, found by argument-dependent lookup.
template <class Result>
concept LinksResources = requires(const Result& r) {
  { resource_links(r) } -> std::convertible_to<std::vector<ResourceLink>>;
};

// A failure the model should read and act on: returned as a result with isError.
struct ToolError {
  std::string message;
};

template <class Result>
using ToolOutcome = std::variant<Result, ToolError>;

// A result type says how it reads as text through `std::string to_text(const Result&)`, found
// by argument-dependent lookup next to the type.
template <class Result>
concept TextRenderable = requires(const Result& r) {
  { to_text(r) } -> std::convertible_to<std::string>;
};

// A result that grows with what it reports (a page of sessions, a piece of a log) says how it
// gets smaller through `bool shrink(Result&, double keep)`, found by argument-dependent lookup:
// keep about that fraction (0 < keep < 1) of what it reports, saying where the rest is (a
// cursor, an offset); false when nothing more can go. The registry uses it to keep a result
// within what a model is shown whole, so that no limit a schema allows fails a call.
template <class Result>
concept Shrinkable = requires(Result& r, double keep) {
  { shrink(r, keep) } -> std::convertible_to<bool>;
};

// What the model reads of a result is at most this many bytes (of compact JSON for clients
// that take structuredContent, of text for the others): Claude Code hands a result of over
// 50,000 characters to the model only as a file to open, and one of over 25,000 tokens not
// at all. Bytes are never fewer than the characters they encode, and the margin leaves room
// for the alerts a result carries.
inline constexpr std::size_t kMaxModelBytes = 40'000;

struct ToolAnswer {
  json structured;   // null for errors
  std::string text;  // what a person or an older client reads
  bool is_error = false;
  std::vector<ResourceLink> links;
};

// A handler's answer as the registry holds it until it is sent: rendered, and made smaller
// while it is over what the model may be shown.
struct ToolOutput {
  std::function<ToolAnswer()> render;
  std::function<bool(double keep)> shrink;  // empty when the result cannot shrink
};

// Alerts a call's answer must carry (a budget threshold crossed, a session near its cap):
// Claude Code gives the model neither notifications/message nor, where structuredContent is
// present, the text, so anything the model must know travels in the result's `alerts`.
using AlertSource =
    std::function<std::vector<std::string>(const std::string& tool, const json& arguments)>;

class ToolRegistry {
 public:
  using Invoke = std::function<ToolOutput(const json& arguments, CallContext& context)>;
  // A tool's schemas, made when needed rather than at registration: the server answers
  // initialize before it builds tens of kilobytes of JSON. The input schema, which checks
  // every call, is kept once made; the output schema is only listed, and the server keeps the
  // text of its list, so it is made when asked and not held.
  class Schemas {
   public:
    using Make = std::function<json()>;
    Schemas(Make input, Make output)
        : make_input_(std::move(input)), make_output_(std::move(output)) {}
    // Kept once made: a call validates its arguments against it.
    const json& input() const {
      std::call_once(input_once_, [this] { input_ = make_input_(); });
      return input_;
    }
    // Made anew and not kept: tools/list describes each tool once, and keeps only its text
    // (the schemas as JSON values were a third of the idle server's heap).
    json input_for_listing() const { return make_input_(); }
    json output() const { return make_output_(); }

   private:
    Make make_input_;
    Make make_output_;
    mutable std::once_flag input_once_;
    mutable json input_;
  };
  struct Entry {
    ToolSpec spec;
    std::shared_ptr<const Schemas> schemas;
    Invoke invoke;
  };

  // Handler: ToolOutcome<Result>(const Args&, CallContext&). Registration happens before the
  // server starts reading; the registry is read-only afterwards.
  template <schema::Described Args, TextRenderable Result, class Handler>
  void add(ToolSpec spec, Handler handler) {
    Invoke invoke = [handler = std::move(handler), name = spec.name](const json& arguments,
                                                                     CallContext& context) {
      const auto failed = [](std::string message) {
        return ToolOutput{[message] { return ToolAnswer{nullptr, message, true, {}}; }, {}};
      };
      Args args{};
      if (auto problem = schema::decode(arguments, args))
        return failed("Invalid arguments for " + name + ": " + *problem + ".");
      ToolOutcome<Result> outcome = handler(args, context);
      if (auto* error = std::get_if<ToolError>(&outcome)) return failed(error->message);
      auto result = std::make_shared<Result>(std::get<Result>(std::move(outcome)));
      ToolOutput output;
      output.render = [result] {
        ToolAnswer answer{schema::encode(*result), to_text(*result), false, {}};
        if constexpr (LinksResources<Result>) answer.links = resource_links(*result);
        return answer;
      };
      if constexpr (Shrinkable<Result>)
        output.shrink = [result](double keep) { return static_cast<bool>(shrink(*result, keep)); };
      return output;
    };
    add_entry(
        {std::move(spec),
         std::make_shared<const Schemas>([] { return schema::schema_of<Args>(); },
                                         [] { return with_alerts(schema::schema_of<Result>()); }),
         std::move(invoke)});
  }

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;

  // The tools/list entry for one tool, as the given protocol version knows it.
  json describe(const Entry& entry, const ProtocolVersion& version) const;
  // Every tool described for `version`, made when asked: the server writes the pages of this
  // fixed list once and keeps their text.
  std::shared_ptr<const json> list(const ProtocolVersion& version) const;
  // `_meta` that every listed tool carries (a client's hints, e.g. to keep tools loaded).
  void set_listing_meta(json meta) { listing_meta_ = std::move(meta); }
  // Validates and runs a tools/call; an unknown tool is an RpcError, anything else a result,
  // which carries what `alerts` (may be empty) has for it.
  RpcResult call(const json& params, CallContext& context, const ProtocolVersion& version,
                 const AlertSource& alerts) const;

 private:
  void add_entry(Entry entry);
  // Every output schema names the alerts a result may carry.
  static json with_alerts(json output_schema);
  std::vector<Entry> entries_;
  json listing_meta_;
};

}  // namespace parhelia::server
