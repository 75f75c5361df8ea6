/* vggsvm: linear SVMs on vggfeat feature stores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/core.h"
#include "vgg/features.h"

static const vgg_command commands[] = {
    { "train", cmd_train, "train one-vs-rest SVMs from a feature store" },
    { "predict", cmd_predict, "score a feature store with a model" },
    { "eval", cmd_eval, "accuracy, mean class recall, AP and mAP, top-k, confusion matrix" },
};

int report_failure(const char *cmd)
{
    fprintf(stderr, "vggsvm %s: %s\n", cmd, vgg_last_error());
    return 1;
}

vgg_status check_output(const char *out, const char *const *ins, size_t n)
{
    if (!out || strcmp(out, "-") == 0)
        return VGG_STATUS_OK;
    /* the inputs and their sidecars ("<model>.json") */
    const char *all[16];
    char *json[8] = { 0 };
    size_t k = 0;
    vgg_status st;
    for (size_t i = 0; i < n && i < 8; i++) {
        if (!ins[i])
            continue;
        all[k++] = ins[i];
        size_t len = strlen(ins[i]) + 6;
        if ((json[i] = malloc(len)) != NULL) {
            snprintf(json[i], len, "%s.json", ins[i]);
            all[k++] = json[i];
        }
    }
    st = vgg_output_check(out, all, k);
    for (size_t i = 0; i < 8; i++)
        free(json[i]);
    return st;
}

void note_store_tail(const char *cmd, const char *store)
{
    char text[1024];
    if (store && vgg_featstore_tail_note(store, text, sizeof text))
        fprintf(stderr, "vggsvm %s: %s\n", cmd, text);
}

int main(int argc, char **argv)
{
    return vgg_cli_main("vggsvm", commands, sizeof commands / sizeof commands[0], NULL, argc,
                        argv);
}
