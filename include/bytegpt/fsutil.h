/* fsutil: what every atomic file write shares (checkpoints, exports,
 * plots): write PATH.tmp, flush and fsync it, rename it over PATH, then
 * fsync the folder so that the rename itself survives a power cut. */
#ifndef BYTEGPT_FSUTIL_H
#define BYTEGPT_FSUTIL_H

/* fsyncs the folder that holds path; returns 0, or -1 with errno set. */
int fsutil_sync_parent(const char *path);

#endif
