add_executable(test_io test_io.cpp)
target_link_libraries(test_io heatop_io heatop_interop heatop_plot GTest::gtest_main)
gtest_discover_tests(test_io PROPERTIES LABELS io)
# The design-file parser (io/design_file.hpp): defaults, faces, unknown keys, overrides, paths,
# messages. Label "io": also run under ASan by scripts/test.sh.
add_executable(test_design_file test_design_file.cpp)
target_link_libraries(test_design_file heatop_io GTest::gmock GTest::gtest_main)
gtest_discover_tests(test_design_file PROPERTIES LABELS io)
# Option names (model/names.hpp) and the docs tables of their values (docs/*.md). Only headers
# of solve and surrogate: needs no LibTorch.
add_executable(test_names test_names.cpp)
target_link_libraries(test_names heatop_solve GTest::gtest_main)
target_compile_definitions(test_names PRIVATE HEATOP_DOCS_DIR="${PROJECT_SOURCE_DIR}/docs")
gtest_discover_tests(test_names PROPERTIES LABELS io)
