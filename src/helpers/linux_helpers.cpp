#include "ubee/linux_helpers.hpp"

#include "linux_helpers_impl.hpp"

namespace ubee {

void add_linux_helpers(HelperRegistry& registry) {
  helpers::add_map_helpers(registry);
  helpers::add_task_helpers(registry);
  helpers::add_memory_helpers(registry);
  helpers::add_print_helpers(registry);
  helpers::add_output_helpers(registry);
  helpers::add_packet_helpers(registry);
}

}  // namespace ubee
