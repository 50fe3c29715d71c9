// The stand-in Anthropic API itself, driven by the real Claude Code with no Parhelia between: the
// harness every real-Claude-Code test stands on must answer as the API does.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/base/environment.h"
#include "core/base/process.h"
#include "tests/support/anthropic_api_standin.h"
#include "tests/support/temp_dir.h"

using namespace parhelia;
using namespace parhelia::testing;
using nlohmann::json;

namespace {

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    json value = json::parse(line, nullptr, false);
    if (!value.is_discarded()) lines.push_back(std::move(value));
  }
  return lines;
}

}  // namespace

TEST_CASE("The stand-in API drives the real Claude Code through a tool call to an answer",
          "[real-claude]") {
  const std::string claude = real_claude_binary();
  if (claude.empty()) {
    WARN("SKIPPED: Claude Code is not installed; run scripts/setup --test-clients");
    return;
  }
  AnthropicApiStandIn api(in_turns(
      {tool_call("Bash", {{"command", "echo standin > made.txt"}, {"description", "Write a file"}},
                 4000),
       final_text("Wrote made.txt.")}));
  TempDir home, work;
  core::ProcessSpec spec;
  spec.argv = {claude,
               "-p",
               "write a file",
               "--output-format",
               "stream-json",
               "--verbose",
               "--dangerously-skip-permissions"};
  spec.environment = core::environment_with({"HOME=" + home.path().string(),
                                             "ANTHROPIC_BASE_URL=" + api.base_url(),
                                             "ANTHROPIC_API_KEY=sk-ant-standin", "IS_SANDBOX=1"});
  spec.working_directory = work.path().string();
  auto run = core::run_captured(spec, std::chrono::seconds(90));
  REQUIRE(run);
  INFO(run->err);
  REQUIRE(run->exit_status == 0);
  CHECK(read_file(work.path() / "made.txt") == "standin\n");

  const auto lines = json_lines(run->out);
  REQUIRE(!lines.empty());
  const json& result = lines.back();
  CHECK(result.value("type", "") == "result");
  CHECK(result.value("result", "") == "Wrote made.txt.");

  // Every request was answered whole, the tool call with the output tokens the script gave,
  // and the result's modelUsage adds up to what the stand-in reported.
  const auto exchanges = api.exchanges();
  std::int64_t input = 0, output = 0, main_calls = 0;
  for (const auto& e : exchanges) {
    CHECK(e.finished);
    CHECK(e.headers.at("x-api-key") == "sk-ant-standin");
    input += e.reported.input;
    output += e.reported.output;
    if (!e.side_call) ++main_calls;
  }
  CHECK(main_calls == 2);
  std::int64_t usage_input = 0, usage_output = 0;
  for (const auto& [model, usage] : result["modelUsage"].items()) {
    usage_input += usage.value("inputTokens", 0);
    usage_output += usage.value("outputTokens", 0);
  }
  CHECK(usage_input == input);
  CHECK(usage_output == output);
  CHECK(output >= 4000);
}
