# Runs a command that must fail: its exit code must be EXPECT_RC and its output (stdout and
# stderr) must match EXPECT_REGEX. Arguments: CMD (list), EXPECT_RC, EXPECT_REGEX, and NO_PATH
# (optional): a path that must not exist afterwards (nothing half-written).
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT_RC}: ${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not say '${EXPECT_REGEX}': ${out}${err}")
endif()
if(DEFINED NO_PATH AND EXISTS "${NO_PATH}")
  message(FATAL_ERROR "'${NO_PATH}' exists after a failed run")
endif()
message(STATUS "exit code ${rc} and '${EXPECT_REGEX}'")
