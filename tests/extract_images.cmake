# vggfeat extract and pixels on the images the ecosystem reads: decoder
# warnings, the input budget, --alpha and its record in the store.
if(TARGET vggfeat AND VGG_PYTHON)
  add_test(NAME test_extract_images
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_extract_images.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/extract_images_work)
  set_tests_properties(test_extract_images PROPERTIES LABELS integration SKIP_RETURN_CODE 77)
endif()
