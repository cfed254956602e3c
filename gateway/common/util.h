/*
 * util.h - small helpers shared by the daemon and the CLI (util.c): clocks,
 * human-readable sizes and times, directories, atomic file replacement.
 * Nothing here pulls in libevent.
 */
#ifndef VMGW_UTIL_H
#define VMGW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

time_t	 mono_now(void);
uint64_t mono_ns(void);
void	 fmt_bytes(char *out, size_t outlen, uint64_t bytes);
void	 fmt_time(char *out, size_t outlen, time_t wall);
int	 set_nonblock_cloexec(int fd);
int	 mkdir_p(const char *path, mode_t mode);
/*
 * mkdir -p path (new directories 0711 before the umask), then the last
 * `levels` directories of path that we own get u+rwx,go+x: QEMU, as
 * another user, passes through them to the images it opens (the images
 * themselves libvirt hands to it).  0, or -1 with errno.
 */
int	 mkdir_passable(const char *path, int levels);
int	 write_file_atomic(const char *path, const void *, size_t, mode_t);

#endif /* VMGW_UTIL_H */
