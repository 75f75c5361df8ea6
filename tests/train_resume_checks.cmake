# vggtrain train's checkpoint and outputs: no silent restart over a
# checkpoint, outputs apart from inputs and from each other, a resume that
# repeats the run's options, checkpoint checksums, the loss diverging
# (tests/test_train_resume_checks.py)
if(TARGET vggtrain AND VGG_PYTHON)
  add_test(NAME test_train_resume_checks
           COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_train_resume_checks.py
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_CURRENT_BINARY_DIR}/train_resume_checks_work)
  set_tests_properties(test_train_resume_checks PROPERTIES LABELS integration TIMEOUT 900)
endif()
