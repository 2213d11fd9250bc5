# Installs the ember build at EMBER_BUILD_DIR into a scratch prefix, then
# configures, builds and runs the consumer project against it.
# Run by CTest: cmake -DEMBER_BUILD_DIR=... -DCONSUMER_SOURCE_DIR=... -P this file.
foreach(var EMBER_BUILD_DIR CONSUMER_SOURCE_DIR CONSUMER_WORK_DIR CONSUMER_CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT CONSUMER_BUILD_TYPE)
  set(CONSUMER_BUILD_TYPE Release)
endif()

set(prefix ${CONSUMER_WORK_DIR}/prefix)
set(build ${CONSUMER_WORK_DIR}/build)
file(REMOVE_RECURSE ${CONSUMER_WORK_DIR})

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${result}):\n${output}")
  endif()
  message(STATUS "consumer: ${what} ok")
endfunction()

run_step("install" ${CMAKE_COMMAND} --install ${EMBER_BUILD_DIR} --prefix ${prefix})
run_step("configure" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build}
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}
  -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}
  "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_CXX_FLAGS}")
run_step("build" ${CMAKE_COMMAND} --build ${build})

execute_process(COMMAND ${build}/consumer RESULT_VARIABLE result OUTPUT_VARIABLE output
                ERROR_VARIABLE output)
message(STATUS "${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "consumer: the program failed (${result})")
endif()
