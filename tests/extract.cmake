# features: the feature store (unit); extractor: the vggfeat program (integration).
vgg_add_test(NAME test_extract_store
             SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_extract_store.c
             LIBS vggfeatures)
if(TARGET vggfeat)
  vgg_add_test(NAME test_extract_engine
               SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_extract_engine.c
               LIBS vggextract ${MATH_LIB})
  vgg_add_test(NAME test_extract_cli
               SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_extract_cli.c
               LIBS vggextract
               LABELS integration)
  add_dependencies(test_extract_cli vggfeat)
endif()
if(TARGET vggfeat AND VGG_PYTHON)
  add_test(NAME test_pixels
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_pixels.py
                   $<TARGET_FILE:vggfeat> ${CMAKE_CURRENT_BINARY_DIR}/pixels_work)
  set_tests_properties(test_pixels PROPERTIES LABELS integration SKIP_RETURN_CODE 77)
endif()
if(TARGET vggfeat AND TARGET vggsvm AND TARGET vggdata AND VGG_PYTHON)
  add_test(NAME test_robust_cli
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_robust_cli.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/robust_work)
  set_tests_properties(test_robust_cli PROPERTIES LABELS integration SKIP_RETURN_CODE 77
                       TIMEOUT 900)
endif()
