# flexos_explore(<target>
#   BENCHMARK <command...>            exits 0 on success; @IMAGE@ is the image
#   [BUDGET <ratio>]                  cost allowed, x fcall (default 1.10)
#   [RUNS <n>]                        timed rounds per configuration (5)
#   [MAX_COMPARTMENTS <n>]            the cap on compartments per partition
#   [BACKENDS <fcall|mpk-emu|mpk-hw|proc|baremetal...>]  (default: all)
#   [TRUST <none|sandboxed...>]       with and without SANDBOXED_BY (both)
#   [TOGETHER <units...>]...          units always in one compartment
#   [APART <units...>]...             units never in one compartment
#   [MIN_SAFETY <score>]              also report the cheapest this safe
#   [VERIFY_PRUNED <n>]               pruned points measured anyway, per
#                                     pair of mechanisms (1)
#   [DIRECTORY <dir>])                where results and builds go
#
# Adds the target explore-<target>, which runs flexos-explore over the
# trade-off space of the executable <target>: its units are <target>'s own
# code (the default compartment) and the static libraries it links
# directly, named as gates name them; each configuration (partition of the
# units into compartments, mechanism, trust) is built as a project of its
# own from <target>'s sources and flags, and timed against the fcall
# baseline (docs/explore.md).  flexos_image()'s AUTO_GATES, SHARING_POLICY
# and PKRU_SCAN carry over; call flexos_explore() after flexos_image().
# With a multi-configuration generator (Ninja Multi-Config) each
# configuration explores on its own, in <directory>/<config>, built in that
# configuration.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/FlexOSImage.cmake) # _flexos_library_name

find_program(FLEXOS_GNUPLOT gnuplot)
mark_as_advanced(FLEXOS_GNUPLOT)

function(_flexos_explore_fail target)
  # message() joins its arguments; none of these messages holds a ';'.
  message(FATAL_ERROR "flexos_explore(${target}): " ${ARGN})
endfunction()

# Sets <out> to the gate name of unit <name> (a target or a gate name) of
# <target>, whose units are <units> and their targets <unit_targets>.
function(_flexos_explore_unit out target name setting units unit_targets)
  list(FIND units ${name} at)
  if(at LESS 0)
    list(FIND unit_targets ${name} at)
  endif()
  if(at LESS 0)
    string(JOIN ", " known ${units})
    _flexos_explore_fail(${target} "${setting}: '${name}' is no unit of "
                         "the image (its units: ${known})")
  endif()
  list(GET units ${at} gate_name)
  set(${out} ${gate_name} PARENT_SCOPE)
endfunction()

