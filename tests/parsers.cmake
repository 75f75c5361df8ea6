# The file parsers' error messages (file and line or byte offset).
if(TARGET vggclassifier AND TARGET vggpretrain AND TARGET vggextract)
  vgg_add_test(NAME test_parsers
               SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_parsers.c
                       ${CMAKE_SOURCE_DIR}/extractor/src/inputs.c
               LIBS vggclassifier vggpretrain vggextract)
  target_include_directories(test_parsers PRIVATE ${CMAKE_SOURCE_DIR}/extractor/src)
endif()
