// The agent's programs: the object opened on the CLI's maps and verified again here (the loader then runs
// them on the JIT), or, with --unverified, on the checked interpreter; and one entry point to run them from a
// hook.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ubee/jit.hpp"
#include "ubee/object.hpp"

namespace ubee::agent {

struct ProgramRequest {
  std::string name;
  std::string target;  // SEC() name to attach by (relative uprobe paths made absolute by the CLI)
  bool selected = false;
  bool verified = false;
};

class AgentProgram {
 public:
  AgentProgram(const ObjectProgram& object_program, std::string target)
      : object_program_(object_program), target_(std::move(target)) {}

  [[nodiscard]] const std::string& name() const { return object_program_.name(); }
  [[nodiscard]] const std::string& target() const { return target_; }
  [[nodiscard]] bpf_prog_type type() const { return object_program_.spec().type; }
  [[nodiscard]] const char* engine_name() const;

  // Runs with r1 = ctx; the cookie is what bpf_get_attach_cookie returns. Re-entry on one thread (a program
  // whose helper reaches another probe) is skipped, as the kernel skips a nested run (bpf_prog_active).
  void run(void* ctx, std::size_t size, std::uint64_t cookie) const;

  // Where a run's error goes (once per program: a faulting program would fault on every hit). Set once by
  // the agent before anything is attached.
  static inline void (*report_fault)(const std::string& message) = nullptr;

  [[nodiscard]] const ObjectProgram& object_program() const { return object_program_; }

 private:
  const ObjectProgram& object_program_;
  std::string target_;
  mutable std::atomic<bool> fault_reported_{false};
};

class Programs {
 public:
  // Opens the object from its bytes with the CLI's maps, and loads every requested program.
  static Result<std::unique_ptr<Programs>> load(const std::vector<std::uint8_t>& object_bytes, const std::string& name,
                                                const std::map<std::string, int, std::less<>>& map_fds,
                                                const std::vector<ProgramRequest>& requests, bool allow_unverified);

  [[nodiscard]] const std::vector<AgentProgram*>& selected() const { return selected_; }

 private:
  Programs() = default;
  Result<void> add(const ProgramRequest& request);

  HelperRegistry helpers_;
  std::unique_ptr<Object> object_;
  std::vector<std::unique_ptr<AgentProgram>> programs_;  // every program with an engine
  std::vector<AgentProgram*> selected_;                  // those to attach
};

}  // namespace ubee::agent
