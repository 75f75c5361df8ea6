# The CPU backend's oneDNN forward chain ("cpu") against the reference
# ("cpu-ref"): operation by operation, then VGG-16 and VGG-19 descriptors
# at Q=256 and 512 (full-size random weights; the reference side takes a
# while, hence the integration label).
if(TARGET vggextract)
  vgg_add_test(NAME test_net_fast SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_fast.c
               LIBS vggextract vggnet ${MATH_LIB} LABELS integration)
  target_include_directories(test_net_fast PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                             ${CMAKE_SOURCE_DIR}/net/cpu)
  set_tests_properties(test_net_fast PROPERTIES TIMEOUT 900)
  # two photographs (CC BY 2.0) from Debian's python3-sklearn, a test package
  # of pipelines/setup.sh
  find_path(VGG_PHOTOS china.jpg
            PATHS /usr/lib/python3/dist-packages/sklearn/datasets/images NO_DEFAULT_PATH)
  if(NOT VGG_PHOTOS)
    set(VGG_PHOTOS /usr/lib/python3/dist-packages/sklearn/datasets/images)
  endif()
  target_compile_definitions(test_net_fast PRIVATE VGG_PHOTOS="${VGG_PHOTOS}")
endif()
