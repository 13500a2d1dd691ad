#ifndef RH_BATCH_CSYSTEMSHIMS_H
#define RH_BATCH_CSYSTEMSHIMS_H

/// syncfs(2): commits every dirty file and directory entry of the file system holding `fd` in one
/// call. Glibc declares it only under _GNU_SOURCE, which Swift's Glibc module does not set.
/// Elsewhere it is fsync(2) of `fd` alone, which leaves result files' renames unsynced (shims.c).
int rh_syncfs(int fd);

#endif
