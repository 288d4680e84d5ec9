add_executable(test_cli test_cli.cpp)
target_link_libraries(test_cli GTest::gtest_main nlohmann_json::nlohmann_json)
target_compile_definitions(test_cli PRIVATE HEATOP_BIN="$<TARGET_FILE:heatop>"
                           HEATOP_EXAMPLES="${HEATOP_EXAMPLES}" HEATOP_TEST_DATA="${HEATOP_TEST_DATA}")
add_dependencies(test_cli heatop)
gtest_discover_tests(test_cli PROPERTIES LABELS cli)
