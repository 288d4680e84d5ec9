add_executable(test_cli test_cli.cpp)
target_link_libraries(test_cli GTest::gtest_main nlohmann_json::nlohmann_json)
target_compile_definitions(test_cli PRIVATE HEATOP_BIN="$<TARGET_FILE:heatop>"
                           HEATOP_EXAMPLES="${HEATOP_EXAMPLES}" HEATOP_TEST_DATA="${HEATOP_TEST_DATA}")
add_dependencies(test_cli heatop)
gtest_discover_tests(test_cli PROPERTIES LABELS cli)

# Start-up: the heatop executable does not link LibTorch (the neural-operator module is loaded
# only for train, predict, eval and optimize --model); without the module those commands fail
# with a clear message and exit code 2.
set(_cli_startup_dir ${CMAKE_CURRENT_BINARY_DIR}/cli_startup)
file(MAKE_DIRECTORY ${_cli_startup_dir})
add_test(NAME cli.version COMMAND heatop --version)
set_tests_properties(cli.version PROPERTIES LABELS cli
                     PASS_REGULAR_EXPRESSION "^heatop ${PROJECT_VERSION}")
add_test(NAME cli.executable_does_not_link_libtorch
         COMMAND sh -c "ldd '$<TARGET_FILE:heatop>' > ldd.txt && ! grep -q torch ldd.txt"
         WORKING_DIRECTORY ${_cli_startup_dir})
add_test(NAME cli.help_lists_surrogate_commands
         COMMAND sh -c "set -e; '$<TARGET_FILE:heatop>' --help > help.txt; \
                        for c in train predict eval; do grep -q \"^  $c \" help.txt; done"
         WORKING_DIRECTORY ${_cli_startup_dir})
add_test(NAME cli.missing_nn_module
         COMMAND sh -c "rm -rf y; HEATOP_NN_MODULE=/nonexistent '$<TARGET_FILE:heatop>' train x.yaml \
                        -o y 2> nn_err.txt; rc=$?; cat nn_err.txt; test $rc -eq 2 && \
                        grep -q '^heatop: error: this build of heatop has no neural-operator module' \
                        nn_err.txt && test ! -e y"
         WORKING_DIRECTORY ${_cli_startup_dir})
set_tests_properties(cli.executable_does_not_link_libtorch cli.help_lists_surrogate_commands
                     cli.missing_nn_module PROPERTIES LABELS cli)
if(TARGET heatop_nn)
  # The module's parser answers `heatop train --help`.
  add_test(NAME cli.train_help_from_module
           COMMAND sh -c "set -e; '$<TARGET_FILE:heatop>' train --help > train_help.txt; \
                          grep -q -- '--resume' train_help.txt; grep -q 'Usage: .*heatop train' train_help.txt"
           WORKING_DIRECTORY ${_cli_startup_dir})
  set_tests_properties(cli.train_help_from_module PROPERTIES LABELS cli)
endif()

# The library drivers under heatop predict / eval (surrogate/drivers.hpp).
if(TARGET heatop_surrogate)
  add_executable(test_surrogate_drivers test_surrogate_drivers.cpp)
  target_link_libraries(test_surrogate_drivers heatop_surrogate GTest::gtest_main)
  target_compile_options(test_surrogate_drivers PRIVATE -Wno-unused-parameter)
  target_compile_definitions(test_surrogate_drivers PRIVATE HEATOP_EXAMPLES_DIR="${HEATOP_EXAMPLES}"
                             HEATOP_TEST_DATA_DIR="${HEATOP_TEST_DATA}")
  gtest_discover_tests(test_surrogate_drivers PROPERTIES LABELS surrogate DISCOVERY_TIMEOUT 120)
endif()
