// The rate table: what each resource a session uses costs, per second or per token. Defaults
// are Modal's public per-second list prices for sandboxes and Anthropic's list token prices;
// the local backend's compute is free unless the user prices it (a shared lab box, say). Any
// rate can be overridden in $PARHELIA_HOME/config.json:
//
//   {"rates": {"modal.gpu.H100": 0.0011, "local.gpu": 0.0004, "tokens.sonnet.input": 3.0}}
//
// Compute rates are dollars per unit-second; token rates dollars per million tokens.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/money.h"
#include "core/base/result.h"
#include "core/session/gpu_request.h"

namespace parhelia::core {

enum class ChargeKind { compute, tokens, storage };
std::string_view to_string(ChargeKind kind);

struct Rate {
  std::string key;     // "modal.gpu.H100", "local.cpu", "tokens.sonnet.output"
  std::string unit;    // "GPU-second", "core-second", "GiB-second", "token"
  Picos price = 0;     // per unit
  std::string source;  // "default", or the config file that set it
};

// Token prices are listed, configured and shown per million tokens, as Anthropic lists them;
// every other price per its unit.
constexpr std::int64_t kTokensPerListedPrice = 1'000'000;
// The unit a rate's price is listed per: "million tokens", or its own unit.
std::string listed_unit(const Rate& rate);
// Its price per that unit.
Picos listed_price(const Rate& rate);

// The four kinds of Claude API tokens, as modelUsage names them.
enum class TokenKind { input, output, cache_read, cache_write };
std::string_view to_string(TokenKind kind);
const std::vector<TokenKind>& all_token_kinds();

class RateTable {
 public:
  static RateTable defaults();
  // The defaults with the overrides of `home`/config.json, if it exists; a config that cannot
  // be read, or names a rate that does not exist, is an error that says which.
  static Result<RateTable> load(const std::filesystem::path& home);

  const std::vector<Rate>& all() const { return rates_; }
  // The rate of `key`; a key that is not in the table is a bug, priced as an error.
  Result<Rate> find(std::string_view key) const;
  // The price family of a Claude model id ("claude-sonnet-4-5-20250929" -> "sonnet"); models
  // no family knows are priced as "other", which defaults to the dearest list price.
  static std::string token_family(std::string_view model);
  Rate token_rate(std::string_view model, TokenKind kind) const;

 private:
  std::vector<Rate> rates_;
};

// One resource a running session is charged for by the second.
struct MeteredResource {
  std::string resource;  // the ledger's name for it: "gpu:H100", "cpu", "memory"
  std::string unit;
  std::int64_t per_second_milli = 0;  // units in use, in thousandths (2 GPUs: 2000)
  Picos price = 0;                    // per unit-second
  std::string rate_key;
};

// What a session asks of its backend, for pricing.
struct ComputeRequest {
  std::string backend = "local";
  GpuRequest gpu;
  std::int64_t cpu_milli = 0;         // cores, in thousandths
  std::int64_t memory_milli_gib = 0;  // GiB, in thousandths
};

// The priced resources of a request (free ones are left out); a Modal GPU must name its type.
Result<std::vector<MeteredResource>> metered_resources(const RateTable& rates,
                                                       const ComputeRequest& request);

}  // namespace parhelia::core
