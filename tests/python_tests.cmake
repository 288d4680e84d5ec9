# The Python module's tests (python/tests, pytest), when the build has the module
# (HEATOP_PYTHON, docs/python.md). The module is imported from the build tree; the surrogate
# tests train a tiny operator with the heatop binary given in HEATOP_BIN.
if(TARGET heatop_py)
  add_test(NAME python.pytest
    COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider ${PROJECT_SOURCE_DIR}/python/tests
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(python.pytest PROPERTIES LABELS python TIMEOUT 900
    ENVIRONMENT "PYTHONPATH=${PROJECT_BINARY_DIR}/python;PYTHONDONTWRITEBYTECODE=1;HEATOP_SOURCE_DIR=${PROJECT_SOURCE_DIR};HEATOP_BIN=$<TARGET_FILE:heatop>")
endif()
