/* The pod sandbox's file system operations (pod_sandbox.c), each on its plan line's
 * fields (field[0] is the operation's name): 0, or -1 with errno. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* tmpfs PATH: a tmpfs (mode 755) at PATH */
static int mount_tmpfs(char **field)
{
    return mount("kubemn-root", field[1], "tmpfs", 0, "mode=755");
}

/* dir PATH: mkdir -p PATH */
static int make_dirs(char **field)
{
    char *path = field[1];
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int made = mkdir(path, 0755);
        *slash = '/';
        if (made && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

/* file PATH: an empty file at PATH, unless there is one */
static int make_file(char **field)
{
    int fd = open(field[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    return fd < 0 ? -1 : close(fd);
}

/* link TARGET PATH: a symbolic link */
static int make_link(char **field)
{
    return symlink(field[1], field[2]);
}

/* bind SOURCE PATH: a bind mount */
static int bind_mount(char **field)
{
    return mount(field[1], field[2], NULL, MS_BIND, NULL);
}

/* rbind SOURCE PATH: a bind mount with the mounts below SOURCE */
static int bind_mount_all(char **field)
{
    return mount(field[1], field[2], NULL, MS_BIND | MS_REC, NULL);
}

/* ro PATH: the bind mount at PATH made read-only */
static int read_only(char **field)
{
    return mount(NULL, field[1], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

/* overlay LOWER UPPER WORK PATH: an overlay of LOWER, its changes in UPPER */
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
