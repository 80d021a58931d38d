# Compiling eBPF C programs with clang (-target bpf) at build time: the test corpus and the examples.
find_program(UBEE_BPF_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14
             DOC "clang used to compile the eBPF test programs (-mcpu=v3)")
find_program(UBEE_BPF_CLANG19 NAMES clang-19 DOC "clang 19, to compile the eBPF test programs with -mcpu=v4")

# The multiarch include directory (/usr/include/x86_64-linux-gnu) holds <asm/types.h>, which <linux/bpf.h> needs.
execute_process(COMMAND gcc -print-multiarch OUTPUT_VARIABLE UBEE_BPF_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE multiarch_result)
if(NOT multiarch_result EQUAL 0 OR UBEE_BPF_MULTIARCH STREQUAL "")
  set(UBEE_BPF_MULTIARCH "${CMAKE_SYSTEM_PROCESSOR}-linux-gnu")
endif()

# ubee_compile_bpf_objects(OUTPUTS_VAR COMPILER MCPU OUTPUT_DIR SOURCES...): one custom command per source,
# compiling it into OUTPUT_DIR/NAME.o (NAME.bpf.c -> NAME.o), with its header dependencies tracked.
function(ubee_compile_bpf_objects outputs_var compiler mcpu output_dir)
  set(outputs "")
  file(MAKE_DIRECTORY "${output_dir}")
  foreach(source IN LISTS ARGN)
    get_filename_component(file_name "${source}" NAME)
    string(REGEX REPLACE "\\.bpf\\.c$" "" name "${file_name}")
    set(object "${output_dir}/${name}.o")
    add_custom_command(
      OUTPUT "${object}"
      COMMAND "${compiler}" -O2 -g -Wall -target bpf -mcpu=${mcpu} "-I/usr/include/${UBEE_BPF_MULTIARCH}"
              -MD -MF "${object}.d" -c "${source}" -o "${object}"
      DEPENDS "${source}"
      DEPFILE "${object}.d"
      COMMENT "Compiling eBPF program ${name} (-mcpu=${mcpu})"
      VERBATIM)
    list(APPEND outputs "${object}")
  endforeach()
  set(${outputs_var} "${outputs}" PARENT_SCOPE)
endfunction()

