# The backend operations on every backend (tests/test_backend_ops.c): the
# same cases through upload / run / download on every backend of the
# registry (test_backend_ops: cpu-ref, cpu, and cuda:0 where built, which
# its table reports skipped, with the driver's message, where no GPU can
# be opened), and on cuda:0 alone (label cuda; exit 77, skipped, without
# a GPU).  test_cuda_unavailable: opening cuda:0 without a usable GPU
# gives a status and a message naming the device and the cause, and
# 'vggfeat info --devices' says why there are none (skipped where a GPU
# works).  tests/gpu/check.sh is the full check on a GPU.
vgg_add_test(NAME test_backend_ops SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_backend_ops.c
  LIBS vggnet ${MATH_LIB})
target_include_directories(test_backend_ops PRIVATE ${CMAKE_SOURCE_DIR}/net/src)
add_test(NAME test_backend_ops_cuda COMMAND test_backend_ops cuda:0)
set_tests_properties(test_backend_ops_cuda PROPERTIES LABELS cuda SKIP_RETURN_CODE 77
  ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=stdout")
add_test(NAME test_cuda_unavailable COMMAND test_backend_ops --no-gpu-message)
set_tests_properties(test_cuda_unavailable PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
if(TARGET vggfeat)
  add_test(NAME test_cuda_unavailable_cli
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/gpu/devices_test.sh $<TARGET_FILE:vggfeat>)
  set_tests_properties(test_cuda_unavailable_cli PROPERTIES LABELS unit)
endif()

# The whole-net checks and timings that tests/gpu/check.sh runs on a GPU
# (a program, not a CTest test).
add_executable(gpu_check ${CMAKE_CURRENT_SOURCE_DIR}/gpu/gpu_check.c)
target_link_libraries(gpu_check PRIVATE vggnet ${MATH_LIB})

# cuBLAS opened at run time, not linked (net/cuda/blas.c): CPU work maps
# none of it, the first use of a CUDA device opens it (built only with the
# CUDA backend).
if(VGG_HAVE_CUDA)
  vgg_add_test(NAME test_cuda_blas SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cuda_blas.c
    LIBS vggnet ${MATH_LIB})
  target_include_directories(test_cuda_blas PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                             ${CMAKE_SOURCE_DIR}/net/cuda)
  target_include_directories(test_cuda_blas SYSTEM PRIVATE ${CUDNN_INCLUDE_DIR}
                             ${CUDAToolkit_INCLUDE_DIRS})
  target_compile_definitions(test_cuda_blas PRIVATE
    VGG_CUBLAS_MAJOR_TEXT="${CUDAToolkit_VERSION_MAJOR}")
endif()
