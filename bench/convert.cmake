# Caffe conversion: `vggfeat convert` on a full-size random-weight VGG-19
# caffemodel, time and peak RSS, side by side with python3-protobuf + torch
# (bench_convert.py) in the same run.  A shell script (it needs
# /usr/bin/time -v); `cmake --build build --target bench_convert` runs it.
#   sh bench/bench_convert.sh [D|E] [path/to/vggfeat] [workdir]
if(TARGET vggfeat)
  add_custom_target(bench_convert
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench_convert.sh E $<TARGET_FILE:vggfeat>
    DEPENDS vggfeat
    USES_TERMINAL)
endif()
