// Embedding ubee: an application declares a context and a helper, loads a program written against them and
// runs it per event. Here the "events" are orders and the program decides a discount.
#include <cstdio>
#include <ubee/ubee.hpp>

namespace {

// The context the application hands the program (r1 points at it).
struct Order {
  std::uint32_t items;
  std::uint32_t unit_price_cents;
  std::uint32_t customer_tier;  // 0 = new, 1 = regular, 2 = gold
  std::uint32_t discount_cents; // written by the program
};

// A helper the application offers programs, under an ID above the Linux range.
constexpr std::uint32_t kTierPercentHelper = 10'000;
std::uint64_t tier_percent(std::uint64_t tier, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                           ubee::RunContext&) {
  static constexpr std::uint64_t percent[] = {0, 5, 15};
  return tier < 3 ? percent[tier] : 0;
}

constexpr const char* kPolicy = R"(
    r6 = r1                          ; keep the context: helper calls clobber r1-r5
    r7 = *(u32 *)(r6 + 0)            ; items
    r8 = *(u32 *)(r6 + 4)            ; unit price
    r8 *= r7                         ; total
    r1 = *(u32 *)(r6 + 8)            ; tier
    call 10000                       ; tier_percent(tier)
    if r7 < 10 goto no_bulk
    r0 += 5                          ; bulk orders get 5 points more
no_bulk:
    r8 *= r0
    r8 /= 100
    *(u32 *)(r6 + 12) = r8           ; discount in cents
    r0 = r8
    exit
)";

}  // namespace

int main() {
  ubee::HelperRegistry helpers;
  if (auto r = helpers.add(kTierPercentHelper, {"tier_percent", tier_percent, ubee::RetType::integer, {ubee::ArgType::scalar}}); !r) {
    std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
    return 1;
  }
  auto program = ubee::assemble(kPolicy);
  if (!program) {
    std::fprintf(stderr, "policy: %s\n", program.error().to_string().c_str());
    return 1;
  }
  auto vm = ubee::Interpreter::load(*program, helpers);
  if (!vm) {
    std::fprintf(stderr, "policy: %s\n", vm.error().to_string().c_str());
    return 1;
  }
  Order orders[] = {{2, 1000, 0, 0}, {3, 2000, 1, 0}, {12, 500, 2, 0}};
  const std::uint32_t expected[] = {0, 300, 1200};
  int wrong = 0;
  for (std::size_t i = 0; i < std::size(orders); ++i) {
    auto r0 = vm->run(&orders[i], sizeof orders[i]);
    if (!r0) {
      std::fprintf(stderr, "order %zu: %s\n", i, r0.error().to_string().c_str());
      return 1;
    }
    std::printf("order %zu: %u x %u cents, tier %u -> discount %u cents\n", i, orders[i].items,
                orders[i].unit_price_cents, orders[i].customer_tier, orders[i].discount_cents);
    wrong += orders[i].discount_cents != expected[i];
  }
  return wrong == 0 ? 0 : 1;
}
