// The processes a supervisor is answerable for: every descendant, including the ones a session
// detached with setsid or a double fork. The supervisor is made a child subreaper, so such
// orphans are reparented to it rather than to init, and at the end it ends them all.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <vector>

namespace parhelia::core {

// Makes orphaned descendants of this process its children (PR_SET_CHILD_SUBREAPER); false
// where the kernel refuses.
bool become_subreaper();

// The live processes whose parent chain leads to `ancestor` (not `ancestor` itself), read from
// /proc.
std::vector<pid_t> descendants_of(pid_t ancestor);

// Reaps the children of this process that have exited, except those in `keep` (children that
// are waited for elsewhere).
void reap_exited_children(const std::vector<pid_t>& keep = {});

// Ends every descendant of this process but those in `keep` (and theirs) that has not ended by
// itself a moment later: SIGTERM, then SIGKILL to what is left after `grace`, repeated until
// none is left or `give_up` has passed; each is reaped. Returns how many it signalled.
std::size_t end_descendants(std::chrono::milliseconds grace, std::chrono::milliseconds give_up,
                            const std::vector<pid_t>& keep = {});

}  // namespace parhelia::core
