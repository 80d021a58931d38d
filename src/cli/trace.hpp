// `ubee trace OBJ [--program NAME ...] -- CMD ARGS...`: runs CMD with libubee-agent.so preloaded, hands the
// agent the object's programs and maps (src/agent/protocol.hpp), prints what the programs report while CMD
// runs, and dumps the maps when it ends.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ubee/object.hpp"

namespace ubee::cli {

// Registers the `trace` subcommand (trace_command.cpp).
void add_trace_command(CLI::App& app);

struct TraceArgs {
  std::string object;
  std::vector<std::string> programs;  // --program: only these (default: every program with a hook section)
  std::string format;                 // --format: records as text (trace_format.hpp)
  std::string output;                 // -o: ubee's output there instead of standard output
  bool json = false;
  bool unverified = false;
  int pid = 0;                        // --pid: inject the agent into this running process instead
  std::vector<std::string> command;
};

// Where ubee's own output goes (the traced command keeps its standard output and error).
class TraceOutput {
 public:
  TraceOutput(std::FILE* out, bool json) : out_(out), json_(json) {}
  [[nodiscard]] bool json() const { return json_; }
  // One event: in text, `text` as a line; in JSON, `fields` as one JSON object per line.
  void event(const std::string& text, const std::string& json_line);
  // Text output as it is (ignored in JSON).
  void text(const std::string& text) {
    if (!json_) std::fputs(text.c_str(), out_);
  }
  void flush() { std::fflush(out_); }

 private:
  std::FILE* out_;
  bool json_;
};

// A program to hand to the agent: its SEC() name with uprobe paths made absolute, whether it is attached and
// whether verify() accepted it.
struct TraceProgram {
  std::string name;
  std::string target;
  bool selected = false;
  bool verified = false;
};

// Selects and verifies the programs (trace_programs.cpp); fails with the verifier's rejection.
std::vector<TraceProgram> prepare_programs(const Object& object, const TraceArgs& args);

// The traced command and the agents in it (trace_session.cpp).
class TraceSession {
 public:
  TraceSession(const Object& object, std::vector<TraceProgram> programs, const TraceArgs& args, TraceOutput& out);
  ~TraceSession();
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  // Starts the command (or injects the agent into --pid) and waits until its agent attached the programs;
  // fails otherwise, killing a command it started.
  void start();
  // Handles agents' messages for up to `timeout_ms`; false once the command has exited.
  bool step(int timeout_ms);
  // Reads the messages still queued (after the command exited).
  void drain();
  // The command's exit status as a shell reports it (128 + signal when killed); 0 for --pid.
  [[nodiscard]] int exit_code() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Ring buffer and perf buffer records, printed as they come (trace_buffers.cpp).
class TraceBuffers {
 public:
  TraceBuffers(const Object& object, const std::string& format, TraceOutput& out);
  ~TraceBuffers();
  TraceBuffers(const TraceBuffers&) = delete;
  TraceBuffers& operator=(const TraceBuffers&) = delete;
  void consume();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ubee::cli
