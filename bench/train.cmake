# Training-step throughput against PyTorch CPU (bench_train.py) in the
# same run.   build/bin/bench_train [--threads N] [--steps N] [--small-only] [--profile]
find_program(VGG_BENCH_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_executable(bench_train ${CMAKE_CURRENT_SOURCE_DIR}/bench_train.c
  ${CMAKE_CURRENT_SOURCE_DIR}/op_profile.c)
target_link_libraries(bench_train PRIVATE vggnet)
target_compile_definitions(bench_train PRIVATE
  VGG_PYTHON="${VGG_BENCH_PYTHON}"
  VGG_BENCH_TRAIN_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/bench_train.py")
