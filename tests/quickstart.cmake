# pipelines/quickstart.sh on its cut-down setting (QUICK=1).
if(TARGET vggfeat AND TARGET vggsvm AND TARGET vggtrain AND TARGET vggdata)
  add_test(NAME test_quickstart
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_quickstart.sh ${CMAKE_BINARY_DIR}/bin
                   ${CMAKE_CURRENT_BINARY_DIR}/quickstart_work ${VGG_PYTHON})
  set_tests_properties(test_quickstart PROPERTIES LABELS integration SKIP_RETURN_CODE 77
                       TIMEOUT 600)
endif()

# pipelines/pretrain_glyphs.sh (QUICK=1): reproducible bytes, its digest.
if(TARGET vggtrain AND TARGET vggdata)
  add_test(NAME test_pretrain_glyphs
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_pretrain_glyphs.sh ${CMAKE_BINARY_DIR}/bin
                   ${CMAKE_CURRENT_BINARY_DIR}/pretrain_glyphs_work)
  set_tests_properties(test_pretrain_glyphs PROPERTIES LABELS integration TIMEOUT 600)
endif()
