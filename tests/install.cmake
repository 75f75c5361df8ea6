# Installing (issue 25): the man pages and the bash completion against the
# programs' --help (and vggfeat(5) against docs/feature-store.md).
if(TARGET vggfeat AND TARGET vggsvm AND TARGET vggtrain AND TARGET vggdata AND VGG_PYTHON)
  add_test(NAME test_man_help
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_man_help.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_BINARY_DIR}/man ${PROJECT_VERSION}
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_man_help PROPERTIES LABELS unit)
endif()
