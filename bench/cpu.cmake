# VGG-16/19 dense forward (image + flip) on the CPU backend against PyTorch
# traced + frozen + optimize_for_inference (bench_cpu.py) in the same run,
# with a per-layer table (--before: beside the chain on oneDNN alone).
# Driver: bench/run_cpu.sh.
find_program(VGG_BENCH_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_executable(bench_cpu ${CMAKE_CURRENT_SOURCE_DIR}/bench_cpu.c)
target_link_libraries(bench_cpu PRIVATE vggnet ${MATH_LIB})
target_include_directories(bench_cpu PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                           ${CMAKE_SOURCE_DIR}/net/cpu)
target_compile_definitions(bench_cpu PRIVATE
  VGG_PYTHON="${VGG_BENCH_PYTHON}"
  VGG_BENCH_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/bench_cpu.py")
