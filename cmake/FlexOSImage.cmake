# flexos_image(<target>
#   [BACKEND <fcall|mpk|proc>]
#   [COMPARTMENT <name> LIBRARIES <library targets...>
#                [SANDBOXED_BY <compartments...>]]...
#   [AUTO_GATES] [PKRU_SCAN off|warn|error]     flexos-gen (docs/gen.md)
#   [CROSSINGS <file>]                          AUTO_GATES: the counts of a
#                                               run (FLEXOS_CROSSINGS) on
#                                               the compartment graph
#   [SPLIT_STACKS]                              clang's SafeStack (user guide)
#   [SHARING_POLICY <file>]                     docs/porting.md
#   [LEARN <report prefix>])                    run in learning mode
#
# Turns the executable <target> into a FlexOS image: <target>'s own code and
# every library it links that is not named in a COMPARTMENT form the default
# compartment (named after <target>); each COMPARTMENT holds the libraries it
# lists.  Call it after target_link_libraries(<target> ...).
#
# Compartments distrust each other by default.  SANDBOXED_BY makes a
# compartment the sandbox of the compartments it names (the default one is
# named after <target>): they may read and write its memory (static data,
# heap, stacks) directly, it never theirs (docs/user-guide.md).
#
# The cache variable FLEXOS_BACKEND, when set, overrides BACKEND of every
# image at configure time.  Gates name libraries by their target names, so
# those must be C identifiers; a target whose property FLEXOS_LIBRARY_NAME
# is set is named by it instead (the same sources built as two targets, one
# per backend, keep one name).
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/FlexOSGen.cmake) # AUTO_GATES: flexos-gen
include(${CMAKE_CURRENT_LIST_DIR}/FlexOSBaremetal.cmake OPTIONAL) # baremetal

# What every image's link wraps (--wrap): main and pthread_create, which
# start code on compartment stacks, pthread_join, which leaves the
# compartment while it waits, pthread_exit, which opens the stacks it
# unwinds (libflexos/pthread.c), the setjmp and longjmp functions, so
# that a longjmp out of calls into other compartments leaves them
# (docs/user-guide.md), those that register exit handlers and key
# destructors, which run in the compartment that registered them
# (libflexos/exit_handlers.c: musl's atexit calls __cxa_atexit from its
# own file, where no wrap reaches, so atexit is wrapped too; glibc's
# on_exit, __cxa_at_quick_exit, which its at_quick_exit calls, and
# thread-exit handlers are Linux's alone), and, on Linux
# (FLEXOS_LINK_WRAPPED_LINUX), the
# functions that install signal handlers, which the runtime installs with
# its own restorer (libflexos/signal.c; baremetal's kernel delivers no
# signals), and those that start programs, which the C library does from a
# child the system-call policy would kill (libflexos/spawn.c).
set(FLEXOS_LINK_WRAPPED main pthread_create pthread_join pthread_exit
    setjmp _setjmp __sigsetjmp
    longjmp _longjmp siglongjmp __longjmp_chk
    atexit __cxa_atexit at_quick_exit pthread_key_create pthread_key_delete
    CACHE INTERNAL "symbols every FlexOS image's link wraps")
set(FLEXOS_LINK_WRAPPED_LINUX
    sigaction signal bsd_signal ssignal __sysv_signal sysv_signal sigset
    posix_spawn posix_spawnp system popen pclose
    posix_spawn_file_actions_init posix_spawn_file_actions_destroy
    posix_spawn_file_actions_addopen posix_spawn_file_actions_addclose
    posix_spawn_file_actions_adddup2 posix_spawn_file_actions_addchdir_np
    posix_spawn_file_actions_addfchdir_np
    posix_spawn_file_actions_addclosefrom_np
    posix_spawn_file_actions_addtcsetpgrp_np
    on_exit __cxa_at_quick_exit __cxa_thread_atexit_impl __cxa_thread_atexit
    CACHE INTERNAL "symbols a Linux FlexOS image's link wraps too")

