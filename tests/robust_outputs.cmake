# Outputs that name device nodes, FIFOs or standard output, write errors on
# standard output, and the messages of a full disk, across vggfeat, vggsvm,
# vggdata and vggtrain (tests/test_robust_outputs.py)
if(TARGET vggfeat AND TARGET vggsvm AND TARGET vggdata AND TARGET vggtrain AND VGG_PYTHON)
  add_test(NAME test_robust_outputs
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_robust_outputs.py
                   ${CMAKE_BINARY_DIR}/bin ${VGG_FIXTURES}
                   ${CMAKE_CURRENT_BINARY_DIR}/robust_outputs_work)
  set_tests_properties(test_robust_outputs PROPERTIES LABELS integration SKIP_RETURN_CODE 77
                       TIMEOUT 300)
endif()
