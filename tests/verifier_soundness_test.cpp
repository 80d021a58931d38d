// Soundness of the scalar domain: for random abstract values and random concrete members of them, every ALU
// operation and every conditional jump evaluated concretely (with the interpreter's own RFC 9669 semantics,
// src/vm/alu_ops.hpp, so the verifier is checked against exactly what the engine will execute) must land inside
// the abstract result; is_branch_taken's decisions must never be contradicted; and each refined side of a branch
// must still contain every concrete pair that goes that way. The generator builds abstract values the way
// programs do: from constants, masks, ranges, subregister ranges and earlier branch refinements.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "verifier/scalar.hpp"
#include "vm/alu_ops.hpp"

namespace ubee::test {
namespace {

using verifier::AluOp;
using verifier::BranchTaken;
using verifier::Scalar;

using u64 = std::uint64_t;
using u32 = std::uint32_t;

constexpr std::array kBranchOps{BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
                                BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET};

class Generator {
 public:
  explicit Generator(u64 seed) : rng_(seed) {}

  u64 next() { return rng_(); }
  u64 below(u64 n) { return rng_() % n; }

  // Values programs meet: small numbers, edges of the signed and unsigned domains of both widths, masks.
  u64 interesting() {
    static constexpr std::array<u64, 10> kEdges{0, 1, 0x7f, 0xff, 0x7fffffff, 0x80000000, 0xffffffff,
                                                0x100000000, 0x7fffffffffffffff, 0x8000000000000000};
    switch (below(6)) {
      case 0: return kEdges[below(kEdges.size())] + below(5) - 2;
      case 1: return below(64);
      case 2: return static_cast<u64>(-static_cast<std::int64_t>(below(300)));
      case 3: return next() >> below(64);
      case 4: return u64{1} << below(64);
      default: return next();
    }
  }

  // A delta of random magnitude, so that ranges are sometimes tight and sometimes huge.
  u64 spread() { return next() >> below(65 - 1) >> below(2); }

  // An abstract value that contains x, built from a few constraints that x satisfies, then synchronised.
  Scalar containing(u64 x) {
    if (below(8) == 0) return Scalar::constant(x);
    Scalar s;
    const int constraints = static_cast<int>(below(4));
    for (int i = 0; i < constraints; ++i) constrain(s, x);
    verifier::reg_bounds_sync(s);
    if (below(3) == 0) s = refine_by_branch(s, x);
    return s;
  }

  // Up to `n` members of `s`, always including `x`.
  std::vector<u64> members(const Scalar& s, u64 x, int n) {
    std::vector<u64> out{x};
    const std::array<u64, 6> edges{s.umin, s.umax, static_cast<u64>(s.smin), static_cast<u64>(s.smax),
                                   s.var_off.value, s.var_off.value | s.var_off.mask};
    for (int tries = 0; static_cast<int>(out.size()) < n && tries < 3 * n; ++tries) {
      const u64 candidate = below(3) == 0 ? edges[below(edges.size())] : s.var_off.value | (next() & s.var_off.mask);
      if (s.contains(candidate)) out.push_back(candidate);
    }
    return out;
  }

 private:
  static u64 sat_sub(u64 a, u64 b) { return a >= b ? a - b : 0; }
  static u64 sat_add(u64 a, u64 b) { return a + b >= a ? a + b : ~u64{0}; }

  void constrain(Scalar& s, u64 x) {
    const auto x32 = static_cast<u32>(x);
    switch (below(5)) {
      case 0: {
        const u64 mask = next() & (next() | next()) >> below(64);
        s.var_off = verifier::tnum_intersect(s.var_off, {x & ~mask, mask});
        break;
      }
      case 1:
        s.umin = std::max(s.umin, sat_sub(x, spread()));
        s.umax = std::min(s.umax, sat_add(x, spread()));
        break;
      case 2: {
        const auto sx = static_cast<std::int64_t>(x);
        const u64 down = spread(), up = spread();
        // Distances to the signed edges, in unsigned arithmetic so that nothing overflows.
        const u64 to_min = static_cast<u64>(sx) - static_cast<u64>(INT64_MIN);
        const u64 to_max = static_cast<u64>(INT64_MAX) - static_cast<u64>(sx);
        const std::int64_t lo = down > to_min ? INT64_MIN : static_cast<std::int64_t>(static_cast<u64>(sx) - down);
        const std::int64_t hi = up > to_max ? INT64_MAX : static_cast<std::int64_t>(static_cast<u64>(sx) + up);
        s.smin = std::max(s.smin, lo);
        s.smax = std::min(s.smax, hi);
        break;
      }
      case 3:
        s.u32_min = std::max<u32>(s.u32_min, static_cast<u32>(sat_sub(x32, spread() & 0xffffffff)));
        s.u32_max = std::min<u32>(s.u32_max, static_cast<u32>(std::min<u64>(u64{x32} + (spread() & 0xffffffff), 0xffffffff)));
        break;
      default: {
        const auto sx = static_cast<std::int64_t>(static_cast<std::int32_t>(x32));
        const auto lo = std::max<std::int64_t>(INT32_MIN, sx - static_cast<std::int64_t>(spread() & 0xffffffff));
        const auto hi = std::min<std::int64_t>(INT32_MAX, sx + static_cast<std::int64_t>(spread() & 0xffffffff));
        s.s32_min = std::max(s.s32_min, static_cast<std::int32_t>(lo));
        s.s32_max = std::min(s.s32_max, static_cast<std::int32_t>(hi));
        break;
      }
    }
  }

