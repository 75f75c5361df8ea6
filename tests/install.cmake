# Installing (issue 25): the man pages and the bash completion against the
# programs' --help (and vggfeat(5) against docs/feature-store.md), and an
# install into a new prefix whose programs find their data relative to
# themselves.  The Debian package is checked by tests/fresh/run.sh --only
# deb (it needs root and the archive), not here.
if(TARGET vggfeat AND TARGET vggsvm AND TARGET vggtrain AND TARGET vggdata AND VGG_PYTHON)
  add_test(NAME test_man_help
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_man_help.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_BINARY_DIR}/man ${PROJECT_VERSION}
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_man_help PROPERTIES LABELS unit)

  # test_install_lib: the library, vggfeat.pc and the Python package,
  # where the tree builds libvggfeat; elsewhere it says so and exits 77
  # (skipped)
  if(TARGET libvggfeat)
    set(lib 1)
  else()
    set(lib 0)
  endif()
  # a sanitizer build's library needs its runtime in the program too
  set(lib_cflags "")
  if(VGG_SANITIZE OR VGG_FUZZ)
    set(lib_cflags "-fsanitize=address,undefined")
  endif()
  add_test(NAME test_install
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh programs ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR} ${PROJECT_VERSION} ${CMAKE_CURRENT_BINARY_DIR}/install_work
                   ${lib} ${VGG_PYTHON})
  set_tests_properties(test_install PROPERTIES LABELS integration TIMEOUT 900
                       ENVIRONMENT "CMAKE=${CMAKE_COMMAND}")
  add_test(NAME test_install_lib
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh lib ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR} ${PROJECT_VERSION} ${CMAKE_CURRENT_BINARY_DIR}/install_lib_work
                   ${lib} ${VGG_PYTHON} "${lib_cflags}")
  set_tests_properties(test_install_lib PROPERTIES LABELS integration SKIP_RETURN_CODE 77
                       TIMEOUT 300 ENVIRONMENT "CMAKE=${CMAKE_COMMAND}")
endif()