# CMake code that recreates unit <lib> of the explored image as target
# <name> in a configuration's project, with <lib>'s sources and flags as
# the build evaluates them, less what flexos_image() added.
function(_flexos_explore_part out lib name kind units unit_targets)
  set(kind_argument "")
  if(kind STREQUAL "add_library")
    set(kind_argument " STATIC")
  endif()
  get_target_property(imported ${lib} IMPORTED)
  set(t ${lib}) # shorter in the generator expressions below
  if(imported)
    set(${out} "add_library(${name} STATIC IMPORTED)
set_target_properties(${name} PROPERTIES
  IMPORTED_LOCATION [==[$<TARGET_FILE:${t}>]==]
  INTERFACE_INCLUDE_DIRECTORIES [==[$<TARGET_PROPERTY:${t},INTERFACE_INCLUDE_DIRECTORIES>]==]
  INTERFACE_COMPILE_DEFINITIONS [==[$<TARGET_PROPERTY:${t},INTERFACE_COMPILE_DEFINITIONS>]==])
" PARENT_SCOPE)
    return()
  endif()
  # Links: other units by their names here, FlexOS left to flexos_image(),
  # anything else by its file.
  set(links "")
  get_target_property(linked ${lib} LINK_LIBRARIES)
  if(NOT linked)
    set(linked "")
  endif()
  foreach(item IN LISTS linked)
    list(FIND unit_targets "${item}" at)
    if(at GREATER_EQUAL 0)
      list(GET units ${at} unit)
      string(APPEND links " ${unit}")
    elseif(item MATCHES "^FlexOS::|^flexos" OR item MATCHES "^\\$<")
    elseif(item STREQUAL "Threads::Threads" OR NOT TARGET ${item})
      string(APPEND links " [==[${item}]==]")
    else()
      string(APPEND links " [==[$<TARGET_LINKER_FILE:${item}>]==]")
    endif()
  endforeach()
  string(CONCAT code
    "${kind}(${name}${kind_argument})\n"
    "foreach(source IN ITEMS [==[$<FILTER:$<TARGET_PROPERTY:${t},SOURCES>,EXCLUDE,_flexos_image\\.dir/>]==])\n"
    "  get_filename_component(source \"\${source}\" ABSOLUTE BASE_DIR [==[$<TARGET_PROPERTY:${t},SOURCE_DIR>]==])\n"
    "  target_sources(${name} PRIVATE \"\${source}\")\n"
    "endforeach()\n"
    "set_target_properties(${name} PROPERTIES\n"
    "  INCLUDE_DIRECTORIES [==[$<FILTER:$<TARGET_PROPERTY:${t},INCLUDE_DIRECTORIES>,EXCLUDE,/flexos/[^/]+/include$>]==]\n"
    "  COMPILE_DEFINITIONS [==[$<FILTER:$<TARGET_PROPERTY:${t},COMPILE_DEFINITIONS>,EXCLUDE,^FLEXOS_BACKEND_>]==]\n"
    "  COMPILE_OPTIONS [==[$<TARGET_PROPERTY:${t},COMPILE_OPTIONS>]==]\n"
    "  LINK_OPTIONS [==[$<FILTER:$<TARGET_PROPERTY:${t},LINK_OPTIONS>,EXCLUDE,^LINKER:(--wrap=|-T$<COMMA>|--exclude-libs|--undefined=malloc)>]==]\n"
    "  INTERFACE_INCLUDE_DIRECTORIES [==[$<TARGET_PROPERTY:${t},INTERFACE_INCLUDE_DIRECTORIES>]==]\n"
    "  INTERFACE_COMPILE_DEFINITIONS [==[$<TARGET_PROPERTY:${t},INTERFACE_COMPILE_DEFINITIONS>]==])\n"
    "target_link_libraries(${name} PRIVATE${links})\n")
  foreach(property C_STANDARD C_EXTENSIONS POSITION_INDEPENDENT_CODE OUTPUT_NAME)
    if(property STREQUAL "OUTPUT_NAME")
      if(NOT kind STREQUAL "add_executable")
        continue()
      endif()
      set(value "$<TARGET_FILE_NAME:${t}>")
    else()
      set(value "$<TARGET_PROPERTY:${t},${property}>")
    endif()
    string(APPEND code "if(NOT [==[${value}]==] STREQUAL \"\")\n"
      "  set_target_properties(${name} PROPERTIES ${property} [==[${value}]==])\n"
      "endif()\n")
  endforeach()
  set(${out} "${code}" PARENT_SCOPE)
endfunction()

function(flexos_explore target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "flexos_explore: '${target}' is not a target")
  endif()
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "EXECUTABLE")
    _flexos_explore_fail(${target} "'${target}' is a ${type}, not an "
                         "executable")
  endif()
  get_target_property(image_backend ${target} FLEXOS_BACKEND)
  if(image_backend STREQUAL "baremetal")
    _flexos_explore_fail(${target} "explore a Linux image of the program "
                         "(fcall, mpk or proc): the baremetal one is built "
                         "with musl, which the configurations change")
  endif()
  if(NOT TARGET FlexOS::explore)
    _flexos_explore_fail(${target} "flexos-explore (target FlexOS::explore) "
                         "not found")
  endif()

  # Units: the image itself, then the static libraries it links directly.
  _flexos_library_name(main_name ${target})
  set(units ${main_name})
  set(unit_targets ${target})
  get_target_property(linked ${target} LINK_LIBRARIES)
  foreach(lib IN LISTS linked)
    if(TARGET ${lib} AND NOT lib MATCHES "^FlexOS::|^flexos")
      get_target_property(lib_type ${lib} TYPE)
      if(lib_type STREQUAL "STATIC_LIBRARY")
        _flexos_library_name(name ${lib})
        list(APPEND units ${name})
        list(APPEND unit_targets ${lib})
      endif()
    endif()
  endforeach()
  list(LENGTH units nunits)
  if(nunits LESS 2)
    _flexos_explore_fail(${target} "'${target}' links no static library: "
                         "nothing to put in compartments")
  endif()

  set(keywords BENCHMARK BUDGET RUNS MAX_COMPARTMENTS BACKENDS TRUST TOGETHER
               APART MIN_SAFETY VERIFY_PRUNED DIRECTORY)
  set(conf_lines "")
  set(benchmark "")
  set(directory ${CMAKE_CURRENT_BINARY_DIR}/explore-${target})
  set(mode "")
  set(group "")
  set(value_seen OFF)
  # Parsed by hand: TOGETHER and APART repeat, and each group is a list.
  foreach(arg IN LISTS ARGN ITEMS _END_)
    if(arg IN_LIST keywords OR arg STREQUAL "_END_")
      if(mode MATCHES "^(TOGETHER|APART)$")
        list(LENGTH group n)
        if(n LESS 2)
          _flexos_explore_fail(${target} "${mode} needs two units or more")
        endif()
        string(TOLOWER ${mode} key)
        string(JOIN " " names ${group})
        string(APPEND conf_lines "${key} ${names}\n")
      elseif(mode AND NOT mode STREQUAL "BENCHMARK" AND NOT value_seen)
        _flexos_explore_fail(${target} "${mode} needs a value")
      endif()
      set(mode ${arg})
      set(group "")
      set(value_seen OFF)
    elseif(mode STREQUAL "BENCHMARK")
      list(APPEND benchmark "${arg}")
    elseif(mode MATCHES "^(TOGETHER|APART)$")
      _flexos_explore_unit(name ${target} ${arg} ${mode} "${units}" "${unit_targets}")
      list(APPEND group ${name})
    elseif(mode MATCHES "^(BACKENDS|TRUST)$")
      set(known_BACKENDS fcall mpk-emu mpk-hw proc baremetal)
      set(known_TRUST none sandboxed)
      if(NOT arg IN_LIST known_${mode})
        string(JOIN ", " known ${known_${mode}})
        _flexos_explore_fail(${target} "${mode}: unknown '${arg}' (known: "
                             "${known})")
      endif()
      string(TOLOWER ${mode} key)
      list(APPEND ${key} ${arg})
      set(value_seen ON)
    elseif(mode STREQUAL "" OR value_seen)
      _flexos_explore_fail(${target} "unexpected argument '${arg}'; "
                           "expected one of ${keywords}")
    elseif(mode STREQUAL "DIRECTORY")
      get_filename_component(directory "${arg}" ABSOLUTE
                             BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})
      set(value_seen ON)
    else()
      # A number: BUDGET and MIN_SAFETY above 0, the counts whole.
      if(mode MATCHES "^(BUDGET|MIN_SAFETY)$")
        set(number_form "^([0-9]+\\.?[0-9]*|\\.[0-9]+)$")
        set(number_kind "a number above 0")
      else()
        set(number_form "^[0-9]+$")
        set(number_kind "a whole number")
      endif()
      if(NOT arg MATCHES "${number_form}" OR
         (NOT mode STREQUAL "VERIFY_PRUNED" AND arg EQUAL 0))
        _flexos_explore_fail(${target} "${mode}: '${arg}' is not "
                             "${number_kind}")
      endif()
      string(TOLOWER ${mode} key)
      string(APPEND conf_lines "${key} ${arg}\n")
      set(value_seen ON)
    endif()
  endforeach()
  if(NOT benchmark)
    _flexos_explore_fail(${target} "BENCHMARK <command...> is required: a "
                         "command that exits 0 on success, @IMAGE@ naming "
                         "the image")
  endif()
  foreach(key backends trust)
    if(${key})
      string(JOIN " " words ${${key}})
      string(APPEND conf_lines "${key} ${words}\n")
    endif()
  endforeach()

  # Per configuration with a multi-configuration generator: the parts'
  # flags, the build type and the measurements are the configuration's.
  _flexos_config_dir(directory ${directory})

  # The configurations' projects rebuild the units from these parts.
  set(parts "")
  set(kind add_executable)
  foreach(unit lib IN ZIP_LISTS units unit_targets)
    _flexos_explore_part(code ${lib} ${unit} ${kind} "${units}"
                         "${unit_targets}")
    string(APPEND parts "${code}")
    set(kind "add_library")
  endforeach()
  file(GENERATE OUTPUT ${directory}/parts.cmake CONTENT
       "# Generated by flexos_explore(${target}); do not edit.\n${parts}")

  foreach(unit lib IN ZIP_LISTS units unit_targets)
    string(APPEND conf_lines "unit ${unit} ${lib}\n")
  endforeach()
  get_target_property(image_options ${target} FLEXOS_IMAGE_OPTIONS)
  if(image_options)
    foreach(option IN LISTS image_options)
      string(APPEND conf_lines "image_option ${option}\n")
    endforeach()
  endif()
  foreach(word IN LISTS benchmark)
    string(APPEND conf_lines "benchmark ${word}\n")
  endforeach()
  if(FLEXOS_BAREMETAL_UNAVAILABLE OR NOT TARGET FlexOS::baremetal)
    set(why "${FLEXOS_BAREMETAL_UNAVAILABLE}")
    if(NOT why)
      set(why "this FlexOS was built without it")
    endif()
    string(APPEND conf_lines "baremetal_unavailable ${why}\n")
  endif()
  if(FLEXOS_GNUPLOT)
    string(APPEND conf_lines "gnuplot ${FLEXOS_GNUPLOT}\n")
  endif()
  # Set by FlexOSConfig.cmake, or by the FlexOS build this project includes.
  set(package_dir ${FLEXOS_PACKAGE_DIR})
  if(NOT package_dir)
    set(package_dir ${FlexOS_DIR})
  endif()
  file(GENERATE OUTPUT ${directory}/explore.conf CONTENT
"# Generated by flexos_explore(${target}); do not edit.
target ${target}
package_dir ${package_dir}
parts ${directory}/parts.cmake
cmake ${CMAKE_COMMAND}
compiler ${CMAKE_C_COMPILER}
build_type $<CONFIG>
output_name $<TARGET_FILE_NAME:${target}>
directory ${directory}
${conf_lines}")

  add_custom_target(explore-${target}
    COMMAND $<TARGET_FILE:FlexOS::explore> ${directory}/explore.conf
    USES_TERMINAL VERBATIM
    COMMENT "Exploring the trade-offs of ${target} (docs/explore.md)")
  # Built here (the FlexOS tree, or add_subdirectory): the configurations
  # link the runtime and backends from this build.
  foreach(part FlexOS::explore FlexOS::flexos FlexOS::mpk FlexOS::proc
               FlexOS::gen FlexOS::baremetal FlexOS::baremetal_kernel)
    if(TARGET ${part})
      get_target_property(real ${part} ALIASED_TARGET)
      if(real)
        add_dependencies(explore-${target} ${real})
      endif()
    endif()
  endforeach()
  set_target_properties(${target} PROPERTIES
    FLEXOS_EXPLORE_CONF ${directory}/explore.conf
    FLEXOS_EXPLORE_DIR ${directory})
  string(JOIN ", " unit_list ${units})
  message(STATUS "FlexOS exploration of ${target}: ${nunits} units "
                 "(${unit_list}); target explore-${target}")
endfunction()