set(FLEXOS_BACKEND "" CACHE STRING
    "Backend of every FlexOS image, overriding BACKEND (fcall, mpk, proc)")
# In the cache, like every setting flexos_image() reads: a project that adds
# FlexOS with add_subdirectory or FetchContent calls it from another
# directory, where this file's variables are not seen.
set(FLEXOS_KNOWN_BACKENDS fcall mpk proc baremetal CACHE INTERNAL "")
set(FLEXOS_MAX_COMPARTMENTS 16 CACHE INTERNAL "")

function(_flexos_fail target)
  # ARGV<n> keeps each argument whole: ${ARGN} would drop the ';' of
  # messages such as "17 compartments; at most 16".
  set(message "")
  math(EXPR last "${ARGC} - 1")
  foreach(i RANGE 1 ${last})
    string(APPEND message "${ARGV${i}}")
  endforeach()
  message(FATAL_ERROR "flexos_image(${target}): ${message}")
endfunction()

function(_flexos_check_identifier target what name)
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    _flexos_fail(${target} "${what} '${name}' is not a C identifier; gates "
                 "name it in C source")
  endif()
endfunction()

# Sets <out> to where flexos_image() writes what depends on the build
# configuration (file names, the tool's path): <dir> itself with a
# single-configuration generator, <dir>/<config> with a multi-configuration
# one (Ninja Multi-Config), where one build tree holds every configuration
# and file(GENERATE) would otherwise write one file with several contents.
function(_flexos_config_dir out dir)
  get_property(multi GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(multi)
    set(${out} ${dir}/$<CONFIG> PARENT_SCOPE)
  else()
    set(${out} ${dir} PARENT_SCOPE)
  endif()
endfunction()

# The name gates use for a library target.
function(_flexos_library_name out lib)
  get_target_property(name ${lib} FLEXOS_LIBRARY_NAME)
  if(NOT name)
    set(name ${lib})
  endif()
  set(${out} ${name} PARENT_SCOPE)
endfunction()

# Appends to <out> an output section <name> of the <inputs> sections (one
# string, "a b ...") of the input files matching <files>, between symbols
# <start> and <end>.  Page aligned at both ends so that its pages hold
# nothing else: a backend protects (or shares) them whole.
function(_flexos_output_section out name start end inputs)
  set(text "  ${name} ALIGN(4096) :\n  {\n    ${start} = .;\n")
  foreach(files IN LISTS ARGN)
    string(APPEND text "    ${files}(${inputs})\n")
  endforeach()
  string(APPEND text "    . = ALIGN(4096);\n    ${end} = .;\n  }\n")
  set(${out} "${${out}}${text}" PARENT_SCOPE)
endfunction()

# Checks the SANDBOXED_BY relation of flexos_image(<target>) (variables
# trusted_by_<compartment> in the caller's scope; the default compartment
# may be named <target> or <main_name>) and sets trusted_by_mask_<c>: the
# bits of the compartments that reach <c>, in the order of <compartments>,
# and sandbox_conf: the same as flexos-gen directives.  A cycle would give
# two compartments the same rights.
macro(_flexos_sandboxes target main_name compartments)
  set(_all ${compartments})
  set(sandbox_conf "")
  foreach(_s IN LISTS _all)
    set(trusted_by_mask_${_s} 0)
    set(_reached_${_s} "")
  endforeach()
  foreach(_s IN LISTS _all)
    foreach(_by IN LISTS trusted_by_${_s})
      if(_by STREQUAL main_name)
        set(_by ${target})
      endif()
      list(FIND _all ${_by} _bit)
      if(_bit LESS 0)
        _flexos_fail(${target} "compartment '${_s}' is SANDBOXED_BY "
                     "'${_by}', which is no compartment of the image (the "
                     "default one is named '${main_name}')")
      endif()
      if(_by STREQUAL _s)
        _flexos_fail(${target} "compartment '${_s}' is SANDBOXED_BY itself")
      endif()
      math(EXPR trusted_by_mask_${_s} "${trusted_by_mask_${_s}} | (1 << ${_bit})")
      if(_by STREQUAL target)
        string(APPEND sandbox_conf "sandbox ${_s} ${main_name}\n")
      else()
        string(APPEND sandbox_conf "sandbox ${_s} ${_by}\n")
      endif()
      list(APPEND _reached_${_by} ${_s})
    endforeach()
  endforeach()
  # A cycle: some compartment reaches itself through the relation.
  foreach(_start IN LISTS _all)
    set(_seen "")
    set(_todo ${_reached_${_start}})
    while(_todo)
      list(POP_FRONT _todo _next)
      if(_next STREQUAL _start)
        _flexos_fail(${target} "SANDBOXED_BY forms a cycle through "
                     "compartment '${_start}': a compartment cannot be the "
                     "sandbox of its own sandbox")
      endif()
      if(NOT _next IN_LIST _seen)
        list(APPEND _seen ${_next})
        list(APPEND _todo ${_reached_${_next}})
      endif()
    endwhile()
  endforeach()
endmacro()

function(flexos_image target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "flexos_image: '${target}' is not a target")
  endif()
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "EXECUTABLE")
    _flexos_fail(${target} "'${target}' is a ${type}, not an executable")
  endif()
  _flexos_library_name(main_name ${target})
  _flexos_check_identifier(${target} "target name" ${main_name})

  # Parse: BACKEND <name> | COMPARTMENT <name> LIBRARIES <libs...>
  set(backend fcall)
  set(compartments ${target})
  set(mode "")
  set(current "")
  set(split_stacks OFF)
  foreach(arg IN LISTS ARGN)
    if(arg STREQUAL "BACKEND" OR arg STREQUAL "COMPARTMENT")
      set(mode ${arg})
    elseif(arg STREQUAL "LIBRARIES")
      if(current STREQUAL "")
        _flexos_fail(${target} "LIBRARIES must follow COMPARTMENT <name>")
      endif()
      set(mode LIBRARIES)
    elseif(arg STREQUAL "SANDBOXED_BY")
      if(NOT mode STREQUAL "LIBRARIES")
        _flexos_fail(${target} "SANDBOXED_BY must follow COMPARTMENT <name> "
                     "LIBRARIES <libraries...>")
      endif()
      set(mode SANDBOXED_BY)
      set(sandboxed_${current} ON)
    # flexos-gen options (cmake/FlexOSGen.cmake)
    elseif(arg STREQUAL "AUTO_GATES")
      set(auto_gates ON)
      set(mode "")
    elseif(arg STREQUAL "SPLIT_STACKS")
      set(split_stacks ON)
      set(mode "")
    elseif(arg STREQUAL "SHARING_POLICY" OR arg STREQUAL "PKRU_SCAN" OR
           arg STREQUAL "LEARN" OR arg STREQUAL "CROSSINGS")
      set(mode ${arg})
    elseif(mode STREQUAL "SHARING_POLICY" OR mode STREQUAL "PKRU_SCAN" OR
           mode STREQUAL "LEARN" OR mode STREQUAL "CROSSINGS")
      set(gen_${mode} ${arg})
      set(mode "")
    elseif(mode STREQUAL "BACKEND")
      set(backend ${arg})
      set(mode "")
    elseif(mode STREQUAL "COMPARTMENT")
      _flexos_check_identifier(${target} "compartment name" ${arg})
      if(arg IN_LIST compartments OR arg STREQUAL main_name)
        _flexos_fail(${target} "compartment '${arg}' is declared twice (the "
                     "default compartment is named '${target}')")
      endif()
      list(APPEND compartments ${arg})
      set(current ${arg})
      set(libs_${arg} "")
      set(trusted_by_${arg} "")
      set(sandboxed_${arg} OFF)
      set(mode "")
    elseif(mode STREQUAL "SANDBOXED_BY")
      list(APPEND trusted_by_${current} ${arg})
    elseif(mode STREQUAL "LIBRARIES")
      if(NOT TARGET ${arg})
        _flexos_fail(${target} "library '${arg}' of compartment '${current}' "
                     "is not a target")
      endif()
      if(arg STREQUAL target)
        _flexos_fail(${target} "'${target}' is the image itself; its code "
                     "is the default compartment")
      endif()
      _flexos_library_name(name ${arg})
      _flexos_check_identifier(${target} "library name" ${name})
      if(DEFINED lib_named_${name} AND NOT lib_named_${name} STREQUAL arg)
        _flexos_fail(${target} "libraries '${lib_named_${name}}' and '${arg}' "
                     "are both named '${name}' (FLEXOS_LIBRARY_NAME); gates "
                     "could not tell them apart")
      endif()
      set(lib_named_${name} ${arg})
      if(DEFINED home_${arg})
        _flexos_fail(${target} "library '${arg}' is assigned to two "
                     "compartments: '${home_${arg}}' and '${current}'")
      endif()
      set(home_${arg} ${current})
      list(APPEND libs_${current} ${arg})
    else()
      _flexos_fail(${target} "unexpected argument '${arg}'; expected BACKEND, "
                   "COMPARTMENT or LIBRARIES")
    endif()
  endforeach()
  if(mode STREQUAL "BACKEND" OR mode STREQUAL "COMPARTMENT")
    _flexos_fail(${target} "${mode} needs a value")
  endif()
  foreach(comp IN LISTS compartments)
    if(sandboxed_${comp} AND trusted_by_${comp} STREQUAL "")
      _flexos_fail(${target} "SANDBOXED_BY of compartment '${comp}' names "
                   "no compartment")
    endif()
  endforeach()
  _flexos_sandboxes(${target} ${main_name} "${compartments}")
  set(backend_origin "")
  if(FLEXOS_BACKEND)
    set(backend ${FLEXOS_BACKEND})
    set(backend_origin " (from FLEXOS_BACKEND)")
  endif()
  if(NOT backend IN_LIST FLEXOS_KNOWN_BACKENDS)
    string(JOIN ", " known ${FLEXOS_KNOWN_BACKENDS})
    _flexos_fail(${target} "unknown backend '${backend}'${backend_origin} "
                 "(known: ${known})")
  endif()
  list(LENGTH compartments ncompartments)
  if(ncompartments GREATER FLEXOS_MAX_COMPARTMENTS)
    _flexos_fail(${target} "${ncompartments} compartments; at most "
                 "${FLEXOS_MAX_COMPARTMENTS} are supported")
  endif()
  foreach(comp IN LISTS compartments)
    if(NOT comp STREQUAL target AND libs_${comp} STREQUAL "")
      _flexos_fail(${target} "compartment '${comp}' has no LIBRARIES")
    endif()
  endforeach()

  # The default compartment: the target's objects and the libraries it links
  # directly that no COMPARTMENT claims.
  get_target_property(linked ${target} LINK_LIBRARIES)
  set(libs_${target} "")
  foreach(lib IN LISTS linked)
    if(TARGET ${lib} AND NOT DEFINED home_${lib} AND NOT lib MATCHES "^FlexOS::|^flexos")
      get_target_property(lib_type ${lib} TYPE)
      _flexos_library_name(name ${lib})
      if(lib_type STREQUAL "STATIC_LIBRARY" AND name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
        list(APPEND libs_${target} ${lib})
        set(home_${lib} ${target})
      endif()
    endif()
  endforeach()

  set(dir ${CMAKE_CURRENT_BINARY_DIR}/flexos/${target})
  set(banner "Generated by flexos_image(${target}); do not edit.")

  # Library tokens: what gates name.
  string(CONCAT header "/* ${banner} */\n#ifndef FLEXOS_IMAGE_LIBRARIES_H\n"
                "#define FLEXOS_IMAGE_LIBRARIES_H\n#include <flexos/image.h>\n")
  string(CONCAT source "/* ${banner} */\n#include <flexos/backend.h>\n"
                "#include <flexos/image.h>\n\n"
                "extern const struct flexos_backend flexos_backend_${backend};\n")
  set(table "")
  # Two groups of output sections: initialised data (each compartment's,
  # then the shared region) right after .data, and each compartment's
  # zero-filled data after .bss.  NOBITS sections interleaved with PROGBITS
  # ones in one segment would be written to the file as zeros.
  set(data_sections "")
  set(bss_sections "")
  set(shared_parts "")
  set(entry_parts "")
  set(index 0)
  foreach(comp IN LISTS compartments)
    set(members ${libs_${comp}})
    if(comp STREQUAL target)
      list(APPEND members ${target})
    endif()
    set(comp_name ${comp})
    if(comp STREQUAL target)
      set(comp_name ${main_name})
    endif()
    foreach(lib IN LISTS members)
      _flexos_library_name(name ${lib})
      string(APPEND header "extern const struct flexos_library flexos_lib_${name};\n")
      string(APPEND source "const struct flexos_library flexos_lib_${name} = "
                           "{ ${index}, \"${name}\" };\n")
    endforeach()
    if(backend STREQUAL "fcall")
      string(APPEND table "\t{ \"${comp_name}\", 0, 0, 0, 0, ${trusted_by_mask_${comp}}, 0, 0, 0, 0 },\n")
    else()
      string(APPEND source
        "extern char flexos__data_start_${comp_name}[], flexos__data_end_${comp_name}[],\n"
        "\tflexos__bss_start_${comp_name}[], flexos__bss_end_${comp_name}[],\n"
        "\tflexos__shared_start_${comp_name}[], flexos__shared_end_${comp_name}[];\n"
        "extern const char flexos__entries_start_${comp_name}[],\n"
        "\tflexos__entries_end_${comp_name}[];\n")
      string(APPEND table "\t{ \"${comp_name}\",\n"
        "\t  flexos__data_start_${comp_name}, flexos__data_end_${comp_name},\n"
        "\t  flexos__bss_start_${comp_name}, flexos__bss_end_${comp_name},\n"
        "\t  ${trusted_by_mask_${comp}},\n"
        "\t  flexos__shared_start_${comp_name}, flexos__shared_end_${comp_name},\n"
        "\t  flexos__entries_start_${comp_name}, flexos__entries_end_${comp_name} },\n")
      # The compartment's input files.
      set(files "")
      if(comp STREQUAL target)
        list(APPEND files "*CMakeFiles/${target}.dir/*")
      endif()
      foreach(lib IN LISTS libs_${comp})
        list(APPEND files "$<TARGET_FILE_NAME:${lib}>:*" "*/$<TARGET_FILE_NAME:${lib}>:*")
      endforeach()
      # Every .data section but .data.rel.ro*: tables of pointers that are
      # const in C stay in RELRO, read-only once relocated and readable by
      # every compartment (ld's patterns have no "but": the classes spell
      # it out).
      _flexos_output_section(data_sections .flexos.data.${comp_name}
        flexos__data_start_${comp_name} flexos__data_end_${comp_name}
        ".data .data.[!r]* .data.r .data.r[!e]* .data.re .data.re[!l]* .data.rel .data.rel[!.]* .data.rel.[!r]* .data.rel.r .data.rel.r[!o]* .data.rel.ro[!.]*"
        ${files})
      _flexos_output_section(bss_sections .flexos.bss.${comp_name}
        flexos__bss_start_${comp_name} flexos__bss_end_${comp_name}
        ".bss .bss.* COMMON" ${files})
      # Its part of the shared region, for FLEXOS_STATS.
      string(APPEND shared_parts "    flexos__shared_start_${comp_name} = .;\n")
      foreach(f IN LISTS files)
        string(APPEND shared_parts "    ${f}(.flexos.shared .flexos.shared.*)\n")
      endforeach()
      string(APPEND shared_parts "    flexos__shared_end_${comp_name} = .;\n")
      # Its gate records: the default compartment's also those of
      # flexos-gen's stubs, which the build wrote.
      set(record_files ${files})
      if(comp STREQUAL target)
        list(APPEND record_files "${dir}/gen/*autogates.o")
      endif()
      string(APPEND entry_parts "    flexos__entries_start_${comp_name} = .;\n")
      foreach(f IN LISTS record_files)
        string(APPEND entry_parts "    KEEP(${f}(flexos_entries))\n")
      endforeach()
      string(APPEND entry_parts "    flexos__entries_end_${comp_name} = .;\n")
    endif()
    math(EXPR index "${index} + 1")
  endforeach()
  string(APPEND header "#endif\n")
  # The sharing policy and the learning-mode report, for the runtime.  The
  # policy's text goes into the image (installed, it reads no file of the
  # build machine); configure runs again when the file changes.
  set(run_time_files "0, 0, 0")
  set(policy_path "")
  if(gen_SHARING_POLICY)
    # An input: relative to the sources.
    get_filename_component(policy_path "${gen_SHARING_POLICY}" ABSOLUTE
                           BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${policy_path} OR IS_DIRECTORY ${policy_path})
      message(FATAL_ERROR "flexos_image(${target}): SHARING_POLICY "
                          "'${gen_SHARING_POLICY}' is not a file (${policy_path})")
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${policy_path})
    file(READ ${policy_path} policy_hex HEX)
    string(REGEX REPLACE "(..)" "0x\\1," policy_bytes "${policy_hex}")
    string(APPEND source "\nstatic const char policy_text[] = {${policy_bytes}0};\n")
    string(REGEX REPLACE "([\\\"])" "\\\\\\1" policy_name "${gen_SHARING_POLICY}")
    set(run_time_files "\"${policy_name}\", policy_text, 0")
  endif()
  if(gen_LEARN)
    # An output: relative to the build tree.
    get_filename_component(path "${gen_LEARN}" ABSOLUTE
                           BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})
    string(REGEX REPLACE "0$" "\"${path}\"" run_time_files "${run_time_files}")
  endif()
  if(backend STREQUAL "fcall")
    set(shared_bounds "0, 0")
  else()
    string(APPEND source "extern char flexos__shared_start[], flexos__shared_end[];\n")
    set(shared_bounds "flexos__shared_start, flexos__shared_end")
  endif()
  string(APPEND source "\nstatic const struct flexos_compartment_desc compartments[] = {\n"
                       "${table}};\n\nconst struct flexos_image_desc flexos_image = {\n"
                       "\t\"${main_name}\", &flexos_backend_${backend}, ${ncompartments}, compartments,\n"
                       "\t${shared_bounds}, ${run_time_files}\n};\n")
  # Gate records, each compartment's together; the rest came from objects
  # the build placed in no compartment, and start-up refuses them.
  string(APPEND data_sections "  flexos_entries :\n  {\n${entry_parts}"
    "    KEEP(*(flexos_entries))\n  }\n")
  # FLEXOS_SHARED data is PROGBITS even when zero (a named section; and
  # flexos-gen turns the .bss it moves there into PROGBITS), so it belongs
  # with the initialised data.
  string(APPEND data_sections "  .flexos.shared ALIGN(4096) :\n  {\n"
    "    flexos__shared_start = .;\n${shared_parts}"
    "    *(.flexos.shared .flexos.shared.*)\n"
    "    . = ALIGN(4096);\n    flexos__shared_end = .;\n  }\n")
  string(CONCAT script "/* ${banner} */\n"
    "SECTIONS\n{\n${data_sections}}\nINSERT AFTER .data;\n"
    "SECTIONS\n{\n${bss_sections}}\nINSERT AFTER .bss;\n")

  file(GENERATE OUTPUT ${dir}/include/flexos_image_libraries.h CONTENT "${header}")
  file(GENERATE OUTPUT ${dir}/image.c CONTENT "${source}")

  # The description is compiled apart from <target>'s objects: it must stay
  # in memory every compartment can read.
  add_library(${target}_flexos_image OBJECT ${dir}/image.c)
  # The runtime every part builds against: baremetal's is built with musl.
  set(runtime FlexOS::flexos)
  if(backend STREQUAL "baremetal")
    set(runtime FlexOS::baremetal)
  endif()
  if(backend STREQUAL "fcall")
    set(backend_target FlexOS::flexos)
  else()
    set(backend_target FlexOS::${backend})
  endif()
  target_link_libraries(${target}_flexos_image PRIVATE ${runtime})
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:${target}_flexos_image>)
  target_link_libraries(${target} PRIVATE ${backend_target})
  set(wrapped ${FLEXOS_LINK_WRAPPED})
  if(NOT backend STREQUAL "baremetal")
    list(APPEND wrapped ${FLEXOS_LINK_WRAPPED_LINUX})
  endif()
  list(TRANSFORM wrapped PREPEND "LINKER:--wrap=" OUTPUT_VARIABLE wraps)
  target_link_options(${target} PRIVATE ${wraps} LINKER:--undefined=malloc)
  if(NOT backend STREQUAL "baremetal")
    # Every symbol bound at load and the table read-only after: a
    # writable .got.plt would let any compartment send the next call of
    # the C library's functions, from any compartment, to code it chose.
    target_link_options(${target} PRIVATE LINKER:-z,now LINKER:-z,relro)
  endif()
  if(NOT backend STREQUAL "fcall")
    # Per configuration: it names the libraries' files, which a
    # configuration's postfix (CMAKE_DEBUG_POSTFIX) renames.
    _flexos_config_dir(ld_dir ${dir})
    file(GENERATE OUTPUT ${ld_dir}/image.ld CONTENT "${script}")
    target_link_options(${target} PRIVATE "LINKER:-T,${ld_dir}/image.ld")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${ld_dir}/image.ld)
  endif()

  # Every part of the image sees the library tokens and the backend.
  string(TOUPPER ${backend} BACKEND)
  set(parts ${target})
  foreach(comp IN LISTS compartments)
    list(APPEND parts ${libs_${comp}})
  endforeach()
  list(REMOVE_DUPLICATES parts)
  foreach(part IN LISTS parts)
    # A compartment's library must not stand in for a shared library's
    # dependency: libdw's libelf would call the image's zlib.
    if(NOT part STREQUAL target AND NOT backend STREQUAL "baremetal")
      target_link_options(${target} PRIVATE
        "LINKER:--exclude-libs,$<TARGET_FILE_NAME:${part}>")
    endif()
    get_target_property(imported ${part} IMPORTED)
    if(NOT imported)
      target_include_directories(${part} PRIVATE ${dir}/include)
      target_compile_definitions(${part} PRIVATE FLEXOS_BACKEND_${BACKEND}=1)
      if(backend STREQUAL "baremetal")
        target_link_libraries(${part} PRIVATE ${runtime})
        # musl's headers replace the system's C library headers; a
        # library's own (bzlib.h in /usr/include) is still found, after.
        foreach(dir IN LISTS CMAKE_C_IMPLICIT_INCLUDE_DIRECTORIES)
          target_compile_options(${part} PRIVATE "SHELL:-idirafter ${dir}")
        endforeach()
      elseif(part STREQUAL target)
        target_link_libraries(${part} PRIVATE ${runtime})
      else()
        # What compiling against the runtime needs, not the runtime
        # itself: a static library's link dependencies follow it into
        # every program that links it (a unit test, a plain build), where
        # the runtime's main wrapper has no main to wrap.
        foreach(usage INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS)
          set_property(TARGET ${part} APPEND PROPERTY ${usage}
            "$<TARGET_PROPERTY:${runtime},INTERFACE_${usage}>")
        endforeach()
      endif()
    endif()
  endforeach()
  # SPLIT_STACKS: clang's SafeStack moves the locals whose address escapes
  # onto a stack every compartment reaches (libflexos/split_stack.c).
  if(split_stacks)
    if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
      foreach(part IN LISTS parts)
        get_target_property(imported ${part} IMPORTED)
        if(NOT imported)
          # The unsafe stack pointer's word comes from the runtime, not
          # a thread-local variable every compartment could rewrite.
          target_compile_options(${part} PRIVATE -fsanitize=safe-stack
            "SHELL:-mllvm -safestack-use-pointer-address")
        endif()
      endforeach()
    else()
      message(WARNING "flexos_image(${target}): SPLIT_STACKS needs clang's "
        "SafeStack (-fsanitize=safe-stack), which ${CMAKE_C_COMPILER_ID} lacks: the "
        "stacks stay whole and private, so a local whose address is passed "
        "to another compartment faults there unless the sharing policy says "
        "share-stacks (which shares every stack, return addresses too)")
    endif()
  endif()
  # What flexos_explore() carries into the configurations it builds.
  set(image_options "")
  if(split_stacks)
    list(APPEND image_options SPLIT_STACKS)
  endif()
  if(auto_gates)
    list(APPEND image_options AUTO_GATES)
  endif()
  if(gen_PKRU_SCAN)
    list(APPEND image_options PKRU_SCAN ${gen_PKRU_SCAN})
  endif()
  if(policy_path)
    list(APPEND image_options SHARING_POLICY ${policy_path})
  endif()
  set_target_properties(${target} PROPERTIES FLEXOS_BACKEND ${backend}
                        FLEXOS_IMAGE_OPTIONS "${image_options}")
  if(backend STREQUAL "baremetal") # cmake/FlexOSBaremetal.cmake
    _flexos_baremetal_image(${target})
  endif()
  if(auto_gates) # flexos-gen (cmake/FlexOSGen.cmake)
    _flexos_gen_image(${target} ${dir} ${backend})
  elseif(gen_CROSSINGS)
    _flexos_fail(${target} "CROSSINGS needs AUTO_GATES: the compartment "
                 "graph is flexos-gen's (docs/gen.md)")
  endif()
  message(STATUS "FlexOS image ${target}: backend ${backend}, compartments ${compartments}")
