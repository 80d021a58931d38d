#!/usr/bin/env bash
# End-to-end checks of the `ubee` command line: results, exit codes and one-line errors on bad input.
# usage: cli_test.sh UBEE_BINARY SOURCE_DIR BUILD_DIR
set -u
ubee=$1
src=$2
build=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

check() {  # check NAME EXPECTED_STATUS EXPECTED_OUTPUT_FRAGMENT -- CMD...
  local name=$1 want_status=$2 want=$3
  shift 4
  local out status
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" -ne "$want_status" ] || [[ "$out" != *"$want"* ]]; then
    echo "FAIL: $name: status $status (want $want_status), output: $out (want: $want)"
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
}

check_one_line() {  # errors are one line, never a crash trace
  local name=$1
  shift
  local out lines
  out=$("$@" 2>&1)
  lines=$(printf '%s\n' "$out" | wc -l)
  if [ "$lines" -ne 1 ] || [[ "$out" != "ubee: error: "* ]]; then
    echo "FAIL: $name: expected one error line, got: $out"
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
}

# The bundled examples.
check "checksum example" 0 "47201 (0xb861)" -- "$ubee" run "$src/examples/programs/checksum.s" --mem "$src/examples/programs/packet.bin"
check "fib example" 0 "6765 (0x1a6d)" -- "$ubee" run "$src/examples/programs/fib.s"
check "json output" 0 '{"repeat":3,"retval":6765}' -- "$ubee" run "$src/examples/programs/fib.s" --repeat 3 --json
check "jit engine" 0 "6765 (0x1a6d)" -- "$ubee" run "$src/examples/programs/fib.s" --engine jit
check "jit checksum" 0 "47201 (0xb861)" -- "$ubee" run "$src/examples/programs/checksum.s" --mem "$src/examples/programs/packet.bin" --engine jit
check "jit-dump shows source and native code" 0 "r0 = 0" -- "$ubee" jit-dump "$src/examples/programs/fib.s"
check "jit-dump decodes x86" 0 "ret" -- "$ubee" jit-dump "$src/examples/programs/fib.s" --no-harden
check "bad engine" 105 "--engine: fast not in {interp,jit}" -- "$ubee" run "$src/examples/programs/fib.s" --engine fast
check "stats" 0 "runs: 5, average:" -- "$ubee" run "$src/examples/programs/fib.s" --repeat 5 --stats

# asm -> bin -> disasm -> asm round trip through files.
"$ubee" asm "$src/examples/programs/checksum.s" -o "$work/checksum.bin"
check "run bytecode" 0 "47201" -- "$ubee" run "$work/checksum.bin" --mem "$src/examples/programs/packet.bin"
"$ubee" disasm "$work/checksum.bin" > "$work/checksum.s"
"$ubee" asm "$work/checksum.s" -o "$work/again.bin"
if cmp -s "$work/checksum.bin" "$work/again.bin"; then passes=$((passes + 1)); else
  echo "FAIL: disasm/asm round trip changed the bytecode"; failures=$((failures + 1)); fi
check "disasm text" 0 "r6 = be16 r6" -- "$ubee" disasm "$work/checksum.bin"
check "numbered disasm" 0 "   0: r0 = 0" -- "$ubee" disasm -n "$work/checksum.bin"

# Bad input: one line, non-zero status.
printf 'r0 = 1\nfrobnicate r1\nexit\n' > "$work/bad.s"
check "unknown mnemonic names the line" 1 "line 2" -- "$ubee" run "$work/bad.s"
check_one_line "unknown mnemonic is one line" "$ubee" run "$work/bad.s"
head -c 13 "$work/checksum.bin" > "$work/truncated.bin"
check "truncated bytecode" 1 "not a multiple of 8" -- "$ubee" run "$work/truncated.bin"
check_one_line "truncated is one line" "$ubee" run "$work/truncated.bin"
printf '\x07\x0b\x00\x00\x01\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' > "$work/r11.bin"
check "bad register" 1 "insn 0: R11 is invalid" -- "$ubee" run "$work/r11.bin"
check "missing file" 1 "cannot open" -- "$ubee" run "$work/nope.bin"
check_one_line "missing file is one line" "$ubee" run "$work/nope.bin"
printf 'r0 = *(u32 *)(r1 + 8)\nexit\n' > "$work/oob.s"
printf 'abcd' > "$work/mem4"
check "out of bounds names the insn" 1 "insn 0: out-of-bounds read of 4 bytes" -- "$ubee" run "$work/oob.s" --mem "$work/mem4"
printf '\x7fELF\x02\x01\x01' > "$work/obj.o"
check "not an object" 1 "object" -- "$ubee" run "$work/obj.o"
check "no subcommand" 106 "A subcommand is required" -- "$ubee"
check "help" 0 "conformance-plugin" -- "$ubee" --help
head -c 4096 /dev/urandom > "$work/random.bin"
"$ubee" run "$work/random.bin" > /dev/null 2>&1
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then echo "FAIL: random bytes gave status $status"; failures=$((failures + 1)); else passes=$((passes + 1)); fi

