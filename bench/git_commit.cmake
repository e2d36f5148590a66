# cmake -DSOURCE_DIR=... -DOUTPUT=... -P git_commit.cmake: writes OUTPUT, a header defining
# TRUSTGATE_GIT_COMMIT as `git describe --always --dirty` of SOURCE_DIR ("unknown" without git),
# and leaves it untouched when that has not changed (so nothing is rebuilt for it).
execute_process(COMMAND git -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#pragma once\n#define TRUSTGATE_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUTPUT}" "${text}")
endif()
