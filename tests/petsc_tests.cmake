# The PETSc/MPI backend (solver.backend: petsc, docs/petsc.md): registered only in builds with
# HEATOP_PETSC=ON. The tests run on 2 MPI ranks.
if(TARGET heatop_petsc)
  set(HEATOP_MPIRUN ${HEATOP_MPIEXEC} --allow-run-as-root --oversubscribe -n 2)
  add_executable(test_petsc test_petsc.cpp)
  target_link_libraries(test_petsc heatop_api heatop_interop heatop_petsc GTest::gtest)
  target_compile_definitions(test_petsc PRIVATE HEATOP_EXAMPLES="${HEATOP_EXAMPLES}"
                             HEATOP_TEST_DATA="${HEATOP_TEST_DATA}")
  add_test(NAME petsc.two_ranks COMMAND ${HEATOP_MPIRUN} $<TARGET_FILE:test_petsc>)
  set_tests_properties(petsc.two_ranks PROPERTIES LABELS petsc ENVIRONMENT OMP_NUM_THREADS=1)

  # The command line on 2 ranks: same output files as a native run, PETSc options passed through.
  # The ranks write the folder together (the field is not gathered), VTK file and probes too;
  # with --export the field is gathered on rank 0 for the HotSpot layout.
  set(_c1 ${HEATOP_EXAMPLES}/c1_surface.yaml --set grid.nx=21 --set grid.ny=21 --set grid.nz=11)
  add_test(NAME petsc.cli_two_ranks
           COMMAND ${CMAKE_COMMAND} -DHEATOP=$<TARGET_FILE:heatop> "-DMPIRUN=${HEATOP_MPIRUN}"
                   "-DDESIGN=${_c1};--fields;all;--probe;${HEATOP_TEST_DATA}/petsc/c1_probes.csv"
                   -DOUT=${CMAKE_CURRENT_BINARY_DIR}/petsc_cli
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/petsc_cli_test.cmake)
  add_test(NAME petsc.cli_two_ranks_export
           COMMAND ${CMAKE_COMMAND} -DHEATOP=$<TARGET_FILE:heatop> "-DMPIRUN=${HEATOP_MPIRUN}"
                   "-DDESIGN=${HEATOP_EXAMPLES}/c4_stack.yaml;--set;grid.nx=33;--set;grid.ny=33;--export;hotspot"
                   -DOUT=${CMAKE_CURRENT_BINARY_DIR}/petsc_cli_export
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/petsc_cli_test.cmake)
  # More ranks than z columns: a clear error, exit code 2.
  set(_expect ${CMAKE_CURRENT_SOURCE_DIR}/petsc_expect_error.cmake)
  set(_c1_2x2 ${HEATOP_EXAMPLES}/c1_surface.yaml --set grid.nx=2 --set grid.ny=2 --set grid.nz=3)
  add_test(NAME petsc.more_ranks_than_columns
           COMMAND ${CMAKE_COMMAND} -DEXPECT_RC=2
                   "-DEXPECT_REGEX=5 MPI ranks but the grid has only 2 x 2 = 4 z columns"
                   "-DCMD=${HEATOP_MPIEXEC};--allow-run-as-root;--oversubscribe;-n;5;$<TARGET_FILE:heatop>;solve;${_c1_2x2};-o;${CMAKE_CURRENT_BINARY_DIR}/petsc_5;--set;solver.backend=petsc"
                   -P ${_expect})
  # The native backend on several ranks is refused, exit code 2.
  add_test(NAME petsc.native_on_two_ranks
           COMMAND ${CMAKE_COMMAND} -DEXPECT_RC=2
                   "-DEXPECT_REGEX=started on 2 MPI ranks, but solver.backend is native"
                   "-DCMD=${HEATOP_MPIRUN};$<TARGET_FILE:heatop>;solve;${_c1};-o;${CMAKE_CURRENT_BINARY_DIR}/petsc_native2"
                   -P ${_expect})
  # A grid whose parts do not fit in the ranks' memory (14 G nodes on 2 ranks of one machine):
  # refused before anything of the grid's size is allocated, exit code 2, no folder.
  file(REMOVE_RECURSE ${CMAKE_CURRENT_BINARY_DIR}/petsc_too_large)
  add_test(NAME petsc.too_large_for_the_ranks
           COMMAND ${CMAKE_COMMAND} -DEXPECT_RC=2
                   "-DEXPECT_REGEX=grid too large for this MPI run: 1.42[0-9]e.10 nodes on 2 ranks"
                   -DNO_PATH=${CMAKE_CURRENT_BINARY_DIR}/petsc_too_large
                   "-DCMD=${HEATOP_MPIRUN};$<TARGET_FILE:heatop>;solve;${HEATOP_EXAMPLES}/c4_stack.yaml;--set;grid.nx=16385;--set;grid.ny=16385;-o;${CMAKE_CURRENT_BINARY_DIR}/petsc_too_large;--set;solver.backend=petsc"
                   -P ${_expect})
  # The backend is a module loaded on first use: without it a PETSc solve fails with a clear
  # error (exit code 2, no folder), and a native solve does not need it.
  file(REMOVE_RECURSE ${CMAKE_CURRENT_BINARY_DIR}/petsc_no_module)
  add_test(NAME petsc.module_missing
           COMMAND ${CMAKE_COMMAND} -DEXPECT_RC=2
                   "-DEXPECT_REGEX=the PETSc backend needs its module /nonexistent/libheatop_petsc.so, which is not there"
                   -DNO_PATH=${CMAKE_CURRENT_BINARY_DIR}/petsc_no_module
                   "-DCMD=${CMAKE_COMMAND};-E;env;HEATOP_PETSC_MODULE=/nonexistent/libheatop_petsc.so;$<TARGET_FILE:heatop>;solve;${_c1};-o;${CMAKE_CURRENT_BINARY_DIR}/petsc_no_module;--set;solver.backend=petsc"
                   -P ${_expect})
  add_test(NAME petsc.native_without_module
           COMMAND heatop solve ${_c1} -o ${CMAKE_CURRENT_BINARY_DIR}/petsc_native_no_module)
  set_tests_properties(petsc.native_without_module PROPERTIES LABELS petsc ENVIRONMENT
                       "HEATOP_PETSC_MODULE=/nonexistent/libheatop_petsc.so;OMP_NUM_THREADS=1")
  set_tests_properties(petsc.cli_two_ranks petsc.cli_two_ranks_export petsc.more_ranks_than_columns petsc.native_on_two_ranks
                       petsc.too_large_for_the_ranks petsc.module_missing
                       PROPERTIES LABELS petsc ENVIRONMENT OMP_NUM_THREADS=1)
endif()
