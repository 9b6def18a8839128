/* kubemn's pause: what registry.k8s.io/pause runs, a process that waits.
 *
 * As the real one: nothing printed at start (a pod's pause is the first process of
 * its container), SIGINT or SIGTERM prints "Shutting down, got signal: <name>" on
 * standard error and exits 0, and children it inherits are reaped. Built by
 * `make deps` (scripts/build-native.sh) into build/native/pause: one small process
 * a pod, where an interpreter cost megabytes. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void shut_down(int signum)
{
    psignal(signum, "Shutting down, got signal");
    _exit(0);
}

static void reap(int signum)
{
    (void) signum;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static int handle(int signum, void (*handler)(int), int flags)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = flags;
    return sigaction(signum, &action, NULL);
}

int main(void)
{
    if (handle(SIGINT, shut_down, 0) || handle(SIGTERM, shut_down, 0) ||
        handle(SIGCHLD, reap, SA_NOCLDSTOP))
        return 1;
    for (;;)
        pause();
}
