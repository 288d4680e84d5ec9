# Finite-volume solver tests: manufactured solutions, exact 1D profiles, conservation, symmetry,
# solver agreement and the C1 comparison with the commercial reference in data/celsius.
# Labelled "solver": CI runs them under ASan with `ctest -L solver`.
add_executable(test_solver test_solver.cpp)
target_link_libraries(test_solver heatop_solve heatop_io GTest::gtest_main OpenMP::OpenMP_CXX)
target_compile_definitions(test_solver PRIVATE HEATOP_TEST_DATA="${HEATOP_TEST_DATA}")
gtest_discover_tests(test_solver PROPERTIES LABELS solver)
