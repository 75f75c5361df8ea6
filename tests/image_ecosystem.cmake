# image/: reading what the ecosystem reads: warnings, the input budget,
# alpha, orientation from PNG text and XMP (fixtures and variants made by
# hand in the test).
if(TARGET vggimage)
  find_package(ZLIB REQUIRED)
  vgg_add_test(NAME test_image_ecosystem SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_image_ecosystem.c
               LIBS vggimage ZLIB::ZLIB)
  target_include_directories(test_image_ecosystem PRIVATE ${CMAKE_SOURCE_DIR}/image/src)
endif()
