# Operator configurations: the reader is plain C++, so this one runs without LibTorch too.
add_executable(test_operator_config test_operator_config.cpp
               ${PROJECT_SOURCE_DIR}/src/surrogate/config.cpp)
target_include_directories(test_operator_config PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_operator_config heatop_io heatop_model yaml-cpp GTest::gtest_main)
gtest_discover_tests(test_operator_config PROPERTIES LABELS io)

# Configurations built from a design (heatop train DESIGN --input ...): plain C++ as well.
add_executable(test_auto_config test_auto_config.cpp
               ${PROJECT_SOURCE_DIR}/src/surrogate/auto_config.cpp
               ${PROJECT_SOURCE_DIR}/src/surrogate/config.cpp)
target_include_directories(test_auto_config PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_auto_config heatop_io heatop_model yaml-cpp GTest::gtest_main)
target_compile_definitions(test_auto_config PRIVATE HEATOP_EXAMPLES_DIR="${HEATOP_EXAMPLES}")
gtest_discover_tests(test_auto_config PROPERTIES LABELS io)

# The stack's depth functions (the `stack` z trunk): plain C++ as well.
add_executable(test_stack_basis test_stack_basis.cpp ${PROJECT_SOURCE_DIR}/src/surrogate/stack_basis.cpp)
target_include_directories(test_stack_basis PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(test_stack_basis OpenMP::OpenMP_CXX GTest::gtest_main)
gtest_discover_tests(test_stack_basis PROPERTIES LABELS surrogate)

# The response operator (layers with footprints), against FV: plain C++ as well.
add_executable(test_response_operator test_response_operator.cpp)
target_link_libraries(test_response_operator heatop_operator GTest::gtest_main)
target_compile_definitions(test_response_operator PRIVATE HEATOP_EXAMPLES_DIR="${HEATOP_EXAMPLES}")
gtest_discover_tests(test_response_operator PROPERTIES LABELS surrogate)

# Neural-operator surrogate tests (issue 3); only with LibTorch.
if(TARGET heatop_surrogate)
  add_executable(test_surrogate test_surrogate.cpp)
  target_link_libraries(test_surrogate heatop_surrogate GTest::gtest_main)
  target_compile_options(test_surrogate PRIVATE -Wno-unused-parameter)
  target_compile_definitions(test_surrogate PRIVATE HEATOP_EXAMPLES_DIR="${HEATOP_EXAMPLES}")
  gtest_discover_tests(test_surrogate PROPERTIES LABELS surrogate DISCOVERY_TIMEOUT 120)
endif()

# CLI end to end, one ctest case per step so that a failure names its step: surrogate_cli.train
# trains a tiny operator (the fixture surrogate_cli_model); every other step uses that model
# read-only and writes its own output folder, so they can run in any order and in parallel.
# The resume step works on a copy of the model.
if(TARGET heatop_surrogate AND TARGET heatop)
  set(_cli_dir ${CMAKE_CURRENT_BINARY_DIR}/surrogate_cli)
  file(WRITE ${_cli_dir}/tiny.yaml
    "design: ${HEATOP_EXAMPLES}/c1_surface.yaml\n"
    "inputs: [{name: p, type: power_map, target: top, sensors: [11, 11]}]\n"
    "network: {rank: 8, branch: {widths: [16]}, trunk: {type: chebykan, widths: [8]}}\n"
    "training: {steps: 20, functions_per_step: 4, collocation: [9, 9, 5], validate_every: 10,\n"
    "           validation_functions: 1, validation_grid: [9, 9, 5], checkpoint_every: 10}\n")
  # Longer, for the run killed part-way (checkpoints every 4 steps, no validation).
  file(WRITE ${_cli_dir}/kill.yaml
    "design: ${HEATOP_EXAMPLES}/c1_surface.yaml\n"
    "inputs: [{name: p, type: power_map, target: top, sensors: [11, 11]}]\n"
    "network: {rank: 8, branch: {widths: [16]}, trunk: {type: chebykan, widths: [8]}}\n"
    "training: {steps: 80, functions_per_step: 4, collocation: [9, 9, 5], validate_every: 0,\n"
    "           checkpoint_every: 4, log_every: 1}\n")
  # A placement problem on another chip (C2), for the refusal of a model trained on C1.
  file(WRITE ${_cli_dir}/other_chip.yaml
    "design: ${HEATOP_EXAMPLES}/c2_volumetric.yaml\npower_face: active\ntiles: [10, 10]\n"
    "blocks: [{name: A, size_tiles: [2, 2], power_W: 0.1}]\n")
  set(_h $<TARGET_FILE:heatop>)
  set(_ex ${HEATOP_EXAMPLES})
  set(_opt "--set optimizer.evaluations=16 --set 'optimizer.eval_grid=[21, 21, 11]' --set 'verify_grid=[21, 21, 11]'")
  # surrogate_cli_step(NAME SCRIPT [test properties]): the shell SCRIPT (set -e) in _cli_dir as
  # the test surrogate_cli.NAME; without properties it requires the trained model.
  function(surrogate_cli_step name script)
    set(props ${ARGN})
    if(NOT props)
      set(props FIXTURES_REQUIRED surrogate_cli_model)
    endif()
    add_test(NAME surrogate_cli.${name} COMMAND sh -c "set -e; ${script}"
             WORKING_DIRECTORY ${_cli_dir})
    set_tests_properties(surrogate_cli.${name} PROPERTIES LABELS surrogate TIMEOUT 240 ${props})
  endfunction()

  surrogate_cli_step(train
    "rm -rf m; ${_h} train tiny.yaml -o m; \
     test -f m/model.hnop; test -f m/train_log.csv; test -f m/validation.csv"
    FIXTURES_SETUP surrogate_cli_model)
  # train DESIGN --input: the configuration is built from the stack and written to the folder.
  surrogate_cli_step(train_auto
    "rm -rf ma; ${_h} train ${_ex}/c2_volumetric.yaml --input layer:active -o ma \
       --set training.steps=3 --set training.functions_per_step=2 --set training.validate_every=0 \
       --set 'training.collocation=[9, 9, 12]'; \
     test -f ma/model.hnop; grep -q 'core: modal' ma/config.yaml; grep -q 'type: stack' ma/config.yaml; \
     grep -q 'modal_core: solved' ma/config.yaml; \
     ! ${_h} train ${_ex}/c2_volumetric.yaml -o mb 2> err_auto.txt; grep -q 'is a design file' err_auto.txt; \
     test ! -e mb"
    FIXTURES_REQUIRED surrogate_cli_model)
  surrogate_cli_step(resume
    "rm -rf m_resume; cp -r m m_resume; ${_h} train tiny.yaml -o m_resume --resume; \
     test -f m_resume/model.hnop")
  # train --set: the override is in the effective configuration and the checkpoint's step; a
  # resume without it is refused (the configuration differs); a bad key is an error, no folder.
  surrogate_cli_step(train_set
    "rm -rf ms mbad; ${_h} train tiny.yaml --set training.steps=3 --set training.validate_every=0 \
       --set training.checkpoint_every=3 -o ms; grep -q 'steps: 3' ms/config.yaml; \
       tail -n 1 ms/train_log.csv | cut -d, -f1 | grep -qx 3; \
       if ${_h} train tiny.yaml -o ms --resume 2> err_set.txt; then exit 1; fi; \
       grep -q 'the configuration differs' err_set.txt; \
       ${_h} train tiny.yaml --set training.steps=3 --set training.validate_every=0 \
       --set training.checkpoint_every=3 -o ms --resume; \
       if ${_h} train tiny.yaml --set training.stepz=3 -o mbad 2> err2.txt; then exit 1; fi; \
       grep -q \"unknown key 'stepz'\" err2.txt; test ! -e mbad"
    LABELS surrogate)
  # train killed with SIGKILL at a random step (5-40 of 80), then --resume: the same model and
  # the same loss log as an uninterrupted run (predictions compared byte for byte).
  surrogate_cli_step(kill_and_resume
    "rm -rf ka kb pa pb; ${_h} train kill.yaml -o ka; \
     at=$(awk 'BEGIN { srand(); print 5 + int(rand() * 36) }'); \
     ${_h} train kill.yaml -o kb & pid=$!; \
     while [ $(cat kb/train_log.csv 2>/dev/null | wc -l) -le $at ]; do kill -0 $pid; sleep 0.01; done; \
     kill -9 $pid; st=0; wait $pid || st=$?; test $st -eq 137; \
     echo killed after step $(tail -n 1 kb/train_log.csv | cut -d, -f1), asked $at; \
     ${_h} train kill.yaml -o kb --resume; \
     ${_h} predict ka ${_ex}/c1_surface.yaml --set grid.nx=15 --set grid.ny=15 --set grid.nz=7 -o pa; \
     ${_h} predict kb ${_ex}/c1_surface.yaml --set grid.nx=15 --set grid.ny=15 --set grid.nz=7 -o pb; \
     cmp pa/T.npy pb/T.npy; cut -d, -f1,2 ka/train_log.csv > la.txt; \
     cut -d, -f1,2 kb/train_log.csv > lb.txt; cmp la.txt lb.txt; test $(wc -l < lb.txt) -eq 81"
    LABELS surrogate)
  # The LibTorch commands run on OpenBLAS's kernels for the CPU (api/blas_kernels.hpp): where
  # OpenBLAS reports its cores (OPENBLAS_VERBOSE=2) and the CPU has AVX2 and FMA, the core it
  # runs predict on is not the generic "Prescott"; solve keeps the executable's own; a user's
  # OPENBLAS_CORETYPE wins. (No "Core:" line: the BLAS is not OpenBLAS, nothing to check.)
  surrogate_cli_step(blas_kernels
    "rm -rf pbk; OPENBLAS_VERBOSE=2 ${_h} predict m ${_ex}/c1_surface.yaml --set grid.nx=21 --set grid.ny=21 --set grid.nz=11 -o pbk > pbk.txt 2>&1; \
     if grep -q '^Core:' pbk.txt && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then \
       test \"$(grep '^Core:' pbk.txt | tail -n 1)\" != 'Core: Prescott'; \
       rm -rf pck; OPENBLAS_CORETYPE=Prescott OPENBLAS_VERBOSE=2 ${_h} predict m ${_ex}/c1_surface.yaml --set grid.nx=21 --set grid.ny=21 --set grid.nz=11 -o pck > pck.txt 2>&1; \
       test \"$(grep -c '^Core:' pck.txt)\" = 1; grep -q '^Core: Prescott' pck.txt; \
     fi; test -f pbk/T.npy")
  surrogate_cli_step(predict
    "rm -rf p; ${_h} predict m ${_ex}/c1_surface.yaml --set grid.nx=31 --set grid.ny=31 --set grid.nz=16 -o p; \
     grep -q '\"source\": \"surrogate\"' p/summary.json; test -f p/T.npy; test -f p/top.png; test -f p/T.vti; \
     grep -q '\"est_max_error_K\"' p/summary.json; grep -q '\"trusted\"' p/summary.json; \
     grep -q '\"estimate\": \"coarse\"' p/summary.json; \
     test -f p/error.png; test -f p/error.vti; \
     rm -rf pv; ${_h} predict m ${_ex}/c1_surface.yaml --set grid.nx=31 --set grid.ny=31 --set grid.nz=16 --estimate vcycles -o pv; \
     grep -q '\"estimate\": \"vcycles\"' pv/summary.json; cmp p/T.npy pv/T.npy; \
     rm -rf pe err_estimate.txt; if ${_h} predict m ${_ex}/c1_surface.yaml --estimate exact -o pe 2> err_estimate.txt; then exit 1; fi; \
     grep -q 'estimate' err_estimate.txt; test ! -e pe")
  surrogate_cli_step(eval
    "${_h} eval m --design ${_ex}/c1_surface.yaml --maps ${_ex}/maps/map_c1.txt --grid 21x21x11 > eval.txt; \
     grep -q 'mean rel. L2' eval.txt")
  surrogate_cli_step(refuse_other_family
    "rm -rf q err_family.txt; if ${_h} predict m ${_ex}/c2_volumetric.yaml -o q 2> err_family.txt; then exit 1; fi; \
     grep -q 'not of the family' err_family.txt; test ! -e q")
  surrogate_cli_step(refine
    "rm -rf r; ${_h} predict m ${_ex}/c1_surface.yaml --set grid.nx=21 --set grid.ny=21 --set grid.nz=11 --refine --tol 0.01 -o r; \
     grep -q '\"reached\": true' r/summary.json; grep -q 'surrogate+fv-refinement' r/summary.json")
  surrogate_cli_step(optimize_best
    "rm -rf o; ${_h} optimize ${_ex}/c3_placement.yaml --model m ${_opt} -o o; \
     grep -q '\"final_peak_K_surrogate\"' o/summary.json; test -f o/floorplan.png; test -f o/convergence.png")
  surrogate_cli_step(optimize_final_shortlist
    "rm -rf of; ${_h} optimize ${_ex}/c3_placement.yaml --model m --checks final --shortlist 2 ${_opt} -o of; \
     grep -q '\"checks\": \"final\"' of/summary.json; grep -q '\"shortlist\": 2' of/summary.json; \
     grep -q '\"fv\": 2,' of/summary.json; grep -q '\"fv_error_estimates\": 0' of/summary.json")
  surrogate_cli_step(optimize_corrected
    "rm -rf oc; ${_h} optimize ${_ex}/c3_placement.yaml --model m --checks corrected ${_opt} -o oc; \
     grep -q '\"checks\": \"corrected\"' oc/summary.json; grep -q '\"fv\": 0,' oc/summary.json; \
     grep -q '\"estimate_corrected\": [1-9]' oc/summary.json")
  # A solved model runs without the neural-operator module (LibTorch): with HEATOP_NN_MODULE
  # naming no file, predict, eval and optimize --model still work with it, while a trained
  # model then fails for want of the module, and so does a solved one on a GPU.
  surrogate_cli_step(solved_without_module
    "rm -rf msol psol osol otr ptr pgpu err_nomod.txt err_nomod2.txt err_gpu.txt; \
     ${_h} train ${_ex}/c1_surface.yaml --input top -o msol --set 'training.validation_grid=[21, 21, 11]'; \
     export HEATOP_NN_MODULE=/nonexistent/libheatop_nn.so; \
     ${_h} predict msol ${_ex}/c1_surface.yaml --set grid.nx=21 --set grid.ny=21 --set grid.nz=11 -o psol; \
     grep -q 'solved from the stack' psol/summary.json; test -f psol/T.npy; \
     grep -q '\"fine_sweeps\": 1' psol/summary.json; \
     ${_h} eval msol --design ${_ex}/c1_surface.yaml --grid 21x21x11 > eval_sol.txt; \
     grep -q 'mean rel. L2 of the rise' eval_sol.txt; \
     ${_h} optimize ${_ex}/c3_placement.yaml --model msol --checks final --shortlist 2 ${_opt} -o osol; \
     grep -q '\"fv\": 2,' osol/summary.json; grep -q '\"final_peak_K_surrogate\"' osol/summary.json; \
     if ${_h} optimize ${_ex}/c3_placement.yaml --model m ${_opt} -o otr 2> err_nomod.txt; then exit 1; fi; \
     grep -q 'neural-operator module' err_nomod.txt; test ! -e otr; \
     if ${_h} predict m ${_ex}/c1_surface.yaml -o ptr 2> err_nomod2.txt; then exit 1; fi; \
     grep -q 'neural-operator module' err_nomod2.txt; test ! -e ptr; \
     if ${_h} predict msol ${_ex}/c1_surface.yaml --device cuda -o pgpu 2> err_gpu.txt; then exit 1; fi; \
     grep -q 'neural-operator module' err_gpu.txt; test ! -e pgpu")
  surrogate_cli_step(refuse_bad_checks
    "rm -rf o3 err3.txt; if ${_h} optimize ${_ex}/c3_placement.yaml --model m --checks sometimes -o o3 2> err3.txt; then exit 1; fi; \
     grep -q 'checks' err3.txt; test ! -e o3")
  surrogate_cli_step(refuse_other_chip
    "rm -rf o2 err2.txt; if ${_h} optimize other_chip.yaml --model m -o o2 2> err2.txt; then exit 1; fi; \
     grep -q 'not of the family' err2.txt; test ! -e o2")
  # A die on a wider spreader (layers with footprints): train DESIGN --input builds a response
  # model (FV responses of the modes); predict matches a solve on the same grid, eval compares on
  # the design's grid, and what it cannot do is refused.
  file(READ ${HEATOP_EXAMPLES}/die_on_spreader.yaml _spreader)
  string(REPLACE "  nx: 41\n  ny: 41" "  nx: 17\n  ny: 17" _spreader "${_spreader}")
  file(WRITE ${_cli_dir}/spreader.yaml "${_spreader}")
  surrogate_cli_step(response_train
    "rm -rf mr; ${_h} train spreader.yaml --input layer:die -o mr > mr.txt;      grep -q 'built from FV responses' mr.txt; grep -q 'modal_core: response' mr/config.yaml;      test -f mr/model.hnop; test -f mr/validation.csv;      if ${_h} train spreader.yaml --input layer:die -o mr 2> err_r1.txt; then exit 1; fi;      grep -q 'already holds a model' err_r1.txt;      if ${_h} train spreader.yaml --input layer:die -o mr2 --resume 2> err_r2.txt; then exit 1; fi;      grep -q 'nothing to resume' err_r2.txt; test ! -e mr2/model.hnop"
    FIXTURES_SETUP surrogate_cli_response LABELS surrogate)
  surrogate_cli_step(response_predict
    "rm -rf pr sr; ${_h} predict mr spreader.yaml -o pr; ${_h} solve spreader.yaml -o sr;      python3 -c \"import json; p = json.load(open('pr/summary.json')); s = json.load(open('sr/summary.json')); assert p['grid']['void_nodes'] == s['grid']['void_nodes'] > 0, (p['grid'], s['grid']); assert abs(p['T_max_K'] - s['T_max_K']) < 0.05, (p['T_max_K'], s['T_max_K']); assert p['source'] == 'surrogate'; print('T_max', p['T_max_K'], s['T_max_K'])\";      rm -rf pg; if ${_h} predict mr spreader.yaml --set grid.nx=21 -o pg 2> err_r3.txt; then exit 1; fi;      grep -q 'predicts on the grid it was built on' err_r3.txt; test ! -e pg"
    FIXTURES_REQUIRED surrogate_cli_response LABELS surrogate)
  # Placement with a response model: on the design's own grid (eval_grid/verify_grid `design`);
  # an explicit grid is another grid, refused before any work.
  file(WRITE ${_cli_dir}/spreader_place.yaml
    "design: spreader.yaml\npower_face: die\ntiles: [20, 20]\n"
    "blocks: [{name: A, size_tiles: [4, 4], power_W: 1.0}, {name: B, size_tiles: [3, 5], power_W: 0.6}]\n"
    "optimizer: {evaluations: 24, seed: 1, eval_grid: design}\nverify_grid: design\n")
  surrogate_cli_step(response_optimize
    "rm -rf or og; ${_h} optimize spreader_place.yaml --model mr -o or > or.txt; \
     python3 -c \"import json; s = json.load(open('or/summary.json')); \
assert s['optimizer']['eval_grid'] == 'design', s['optimizer']; \
assert s['evaluations']['surrogate'] > 0, s['evaluations']; \\
assert abs(s['final_peak_K_surrogate'] - s['final_peak_K_fv']) < 1e-3, s; print(s['final_peak_K_fv'])\"; \
     if ${_h} optimize spreader_place.yaml --model mr --set 'optimizer.eval_grid=[17, 17, 13]' \
       --set 'verify_grid=[17, 17, 13]' -o og 2> err_r5.txt; then exit 1; fi; \
     grep -q 'other node positions' err_r5.txt; test ! -e og"
    FIXTURES_REQUIRED surrogate_cli_response LABELS surrogate)
  surrogate_cli_step(response_eval
    "${_h} eval mr --design spreader.yaml > er.txt; grep -q '(grid design)' er.txt;      if ${_h} eval mr --design spreader.yaml --grid 21x21x13 2> err_r4.txt; then exit 1; fi;      grep -q '17x17x13' err_r4.txt"
    FIXTURES_REQUIRED surrogate_cli_response LABELS surrogate)
endif()
