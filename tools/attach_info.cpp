// tools/attach_info.cpp: the attach_info tool: how a person steps into a session's terminal.
#include "core/service/sessions.h"
#include "core/views/attach_view.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

struct AttachInfoArgs {
  std::string session_id;
  static auto fields() {
    return std::tuple{field("session_id", &AttachInfoArgs::session_id,
                            "The running session (task-xxxxxxxx)",
                            {{"pattern", "^task-[0-9a-f]{8}$"}})};
  }
};

}  // namespace

void register_attach_info_tool(server::Toolset& toolset, core::SessionService& service) {
  toolset.tools().add<AttachInfoArgs, AttachView>(
      {.name = "attach_info",
       .title = "How to attach to a session",
       .description =
           "How a person steps into a running session's terminal to watch Claude work, type, "
           "and detach without stopping it. Gives the exact command to run in a terminal "
           "(`tmux attach` for sessions on this machine; for remote ones an `ssh -t` line that "
           "trusts only the host key pinned when the container started), a read-only variant, "
           "a command that prints the screen without a terminal, the tmux session name, how to "
           "detach (Ctrl-b d), and whether the terminal answers right now (checked within 3 "
           "s). You cannot attach yourself: tell the user the command, or use `status` with "
           "screen=true to read the screen and the session tool's send action to type. "
           "Read-only.",
       .read_only = true,
       .idempotent = true},
      [&service](const AttachInfoArgs& a, server::CallContext&) -> server::ToolOutcome<AttachView> {
        auto info = service.attach_info(a.session_id);
        if (!info) return tool_error(info.error());
        return attach_view(info.value());
      });
}

}  // namespace parhelia::tools
