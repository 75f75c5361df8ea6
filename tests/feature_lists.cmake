# features: the input list a store records (issue 24) and labels with
# spaces around them in exports.
vgg_add_test(NAME test_feature_lists SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_feature_lists.c
             LIBS vggfeatures vggcore)
