add_executable(test_trust test_trust.cpp)
target_link_libraries(test_trust heatop_trust GTest::gtest_main)
gtest_discover_tests(test_trust PROPERTIES LABELS trust)
