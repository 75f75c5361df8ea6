/* SIGINT and SIGTERM: recorded, never acted on in the handler; waits poll
 * the record so that an interrupt is honoured within a fraction of a second. */
#include "vgg/core.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t received;
static struct sigaction old_int, old_term;
static int installed;

static void on_signal(int sig)
{
    if (!received)
        received = sig;
}

vgg_status vgg_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;    /* no SA_RESTART: a blocking read returns EINTR */
    received = 0;
    if (sigaction(SIGINT, &sa, &old_int) != 0 || sigaction(SIGTERM, &sa, &old_term) != 0)
        return vgg_fail(VGG_STATUS_IO, "cannot install the signal handlers: %s",
                        strerror(errno));
    installed = 1;
    return VGG_STATUS_OK;
}

void vgg_signals_restore(void)
{
    if (!installed)
        return;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    installed = 0;
}

int vgg_signal_received(void)
{
    return received;
}

int vgg_signal_exit_code(int sig)
{
    return sig > 0 ? 128 + sig : 0;
}

vgg_status vgg_check_interrupt(void)
{
    int sig = received;
    if (!sig)
        return VGG_STATUS_OK;
    return vgg_fail(VGG_STATUS_INTERRUPTED, "interrupted by %s",
                    sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal");
}

vgg_status vgg_cond_wait_interruptible(pthread_cond_t *cv, pthread_mutex_t *mu)
{
    vgg_status st = vgg_check_interrupt();
    if (st != VGG_STATUS_OK)
        return st;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100 * 1000 * 1000;     /* look at the record every 0.1 s */
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cv, mu, &until);
    return vgg_check_interrupt();
}
