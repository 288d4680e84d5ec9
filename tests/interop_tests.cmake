# HotSpot / 3D-ICE interoperability: readers, importers, exports and cross-validation against
# the exact slab, HotSpot examples 2-4 and 3D-ICE's solid stacks (data: data/README-interop.md).
add_executable(test_interop test_interop.cpp)
target_link_libraries(test_interop heatop_interop heatop_fv heatop_solve GTest::gtest_main OpenMP::OpenMP_CXX)
target_compile_definitions(test_interop PRIVATE HEATOP_TEST_DATA="${HEATOP_TEST_DATA}"
                           HEATOP_EXAMPLES="${HEATOP_EXAMPLES}")
gtest_discover_tests(test_interop PROPERTIES LABELS interop)
