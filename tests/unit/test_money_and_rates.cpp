#include <catch2/catch.hpp>
#include <fstream>

#include "core/budget/budget.h"
#include "core/budget/estimate.h"
#include "core/base/money.h"
#include "core/budget/rates.h"
#include "tests/support/temp_dir.h"

using namespace parhelia::core;
using parhelia::testing::TempDir;

TEST_CASE("money is exact: products are rounded once, half up, to the micro-dollar",
          "[unit][budget]") {
  CHECK(picos_from_dollars(0.00003942) == 39'420'000);
  CHECK(picos_from_dollars(0.001097) == 1'097'000'000);
  CHECK(micros_from_dollars(12.34) == 12'340'000);
  CHECK_FALSE(micros_from_dollars(-1));
  CHECK_FALSE(micros_from_dollars(1e12));
  // 1 H100-second: $0.001097 = 1097 micro-dollars.
  CHECK(cost_of(1000, 1'097'000'000) == 1097);
  // A sonnet cache-read token is $0.0000003: 0.3 micro-dollars, which rounds to 0 alone...
  CHECK(cost_of(1000, 300'000) == 0);
  // ...and exactly 30,000 micro-dollars for 100,000 of them.
  CHECK(cost_of(100'000'000, 300'000) == 30'000);
  CHECK(cost_of(1000, 500'000) == 1);  // half a micro-dollar rounds up
  CHECK(cost_of(1000, 499'999) == 0);
  // A day of 8 B200s does not overflow.
  CHECK(cost_of(8LL * 86400 * 1000, 1'736'000'000) == 1'199'923'200);
  CHECK(format_usd(12'345'678) == "$12.35");
  CHECK(format_usd(0) == "$0.00");
  CHECK(format_usd(1097) == "$0.001097");
  CHECK(format_usd(-2'500'000) == "-$2.50");
  CHECK(format_price(1'097'000'000) == "$0.001097");
  CHECK(format_price(3'000'000'000'000) == "$3.00");
}

TEST_CASE("the rate table holds Modal's and Anthropic's list prices, overridable in config",
          "[unit][budget]") {
  const RateTable defaults = RateTable::defaults();
  CHECK(defaults.find("modal.gpu.H100")->price == 1'097'000'000);
  CHECK(defaults.find("modal.gpu.B200")->price == 1'736'000'000);
  CHECK(defaults.find("modal.cpu")->price == 39'420'000);
  CHECK(defaults.find("modal.memory")->price == 6'720'000);
  CHECK(defaults.find("local.gpu")->price == 0);
  CHECK(defaults.find("tokens.sonnet.input")->price == 3'000'000);  // $3 per million
  CHECK(defaults.find("modal.gpu.H100")->source == "default");
  for (const char* type :
       {"T4", "L4", "A10", "L40S", "A100-40GB", "A100-80GB", "H100", "H200", "B200"}) {
    CHECK(defaults.find(std::string("modal.gpu.") + type));
  }

  CHECK(RateTable::token_family("claude-sonnet-4-5-20250929") == "sonnet");
  CHECK(RateTable::token_family("claude-opus-4-1-20250805") == "opus-4");
  CHECK(RateTable::token_family("claude-opus-4-5-20251101") == "opus");
  CHECK(RateTable::token_family("claude-haiku-4-5-20251001") == "haiku");
  CHECK(RateTable::token_family("claude-sonnet-5-5[1m]") == "sonnet-5.5");
  CHECK(RateTable::token_family("some-new-model") == "other");

  TempDir home;
  {
    std::ofstream(home.path() / "config.json")
        << R"({"rates": {"modal.gpu.H100": 0.002, "tokens.sonnet.output": 12, "local.gpu": 0.0001}})";
  }
  auto loaded = RateTable::load(home.path());
  REQUIRE(loaded);
  CHECK(loaded->find("modal.gpu.H100")->price == 2'000'000'000);
  CHECK(loaded->find("modal.gpu.H100")->source == (home.path() / "config.json").string());
  CHECK(loaded->find("tokens.sonnet.output")->price == 12'000'000);
  CHECK(loaded->find("local.gpu")->price == 100'000'000);
  CHECK(loaded->find("modal.gpu.T4")->source == "default");

  { std::ofstream(home.path() / "config.json") << R"({"rates": {"modal.gpu.X100": 1}})"; }
  auto unknown = RateTable::load(home.path());
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().sentence(), Catch::Contains("no rate 'modal.gpu.X100'") &&
                                             Catch::Contains("parhelia budget rates"));
  { std::ofstream(home.path() / "config.json") << R"({"rates": {"modal.cpu": -1}})"; }
  CHECK_FALSE(RateTable::load(home.path()));
  { std::ofstream(home.path() / "config.json") << "{not json"; }
  CHECK_FALSE(RateTable::load(home.path()));
}

TEST_CASE("an estimate is rates times resources times timeout, plus a token allowance",
          "[unit][budget]") {
  const RateTable rates = RateTable::defaults();
  BudgetSettings settings;
  CostQuestion question;
  question.compute.backend = "modal";
  question.compute.gpu = {"H100", 2};
  question.compute.cpu_milli = 2000;
  question.compute.memory_milli_gib = 4000;
  question.timeout_s = 3600;
  question.agent_task = true;
  auto estimate = estimate_cost(rates, settings, question);
  REQUIRE(estimate);
  // 2 × 0.001097 × 3600 + 2 × 0.00003942 × 3600 + 4 × 0.00000672 × 3600 = 7.898400 + 0.283824
  // + 0.096768; plus $3 of tokens for the hour.
  CHECK(estimate->compute == 7'898'400 + 283'824 + 96'768);
  CHECK(estimate->token_allowance == 3'000'000);
  CHECK(estimate->worst_case == estimate->compute + 3'000'000);
  CHECK(estimate->reserve == estimate->worst_case);
  CHECK(estimate->per_hour == estimate->compute);

  question.max_cost = 2'000'000;
  estimate = estimate_cost(rates, settings, question);
  CHECK(estimate->reserve == 2'000'000);

  // The longest timeout that fits $5 of room without a cap.
  question.max_cost.reset();
  const std::int64_t longest = longest_timeout_within(rates, settings, question, 5'000'000);
  question.timeout_s = longest;
  CHECK(estimate_cost(rates, settings, question)->reserve <= 5'000'000);
  question.timeout_s = longest + 1;
  CHECK(estimate_cost(rates, settings, question)->reserve > 5'000'000);

  question.compute.gpu = {"", 1};
  auto untyped = estimate_cost(rates, settings, question);
  REQUIRE_FALSE(untyped);
  CHECK_THAT(untyped.error().sentence(), Catch::Contains("needs a type"));
  // Locally, compute is free by default: a plain command reserves nothing.
  question.compute = {"local", {"", 1}, 2000, 4000};
  question.agent_task = false;
  CHECK(estimate_cost(rates, settings, question)->reserve == 0);
}