  // As after `if rX op K goto`: the side x is on.
  Scalar refine_by_branch(const Scalar& s, u64 x) {
    const u8_t op = kBranchOps[below(kBranchOps.size())];
    const bool jmp32 = below(2) == 0;
    const auto imm = static_cast<std::int32_t>(below(2) ? static_cast<u32>(x + below(9) - 4) : static_cast<u32>(interesting()));
    const auto r = verifier::refine_branch(s, verifier::imm_operand(imm), op, jmp32);
    const auto& side = condition(op, jmp32, x, static_cast<u64>(std::int64_t{imm})) ? r.jump : r.fall;
    return side ? side->dst : s;
  }

 public:
  using u8_t = std::uint8_t;
  // The concrete outcome of a conditional jump, with the interpreter's comparisons.
  static bool condition(u8_t op, bool jmp32, u64 a, u64 b) {
    return jmp32 ? compare<u32>(op, static_cast<u32>(a), static_cast<u32>(b)) : compare<u64>(op, a, b);
  }

 private:
  template <class T> static bool compare(u8_t op, T a, T b) {
    switch (op) {
      case BPF_JEQ: return vm::cmp_eq(a, b);
      case BPF_JNE: return vm::cmp_ne(a, b);
      case BPF_JGT: return vm::cmp_gt(a, b);
      case BPF_JGE: return vm::cmp_ge(a, b);
      case BPF_JLT: return vm::cmp_lt(a, b);
      case BPF_JLE: return vm::cmp_le(a, b);
      case BPF_JSGT: return vm::cmp_sgt(a, b);
      case BPF_JSGE: return vm::cmp_sge(a, b);
      case BPF_JSLT: return vm::cmp_slt(a, b);
      case BPF_JSLE: return vm::cmp_sle(a, b);
      default: return vm::cmp_set(a, b);
    }
  }

