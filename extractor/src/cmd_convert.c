/* vggfeat convert: placeholder until the Caffe converter lands here. */
#include <stdio.h>

#include "commands.h"

int cmd_convert(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "vggfeat convert: not built yet\n");
    return 1;
}
