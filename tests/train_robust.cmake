# vggtrain train: the metrics log on a full disk, a signal during a
# validation, a second run on a checkpoint in use refused before its data
# is read (tests/test_train_robust.py)
if(TARGET vggtrain AND VGG_PYTHON)
  add_test(NAME test_train_robust
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_train_robust.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/train_robust_work)
  set_tests_properties(test_train_robust PROPERTIES LABELS integration TIMEOUT 600)
endif()
