# The library drivers under the CLI and the Python module (src/api).
add_executable(test_api test_api.cpp)
target_link_libraries(test_api heatop_api GTest::gtest_main)
target_compile_definitions(test_api PRIVATE HEATOP_EXAMPLES="${HEATOP_EXAMPLES}")
gtest_discover_tests(test_api PROPERTIES LABELS api)
