# report.html and crash-safe output folders (report/report.hpp, io/output_dir.hpp).
add_executable(test_report test_report.cpp)
target_link_libraries(test_report heatop_report GTest::gtest_main nlohmann_json::nlohmann_json)
target_compile_definitions(test_report PRIVATE HEATOP_BIN="$<TARGET_FILE:heatop>")
add_dependencies(test_report heatop)
gtest_discover_tests(test_report PROPERTIES LABELS "report;io")

# The page in a browser: Debian's chromium, headless (tests/report_browser.py says what is
# checked; Python with NumPy and PIL: python/find_python.cmake's interpreter). A missing
# chromium fails the test with a message (scripts/setup.sh installs it).
find_program(HEATOP_CHROMIUM NAMES chromium chromium-browser)
set(_report_dir ${CMAKE_CURRENT_BINARY_DIR}/report_browser)
# With the Python module off (HEATOP_PYTHON=OFF) find_python.cmake looks for nothing: then the
# first of python3 on PATH and /usr/bin/python3 that can import numpy and PIL.
set(_report_python ${Python3_EXECUTABLE})
if(NOT _report_python)
  find_program(_report_path_python3 NAMES python3)
  foreach(_py ${_report_path_python3} /usr/bin/python3)
    if(NOT _report_python AND EXISTS "${_py}")
      execute_process(COMMAND "${_py}" -c "import numpy, PIL" RESULT_VARIABLE _rc OUTPUT_QUIET
                      ERROR_QUIET)
      if(_rc EQUAL 0)
        set(_report_python "${_py}")
      endif()
    endif()
  endforeach()
  unset(_report_path_python3 CACHE)
endif()
foreach(_kind solve optimize import)
  add_test(NAME report.browser_${_kind}
           COMMAND ${_report_python} ${CMAKE_CURRENT_SOURCE_DIR}/report_browser.py
                   $<TARGET_FILE:heatop> ${HEATOP_CHROMIUM} ${HEATOP_EXAMPLES} ${_report_dir} ${_kind})
  set_tests_properties(report.browser_${_kind} PROPERTIES LABELS report TIMEOUT 300
                       RESOURCE_LOCK report_browser)
endforeach()
