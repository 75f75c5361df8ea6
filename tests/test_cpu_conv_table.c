/* The "cpu" backend's algorithm table for 3x3 convolutions
 * (net/cpu/conv_table.c), pinned: for every CPU class and every 3x3 layer
 * class of VGG (A to E), the algorithm the table gives.  The table decides
 * the bits of every descriptor on a machine of that class, so a change to
 * it must be deliberate: change this test with it, with the measurement
 * behind it (bench/wino_table.sh) in the commit.  Also: every class has a
 * row for any channel count, the names are those the benchmarks print, and
 * this machine's class agrees with what its kernels can run.  The rule for
 * the fully connected layers (net/cpu/fc.c: ours or oneDNN's matmul, by the
 * CPU's class, an image's positions and the layer's inputs) is pinned the
 * same way. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "test_skip.h"
#include "fc.h"
#include "wino.h"

/* the 3x3 layer classes of VGG A-E: conv1_1, then (cin, cout) as they
 * follow in the stacks */
static const int shapes[][2] = {
    {3, 64}, {64, 64}, {64, 128}, {128, 128}, {128, 256}, {256, 256}, {256, 512}, {512, 512},
};
#define N_SHAPES ((int)(sizeof shapes / sizeof shapes[0]))

static void table_is_pinned(void **state)
{
    (void)state;
    static const struct {
        vgg_cpu_isa isa;
        vgg_conv_algo want[N_SHAPES];
    } pinned[] = {
        /* AVX2 + FMA: conv1_1 (3 channels) on oneDNN's direct kernel, every
         * other layer on our F(4x4, 3x3) */
        {VGG_ISA_AVX2, {VGG_CONV_ONEDNN, VGG_CONV_WINO4, VGG_CONV_WINO4, VGG_CONV_WINO4,
                        VGG_CONV_WINO4, VGG_CONV_WINO4, VGG_CONV_WINO4, VGG_CONV_WINO4}},
        /* AVX-512 without bf16 and anything else: oneDNN's rule */
        {VGG_ISA_AVX512, {VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN,
                          VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN}},
        /* AVX-512 with bf16: conv1_1 (3 channels) by our direct kernel, our
         * F(4x4, 3x3) up to 128 -> 128 channels (conv1_2 to conv2_2),
         * oneDNN's from 128 -> 256 on */
        {VGG_ISA_AVX512_BF16,
         {VGG_CONV_DIRECT8, VGG_CONV_WINO4, VGG_CONV_WINO4, VGG_CONV_WINO4, VGG_CONV_ONEDNN,
          VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN}},
        {VGG_ISA_BASE, {VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN,
                        VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN, VGG_CONV_ONEDNN}},
    };
    for (size_t p = 0; p < sizeof pinned / sizeof pinned[0]; p++)
        for (int s = 0; s < N_SHAPES; s++) {
            vgg_conv_algo got = vgg_conv_choose(pinned[p].isa, shapes[s][0], shapes[s][1]);
            if (got != pinned[p].want[s])
                print_message("%s, %d -> %d: %s, pinned %s\n", vgg_cpu_isa_name(pinned[p].isa),
                              shapes[s][0], shapes[s][1], vgg_conv_algo_name(got),
                              vgg_conv_algo_name(pinned[p].want[s]));
            assert_int_equal(got, pinned[p].want[s]);
        }
    /* the rows themselves: seven, as measured */
    assert_int_equal(vgg_conv_table_len, 7);
}

