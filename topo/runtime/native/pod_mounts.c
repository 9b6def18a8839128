/* kubemn's pod mounts: makes a pod's file system in its mount namespace, in one
 * process, from the plan the kubelet wrote (topo/kubelet/pod_files.py, mount_plan).
 * A shell's mount and mkdir commands cost a process each: an image's own root took
 * some sixty of them a pod.
 *
 * Usage: pod_mounts PLAN. Each line of PLAN is an operation and its paths, separated
 * by tabs:
 *   tmpfs PATH                      a tmpfs (mode 755) at PATH
 *   dir PATH                        mkdir -p PATH
 *   file PATH                       an empty file at PATH, unless there is one
 *   link TARGET PATH                a symbolic link
 *   bind SOURCE PATH                a bind mount; rbind: with the mounts below SOURCE
 *   ro PATH                         the bind mount at PATH made read-only
 *   overlay LOWER UPPER WORK PATH   an overlay of LOWER, its changes in UPPER
 * The first operation that fails ends it with status 1, naming it on standard error.
 * Built by `make deps` (scripts/build-native.sh) into build/native/pod_mounts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOST_FIELDS 5

static int make_dirs(char *path)
{
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int made = mkdir(path, 0755);
        *slash = '/';
        if (made && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

static int make_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    return fd < 0 ? -1 : close(fd);
}

static int overlay(char **field)
{
    char options[3 * 4096 + 64];
    if (snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s,workdir=%s",
                 field[1], field[2], field[3]) >= (int) sizeof options) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mount("kubemn-overlay", field[4], "overlay", 0, options);
}

/* Runs one operation (field[0]) on its n fields; -1 with errno on failure. */
static int run(char **field, int n)
{
    const char *op = field[0];
    if (!strcmp(op, "tmpfs") && n == 2)
        return mount("kubemn-root", field[1], "tmpfs", 0, "mode=755");
    if (!strcmp(op, "dir") && n == 2)
        return make_dirs(field[1]);
    if (!strcmp(op, "file") && n == 2)
        return make_file(field[1]);
    if (!strcmp(op, "link") && n == 3)
        return symlink(field[1], field[2]);
    if (!strcmp(op, "bind") && n == 3)
        return mount(field[1], field[2], NULL, MS_BIND, NULL);
    if (!strcmp(op, "rbind") && n == 3)
        return mount(field[1], field[2], NULL, MS_BIND | MS_REC, NULL);
    if (!strcmp(op, "ro") && n == 2)
        return mount(NULL, field[1], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
    if (!strcmp(op, "overlay") && n == 5)
        return overlay(field);
    errno = EINVAL;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PLAN\n", argv[0]);
        return 2;
    }
    FILE *plan = fopen(argv[1], "r");
    if (!plan) {
        perror(argv[1]);
        return 1;
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
            fprintf(stderr, "pod mounts: %s %s: %s\n", field[0], n > 1 ? field[n - 1] : "",
                    strerror(error));
            return 1;
        }
    }
    return 0;
}
