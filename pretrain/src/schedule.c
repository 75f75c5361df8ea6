/* The learning-rate schedule: fixed steps and a plateau rule on the
 * validation accuracy (the paper's: divide by 10 when it stops improving). */
#include "vgg/pretrain.h"

float vgg_pretrain_schedule_lr(const vgg_pretrain_schedule *s, int64_t it)
{
    float lr = s->lr;
    for (int i = 0; i < s->n_steps; i++)
        if (it >= s->steps[i])
            lr *= 0.1f;
    return lr;
}

bool vgg_pretrain_schedule_validate(vgg_pretrain_schedule *s, double acc)
{
    if (acc > s->best + s->min_delta) {
        s->best = acc;
        s->bad = 0;
        return false;
    }
    if (acc > s->best)
        s->best = acc;
    s->bad++;
    if (s->patience <= 0 || s->bad < s->patience)
        return false;
    s->bad = 0;
    if (s->max_drops > 0 && s->drops >= s->max_drops)
        return true;
    s->lr *= 0.1f;
    s->drops++;
    return false;
}
