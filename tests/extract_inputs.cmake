# How vggfeat reads what a user names (issue 24): byte order marks, names
# that start with '-', commas in weights paths, spaces around labels, one
# image by two spellings.  The program with the tiny nets of extract_ref.py.
if(TARGET vggfeat AND VGG_PYTHON)
  add_test(NAME test_extract_inputs
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_extract_inputs.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/extract_inputs_work)
  set_tests_properties(test_extract_inputs PROPERTIES LABELS integration SKIP_RETURN_CODE 77
                       TIMEOUT 300)
endif()
