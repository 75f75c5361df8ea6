# The "cpu" backend's own Winograd convolutions (net/cpu/wino_avx2.c)
# against a double-precision reference, and their bits (threads, tile
# blocks, batches); skipped where the CPU has no AVX2 + FMA.
vgg_add_test(NAME test_cpu_wino SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cpu_wino.c
             LIBS vggnet ${MATH_LIB})
target_include_directories(test_cpu_wino PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                           ${CMAKE_SOURCE_DIR}/net/cpu)

# The algorithm table of net/cpu/conv_table.c, pinned (a change to it is
# deliberate).
vgg_add_test(NAME test_cpu_conv_table SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cpu_conv_table.c
             LIBS vggnet)
target_include_directories(test_cpu_conv_table PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                           ${CMAKE_SOURCE_DIR}/net/cpu)

# The backend's own fully connected product (net/cpu/fc_avx2.c) against a
# double-precision product and a scalar model of its summation order, and
# its bits (threads, rows, columns); skipped without AVX2 + FMA.
vgg_add_test(NAME test_cpu_fc SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cpu_fc.c
             LIBS vggnet ${MATH_LIB})
target_include_directories(test_cpu_fc PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                           ${CMAKE_SOURCE_DIR}/net/cpu)

# fc6 by Winograd F(2x2, 7x7) (net/cpu/wino7_avx2.c) against a
# double-precision direct sum, and its bits (threads, batches, padding
# channels); skipped without AVX2 + FMA.
vgg_add_test(NAME test_cpu_wino7 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cpu_wino7.c
             LIBS vggnet ${MATH_LIB})
target_include_directories(test_cpu_wino7 PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                           ${CMAKE_SOURCE_DIR}/net/cpu)
