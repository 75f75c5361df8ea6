# vggtrain init (pretrain/src/cmd_init.c)
if(TARGET vggtrain AND VGG_PYTHON)
  add_test(NAME test_train_init
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_train_init.py
                   $<TARGET_FILE:vggtrain> ${CMAKE_CURRENT_BINARY_DIR}/train_init_work)
  set_tests_properties(test_train_init PROPERTIES LABELS integration SKIP_RETURN_CODE 77)
endif()
