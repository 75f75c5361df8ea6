/* The learning-rate schedule: fixed steps and a plateau rule on the
 * validation accuracy (the paper's: divide by 10 when it stops improving),
 * and, outside the paper, a linear warm-up and a half-cosine decay. */
#include <math.h>

#include "vgg/pretrain.h"

float vgg_pretrain_schedule_lr(const vgg_pretrain_schedule *s, int64_t it)
{
    float lr = s->lr;
    for (int i = 0; i < s->n_steps; i++)
        if (it >= s->steps[i])
            lr *= 0.1f;
    if (it < s->warmup)
        return lr * (float)((double)(it + 1) / (double)s->warmup);
    if (s->cosine_end > s->warmup) {
        double t = (double)(it - s->warmup) / (double)(s->cosine_end - s->warmup);
        if (t > 1.0)
            t = 1.0;
        lr = (float)(lr * 0.5 * (1.0 + cos(3.14159265358979323846 * t)));
    }
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
