vgg_add_test(NAME test_core SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core.c LIBS vggcore)
vgg_add_test(NAME test_core_robust SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_robust.c LIBS vggcore)
