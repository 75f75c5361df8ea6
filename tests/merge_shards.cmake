# vggfeat merge and the input list each store records (issue 24): the
# program on stores extracted here with the tiny nets of extract_ref.py.
if(TARGET vggfeat AND TARGET vggdata AND VGG_PYTHON)
  add_test(NAME test_merge_shards
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_merge_shards.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/merge_shards_work)
  set_tests_properties(test_merge_shards PROPERTIES LABELS integration SKIP_RETURN_CODE 77
                       TIMEOUT 600)
endif()
