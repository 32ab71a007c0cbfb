# cmake -DBUILD_DIR=<FlexOS build> -DWORK_DIR=<dir> -P install.cmake
# Starts the package tests afresh: empties WORK_DIR and installs the built
# FlexOS into WORK_DIR/prefix.
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} failed: ${status}")
endif()
foreach(file lib/cmake/FlexOS/FlexOSConfig.cmake
             lib/cmake/FlexOS/FlexOSConfigVersion.cmake
             lib/cmake/FlexOS/FlexOSTargets.cmake
             lib/cmake/FlexOS/FlexOSImage.cmake
             lib/cmake/FlexOS/FlexOSExplore.cmake bin/flexos-explore
             lib/pkgconfig/flexos.pc lib/pkgconfig/flexos-mpk.pc
             include/flexos/flexos.h include/flexos/version.h)
  string(REPLACE "lib/" "${LIBDIR}/" file "${file}")
  if(NOT EXISTS "${WORK_DIR}/prefix/${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
