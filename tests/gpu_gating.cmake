# tests/gpu/check.sh's gating, without a GPU: check.sh run over fake
# programs (a gpu_check that crashes, one that prints too few rows, one
# that runs past the deadline, no GPU at all, and a healthy one) must give
# FAIL or NOT RUN rows and a non-zero exit for each fault, and exit 0 only
# for the healthy one (tests/gpu/gating_test.sh).
add_test(NAME test_gpu_gating COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/gpu/gating_test.sh)
set_tests_properties(test_gpu_gating PROPERTIES LABELS integration TIMEOUT 180)

# gpu_check opens cuDNN's sub-libraries itself (gpu_check dlopen)
if(TARGET gpu_check)
  target_link_libraries(gpu_check PRIVATE ${CMAKE_DL_LIBS})
endif()
