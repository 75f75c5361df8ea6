# Non-finite values in forward passes: weights whose values cannot stay
# finite (refused at load and at run time), NaN and infinities in inputs
# and weights, the same error on "cpu" and "cpu-ref"; full-size nets with
# the usual initialisations inside the range.
vgg_add_test(NAME test_net_finite SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_finite.c
             LIBS vggnet ${MATH_LIB})
target_include_directories(test_net_finite PRIVATE ${CMAKE_SOURCE_DIR}/net/src)
set_tests_properties(test_net_finite PROPERTIES TIMEOUT 600)