# ELF objects (built by clang with the project).
obj="$build/examples/bpf/packet_stats.o"
if [ -f "$obj" ]; then
  check "object run" 0 "Return value: 2 (0x2)" -- "$ubee" run "$obj" --data-in "$src/examples/packets/dns-query.bin"
  check "object run on the jit" 0 "Return value: 2 (0x2)" -- "$ubee" run "$obj" --data-in "$src/examples/packets/dns-query.bin" --engine jit
  check "object run drops telnet" 0 '"retval":1' -- "$ubee" run "$obj" --data-in "$src/examples/packets/telnet.bin" --json
  check "dump maps after run" 0 '{"key":17,"value":{"bytes":54,"packets":1}}' -- "$ubee" run "$obj" --data-in "$src/examples/packets/dns-query.bin" --dump-maps
  check "repeat counts" 0 '"total_packets":5' -- "$ubee" run "$obj" --data-in "$src/examples/packets/dns-query.bin" --repeat 5 --json --dump-maps
  check "verify accepts" 0 "packet_stats: accepted  processed" -- "$ubee" verify "$obj"
  check "verify json" 0 '"accepted":true' -- "$ubee" verify "$obj" --json
  [ -f "$build/tests/bpf/v3/helper_loop.o" ] && check "verify accepts callbacks" 0 "loops: accepted" -- "$ubee" verify "$build/tests/bpf/v3/helper_loop.o"
  [ -f "$build/tests/trace/bpf/rejected.o" ] && check "verify rejects with the insn" 1 "rejected  insn 0: invalid bpf_context access off=400" -- "$ubee" verify "$build/tests/trace/bpf/rejected.o"
  check "prog show" 0 "xdp  name packet_stats  section xdp" -- "$ubee" prog show "$obj"
  check "map show" 0 "hash  name by_protocol  key 4B  value 16B  max_entries 256" -- "$ubee" map show "$obj"
  check "map dump rodata" 0 '"blocked_ports":[23,2323]' -- "$ubee" map dump "$obj" packet_s.rodata --json
  check "map lookup missing" 1 "lookup: No such file or directory" -- "$ubee" map lookup "$obj" by_protocol --key "11 00 00 00"
  check "map update bad size" 1 "key has 2 bytes; this map's key size is 4" -- "$ubee" map update "$obj" by_protocol --key "11 00" --value 00
  check "data-out" 0 "Return value" -- "$ubee" run "$obj" --data-in "$src/examples/packets/dns-query.bin" --data-out "$work/out.bin"
  if cmp -s "$work/out.bin" "$src/examples/packets/dns-query.bin"; then passes=$((passes + 1)); else
    echo "FAIL: data-out differs from the unchanged packet"; failures=$((failures + 1)); fi
  check "short packet" 1 "shorter than an Ethernet header" -- "$ubee" run "$obj" --data-in "$work/mem4"
  head -c 300 "$obj" > "$work/truncated.o"
  check_one_line "truncated object is one line" "$ubee" run "$work/truncated.o"
  multi="$build/tests/bpf/v3/tail_call_chain.o"
  [ -f "$multi" ] && check "several programs need --program" 1 "choose one with --program" -- "$ubee" run "$multi" --data-in "$src/examples/packets/dns-query.bin"
  check "mem is for raw programs" 1 "apply to ELF objects" -- "$ubee" run "$src/examples/programs/fib.s" --program x
else
  echo "SKIP: $obj not built (no clang)"
fi

# The conformance plugin protocol.
check "plugin" 0 "2a" -- sh -c "printf 'b7  00  00  00  2a  00  00  00  95  00  00  00  00  00  00  00  \n' | '$ubee' conformance-plugin"
check "plugin memory" 0 "4" -- sh -c "printf '61  10  00  00  00  00  00  00  95  00  00  00  00  00  00  00  \n' | '$ubee' conformance-plugin '04  00  00  00  '"
check "plugin bad hex" 1 "expected a hex byte" -- sh -c "printf 'zz\n' | '$ubee' conformance-plugin"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
