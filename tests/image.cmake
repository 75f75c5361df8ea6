# image/: decoding, orientation, resizing and preprocessing against Pillow,
# torchvision and torch references (tests/fixtures/image, made by
# tests/gen_image_fixtures.py).
if(TARGET vggimage)
  vgg_add_test(NAME test_image SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_image.c
               LIBS vggimage Threads::Threads m)
endif()
if(TARGET test_image)
  # the EXIF reader is internal; its test reads image/src/image_internal.h
  target_include_directories(test_image PRIVATE ${CMAKE_SOURCE_DIR}/image/src)
endif()
if(TARGET vggimage)
  # the committed fixtures are what the generator makes (Pillow, torchvision)
  vgg_add_test(NAME test_image_regen SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_image_regen.c
               LIBS vggcore LABELS integration)
endif()
if(TARGET vggimage)
  vgg_add_test(NAME test_image_limits SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_image_limits.c
               LIBS vggimage)
endif()
