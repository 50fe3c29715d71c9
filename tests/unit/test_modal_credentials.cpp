// Where Parhelia finds the user's Modal token: as Modal's clients do, plus Parhelia's own
// config key for the profile; and that the secret never shows in what it says.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <string>

#include "modal/credentials.h"
#include "modal/toml_profiles.h"
#include "tests/support/temp_dir.h"

using namespace parhelia;
using namespace parhelia::modal;

namespace {

struct Setup {
  testing::TempDir home;      // the user's HOME
  testing::TempDir parhelia;  // PARHELIA_HOME
  std::map<std::string, std::string> variables;

  Setup() { variables["HOME"] = home.path().string(); }
  void file(const std::string& text) { std::ofstream(home.path() / ".modal.toml") << text; }
  core::Result<ModalCredentials> find() const {
    return find_modal_credentials(parhelia.path(),
                                  [this](std::string_view name) -> std::optional<std::string> {
                                    auto found = variables.find(std::string(name));
                                    if (found == variables.end()) return std::nullopt;
                                    return found->second;
                                  });
  }
};

const char* two_profiles =
    "[personal]\n"
    "token_id = \"ak-personal\"\n"
    "token_secret = \"as-personal-secret\"\n"
    "\n"
    "[work] # the one in use\n"
    "token_id = 'ak-work'\r\n"
    "token_secret = \"as-work-secret\"\n"
    "environment = \"staging\"\n"
    "active = true\n";

}  // namespace

TEST_CASE("modal credentials: the active profile of ~/.modal.toml", "[modal-credentials]") {
  Setup setup;
  setup.file(two_profiles);
  auto found = setup.find();
  REQUIRE(found);
  CHECK(found->token_id == "ak-work");
  CHECK(found->token_secret == "as-work-secret");
  CHECK(found->environment == "staging");
  CHECK(found->profile == "work");
  CHECK(found->source == CredentialSource::config_file);
  CHECK(found->server_url == "https://api.modal.com:443");
  CHECK(found->describe().find("ak-work") != std::string::npos);
  CHECK(found->describe().find("as-work-secret") == std::string::npos);
}

TEST_CASE("modal credentials: MODAL_PROFILE, then Parhelia's modal.profile, pick the profile",
          "[modal-credentials]") {
  Setup setup;
  setup.file(two_profiles);
  std::ofstream(setup.parhelia.path() / "config.json") << R"({"modal": {"profile": "personal"}})";
  auto configured = setup.find();
  REQUIRE(configured);
  CHECK(configured->token_id == "ak-personal");
  setup.variables["MODAL_PROFILE"] = "work";
  auto chosen = setup.find();
  REQUIRE(chosen);
  CHECK(chosen->token_id == "ak-work");
}

TEST_CASE("modal credentials: the environment beats the file, MODAL_* override the profile",
          "[modal-credentials]") {
  Setup setup;
  setup.file(two_profiles);
  setup.variables["MODAL_TOKEN_ID"] = "ak-env";
  setup.variables["MODAL_TOKEN_SECRET"] = "as-env-secret";
  setup.variables["MODAL_SERVER_URL"] = "https://127.0.0.1:9";
  setup.variables["MODAL_ENVIRONMENT"] = "dev";
  auto found = setup.find();
  REQUIRE(found);
  CHECK(found->token_id == "ak-env");
  CHECK(found->source == CredentialSource::environment);
  CHECK(found->server_url == "https://127.0.0.1:9");
  CHECK(found->environment == "dev");

  setup.variables.erase("MODAL_TOKEN_SECRET");
  auto half = setup.find();
  REQUIRE_FALSE(half);
  CHECK(half.error().sentence().find("MODAL_TOKEN_SECRET is not") != std::string::npos);
}

TEST_CASE("modal credentials: MODAL_CONFIG_PATH, no file is no error, only no token",
          "[modal-credentials]") {
  Setup setup;
  setup.variables["MODAL_CONFIG_PATH"] = (setup.home.path() / "elsewhere.toml").string();
  auto none = setup.find();
  REQUIRE(none);
  CHECK_FALSE(none->complete());
  CHECK(missing_token_error(none.value()).sentence().find("modal token new") != std::string::npos);
  std::ofstream(setup.home.path() / "elsewhere.toml")
      << "[x]\ntoken_id = \"ak-x\"\ntoken_secret = \"as-x\"\nactive = true\n";
  auto found = setup.find();
  REQUIRE(found);
  CHECK(found->token_id == "ak-x");
}

TEST_CASE("modal credentials: a named profile the file lacks is named with the ones it has",
          "[modal-credentials]") {
  Setup setup;
  setup.file(two_profiles);
  setup.variables["MODAL_PROFILE"] = "missing";
  auto found = setup.find();
  REQUIRE_FALSE(found);
  CHECK(found.error().sentence().find("missing") != std::string::npos);
  CHECK(found.error().sentence().find("personal, work") != std::string::npos);
}

TEST_CASE("modal credentials: a malformed file names its line and never quotes a value",
          "[modal-credentials]") {
  Setup setup;
  setup.file("[work]\ntoken_id = \"ak-1\"\ntoken_secret = \"as-planted-secret\n");  // not closed
  auto found = setup.find();
  REQUIRE_FALSE(found);
  const std::string sentence = found.error().sentence();
  CHECK(sentence.find("line 3") != std::string::npos);
  CHECK(sentence.find(".modal.toml") != std::string::npos);
  CHECK(sentence.find("as-planted-secret") == std::string::npos);
}

TEST_CASE(
    "toml profiles: escapes, quoted names, comments, what Modal's files do not hold is refused",
    "[modal-credentials]") {
  auto parsed = parse_toml_profiles(
      "top = 1\n[\"my profile\"]\nkey = \"a\\tb\\u00e9\\\"\" # comment\nn = -42\nflag = false\n");
  REQUIRE(parsed);
  CHECK(parsed->at("my profile").at("key") == "a\tb\xc3\xa9\"");
  CHECK(parsed->at("my profile").at("n") == "-42");
  CHECK(parsed->at("my profile").at("flag") == "false");
  CHECK(parsed->count("") == 0);  // keys before a table belong to no profile
  for (const char* bad :
       {"[a.b]\n", "[[a]]\n", "[a\n", "[a]\nk = [1, 2]\n", "[a]\nk = \"\"\"x\"\"\"\n",
        "[a]\nk \"v\"\n", "[a]\nk = \"v\" extra\n", "[a]\nk = \"\\q\"\n"}) {
    INFO(bad);
    CHECK_FALSE(parse_toml_profiles(bad));
  }
}
