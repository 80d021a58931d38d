// The assembler: the inverse of disasm.cpp. Each line is tokenized, then parsed by one small recursive-descent
// function per instruction family; label references are patched once every line has been read. Spellings come
// from asm_syntax.hpp, the tables the disassembler prints from.
//
// Beyond the disassembler's own output it accepts: comments (`;`, `#`, `//`), labels (`name:`, alone or before
// an instruction) as jump, call, gotol and func() targets, a leading slot index (`12:`), 0x-hex anywhere a
// number goes, and `skb[rN]` for `skb[rN + 0]`.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asm_syntax.hpp"
#include "ubee/asm.hpp"

namespace ubee {
namespace {

// Failures unwind to assemble() as an exception, so that every parse function reads as a straight sequence of
// expectations rather than a ladder of early returns. Nothing is thrown out of this file.
struct ParseError {
  std::size_t line;
  std::size_t column;
  std::string message;
};

struct Token {
  enum class Kind { ident, number, punct, end };
  Kind kind = Kind::end;
  std::string_view text;
  std::size_t column = 0;  // 1-based
};

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }
std::string describe(const Token& t) { return t.kind == Token::Kind::end ? "end of line" : quote(t.text); }

// ---------------------------------------------------------------------------------------------- tokenizer

// Longest first: the first match is the maximal munch ("s>>=" before "s>", "<<=" before "<").
constexpr std::string_view kPuncts[] = {"s>>=", "<<=", ">>=", "s/=", "s%=", "s>=", "s<=", "+=", "-=", "*=", "/=",
                                        "%=",   "|=",  "&=",  "^=",  "==",  "!=",  ">=",  "<=", "s>", "s<", ">",
                                        "<",    "=",   "&",   "(",   ")",   "*",   "[",   "]",  ",",  ":",  "+",
                                        "-"};

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool is_ident_char(char c) { return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view strip_comment(std::string_view line) {
  const std::size_t end = std::min(line.find_first_of(";#"), line.find("//"));
  line = line.substr(0, end);
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  return line;
}

std::string_view word(std::string_view rest) {
  return rest.substr(0, static_cast<std::size_t>(std::find_if_not(rest.begin(), rest.end(), is_ident_char) -
                                                 rest.begin()));
}

// Control bytes and non-ASCII would garble the message, so they are shown by value.
std::string describe_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (std::isprint(byte)) return quote(std::string_view(&c, 1));
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", byte);
  return buf;
}

Token lex_one(std::string_view line, std::size_t pos, std::size_t line_no) {
  const std::string_view rest = line.substr(pos);
  const std::size_t column = pos + 1;
  if (std::isdigit(static_cast<unsigned char>(rest[0]))) return {Token::Kind::number, word(rest), column};
  for (std::string_view p : kPuncts)
    if (rest.starts_with(p)) return {Token::Kind::punct, rest.substr(0, p.size()), column};
  if (is_ident_start(rest[0])) return {Token::Kind::ident, word(rest), column};
  throw ParseError{line_no, column, "unexpected character " + describe_char(rest[0])};
}

std::vector<Token> tokenize(std::string_view line, std::size_t line_no) {
  line = strip_comment(line);
  std::vector<Token> tokens;
  for (std::size_t pos = 0; pos < line.size();) {
    if (is_space(line[pos])) {
      ++pos;
      continue;
    }
    tokens.push_back(lex_one(line, pos, line_no));
    pos += tokens.back().text.size();
  }
  tokens.push_back({Token::Kind::end, {}, line.size() + 1});
  return tokens;
}

class Cursor {
 public:
  Cursor(std::vector<Token> tokens, std::size_t line) : tokens_(std::move(tokens)), line_(line) {}

