/* bench_train --profile: per-operation time of a training step. */
#ifndef VGG_BENCH_OP_PROFILE_H
#define VGG_BENCH_OP_PROFILE_H

#include "vgg/net.h"

/* wrap be's operation tables with timing copies (one backend at a time) */
void op_profile_attach(vgg_backend *be);
void op_profile_reset(void);
/* the table: each operation's ms per step and share of step_seconds */
void op_profile_print(int steps, double step_seconds);

#endif
