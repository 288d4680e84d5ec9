# HotSpot / 3D-ICE interoperability: readers, importers, exports and cross-validation against
# the exact slab, HotSpot examples 2-4 and 3D-ICE's solid stacks (data: data/README-interop.md).
add_executable(test_interop test_interop.cpp)
target_link_libraries(test_interop heatop_interop heatop_fv heatop_solve GTest::gtest_main OpenMP::OpenMP_CXX)
target_compile_definitions(test_interop PRIVATE HEATOP_TEST_DATA="${HEATOP_TEST_DATA}"
                           HEATOP_EXAMPLES="${HEATOP_EXAMPLES}")
# The mangled-input test (InteropFuzz.*, "does not crash") has the label "interop-fuzz", which
# `ctest -L interop` and `ctest -L fuzz` both select (-L is a regular expression); scripts/test.sh
# runs it under ASan/UBSan with the solver and I/O tests. (One label: gtest_discover_tests does
# not pass a list of labels through.)
gtest_discover_tests(test_interop TEST_FILTER "-InteropFuzz.*" TEST_LIST test_interop_TESTS
                     PROPERTIES LABELS interop)
gtest_discover_tests(test_interop TEST_FILTER "InteropFuzz.*" TEST_LIST test_interop_fuzz_TESTS
                     PROPERTIES LABELS interop-fuzz)
