# extractor: the feature store (unit) and the vggfeat program (integration).
vgg_add_test(NAME test_extract_store
             SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_extract_store.c
             LIBS vggextract)
