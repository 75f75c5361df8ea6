#!/bin/sh
# The stand-in CTest runs for a test that was not built or registered here
# because CMake did not find what it needs (tests/CMakeLists.txt,
# vgg_missing_test): "Skipped" (exit 77, SKIP_RETURN_CODE), or a failure
# where VGG_REQUIRE_REFERENCES=1 (pipelines/test.sh, whose setup installs
# everything the tests use).
#   sh tests/missing.sh TEST WHAT
if [ "${VGG_REQUIRE_REFERENCES:-}" = 1 ]; then
    echo "FAIL: $1 was not built: $2 is missing, and VGG_REQUIRE_REFERENCES=1 says everything the tests use is installed here"
    exit 1
fi
echo "skipped: $1 was not built: $2 is missing (sh pipelines/setup.sh --tests installs it)"
exit 77
