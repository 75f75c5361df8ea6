# Converters refuse NaN and infinite weights (issue 24): vggfeat convert on
# a patched fixture, pipelines/pth2safetensors.py on a reduced VGG.
if(TARGET vggfeat AND VGG_PYTHON)
  add_test(NAME test_convert_finite
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_convert_finite.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/convert_finite_work)
  set_tests_properties(test_convert_finite PROPERTIES LABELS integration SKIP_RETURN_CODE 77
                       TIMEOUT 300)
endif()
