// Embedding hooks: an application declares hook points of its own, users attach programs to them (here one
// on the JIT and one on the interpreter), and the application fires them with its context on every event.
// A hook with nothing attached costs one branch, so hook points can stay in hot paths.
#include <cstdio>
#include <memory>
#include <ubee/hook.hpp>
#include <ubee/jit.hpp>
#include <ubee/ubee.hpp>

namespace {

// The context the hook hands its programs (r1 points at it, r2 = its size).
struct Request {
  std::uint32_t path_length;
  std::uint32_t status;
  std::uint64_t latency_us;
  std::uint64_t slow_requests;  // written by a program
};

// Counts requests slower than 500 us; returns 1 for those.
constexpr const char* kSlowCounter = R"(
    r0 = 0
    r2 = *(u64 *)(r1 + 8)            ; latency
    if r2 <= 500 goto done
    r3 = *(u64 *)(r1 + 16)
    r3 += 1
    *(u64 *)(r1 + 16) = r3
    r0 = 1
done:
    exit
)";

// Flags server errors: returns the status when it is 500 or above, else 0.
constexpr const char* kErrorFilter = R"(
    r0 = *(u32 *)(r1 + 4)
    if r0 >= 500 goto done
    r0 = 0
done:
    exit
)";

ubee::HookPoint<Request> on_request{"on_request"};

void handle(Request& request) {
  // ... the application's work ...
  on_request.fire_each(&request, [&](const ubee::Result<std::uint64_t>& r0) {
    if (r0 && *r0 != 0) std::printf("  a program flagged status %u, %llu us: r0 = %llu\n", request.status,
                                    static_cast<unsigned long long>(request.latency_us),
                                    static_cast<unsigned long long>(*r0));
  });
}

}  // namespace

int main() {
  const ubee::HelperRegistry helpers;
  auto slow = ubee::assemble(kSlowCounter);
  auto errors = ubee::assemble(kErrorFilter);
  if (!slow || !errors) return 1;
  auto jit = ubee::JitProgram::compile(*slow, helpers);
  auto vm = ubee::Interpreter::load(*errors, helpers);
  if (!jit || !vm) return 1;

  Request request{12, 200, 120, 0};
  handle(request);  // nothing attached yet: one branch
  std::printf("attached: %zu\n", on_request.attached());

  const ubee::HookId slow_id = on_request.attach(*jit);
  on_request.attach(*vm);
  std::printf("attached: %zu\n", on_request.attached());
  for (const Request& r : {Request{12, 200, 120, 0}, Request{30, 503, 900, 0}, Request{8, 200, 700, 0}}) {
    request.status = r.status;
    request.latency_us = r.latency_us;
    handle(request);
  }
  on_request.detach(slow_id);
  std::printf("slow requests: %llu, attached: %zu\n", static_cast<unsigned long long>(request.slow_requests),
              on_request.attached());
  return request.slow_requests == 2 ? 0 : 1;
}
