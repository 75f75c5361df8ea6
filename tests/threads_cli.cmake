# Thread counts at the command line: one cap for every program's thread
# options, and an address-space limit (ulimit -v) checked before threads
# are started (tests/test_threads_cli.py)
if(TARGET vggtrain AND TARGET vggfeat AND VGG_PYTHON)
  add_test(NAME test_threads_cli
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_threads_cli.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/threads_cli_work)
  set_tests_properties(test_threads_cli PROPERTIES LABELS integration TIMEOUT 900)
endif()
