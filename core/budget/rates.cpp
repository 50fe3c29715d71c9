#include "core/budget/rates.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "core/base/config_file.h"

namespace parhelia::core {
namespace {

// Modal's public per-second list prices for sandboxes (modal.com/pricing).
struct GpuPrice {
  const char* type;
  double dollars_per_second;
};
constexpr std::array kModalGpus = {
    GpuPrice{"T4", 0.000164},   GpuPrice{"L4", 0.000222},        GpuPrice{"A10", 0.000306},
    GpuPrice{"L40S", 0.000542}, GpuPrice{"A100-40GB", 0.000583}, GpuPrice{"A100-80GB", 0.000694},
    GpuPrice{"H100", 0.001097}, GpuPrice{"H200", 0.001261},      GpuPrice{"B200", 0.001736}};
constexpr double kModalCorePerSecond = 0.00003942;
constexpr double kModalGibPerSecond = 0.00000672;

// Anthropic's list prices in dollars per million tokens (platform.claude.com pricing; cache
// writes at the 5-minute rate Claude Code uses). A model id is priced by the family with the
// longest matching prefix.
struct TokenFamily {
  const char* name;
  std::array<const char*, 5> prefixes;
  double input, output, cache_read, cache_write;
};
constexpr std::array kTokenFamilies = {
    TokenFamily{"fable-5.1", {"claude-fable-5-1", "claude-mythos-5-1"}, 10, 50, 0.25, 12.5},
    TokenFamily{"fable-5", {"claude-fable-5", "claude-mythos-5"}, 10, 50, 1.0, 12.5},
    TokenFamily{"opus-5.5", {"claude-opus-5-5"}, 4, 20, 0.20, 5},
    TokenFamily{"opus",
                {"claude-opus-5", "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7",
                 "claude-opus-4-8"},
                5,
                25,
                0.50,
                6.25},
    TokenFamily{"opus-4", {"claude-opus-4", "claude-3-opus"}, 15, 75, 1.50, 18.75},
    TokenFamily{"sonnet-5.5", {"claude-sonnet-5-5"}, 2, 10, 0.10, 2.5},
    TokenFamily{"sonnet-5", {"claude-sonnet-5"}, 2, 10, 0.20, 2.5},
    TokenFamily{
        "sonnet", {"claude-sonnet-4", "claude-3-7-sonnet", "claude-3-5-sonnet"}, 3, 15, 0.30, 3.75},
    TokenFamily{"haiku-5.5", {"claude-haiku-5-5"}, 0.10, 0.50, 0.01, 0.125},
    TokenFamily{"haiku", {"claude-haiku-4-5"}, 1, 5, 0.10, 1.25},
    TokenFamily{"haiku-3.5", {"claude-3-5-haiku"}, 0.80, 4, 0.08, 1},
    TokenFamily{"haiku-3", {"claude-3-haiku"}, 0.25, 1.25, 0.03, 0.30},
    // Unknown models: the dearest list price, so a new model is never under-counted.
    TokenFamily{"other", {}, 15, 75, 1.50, 18.75},
};

Picos picos(double dollars) {
  return picos_from_dollars(dollars).value_or(0);
}

std::string rate_key_of_gpu(const std::string& backend, const std::string& type) {
  if (backend == "local") return "local.gpu";
  if (type == "A10G") return "modal.gpu.A10";
  if (type == "A100") return "modal.gpu.A100-40GB";  // Modal's plain A100 is the 40 GB one
  return "modal.gpu." + type;
}

Error rates_file_error(const std::filesystem::path& file, const std::string& what) {
  return Error{ErrorCode::invalid_input, file.string() + ": " + what,
               "Fix or remove that entry; `parhelia budget rates` lists every rate by name."};
}

}  // namespace

std::string_view to_string(ChargeKind kind) {
  switch (kind) {
    case ChargeKind::compute:
      return "compute";
    case ChargeKind::tokens:
      return "tokens";
    case ChargeKind::storage:
      return "storage";
  }
  return "compute";
}

std::string_view to_string(TokenKind kind) {
  switch (kind) {
    case TokenKind::input:
      return "input";
    case TokenKind::output:
      return "output";
    case TokenKind::cache_read:
      return "cache_read";
    case TokenKind::cache_write:
      return "cache_write";
  }
  return "input";
}

const std::vector<TokenKind>& all_token_kinds() {
  static const std::vector<TokenKind> kinds = {TokenKind::input, TokenKind::output,
                                               TokenKind::cache_read, TokenKind::cache_write};
  return kinds;
}

RateTable RateTable::defaults() {
  RateTable table;
  auto add = [&](std::string key, std::string unit, double dollars) {
    table.rates_.push_back({std::move(key), std::move(unit), picos(dollars), "default"});
  };
  for (const auto& gpu : kModalGpus)
    add(std::string("modal.gpu.") + gpu.type, "GPU-second", gpu.dollars_per_second);
  add("modal.cpu", "core-second", kModalCorePerSecond);
  add("modal.memory", "GiB-second", kModalGibPerSecond);
  add("local.gpu", "GPU-second", 0);
  add("local.cpu", "core-second", 0);
  add("local.memory", "GiB-second", 0);
  for (const auto& family : kTokenFamilies) {
    const std::string prefix = std::string("tokens.") + family.name + ".";
    add(prefix + "input", "token", family.input / 1e6);
    add(prefix + "output", "token", family.output / 1e6);
    add(prefix + "cache_read", "token", family.cache_read / 1e6);
    add(prefix + "cache_write", "token", family.cache_write / 1e6);
  }
  return table;
}

Result<RateTable> RateTable::load(const std::filesystem::path& home) {
  RateTable table = defaults();
  auto section = config_section(home, "rates");
  if (!section) return section.error();
  if (!section.value()) return table;  // no rates configured: the defaults
  const auto file = config_file(home);
  for (const auto& [key, value] : section.value()->items()) {
    // A plain name for it: clang before 16 cannot capture a structured binding (the fuzz
    // build is clang's).
    const std::string& name = key;
    auto rate = std::find_if(table.rates_.begin(), table.rates_.end(),
                             [&name](const Rate& r) { return r.key == name; });
    if (rate == table.rates_.end())
      return rates_file_error(file, "there is no rate '" + key + "'.");
    const bool per_token = rate->unit == "token";
    std::optional<Picos> price;
    if (value.is_number())
      price = picos_from_dollars(value.get<double>() /
                                 static_cast<double>(per_token ? kTokensPerListedPrice : 1));
    if (!price) {
      return rates_file_error(file, "the rate '" + key + "' must be a number of dollars per " +
                                        listed_unit(*rate) + ", 0 or more.");
    }
    rate->price = *price;
    rate->source = file.string();
  }
  return table;
}

Result<Rate> RateTable::find(std::string_view key) const {
  for (const auto& rate : rates_) {
    if (rate.key == key) return rate;
  }
  return Error{ErrorCode::internal, "There is no rate '" + std::string(key) + "'.", ""};
}

std::string RateTable::token_family(std::string_view model) {
  std::string best = "other";
  std::size_t best_length = 0;
  for (const auto& family : kTokenFamilies) {
    for (const char* prefix : family.prefixes) {
      if (prefix == nullptr) continue;
      const std::string_view p(prefix);
      if (p.size() > best_length && model.substr(0, p.size()) == p) {
        best = family.name;
        best_length = p.size();
      }
    }
  }
  return best;
}

Rate RateTable::token_rate(std::string_view model, TokenKind kind) const {
  const std::string key =
      "tokens." + token_family(model) + "." + std::string(core::to_string(kind));
  return find(key).value_or(Rate{key, "token", 0, "missing"});
}

Result<std::vector<MeteredResource>> metered_resources(const RateTable& rates,
                                                       const ComputeRequest& request) {
  if (request.backend != "local" && request.backend != "modal") {
    return Error{ErrorCode::invalid_input, "There is no backend '" + request.backend + "'.",
                 "Use local or modal."};
  }
  std::vector<MeteredResource> resources;
  auto add = [&](std::string resource, const std::string& key, std::int64_t per_second_milli) {
    if (per_second_milli <= 0) return Result<Done>(Done{});
    auto rate = rates.find(key);
    if (!rate) return Result<Done>(rate.error());
    if (rate->price == 0) return Result<Done>(Done{});  // free: nothing to charge or reserve
    resources.push_back(
        {std::move(resource), rate->unit, per_second_milli, rate->price, rate->key});
    return Result<Done>(Done{});
  };
  if (request.gpu.count > 0) {
    if (request.backend == "modal" && request.gpu.type.empty()) {
      return Error{ErrorCode::invalid_input, "A Modal GPU needs a type.",
                   "Name one, e.g. A10G, L40S or H100:2."};
    }
    const std::string key = rate_key_of_gpu(request.backend, request.gpu.type);
    const std::string name = request.gpu.type.empty() ? "any" : request.gpu.type;
    if (auto added = add("gpu:" + name, key, request.gpu.count * 1000); !added)
      return added.error();
  }
  if (auto added = add("cpu", request.backend + ".cpu", request.cpu_milli); !added)
    return added.error();
  if (auto added = add("memory", request.backend + ".memory", request.memory_milli_gib); !added)
    return added.error();
  return resources;
}

std::string listed_unit(const Rate& rate) {
  return rate.unit == "token" ? "million tokens" : rate.unit;
}

Picos listed_price(const Rate& rate) {
  return rate.unit == "token" ? rate.price * kTokensPerListedPrice : rate.price;
}

}  // namespace parhelia::core
