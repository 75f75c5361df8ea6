/* CPU training operations (backward passes, dropout, loss, SGD). */
#include "backend.h"

const vgg_backend_train_ops vgg_cpu_train_ops = {0};
