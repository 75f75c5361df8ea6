/* --devices cuda:0,1,2,3: one process training data-parallel on several
 * devices of this node, one thread per device, each thread a rank of a
 * team (dist.c) running the whole run on its own slice of every batch;
 * GPUs sum their gradients with NCCL (ncclCommInitAll), CPU devices
 * ("cpu,cpu", for checking the path without a GPU) over shared memory. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"

#define MAX_DEVICES VGG_MAX_DEVICES

typedef struct member {
    vgg_pretrain_config c;
    char device[32];
    vgg_status st;
    char msg[2048];
} member;

/* "cuda:0,1,2,3", "cuda:0,cuda:2", "cpu,cpu": one name per device, parsed
 * by net/ (vgg_device_list_parse) */
static vgg_status parse_devices(const char *list, member *m, int *n)
{
    vgg_device_spec *spec = calloc(MAX_DEVICES, sizeof *spec);
    if (!spec)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    vgg_status st = vgg_device_list_parse(list, spec, MAX_DEVICES, n);
    for (int i = 0; i < *n && st == VGG_STATUS_OK; i++)
        snprintf(m[i].device, sizeof m[i].device, "%s", spec[i].name);
    free(spec);
    return st == VGG_STATUS_OK ? st : vgg_fail_context(st, "--devices ");
}

vgg_status vgg_dist_devices_check(const char *list)
{
    member *m = calloc(MAX_DEVICES, sizeof *m);
    int n = 0;
    vgg_status st = m ? parse_devices(list, m, &n) : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    free(m);
    return st;
}

static void *member_main(void *arg)
{
    member *m = arg;
    m->st = vgg_pretrain_run(&m->c);
    if (m->st != VGG_STATUS_OK) {
        snprintf(m->msg, sizeof m->msg, "%s", vgg_last_error());
        vgg_dist_team_fail(m->c.dist);
    }
    return NULL;
}

/* the team's verdict: rank 0's interrupt (it saved the checkpoint), else
 * the first failure */
static vgg_status verdict(const member *m, int n, const vgg_pretrain_dist *team)
{
    int who = vgg_dist_team_failed(team);
    if (m[0].st == VGG_STATUS_INTERRUPTED)
        who = 0;
    if (who < 0)
        return VGG_STATUS_OK;
    if (m[who].st == VGG_STATUS_INTERRUPTED)
        return vgg_fail(m[who].st, "%s", m[who].msg);
    return vgg_fail(m[who].st, "device %s (rank %d of %d): %s", m[who].device, who, n,
                    m[who].msg);
}

vgg_status vgg_pretrain_run_devices(vgg_pretrain_config *a)
{
    if (vgg_pretrain_dist_size(a->dist) > 1)
        return vgg_fail(VGG_STATUS_INVALID, "--devices is one process driving several devices; "
                        "under mpirun or srun give --device cuda (one GPU per rank)");
    member *m = calloc(MAX_DEVICES, sizeof *m);
    if (!m)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    int n = 0;
    vgg_pretrain_dist *team = NULL;
    vgg_status st = parse_devices(a->devices, m, &n);
    if (st == VGG_STATUS_OK)
        st = vgg_dist_team_create(n, &team);
    pthread_t th[MAX_DEVICES];
    int started = 0;
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        m[i].c = *a;
        m[i].c.devices = NULL;
        m[i].c.device = m[i].device;
        m[i].c.dist = vgg_dist_team_member(team, i);
        if (pthread_create(&th[i], NULL, member_main, &m[i]) != 0) {
            st = vgg_fail(VGG_STATUS_NOMEM, "--devices: cannot start the thread of %s",
                          m[i].device);
            vgg_dist_team_fail(vgg_dist_team_member(team, i));
        } else {
            started++;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (st == VGG_STATUS_OK)
        st = verdict(m, n, team);
    vgg_dist_team_free(team);
    free(m);
    return st;
}
