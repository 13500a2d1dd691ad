#define _GNU_SOURCE
#include <unistd.h>
#include "CSystemShims.h"

int rh_syncfs(int fd) {
#ifdef __linux__
    return syncfs(fd);
#else
    /* Not Linux (rh-batch is built and tested on Linux only): fsync(2) of this one file. It
       does NOT make the renames of result files and their folders durable, as syncfs does, so
       a crash may lose a result the journal says was written; the next run then finds it
       missing and fetches it again from its task (never submitting it again). */
    return fsync(fd);
#endif
}