  [[nodiscard]] const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() {
    const Token& t = peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  [[nodiscard]] bool at_end() const { return peek().kind == Token::Kind::end; }
  [[nodiscard]] bool peek_is(std::string_view text, std::size_t ahead = 0) const {
    return peek(ahead).kind != Token::Kind::end && peek(ahead).text == text;
  }
  bool accept(std::string_view text) {
    if (!peek_is(text)) return false;
    next();
    return true;
  }
  void expect(std::string_view text) {
    if (!accept(text)) fail(peek(), "expected " + quote(text) + ", got " + describe(peek()));
  }
  [[noreturn]] void fail(const Token& at, std::string message) const {
    throw ParseError{line_, at.column, std::move(message)};
  }
  [[nodiscard]] std::size_t line() const { return line_; }

 private:
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  std::size_t line_;
};

// ---------------------------------------------------------------------------------------------- operands

struct Reg {
  int num;
  bool wide;  // rN (64-bit) or wN (32-bit)
  Token token;
};

// Syntactically a register (so that `r11` is reported as a bad register, not as an unknown word).
bool looks_like_register(const Token& t) {
  return t.kind == Token::Kind::ident && t.text.size() >= 2 && (t.text[0] == 'r' || t.text[0] == 'w') &&
         std::all_of(t.text.begin() + 1, t.text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<Reg> as_register(const Token& t) {
  if (!looks_like_register(t) || t.text.size() > 3 || (t.text.size() == 3 && t.text[1] == '0')) return std::nullopt;
  int num = 0;
  for (char c : t.text.substr(1)) num = num * 10 + (c - '0');
  if (num >= kRegCount) return std::nullopt;
  return Reg{num, t.text[0] == 'r', t};
}

// Inclusive limits of a field, -neg_limit..pos_limit, and how to name it when a value falls outside.
struct Range {
  std::uint64_t neg_limit;
  std::uint64_t pos_limit;
  std::string_view what;
  int bits;
};
constexpr Range kImm32{0x80000000u, 0xffffffffu, "immediate", 32};  // either signedness of a 32-bit field
constexpr Range kSigned32{0x80000000u, 0x7fffffffu, "offset", 32};
constexpr Range kOff16{0x8000, 0x7fff, "offset", 16};
constexpr Range kJump16{0x8000, 0x7fff, "jump offset", 16};
constexpr Range kImm64{1ULL << 63, std::numeric_limits<std::uint64_t>::max(), "immediate", 64};

// Decimal or 0x-hex; nullopt when it overflows 64 bits.
std::optional<std::uint64_t> magnitude(const Cursor& cur, const Token& t) {
  const bool hex = t.text.size() > 1 && t.text[0] == '0' && (t.text[1] == 'x' || t.text[1] == 'X');
  const std::string_view digits = hex ? t.text.substr(2) : t.text;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
  if (ec == std::errc::result_out_of_range) return std::nullopt;
  if (ec != std::errc{} || end != digits.data() + digits.size()) cur.fail(t, "malformed number " + quote(t.text));
  return value;
}

// Where a label reference gets patched once labels are known.
enum class Field { off, imm };
struct Fixup {
  std::size_t slot;
  std::string label;
  std::size_t line;
  std::size_t column;
  Field field;
};

struct Unit {
  Program program;
  std::map<std::string, std::size_t, std::less<>> labels;  // name -> slot
  std::vector<Fixup> fixups;
};

struct Access {
  bool is_signed;
  std::uint8_t size;
};

// "u8".."u64", "s8".."s64"
std::optional<Access> access_of(std::string_view name) {
  if (name.size() < 2 || (name[0] != 'u' && name[0] != 's')) return std::nullopt;
  for (std::uint8_t size : {BPF_B, BPF_H, BPF_W, BPF_DW})
    if (name.substr(1) == std::to_string(access_width(size) * 8)) return Access{name[0] == 's', size};
  return std::nullopt;
}

struct MemRef {
  int base;
  std::int16_t off;
};

struct Operand {
  std::uint8_t source;  // BPF_K or BPF_X
  int src;
  std::int32_t imm;
};

std::uint8_t alu_class(bool wide) { return wide ? BPF_ALU64 : BPF_ALU; }
std::string reg_kind(bool wide) { return wide ? "register r0..r10" : "register w0..w10"; }

// ---------------------------------------------------------------------------------------------- statements

class LineParser {
 public:
  LineParser(Cursor& cur, Unit& unit) : cur_(cur), unit_(unit) {}

  void statement() {
    static constexpr Keyword kKeywords[] = {
        {"exit", &LineParser::parse_exit}, {"goto", &LineParser::parse_goto},   {"gotol", &LineParser::parse_gotol},
        {"if", &LineParser::parse_if},     {"call", &LineParser::parse_call},   {"callx", &LineParser::parse_callx},
        {"lock", &LineParser::parse_lock},
    };
    const Token& t = cur_.peek();
    if (t.text == "*") {
      parse_store();
    } else if (looks_like_register(t)) {
      parse_register_first();
    } else if (const auto* k = syntax::find(kKeywords, [&](const auto& e) { return e.name == t.text; })) {
      cur_.next();
      (this->*k->parse)();
    } else {
      cur_.fail(t, "unknown mnemonic " + describe(t));
    }
    if (!cur_.at_end()) cur_.fail(cur_.peek(), "expected end of line, got " + describe(cur_.peek()));
  }

 private:
  struct Keyword {
    std::string_view name;
    void (LineParser::*parse)();
  };

  Cursor& cur_;
  Unit& unit_;

  void emit(std::uint8_t opcode, int dst, int src, std::int64_t off, std::int64_t imm) {
    Insn in;
    in.opcode = opcode;
    in.dst = static_cast<std::uint8_t>(dst);
    in.src = static_cast<std::uint8_t>(src);
    in.off = static_cast<std::int16_t>(off);
    in.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(imm));
    unit_.program.push_back(in);
  }

  // ---- operands

  Reg any_reg() {
    const Token& t = cur_.next();
    const auto r = as_register(t);
    if (!r) cur_.fail(t, "expected register, got " + describe(t));
    return *r;
  }
  void require_width(const Reg& r, bool wide) const {
    if (r.wide != wide) cur_.fail(r.token, "expected " + reg_kind(wide) + ", got " + describe(r.token));
  }
  int reg(bool wide) {
    const Reg r = any_reg();
    require_width(r, wide);
    return r.num;
  }
  // The same register again, as in `r0 = -r0` and `r2 = xchg_64(r1 + 0, r2)`.
  void same_reg(const Reg& want) {
    const Reg r = any_reg();
    if (r.num != want.num || r.wide != want.wide)
      cur_.fail(r.token, "expected " + quote(want.token.text) + ", got " + describe(r.token));
  }

  // [+|-]number within `range`, as its 64-bit two's-complement pattern. Displacements must spell a sign.
  std::uint64_t number(const Range& range, bool sign_required = false) {
    const Token& first = cur_.peek();
    const bool negative = cur_.accept("-");
    const bool positive = !negative && cur_.accept("+");
    if (sign_required && !negative && !positive) cur_.fail(first, "expected '+' or '-', got " + describe(first));
    const Token& digits = cur_.next();
    if (digits.kind != Token::Kind::number) cur_.fail(digits, "expected number, got " + describe(digits));
    const auto value = magnitude(cur_, digits);
    if (!value || *value > (negative ? range.neg_limit : range.pos_limit)) {
      const std::string text = (negative ? "-" : positive ? "+" : "") + std::string(digits.text);
      cur_.fail(first, std::string(range.what) + " " + text + " does not fit in " + std::to_string(range.bits) +
                           " bits");
    }
    return negative ? 0 - *value : *value;
  }
  std::int32_t imm32() { return static_cast<std::int32_t>(static_cast<std::uint32_t>(number(kImm32))); }

  // A register or an immediate, the K/X choice every ALU and conditional jump makes.
  Operand operand(bool wide) {
    const Token& t = cur_.peek();
    if (looks_like_register(t)) return {BPF_X, reg(wide), 0};
    if (t.kind != Token::Kind::number && t.text != "-" && t.text != "+")
      cur_.fail(t, "expected register or number, got " + describe(t));
    return {BPF_K, 0, imm32()};
  }

  // `+N`/`-N` from the next instruction, or a label patched into `field` of the instruction about to be emitted.
  std::int64_t target(const Range& range, Field field) {
    const Token& t = cur_.peek();
    if (t.kind != Token::Kind::ident) return static_cast<std::int64_t>(number(range, true));
    cur_.next();
    unit_.fixups.push_back({unit_.program.size(), std::string(t.text), cur_.line(), t.column, field});
    return 0;
  }

  // "(u32 *)"
  Access access_type() {
    cur_.expect("(");
    const Token& t = cur_.next();
    const auto access = access_of(t.text);
    if (!access) cur_.fail(t, "expected access type such as u32, got " + describe(t));
    cur_.expect("*");
    cur_.expect(")");
    return *access;
  }
  void require(bool ok, const Token& at, std::string_view what) const {
    if (!ok) cur_.fail(at, std::string(what) + ", got " + describe(at));
  }
  // "r1 + 4", "r10 - 8"
  MemRef base_plus() {
    const int base = reg(true);
    return {base, static_cast<std::int16_t>(number(kOff16, true))};
  }
  MemRef paren_base_plus() {
    cur_.expect("(");
    const MemRef m = base_plus();
    cur_.expect(")");
    return m;
  }

  // ---- register-first statements: ALU, moves, loads, lddw, fetching atomics

  void parse_register_first() {
    const Reg dst = any_reg();
    const Token& op_token = cur_.next();
    if (op_token.text == "=") return assign(dst);
    const auto* op = syntax::find(syntax::kAluOps, [&](const auto& e) { return e.text == op_token.text; });
    if (op == nullptr || op_token.kind != Token::Kind::punct)
      cur_.fail(op_token, "expected assignment operator, got " + describe(op_token));
    const Operand rhs = operand(dst.wide);
    emit(alu_class(dst.wide) | op->op | rhs.source, dst.num, rhs.src, op->off, rhs.imm);
  }

  void assign(const Reg& dst) {
    const Token& t = cur_.peek();
    if (t.text == "*") return load(dst);
    if (t.text == "(") return sign_extending_move(dst);
    if (t.text == "-" && looks_like_register(cur_.peek(1))) return negate(dst);
    if (looks_like_register(t)) return emit(alu_class(dst.wide) | BPF_MOV | BPF_X, dst.num, reg(dst.wide), 0, 0);
    if (t.kind == Token::Kind::ident) return assign_named(dst);
    const std::size_t sign = cur_.peek_is("-") || cur_.peek_is("+") ? 1 : 0;
    if (cur_.peek_is(syntax::kLddwSuffix, sign + 1)) return lddw(dst);
    emit(alu_class(dst.wide) | BPF_MOV | BPF_K, dst.num, 0, 0, imm32());
  }

  void assign_named(const Reg& dst) {
    const std::string_view name = cur_.peek().text;
    const auto named = [](std::string_view n) { return [n](const auto& e) { return e.name == n; }; };
    if (name.starts_with(syntax::kFetchPrefix)) return atomic_fetch(dst);
    const auto exchange_named = [name](const auto& e) { return e.name64 == name || e.name32 == name; };
    if (const auto* x = syntax::find(syntax::kExchanges, exchange_named)) return exchange(dst, *x);
    if (const auto* pseudo = syntax::find(syntax::kPseudos, named(name))) return lddw_pseudo(dst, *pseudo);
    const std::size_t digits = name.find_first_of("0123456789");
    const auto* swap = syntax::find(syntax::kSwaps, named(name.substr(0, digits)));
    if (swap != nullptr && digits != std::string_view::npos) return byte_swap(dst, *swap);
    cur_.fail(cur_.peek(), "expected register, number or operation, got " + describe(cur_.peek()));
  }

  void negate(const Reg& dst) {
    cur_.expect("-");
    same_reg(dst);
    emit(alu_class(dst.wide) | BPF_NEG | BPF_K, dst.num, 0, 0, 0);
  }

  void sign_extending_move(const Reg& dst) {  // r0 = (s8)r1
    cur_.expect("(");
    const Token& t = cur_.next();
    const auto access = access_of(t.text);
    const auto bits = access ? static_cast<std::int64_t>(access_width(access->size) * 8) : 0;
    require(access && access->is_signed && syntax::is_movsx_width(bits, dst.wide), t,
            dst.wide ? "expected s8, s16 or s32" : "expected s8 or s16");
    cur_.expect(")");
    emit(alu_class(dst.wide) | BPF_MOV | BPF_X, dst.num, reg(dst.wide), bits, 0);
  }

  void byte_swap(const Reg& dst, const syntax::Swap& swap) {  // r0 = be16 r0
    const Token& t = cur_.next();
    std::int64_t bits = 0;
    const std::string_view digits = t.text.substr(swap.name.size());
    std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    require(syntax::is_swap_width(bits) && digits == std::to_string(bits), t, "expected a width of 16, 32 or 64");
    require_width(dst, true);
    same_reg(dst);
    emit(swap.opcode, dst.num, 0, 0, bits);
  }

  void lddw(const Reg& dst) {  // r1 = 1234 ll
    require_width(dst, true);
    const std::uint64_t value = number(kImm64);
    cur_.expect(syntax::kLddwSuffix);
    emit_lddw(dst.num, 0, value, value >> 32);
  }

  void lddw_pseudo(const Reg& dst, const syntax::Pseudo& pseudo) {  // r1 = map_value(3, 16) ll
    require_width(dst, true);
    cur_.next();
    cur_.expect("(");
    const bool is_target = pseudo.args == syntax::PseudoArgs::target;
    const auto first = is_target ? static_cast<std::uint64_t>(target(kSigned32, Field::imm)) : number(kImm32);
    std::uint64_t second = 0;
    if (pseudo.args == syntax::PseudoArgs::two) cur_.expect(",");
    if (pseudo.args == syntax::PseudoArgs::two || cur_.accept(",")) second = number(kImm32);
    cur_.expect(")");
    cur_.expect(syntax::kLddwSuffix);
    emit_lddw(dst.num, pseudo.src, first, second);
  }

  void emit_lddw(int dst, int src, std::uint64_t lo, std::uint64_t hi) {
    emit(BPF_LD | BPF_IMM | BPF_DW, dst, src, 0, static_cast<std::uint32_t>(lo));
    emit(0, 0, 0, 0, static_cast<std::uint32_t>(hi));
  }

  void load(const Reg& dst) {  // r0 = *(u8 *)(r1 + 4), r0 = *(s16 *)(r1 + 4), r0 = *(u16 *)skb[12]
    require_width(dst, true);
    cur_.expect("*");
    const Token& type = cur_.peek(1);
    const Access access = access_type();
    if (cur_.peek_is(syntax::kPacket)) return packet_load(dst, access, type);
    require(!access.is_signed || access.size != BPF_DW, type, "expected s8, s16 or s32");
    const MemRef m = paren_base_plus();
    emit(BPF_LDX | (access.is_signed ? BPF_MEMSX : BPF_MEM) | access.size, dst.num, m.base, m.off, 0);
  }

  void packet_load(const Reg& dst, const Access& access, const Token& type) {  // r0 = *(u32 *)skb[r3 + 4]
    require(!access.is_signed && access.size != BPF_DW, type, "expected u8, u16 or u32");
    require(dst.num == 0, dst.token, "expected 'r0'");
    cur_.next();
    cur_.expect("[");
    if (!looks_like_register(cur_.peek())) {
      const std::int32_t imm = imm32();
      cur_.expect("]");
      return emit(BPF_LD | BPF_ABS | access.size, 0, 0, 0, imm);
    }
    const int src = reg(true);
    const auto disp = cur_.peek_is("]") ? 0 : number(kSigned32, true);
    cur_.expect("]");
    emit(BPF_LD | BPF_IND | access.size, 0, src, 0, static_cast<std::int64_t>(disp));
  }

  // ---- atomics

  Access atomic_access() {
    const Token& type = cur_.peek(1);
    const Access access = access_type();
    require(!access.is_signed && (access.size == BPF_W || access.size == BPF_DW), type, "expected u32 or u64");
    return access;
  }

  void parse_lock() {  // lock *(u64 *)(r1 + 0) += r2
    cur_.expect("*");
    const Access access = atomic_access();
    const MemRef m = paren_base_plus();
    const Token& t = cur_.next();
    const auto* op = syntax::find(syntax::kAtomicOps, [&](const auto& e) { return e.text == t.text; });
    require(op != nullptr && t.kind == Token::Kind::punct, t, "expected one of += |= &= ^=");
    const int src = reg(access.size == BPF_DW);
    emit(BPF_STX | BPF_ATOMIC | access.size, m.base, src, m.off, op->imm);
  }

  void atomic_fetch(const Reg& dst) {  // r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)
    const Token& t = cur_.next();
    const std::string_view name = t.text.substr(syntax::kFetchPrefix.size());
    const auto* op = syntax::find(syntax::kAtomicOps, [&](const auto& e) { return e.name == name; });
    if (op == nullptr) cur_.fail(t, "unknown atomic operation " + describe(t));
    cur_.expect("(");
    const Access access = atomic_access();
    const MemRef m = paren_base_plus();
    cur_.expect(",");
    same_reg(dst);
    cur_.expect(")");
    require_width(dst, access.size == BPF_DW);
    emit(BPF_STX | BPF_ATOMIC | access.size, m.base, dst.num, m.off, op->imm | BPF_FETCH);
  }

  // r2 = xchg_64(r1 + 0, r2); r0 = cmpxchg_64(r1 + 0, r0, r2): the compared value is always r0.
  void exchange(const Reg& dst, const syntax::Exchange& x) {
    const bool wide = cur_.next().text == x.name64;
    const bool compare = x.imm == BPF_CMPXCHG;
    require_width(dst, wide);
    if (compare) require(dst.num == 0, dst.token, wide ? "expected 'r0'" : "expected 'w0'");
    cur_.expect("(");
    const MemRef m = base_plus();
    cur_.expect(",");
    same_reg(dst);
    if (compare) cur_.expect(",");
    const int src = compare ? reg(wide) : dst.num;
    cur_.expect(")");
    emit(BPF_STX | BPF_ATOMIC | (wide ? BPF_DW : BPF_W), m.base, src, m.off, x.imm);
  }

  // ---- statements that start with a keyword or '*'

  void parse_store() {  // *(u32 *)(r1 + 4) = r2, *(u64 *)(r10 - 8) = 5
    cur_.expect("*");
    const Token& type = cur_.peek(1);
    const Access access = access_type();
    require(!access.is_signed, type, "expected u8, u16, u32 or u64");
    const MemRef m = paren_base_plus();
    cur_.expect("=");
    if (looks_like_register(cur_.peek())) return emit(BPF_STX | BPF_MEM | access.size, m.base, reg(true), m.off, 0);
    emit(BPF_ST | BPF_MEM | access.size, m.base, 0, m.off, imm32());
  }

  void parse_exit() { emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
  void parse_goto() { emit(BPF_JMP | BPF_JA, 0, 0, target(kJump16, Field::off), 0); }
  void parse_gotol() { emit(BPF_JMP32 | BPF_JA, 0, 0, 0, target(kSigned32, Field::imm)); }
  void parse_callx() { emit(BPF_JMP | BPF_CALL | BPF_X, reg(true), 0, 0, 0); }

  void parse_if() {  // if r1 > 5 goto +3
    const Reg dst = any_reg();
    const Token& t = cur_.next();
    const auto* op = syntax::find(syntax::kJmpOps, [&](const auto& e) { return e.text == t.text; });
    require(op != nullptr && t.kind == Token::Kind::punct, t, "expected comparison operator");
    const Operand rhs = operand(dst.wide);
    cur_.expect("goto");
    const std::int64_t off = target(kJump16, Field::off);
    emit((dst.wide ? BPF_JMP : BPF_JMP32) | op->op | rhs.source, dst.num, rhs.src, off, rhs.imm);
  }

  // call 1 (helper), call pc+3 / call my_func (local), call kfunc(5[, btf module])
  void parse_call() {
    const Token& t = cur_.peek();
    const bool relative = cur_.peek_is("+", 1) || cur_.peek_is("-", 1);
    if (t.text == syntax::kPcRelative && relative) {
      cur_.next();
      return emit(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, static_cast<std::int64_t>(number(kSigned32, true)));
    }
    if (t.text == syntax::kKfunc && cur_.peek_is("(", 1)) return kfunc_call();
    if (t.kind == Token::Kind::ident)
      return emit(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, target(kSigned32, Field::imm));
    emit(BPF_JMP | BPF_CALL, 0, 0, 0, imm32());
  }

  void kfunc_call() {
    cur_.next();
    cur_.expect("(");
    const std::int32_t imm = imm32();
    const auto off = cur_.accept(",") ? number(kOff16) : 0;
    cur_.expect(")");
    emit(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, static_cast<std::int16_t>(off), imm);
  }
};

// ---------------------------------------------------------------------------------------------- lines, labels

void parse_line(Unit& unit, std::string_view text, std::size_t line) {
  Cursor cur(tokenize(text, line), line);
  if (cur.peek().kind == Token::Kind::number && cur.peek_is(":", 1)) {  // "12:", a slot index: ignored
    cur.next();
    cur.next();
  }
  while (cur.peek().kind == Token::Kind::ident && cur.peek_is(":", 1)) {
    const Token& label = cur.next();
    cur.next();
    if (!unit.labels.emplace(std::string(label.text), unit.program.size()).second)
      cur.fail(label, "duplicate label " + quote(label.text));
  }
  if (!cur.at_end()) LineParser(cur, unit).statement();
}

void resolve(Unit& unit) {
  for (const Fixup& f : unit.fixups) {
    const auto it = unit.labels.find(f.label);
    if (it == unit.labels.end()) throw ParseError{f.line, f.column, "undefined label " + quote(f.label)};
    if (it->second >= unit.program.size())
      throw ParseError{f.line, f.column, "label " + quote(f.label) + " points past the end of the program"};
    const auto delta = static_cast<std::int64_t>(it->second) - static_cast<std::int64_t>(f.slot) - 1;
    const bool is_off = f.field == Field::off;
    const std::int64_t limit = is_off ? std::numeric_limits<std::int16_t>::max()  //
                                      : std::numeric_limits<std::int32_t>::max();
    if (delta < -limit - 1 || delta > limit) throw ParseError{f.line, f.column, "jump offset out of range"};
    Insn& in = unit.program[f.slot];
    if (is_off) in.off = static_cast<std::int16_t>(delta);
    else in.imm = static_cast<std::int32_t>(delta);
  }
}

}  // namespace

Result<Program> assemble(std::string_view text) {
  try {
    Unit unit;
    std::size_t line = 0;
    for (std::size_t start = 0; start <= text.size();) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      parse_line(unit, text.substr(start, end - start), ++line);
      start = end + 1;
    }
    resolve(unit);
    return std::move(unit.program);
  } catch (const ParseError& e) {
    return Error{Errc::parse_error, e.message, std::nullopt, e.line, e.column};
  }
}

}  // namespace ubee
