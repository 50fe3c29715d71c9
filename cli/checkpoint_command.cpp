// `parhelia checkpoint create|list|restore|diff|delete` and the resume both it and `session
// resume` do.
#include <cmath>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/resource_options.h"
#include "cli/resume.h"
#include "cli/session_output.h"
#include "cli/terminal_text.h"
#include "core/views/checkpoint_view.h"
#include "core/views/cost_view.h"

namespace parhelia::cli {
namespace {

struct CheckpointOptions {
  std::string session_id;
  std::string checkpoint_id;
  std::string to_checkpoint_id;
  bool json = false;
};

int create(const CheckpointOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto created = service->create_checkpoint(o.session_id, [] { return true; });
  if (!created) return report(created.error());
  const auto view = views::view_of(created->checkpoint);
  if (o.json) {
    auto json = schema::encode(view);
    json["unchanged"] = created->unchanged;
    print_json(json);
  } else if (created->unchanged) {
    std::cout << "Nothing changed since " << views::to_line(view) << "; that checkpoint stands.\n";
  } else {
    std::cout << "Took " << views::to_line(view) << "\n";
  }
  return kExitOk;
}

int list(const CheckpointOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto list = service->checkpoints(o.session_id);
  if (!list) return report(list.error());
  std::vector<views::CheckpointView> shown;
  for (const auto& c : list.value()) shown.push_back(views::view_of(c));
  if (o.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& v : shown) items.push_back(schema::encode(v));
    print_json(items);
  } else {
    std::cout << views::to_text(shown, o.session_id) << "\n";
  }
  return kExitOk;
}

int diff(const CheckpointOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto diff = service->diff_checkpoints(o.checkpoint_id, o.to_checkpoint_id);
  if (!diff) return report(diff.error());
  auto view = views::view_of(diff.value());
  if (o.json) {
    print_json(schema::encode(view));
  } else {
    // A file name is the session's to choose: one name must not forge a line of the list.
    for (auto& file : view.files) file.path = terminal_line(file.path);
    std::cout << views::to_text(view) << "\n";
  }
  return kExitOk;
}

int remove(const CheckpointOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  if (auto deleted = service->delete_checkpoint(o.checkpoint_id); !deleted)
    return report(deleted.error());
  if (o.json) {
    print_json({{"deleted", o.checkpoint_id}});
  } else {
    std::cout << "Deleted checkpoint " << o.checkpoint_id << ".\n";
  }
  return kExitOk;
}

}  // namespace

void add_resume_options(CLI::App& command, ResumeOptions& o) {
  command.add_option("--prompt", o.prompt,
                     "What Claude Code is told next (default: carry on where it stopped)");
  o.resources.add_to(command, ResourceOptions::Use::resume);
  command.add_flag("--yes,-y", o.yes, "Agree to the estimated cost without being asked");
  command.add_flag("--json", o.json, "Print JSON");
}

int run_resume(const ResumeOptions& o) {
  core::ResumeRequest resume;
  resume.session_id = o.session_id;
  if (!o.checkpoint_id.empty()) resume.checkpoint_id = o.checkpoint_id;
  if (!o.prompt.empty()) resume.prompt = o.prompt;
  if (auto wrong = o.resources.apply(resume)) {
    print_error(*wrong);
    return kExitUsage;
  }
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto request = service->resume_request(resume);
  if (!request) return report(request.error());
  if (!cost_confirmed(*service, request.value(), o.yes)) return kExitFailed;
  auto session = service->submit(request.value());
  if (!session) return report(session.error());
  if (o.json) {
    print_session(*service, session.value(), true);
  } else {
    std::cout << "Resumed " << request->parent_id << " from checkpoint " << request->restore_from
              << " as " << session->id << ".\n"
              << "Follow it: parhelia session logs " << session->id << " -f\n";
  }
  return kExitOk;
}

void add_checkpoint_command(CLI::App& app, int& exit_code) {
  auto* checkpoint = app.add_subcommand(
      "checkpoint", "Take, list, compare, delete and restore checkpoints of sessions");
  checkpoint->require_subcommand(1);
  auto o = std::make_shared<CheckpointOptions>();
  const auto with_json = [&](CLI::App* command) {
    command->add_flag("--json", o->json, "Print JSON");
  };

  auto* create_command = checkpoint->add_subcommand(
      "create", "Take a checkpoint of a session now (its files and Claude Code's conversation)");
  create_command->add_option("session_id", o->session_id, "The session")->required();
  with_json(create_command);
  create_command->callback([o, &exit_code] { exit_code = create(*o); });

  auto* list_command =
      checkpoint->add_subcommand("list", "A session's checkpoints, newest first, with sizes");
  list_command->add_option("session_id", o->session_id, "The session")->required();
  with_json(list_command);
  list_command->callback([o, &exit_code] { exit_code = list(*o); });

  auto r = std::make_shared<ResumeOptions>();
  auto* restore_command = checkpoint->add_subcommand(
      "restore", "Start a new session from a checkpoint: files and conversation restored");
  restore_command->add_option("checkpoint_id", r->checkpoint_id, "The checkpoint")->required();
  add_resume_options(*restore_command, *r);
  restore_command->callback([r, &exit_code] { exit_code = run_resume(*r); });

  auto* diff_command =
      checkpoint->add_subcommand("diff", "The files that differ between two checkpoints");
  diff_command->add_option("from", o->checkpoint_id, "The earlier checkpoint")->required();
  diff_command->add_option("to", o->to_checkpoint_id, "The later checkpoint")->required();
  with_json(diff_command);
  diff_command->callback([o, &exit_code] { exit_code = diff(*o); });

  auto* delete_command = checkpoint->add_subcommand("delete", "Delete a checkpoint");
  delete_command->add_option("checkpoint_id", o->checkpoint_id, "The checkpoint")->required();
  with_json(delete_command);
  delete_command->callback([o, &exit_code] { exit_code = remove(*o); });
}

}  // namespace parhelia::cli
