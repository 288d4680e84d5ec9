# Transient analysis (docs/transient.md): the 1D step response against its series solution,
# observed orders of BE and BDF2 on a manufactured solution, energy balance per step, the steady
# limit, and `heatop transient` (outputs, bad inputs). Data: data/transient/README.md.
add_executable(test_transient test_transient.cpp)
target_link_libraries(test_transient heatop_api heatop_transient GTest::gtest_main
                      nlohmann_json::nlohmann_json OpenMP::OpenMP_CXX)
target_compile_definitions(test_transient PRIVATE HEATOP_BIN="$<TARGET_FILE:heatop>"
                           HEATOP_TEST_DATA="${HEATOP_TEST_DATA}")
add_dependencies(test_transient heatop)
gtest_discover_tests(test_transient PROPERTIES LABELS transient)
