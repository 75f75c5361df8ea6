# core: the list reader's byte order mark and label spaces, and the words
# for getopt_long's '?' (vgg_cli_bad_option).
vgg_add_test(NAME test_core_lists SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_core_lists.c
             LIBS vggcore)
