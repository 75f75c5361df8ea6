# Training (net/src/train*.c, net/cpu/cpu_train.c) and the vggtrain program.
if(TARGET vggnet)
  vgg_add_test(NAME test_train SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_train.c LIBS vggnet)
  target_include_directories(test_train PRIVATE ${CMAKE_SOURCE_DIR}/net/src)
  vgg_add_test(NAME test_train_step SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_train_step.c
               LIBS vggnet)
endif()
if(TARGET vggtrain)
  vgg_add_test(NAME test_train_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_train_cli.c
               LIBS vggpretrain LABELS integration)
  add_dependencies(test_train_cli vggtrain)
endif()
if(TARGET vggpretrain)
  vgg_add_test(NAME test_train_data SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_train_data.c
               LIBS vggpretrain)
endif()
if(TARGET vggpretrain)
  # the augmentation's statistics (crop places, flips, S, colour shift)
  find_package(PNG REQUIRED)
  vgg_add_test(NAME test_train_aug SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_train_aug.c
               LIBS vggpretrain PNG::PNG ${MATH_LIB})
endif()
if(TARGET vggpretrain)
  # the multi-crop grid and dense evaluation against a reference made by hand
  vgg_add_test(NAME test_eval SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_eval.c
               LIBS vggpretrain ${MATH_LIB})
  if(TARGET vggtrain)
    add_dependencies(test_eval vggtrain)
  endif()
endif()
if(TARGET vggfeat AND TARGET vggtrain AND VGG_PYTHON)
  # full disks during convert and a checkpoint, two runs on one checkpoint
  add_test(NAME test_robust_write
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_robust_write.py
                   ${CMAKE_BINARY_DIR}/bin ${VGG_FIXTURES}
                   ${CMAKE_CURRENT_BINARY_DIR}/robust_write_work)
  set_tests_properties(test_robust_write PROPERTIES LABELS integration TIMEOUT 300)
endif()
