// What the agent's pieces call on the agent itself.
#pragma once

namespace ubee::agent {

// A dlopen() succeeded: attach the uprobes that waited for their library.
void after_dlopen();

}  // namespace ubee::agent