endfunction()

# flexos_install_image(<target> [DESTINATION <dir>])
#
# Installs the image <target> for release, into DESTINATION (default: the
# project's bin directory).  The program carries its sharing policy, so a
# Linux image is only the program.  A baremetal image also gets its runner
# (<program>-run) beside it, and the kernel and the scripts the runner calls
# in <libexec>/flexos, so that the installed tree boots with QEMU alone;
# and <program>.iso, when the <target>-iso target was built.
function(flexos_install_image target)
  cmake_parse_arguments(arg "" "DESTINATION" "" ${ARGN})
  if(arg_UNPARSED_ARGUMENTS OR (DEFINED arg_DESTINATION AND NOT arg_DESTINATION))
    message(FATAL_ERROR "flexos_install_image(${target}): expected "
                        "[DESTINATION <dir>], got '${ARGN}'")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "flexos_install_image(${target}): no such target")
  endif()
  get_target_property(backend ${target} FLEXOS_BACKEND)
  if(NOT backend)
    message(FATAL_ERROR "flexos_install_image(${target}): not a FlexOS "
                        "image; call flexos_image(${target} ...) first")
  endif()
  include(GNUInstallDirs)
  set(destination ${CMAKE_INSTALL_BINDIR})
  if(arg_DESTINATION)
    set(destination ${arg_DESTINATION})
  endif()
  install(TARGETS ${target} RUNTIME DESTINATION ${destination})
  if(backend STREQUAL "baremetal") # cmake/FlexOSBaremetal.cmake
    _flexos_baremetal_install(${target} ${destination})
  endif()
endfunction()
