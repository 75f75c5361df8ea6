vgg_add_test(NAME test_core SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core.c LIBS vggcore)
vgg_add_test(NAME test_core_robust SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_robust.c LIBS vggcore)
# Which shared libraries vggsvm and vggdata need directly (the layout's
# promise: no engine, no image decoders).
add_test(NAME test_linked COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_linked.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(test_linked PROPERTIES LABELS unit)