static void fc_rule_is_pinned(void **state)
{
    (void)state;
    /* positions an image (image + flip counted once): a 224 crop, Q = 256
     * on 256x256 and 256x341, 288x384, 320x427, 384x384, 384x512, 512x683 */
    static const int positions[] = {1, 4, 8, 18, 28, 36, 60, 150};
    static const struct {
        int k, side;           /* fc6 of VGG 25088 inputs (7x7), fc7 and fc8 4096 (1x1) */
        vgg_fc_algo want[8];
    } pinned[] = {
        /* AVX2 */
        {25088, 7, {VGG_FC_OWN, VGG_FC_OWN, VGG_FC_PANEL, VGG_FC_WINO7, VGG_FC_WINO7,
                    VGG_FC_WINO7, VGG_FC_WINO7, VGG_FC_WINO7}},
        {4096, 1, {VGG_FC_OWN, VGG_FC_OWN, VGG_FC_PANEL, VGG_FC_PANEL, VGG_FC_PANEL, VGG_FC_PANEL,
                   VGG_FC_PANEL, VGG_FC_PANEL}},
        /* a 7x7 fc of a narrow net (c = 64): the same rule */
        {3136, 7, {VGG_FC_OWN, VGG_FC_OWN, VGG_FC_PANEL, VGG_FC_WINO7, VGG_FC_WINO7,
                   VGG_FC_WINO7, VGG_FC_WINO7, VGG_FC_WINO7}},
    };
    /* AVX-512 + bf16: the dot products to 4 positions, the panel to 8,
     * then oneDNN's matmul, but for a 7x7 window from 28 positions on:
     * the Winograd */
    static const struct {
        vgg_fc_algo want[8];
    } pinned512[] = {
        {{VGG_FC_OWN, VGG_FC_OWN, VGG_FC_PANEL, VGG_FC_ONEDNN, VGG_FC_WINO7, VGG_FC_WINO7,
          VGG_FC_WINO7, VGG_FC_WINO7}},
        {{VGG_FC_OWN, VGG_FC_OWN, VGG_FC_PANEL, VGG_FC_ONEDNN, VGG_FC_ONEDNN, VGG_FC_ONEDNN,
          VGG_FC_ONEDNN, VGG_FC_ONEDNN}},
        {{VGG_FC_OWN, VGG_FC_OWN, VGG_FC_PANEL, VGG_FC_ONEDNN, VGG_FC_WINO7, VGG_FC_WINO7,
          VGG_FC_WINO7, VGG_FC_WINO7}},
    };
    const bool here = vgg_fc_supported();
    for (size_t p = 0; p < sizeof pinned / sizeof pinned[0]; p++)
        for (int i = 0; i < 8; i++) {
            const int k = pinned[p].k, sd = pinned[p].side;
            /* ours on the AVX2 and AVX-512 + bf16 classes, and only where
             * it runs */
            const vgg_fc_algo want = here ? pinned[p].want[i] : VGG_FC_ONEDNN;
            const vgg_fc_algo want512 = here ? pinned512[p].want[i] : VGG_FC_ONEDNN;
            assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, positions[i], k, sd), want);
            assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512, positions[i], k, sd), VGG_FC_ONEDNN);
            assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, positions[i], k, sd), want512);
            assert_int_equal(vgg_fc_choose(VGG_ISA_BASE, positions[i], k, sd), VGG_FC_ONEDNN);
        }
    /* the bounds themselves */
    if (here) {
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 4, 25088, 7), VGG_FC_OWN);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 5, 25088, 7), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 17, 25088, 7), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 18, 25088, 7), VGG_FC_WINO7);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 18, 4096, 1), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 18, 2304, 3), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 4, 4096, 1), VGG_FC_OWN);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 5, 4096, 1), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX2, 5, 4097, 1), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 4, 25088, 7), VGG_FC_OWN);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 5, 25088, 7), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 8, 4096, 1), VGG_FC_PANEL);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 9, 25088, 7), VGG_FC_ONEDNN);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 27, 25088, 7), VGG_FC_ONEDNN);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 28, 25088, 7), VGG_FC_WINO7);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 28, 2304, 3), VGG_FC_ONEDNN);
        assert_int_equal(vgg_fc_choose(VGG_ISA_AVX512_BF16, 9, 4096, 1), VGG_FC_ONEDNN);
    }
    assert_string_equal(vgg_fc_algo_name(VGG_FC_OWN), "own");
    assert_string_equal(vgg_fc_algo_name(VGG_FC_PANEL), "panel");
    assert_string_equal(vgg_fc_algo_name(VGG_FC_WINO7), "wino7");
    assert_string_equal(vgg_fc_algo_name(VGG_FC_ONEDNN), "onednn");
}

static void every_class_has_a_row_for_any_layer(void **state)
{
    (void)state;
    const vgg_cpu_isa isas[] = {VGG_ISA_BASE, VGG_ISA_AVX2, VGG_ISA_AVX512, VGG_ISA_AVX512_BF16};
    for (int i = 0; i < 4; i++) {
        bool last = false;
        for (int r = 0; r < vgg_conv_table_len; r++)
            if (vgg_conv_table[r].isa == isas[i] && vgg_conv_table[r].cin_max >= (1 << 30) &&
                vgg_conv_table[r].cout_max >= (1 << 30))
                last = true;
        assert_true(last);
        /* never AUTO: the table is the decision */
        for (int c = 1; c <= 4096; c *= 4)
            assert_int_not_equal(vgg_conv_choose(isas[i], c, c), VGG_CONV_AUTO);
    }
    assert_string_equal(vgg_conv_algo_name(VGG_CONV_WINO4), "wino4");
    assert_string_equal(vgg_conv_algo_name(VGG_CONV_DIRECT8), "direct8");
    assert_string_equal(vgg_conv_algo_name(VGG_CONV_ONEDNN), "onednn");
    assert_string_equal(vgg_cpu_isa_name(VGG_ISA_AVX2), "avx2");
}

static void this_machine_class_agrees_with_its_kernels(void **state)
{
    (void)state;
    vgg_cpu_isa isa = vgg_cpu_isa_class();
    print_message("this CPU: %s; our Winograd kernels %s\n", vgg_cpu_isa_name(isa),
                  vgg_wino_supported() ? "run here" : "do not run here");
    /* the class that takes our kernels is only given where they run */
    if (isa == VGG_ISA_AVX2)
        assert_true(vgg_wino_supported());
    assert_int_equal(vgg_cpu_isa_class(), isa);   /* asked once, the same after */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_pinned),
        cmocka_unit_test(fc_rule_is_pinned),
        cmocka_unit_test(every_class_has_a_row_for_any_layer),
        cmocka_unit_test(this_machine_class_agrees_with_its_kernels),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
