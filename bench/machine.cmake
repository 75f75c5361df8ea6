# The machine's FMA peak and memory bandwidth (bench_machine.c), which
# bench/run_cpu.sh prints before the per-layer tables.
add_executable(bench_machine ${CMAKE_CURRENT_SOURCE_DIR}/bench_machine.c)
target_link_libraries(bench_machine PRIVATE Threads::Threads)

# The 3x3 layer classes by every algorithm of the "cpu" backend
# (bench_wino.c), the measurement behind net/cpu/conv_table.c; driver:
# bench/wino_table.sh.
add_executable(bench_wino ${CMAKE_CURRENT_SOURCE_DIR}/bench_wino.c)
# Its int8 experiment calls oneDNN itself.
target_link_libraries(bench_wino PRIVATE vggnet ${DNNL_LIBRARY} OpenMP::OpenMP_C ${MATH_LIB})
target_include_directories(bench_wino PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                           ${CMAKE_SOURCE_DIR}/net/cpu ${DNNL_INCLUDE_DIR})

# The backend's own fully connected product (bench_fc.c): fc6's and fc7's
# shapes, GFLOP/s and the weights' GB/s; with --maps, fc6 by the panel
# product against the Winograd F(2x2, 7x7).
add_executable(bench_fc ${CMAKE_CURRENT_SOURCE_DIR}/bench_fc.c)
target_link_libraries(bench_fc PRIVATE vggnet ${MATH_LIB} OpenMP::OpenMP_C)
target_include_directories(bench_fc PRIVATE ${CMAKE_SOURCE_DIR}/net/cpu)
