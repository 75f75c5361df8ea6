#!/bin/sh
# The paper's Caltech-256 experiment (appendix B) on your copy of the dataset:
# 257 classes (clutter included), 3 seeded random splits of 60 training images
# per class and all the rest for testing, Net-D and Net-E at Q = 256, 384, 512
# stacked; mean class recall, mean ± std over the splits (paper: 86.2 ± 0.3
# for D & E).  The same pipeline and options as caltech101.sh:
#
#   sh pipelines/caltech256.sh DATASET_DIR [--models DIR] [--net D,E] [--out DIR]
#
# DATASET_DIR holds 256_ObjectCategories/ (or is that folder).  See
# 'sh pipelines/caltech101.sh --help' for every option.
set -eu
CALTECH_KIND=256
export CALTECH_KIND
exec sh "$(dirname "$0")/caltech101.sh" "$@"
