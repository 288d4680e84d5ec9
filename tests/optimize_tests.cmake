add_executable(test_optimize test_optimize.cpp)
target_link_libraries(test_optimize heatop_optimize heatop_api GTest::gtest_main)
target_compile_definitions(test_optimize PRIVATE HEATOP_EXAMPLES="${HEATOP_EXAMPLES}")
gtest_discover_tests(test_optimize PROPERTIES LABELS optimize)
