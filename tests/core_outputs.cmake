# core's rule for where outputs go: the kind rule, streams written in place,
# the full-disk message, standard output checked at the end of a program
vgg_add_test(NAME test_core_outputs SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_outputs.c
             LIBS vggcore)
