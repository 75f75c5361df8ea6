# vggfeat's descriptor (D, D+E; scales {256}, {256,384}) against PyTorch CPU
# (bench_extract.py, run by bench_extract in the same run).  Driver:
# bench/run_extract.sh.
if(TARGET vggextract AND TARGET vggfeat)
  find_program(VGG_BENCH_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  add_executable(bench_extract ${CMAKE_CURRENT_SOURCE_DIR}/bench_extract.c)
  target_link_libraries(bench_extract PRIVATE vggextract ${MATH_LIB})
  target_compile_definitions(bench_extract PRIVATE
    VGG_PYTHON="${VGG_BENCH_PYTHON}"
    VGG_BENCH_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/bench_extract.py")
endif()
