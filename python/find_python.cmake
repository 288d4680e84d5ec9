# Finds what the Python module needs (included by the top-level CMakeLists.txt before the
# HEATOP_PYTHON option): a Python 3 interpreter that has NumPy, its headers, and pybind11.
# Sets HEATOP_PYTHON_FOUND. The interpreter is Python3_EXECUTABLE when given
# (-DPython3_EXECUTABLE=...), else the first of `python3` on PATH and /usr/bin/python3 that can
# import numpy (a pyenv or virtualenv python3 first on PATH often lacks the Debian packages).
set(HEATOP_PYTHON_FOUND OFF)
if(DEFINED HEATOP_PYTHON AND NOT HEATOP_PYTHON)
  return()  # turned off: look for nothing
endif()
if(HEATOP_SANITIZE AND NOT DEFINED HEATOP_PYTHON)
  return()  # an ASan module would not load into a plain python3: off unless asked for
endif()
if(NOT Python3_EXECUTABLE)
  find_program(_heatop_path_python3 NAMES python3)
  foreach(_py ${_heatop_path_python3} /usr/bin/python3)
    if(EXISTS "${_py}")
      execute_process(COMMAND "${_py}" -c "import numpy" RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
      if(_rc EQUAL 0)
        set(Python3_EXECUTABLE "${_py}" CACHE FILEPATH "Python 3 interpreter of the heatop module")
        break()
      endif()
    endif()
  endforeach()
  unset(_heatop_path_python3 CACHE)
endif()
if(Python3_EXECUTABLE)
  execute_process(COMMAND "${Python3_EXECUTABLE}" -c "import numpy, scipy, pytest"
                  RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    message(WARNING "${Python3_EXECUTABLE} cannot import numpy, scipy and pytest: the heatop "
                    "module needs NumPy, its tests (ctest -L python) SciPy and pytest")
  endif()
  find_package(Python3 QUIET COMPONENTS Interpreter Development.Module)
  if(Python3_FOUND)
    # pybind11 uses the Python found above (its FindPython mode).
    find_package(pybind11 CONFIG QUIET)
    if(pybind11_FOUND)
      set(HEATOP_PYTHON_FOUND ON)
    endif()
  endif()
endif()
