# image/: reading what the ecosystem reads: warnings, the input budget,
# alpha, orientation from PNG text and XMP (fixtures and variants made by
# hand in the test).
if(TARGET vggimage)
  find_package(ZLIB REQUIRED)
  vgg_add_test(NAME test_image_ecosystem SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_image_ecosystem.c
               LIBS vggimage ZLIB::ZLIB)
  target_include_directories(test_image_ecosystem PRIVATE ${CMAKE_SOURCE_DIR}/image/src)
endif()
# image/: parity with Pillow over a corpus of real-world oddities made at
# test time by tests/gen_image_corpus.py (Pillow, cjpeg, jpegtran); exit 77
# (skipped) where those are missing, unless VGG_REQUIRE_REFERENCES is set.
if(TARGET vggimage)
  vgg_add_test(NAME test_image_corpus SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_image_corpus.c
               LIBS vggimage LABELS integration)
  set_tests_properties(test_image_corpus PROPERTIES SKIP_RETURN_CODE 77)
endif()
