# VGG-16 dense forward to fc7 on CPU, side by side with PyTorch CPU
# (bench_forward.py, run by bench_forward in the same run).  Driver:
# bench/run_forward.sh.
find_program(VGG_BENCH_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_executable(bench_forward ${CMAKE_CURRENT_SOURCE_DIR}/bench_forward.c)
target_link_libraries(bench_forward PRIVATE vggnet)
target_compile_definitions(bench_forward PRIVATE
  VGG_PYTHON="${VGG_BENCH_PYTHON}"
  VGG_BENCH_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/bench_forward.py")
