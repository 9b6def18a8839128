/* kubemn's pod sandbox: makes a pod's network, UTS and mount namespaces, its hostname,
 * file system and network from the plan the kubelet wrote (topo/kubelet/pod_files.py,
 * sandbox_plan), then becomes the pod's pause process. One process a pod, where
 * unshare, a shell, ip and ethtool cost five programs' start (most of a sandbox's CPU
 * when thousands of pods start).
 *
 * Usage: pod_sandbox PLAN PROGRAM ARGV0 [ARG...]. Each line of PLAN is an operation
 * and its fields, separated by tabs:
 *   hostname NAME                   the pod's hostname
 *   tmpfs dir file link bind rbind ro overlay   its file system (mounts.h)
 *   veth plug up addr route no-tx-checksum      its network (network.h)
 * The mount namespace is private from the start (as unshare(1) makes it), so that the
 * pod's mounts stay in the pod. The first operation that fails ends it with status
 * 1, naming it on standard error (the pod's pause.log); otherwise it executes PROGRAM
 * with ARGV0 as its name. Built by `make deps` (scripts/build-native.sh) into
 * build/native/pod_sandbox. */
#define _GNU_SOURCE
#include <sched.h>

#include "mounts.h"
#include "network.h"

#define MOST_FIELDS 5

/* hostname NAME */
static int set_hostname(char **field)
{
    return sethostname(field[1], strlen(field[1]));
}

static const struct operation {
    const char *name;
    int fields;   /* its name included */
    int (*run)(char **field);
} operations[] = {
    {"hostname", 2, set_hostname},
    {"tmpfs", 2, mount_tmpfs}, {"dir", 2, make_dirs}, {"file", 2, make_file},
    {"link", 3, make_link}, {"bind", 3, bind_mount}, {"rbind", 3, bind_mount_all},
    {"ro", 2, read_only}, {"overlay", 5, overlay},
    {"veth", 5, make_veth}, {"plug", 4, plug}, {"up", 2, set_up}, {"addr", 3, add_address},
    {"route", 3, add_default_route}, {"no-tx-checksum", 2, no_tx_checksum},
};

/* Runs one plan line's operation: 0, or -1 with errno. */
static int run(char **field, int n)
{
    for (size_t i = 0; i < sizeof operations / sizeof *operations; i++)
        if (!strcmp(field[0], operations[i].name) && n == operations[i].fields)
            return operations[i].run(field);
    errno = EINVAL;
    return -1;
}

static int run_plan(const char *path)
{
    FILE *plan = fopen(path, "re");
    if (!plan) {
        fprintf(stderr, "pod sandbox: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t room = 0;
    ssize_t length;
    while ((length = getline(&line, &room, plan)) > 0) {
        if (line[length - 1] == '\n')
            line[length - 1] = '\0';
        if (!line[0])
            continue;
        char *field[MOST_FIELDS], *rest = line;
        int n = 0;
        while (n < MOST_FIELDS && rest)
            field[n++] = strsep(&rest, "\t");
        if (rest || run(field, n)) {
            int error = rest ? EINVAL : errno;
            fprintf(stderr, "pod sandbox: %s %s: %s\n", field[0],
                    n > 1 ? field[n - 1] : "", strerror(error));
            return -1;
        }
    }
    free(line);
    fclose(plan);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s PLAN PROGRAM ARGV0 [ARG...]\n", argv[0]);
        return 2;
    }
    if (unshare(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS)
        || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
        fprintf(stderr, "pod sandbox: making its namespaces: %s\n", strerror(errno));
        return 1;
    }
    if (run_plan(argv[1]))
        return 1;
    execv(argv[2], argv + 3);
    fprintf(stderr, "pod sandbox: executing %s: %s\n", argv[2], strerror(errno));
    return 1;
}
