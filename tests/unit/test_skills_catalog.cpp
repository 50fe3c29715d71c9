#include <catch2/catch.hpp>

#include "skills/catalog.h"

using namespace parhelia::skills;

TEST_CASE("front matter gives name and description", "[unit][skills]") {
  const auto front =
      parse_front_matter("---\nname: x-y\ndescription: \"Does x: and y\"\n---\n# body\n");
  REQUIRE(front);
  CHECK(front->name == "x-y");
  CHECK(front->description == "Does x: and y");
  CHECK_FALSE(parse_front_matter("# no front matter\n"));
  CHECK_FALSE(parse_front_matter("---\nname: x\n---\n"));  // a description is required
}

TEST_CASE("every skill the product sketch names is embedded with its front matter",
          "[unit][skills]") {
  const std::vector<std::string> expected = {
      "budget-management",  "checkpoint-resume", "discover-parhelia", "gpu-configuration",
      "interactive-attach", "modal-deployment",  "task-dispatch",     "troubleshooting"};
  CHECK(skill_names() == expected);
  for (const auto& skill : all_skills()) {
    INFO(skill.name);
    CHECK(skill.description.size() > 40);  // says when to use it
    CHECK(skill.markdown.find("## Available now") != std::string_view::npos);
  }
}