  std::mt19937_64 rng_;
};

// Byte-order conversion (BPF_END) on a little-endian host, as the interpreter does it.
u64 byte_order(const AluOp& op, u64 v) {
  const bool swap = op.alu64 || op.source == BPF_TO_BE;
  switch (op.imm) {
    case 16: return swap ? __builtin_bswap16(static_cast<std::uint16_t>(v)) : static_cast<std::uint16_t>(v);
    case 32: return swap ? __builtin_bswap32(static_cast<u32>(v)) : static_cast<u32>(v);
    default: return swap ? __builtin_bswap64(v) : v;
  }
}

template <class T> T concrete_binary(const AluOp& op, T a, T b) {
  const bool sign = op.off == 1;
  switch (op.op) {
    case BPF_ADD: return vm::op_add(a, b);
    case BPF_SUB: return vm::op_sub(a, b);
    case BPF_MUL: return vm::op_mul(a, b);
    case BPF_DIV: return sign ? vm::op_sdiv(a, b) : vm::op_div(a, b);
    case BPF_MOD: return sign ? vm::op_smod(a, b) : vm::op_mod(a, b);
    case BPF_OR: return vm::op_or(a, b);
    case BPF_AND: return vm::op_and(a, b);
    case BPF_XOR: return vm::op_xor(a, b);
    case BPF_LSH: return vm::op_lsh(a, b);
    case BPF_RSH: return vm::op_rsh(a, b);
    case BPF_ARSH: return vm::op_arsh(a, b);
    case BPF_NEG: return T{0} - a;
    default: return 0;
  }
}

// What the instruction computes on concrete registers (RFC 9669: 32-bit results are zero-extended).
u64 concrete_alu(const AluOp& op, u64 dst, u64 src) {
  if (op.op == BPF_END) return byte_order(op, dst);
  if (op.op == BPF_MOV) {
    switch (op.off) {
      case 8: return op.alu64 ? vm::sext64<std::int8_t>(src) : vm::sext32<std::int8_t>(src);
      case 16: return op.alu64 ? vm::sext64<std::int16_t>(src) : vm::sext32<std::int16_t>(src);
      case 32: return vm::sext64<std::int32_t>(src);
      default: return op.alu64 ? src : static_cast<u32>(src);
    }
  }
  if (op.alu64) return concrete_binary<u64>(op, dst, src);
  return concrete_binary<u32>(op, static_cast<u32>(dst), static_cast<u32>(src));
}

// A random, well-formed ALU operation.
AluOp random_op(Generator& g) {
  static constexpr std::array<std::uint8_t, 14> kOps{BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND, BPF_LSH,
                                                     BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
  AluOp op;
  op.op = kOps[g.below(kOps.size())];
  op.alu64 = g.below(2) == 0;
  op.source = g.below(2) ? BPF_X : BPF_K;
  if (op.op == BPF_DIV || op.op == BPF_MOD) op.off = static_cast<std::int16_t>(g.below(2));
  if (op.op == BPF_MOV) op.off = static_cast<std::int16_t>(std::array{0, 8, 16, 32}[g.below(op.alu64 ? 4 : 3)]);
  if (op.op == BPF_END) {
    op.imm = std::array{16, 32, 64}[g.below(3)];
    op.source = g.below(2) ? BPF_TO_BE : BPF_TO_LE;
  }
  return op;
}

// An immediate operand for `op`: shift counts in range, otherwise anything.
std::int32_t random_imm(Generator& g, const AluOp& op) {
  if (op.op == BPF_LSH || op.op == BPF_RSH || op.op == BPF_ARSH) return static_cast<std::int32_t>(g.below(op.alu64 ? 64 : 32));
  return static_cast<std::int32_t>(g.interesting());
}

constexpr int kIterations = 100000;
constexpr int kMembers = 4;

TEST(VerifierSoundness, BoundsSyncKeepsEveryMember) {
  Generator g(1);
  int checks = 0;
  for (int i = 0; i < kIterations; ++i) {
    const u64 x = g.interesting();
    const Scalar s = g.containing(x);  // constrain + reg_bounds_sync (+ maybe a branch) around x
    ASSERT_TRUE(s.contains(x)) << i;
    ASSERT_TRUE(s.consistent()) << i;
    ++checks;
  }
  EXPECT_EQ(checks, kIterations);
}

TEST(VerifierSoundness, AluResultsContainEveryConcreteResult) {
  Generator g(2);
  long checks = 0;
  for (int i = 0; i < kIterations; ++i) {
    const AluOp op = random_op(g);
    const u64 x = g.interesting();
    const Scalar dst = g.containing(x);
    const bool imm = op.source == BPF_K && op.op != BPF_END;
    const std::int32_t k = random_imm(g, op);
    const u64 y = imm ? static_cast<u64>(std::int64_t{k}) : g.interesting();
    const Scalar src = imm ? verifier::imm_operand(k) : g.containing(y);
    const Scalar result = verifier::scalar_alu(op, dst, src);
    ASSERT_TRUE(result.consistent()) << "iteration " << i;
    const auto xs = g.members(dst, x, kMembers);
    const auto ys = g.members(src, y, kMembers);
    for (std::size_t j = 0; j < xs.size(); ++j) {
      const u64 a = xs[j], b = ys[j % ys.size()];
      const u64 r = concrete_alu(op, a, b);
      ASSERT_TRUE(result.contains(r)) << "iteration " << i << " op " << int(op.op) << " alu64 " << op.alu64 << " off "
                                      << op.off << " dst " << a << " src " << b << " result " << r;
      ++checks;
    }
  }
  EXPECT_GE(checks, 100000);
  std::printf("ALU soundness: %d operations, %ld concrete checks\n", kIterations, checks);
}

TEST(VerifierSoundness, BranchDecisionsAndRefinementsHoldConcretely) {
  Generator g(3);
  long checks = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::uint8_t op = kBranchOps[g.below(kBranchOps.size())];
    const bool jmp32 = g.below(2) == 0;
    const u64 x = g.interesting();
    const Scalar a = g.containing(x);
    const bool imm = g.below(2) == 0;
    const auto k = static_cast<std::int32_t>(g.below(2) ? x + g.below(5) - 2 : g.interesting());
    const u64 y = imm ? static_cast<u64>(std::int64_t{k}) : (g.below(2) ? x + g.below(5) - 2 : g.interesting());
    const Scalar b = imm ? verifier::imm_operand(k) : g.containing(y);
    const auto refined = verifier::refine_branch(a, b, op, jmp32);
    const auto xs = g.members(a, x, kMembers);
    const auto ys = g.members(b, y, kMembers);
    for (std::size_t j = 0; j < xs.size(); ++j) {
      const u64 va = xs[j], vb = ys[j % ys.size()];
      const bool taken = Generator::condition(op, jmp32, va, vb);
      const auto& side = taken ? refined.jump : refined.fall;
      ASSERT_NE(refined.taken, taken ? BranchTaken::never : BranchTaken::always)
          << "iteration " << i << " op " << int(op) << " jmp32 " << jmp32 << " a " << va << " b " << vb;
      ASSERT_TRUE(side.has_value()) << i;
      ASSERT_TRUE(side->dst.contains(va) && side->src.contains(vb))
          << "iteration " << i << " op " << int(op) << " jmp32 " << jmp32 << " taken " << taken << " a " << va
          << " b " << vb;
      ++checks;
    }
  }
  EXPECT_GE(checks, 100000);
  std::printf("branch soundness: %d comparisons, %ld concrete checks\n", kIterations, checks);
}

}  // namespace
}  // namespace ubee::test
