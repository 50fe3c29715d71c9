// The checkpoint tool over MCP: create, list, diff, restore (Claude Code resumed with a
// follow-up), delete, and the status of a session that can be resumed.
#include <catch2/catch.hpp>

#include "tests/support/expect.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::testing;

namespace {

json checkpoint(McpClient& client, json arguments) {
  const json result = client.call_tool("checkpoint", std::move(arguments));
  INFO(result.dump());
  REQUIRE(result["isError"] == false);
  return result["structuredContent"];
}

}  // namespace

TEST_CASE("the checkpoint tool takes, compares, restores and deletes checkpoints",
          "[e2e][checkpoints]") {
  GitWorkspace workspace;
  McpClient client({.environment = fake_agent_environment()});
  client.initialize();
  const json submitted = client.call_tool(
      "submit", {{"task", "write plan.md: step one"}, {"workspace", workspace.path().string()}});
  REQUIRE(submitted["isError"] == false);
  const std::string id = submitted["structuredContent"]["session"]["session_id"];
  CHECK(submitted["structuredContent"]["session"]["checkpoint_every_s"] == 600);
  CHECK(client.wait_for_end(id)["state"] == "succeeded");

  // A task is checkpointed at its end; asking again changes nothing.
  json listed = checkpoint(client, {{"action", "list"}, {"session_id", id}});
  REQUIRE(listed["checkpoints"].size() == 1);
  const json end = listed["checkpoints"][0];
  CHECK(end["trigger"] == "end");
  CHECK(end["changed_files"] == 1);
  const json again = checkpoint(client, {{"action", "create"}, {"session_id", id}});
  CHECK(again["unchanged"] == true);
  CHECK(again["checkpoint"]["checkpoint_id"] == end["checkpoint_id"]);

  const json status = client.call_tool("status", {{"session_id", id}})["structuredContent"];
  CHECK(status["session"]["latest_checkpoint"] == end["checkpoint_id"]);

  // Restored with a follow-up: the conversation goes on in a new session.
  const json restored = checkpoint(client, {{"action", "restore"},
                                            {"checkpoint_id", end["checkpoint_id"]},
                                            {"prompt", "write tests.md: step two"}});
  CHECK(restored["checkpoint"]["checkpoint_id"] == end["checkpoint_id"]);
  const std::string child = restored["session"]["session_id"];
  CHECK(restored["session"]["parent_id"] == id);
  const json child_end = client.wait_for_end(child);
  CHECK(child_end["state"] == "succeeded");
  CHECK(contains(child_end["final_answer"], "write tests.md: step two"));
  CHECK(child_end["claude_session_id"] == end["claude_session_id"]);

  const json child_list = checkpoint(client, {{"action", "list"}, {"session_id", child}});
  const std::string last = child_list["checkpoints"][0]["checkpoint_id"];
  const json diff = checkpoint(
      client,
      {{"action", "diff"}, {"checkpoint_id", end["checkpoint_id"]}, {"to_checkpoint_id", last}});
  REQUIRE(diff["diff"]["files"].size() == 1);
  CHECK(diff["diff"]["files"][0]["path"] == "tests.md");
  CHECK(diff["diff"]["files"][0]["change"] == "added");

  // Bad input is a tool error with what to do.
  const json missing =
      client.call_tool("checkpoint", {{"action", "diff"}, {"checkpoint_id", last}});
  CHECK(missing["isError"] == true);
  CHECK(contains(missing["content"][0]["text"], "needs to_checkpoint_id"));
  const json running_parent =
      client.call_tool("checkpoint", {{"action", "restore"}, {"session_id", "task-00000000"}});
  CHECK(running_parent["isError"] == true);
  CHECK(contains(running_parent["content"][0]["text"], "There is no session task-00000000"));

  const json deleted = checkpoint(client, {{"action", "delete"}, {"checkpoint_id", last}});
  CHECK(deleted["deleted"] == last);
  CHECK(checkpoint(client, {{"action", "list"}, {"session_id", child}})["checkpoints"].empty());
}
