add_executable(test_io test_io.cpp)
target_link_libraries(test_io heatop_io heatop_interop heatop_plot GTest::gtest_main)
gtest_discover_tests(test_io PROPERTIES LABELS io)
