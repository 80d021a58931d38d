// The embedding API in one include: build a program from instructions or text, register helpers, run it.
//
//   ubee::HelperRegistry helpers;
//   helpers.add(1000, {"my_helper", my_helper_fn});
//   auto program = ubee::assemble("r0 = *(u32 *)(r1 + 0)\n exit");
//   auto vm = ubee::Interpreter::load(*program, helpers);
//   auto r0 = vm->run(&context, sizeof context);
//
// Every call that can fail returns a ubee::Result; examples/embed.cpp is a complete program.
#pragma once

#include "ubee/asm.hpp"
#include "ubee/error.hpp"
#include "ubee/helpers.hpp"
#include "ubee/isa.hpp"
#include "ubee/vm.hpp"
