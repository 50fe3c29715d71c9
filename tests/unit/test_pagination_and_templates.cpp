#include <catch2/catch.hpp>

#include "server/pagination.h"
#include "server/uri_template.h"

using namespace parhelia::server;

TEST_CASE("pagination walks every item once with opaque cursors", "[unit][pagination]") {
  std::vector<std::size_t> seen;
  json params = json::object();
  for (int pages = 0; pages < 10; ++pages) {
    auto page = std::get<Page>(paginate(params, 7, 3));
    for (auto i = page.begin; i < page.end; ++i) seen.push_back(i);
    if (!page.next_cursor) break;
    params["cursor"] = *page.next_cursor;
  }
  CHECK(seen == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
}

TEST_CASE("pagination refuses a cursor it did not make", "[unit][pagination]") {
  for (const json& cursor :
       {json("garbage"), json("page:99"), json("page:1x"), json(3), json("page:")}) {
    INFO(cursor.dump());
    const auto page = paginate({{"cursor", cursor}}, 7, 3);
    REQUIRE(std::holds_alternative<RpcError>(page));
    CHECK(std::get<RpcError>(page).code == rpc_code::invalid_params);
  }
}

TEST_CASE("URI templates match, expand and refuse", "[unit][uri]") {
  const UriTemplate log("parhelia://sessions/{id}/log");
  CHECK(log.match("parhelia://sessions/task-0123abcd/log")->at("id") == "task-0123abcd");
  CHECK_FALSE(log.match("parhelia://sessions//log"));
  CHECK_FALSE(log.match("parhelia://sessions/a/b/log"));
  CHECK_FALSE(log.match("parhelia://sessions/task-1/logs"));
  CHECK(log.expand({{"id", "task-1"}}) == "parhelia://sessions/task-1/log");
  const UriTemplate skill("parhelia://skills/{name}");
  CHECK(skill.match("parhelia://skills/troubleshooting")->at("name") == "troubleshooting");
  CHECK_FALSE(skill.match("parhelia://skills/a/b"));
  CHECK_THROWS(UriTemplate("parhelia://x/{"));
}
