# vggfeat export's LIBLINEAR labels (features/src/labels.c, export.c): the
# library, liblinear-train reading the text, and the vggfeat program.
vgg_add_test(NAME test_feat_export SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_feat_export.c
             LIBS vggfeatures LABELS integration)
if(TARGET vggfeat)
  target_compile_definitions(test_feat_export PRIVATE VGG_HAVE_VGGFEAT=1)
  add_dependencies(test_feat_export vggfeat)
endif()
