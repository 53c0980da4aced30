// The few Linux interfaces Swift's Glibc module does not import (GNU extensions
// and macros). Everything here is a thin pass-through; the Swift wrappers in
// Sources/Shared/System are the only callers.
#ifndef DROIDGATE_CSYSTEM_H
#define DROIDGATE_CSYSTEM_H

// No _GNU_SOURCE here: it would change struct layouts that Swift's Glibc
// module already imported. GNU-only calls live behind these functions in CSystem.c.
#include <sys/types.h>
#include <spawn.h>
#include <stdint.h>

/// droidgate's version ("0.1.0"), read at run time from the section "droidgate_version" of
/// the executable (Version.c), so packaging can stamp a version into built binaries.
const char *csys_droidgate_version(void);

/// SO_PEERCRED of a connected Unix socket. Returns 0 or -1 with errno set.
int csys_peercred(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/// SO_PEERGROUPS: the peer's supplementary groups. Returns the count or -1.
int csys_peergroups(int fd, gid_t *groups, int max);

/// One datagram to a Unix socket path ("@name" is abstract), for sd_notify.
ssize_t csys_send_datagram(const char *path, const void *buf, size_t len);

int csys_accept4(int fd, int flags);
int csys_accept_flags_nonblock_cloexec(void);

int csys_epoll_create(void);
int csys_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits for events; fills parallel arrays of data and event masks.
int csys_epoll_wait(int epfd, uint64_t *datas, uint32_t *masks, int max, int timeout_ms);
uint32_t csys_epollexclusive(void);

int csys_eventfd(void);
/// A non-blocking, close-on-exec CLOCK_MONOTONIC timerfd.
int csys_timerfd(void);
/// Arms it once, `ns` nanoseconds from now (0 disarms). 0 or -1 with errno.
int csys_timerfd_arm(int fd, unsigned long long ns);
int csys_pipe2_cloexec(int fds[2]);

/// sendmsg with SCM_RIGHTS carrying `nfds` descriptors alongside `len` bytes.
ssize_t csys_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);
/// recvmsg that also collects up to `maxfds` passed descriptors (set O_CLOEXEC).
/// `*nfds` receives how many arrived; `*truncated` is 1 if the kernel dropped some.
ssize_t csys_recv_with_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated);

int csys_pidfd_open(pid_t pid);
/// PR_SET_CHILD_SUBREAPER: orphaned descendants are reparented to us.
int csys_set_child_subreaper(void);
/// PR_SET_DUMPABLE (prctl is variadic: Swift cannot call it).
int csys_set_dumpable(int on);
/// SO_PASSCRED on a Unix socket, then recvmsg collecting the sender's pid.
int csys_enable_passcred(int fd);
ssize_t csys_recv_with_pid(int fd, void *buf, size_t len, pid_t *pid);
ssize_t csys_getrandom(void *buf, size_t len);
int csys_pidfd_send_signal(int pidfd, int sig);
/// pidfd_getfd(2): a duplicate (close-on-exec) of descriptor `targetfd` of the process behind `pidfd`.
int csys_pidfd_getfd(int pidfd, int targetfd);

short csys_posix_spawn_setsid(void);
int csys_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
int csys_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// A NETLINK_SOCK_DIAG socket (close-on-exec), for csys_sockdiag_tcp_uid; -1 with errno.
int csys_sockdiag_open(void);
/// Which uid owns the TCP socket whose local end is (src, sport) and whose remote end is
/// (dst, dport): one exact lookup (SOCK_DIAG_BY_FAMILY, no dump). `family` AF_INET (4-byte
/// addresses) or AF_INET6 (16), addresses in network byte order, ports in host order.
/// Returns 0 with *uid set, or -1 with errno (ENOENT: no such socket; EPROTO: a reply
/// that is not the one asked for).
int csys_sockdiag_tcp_uid(int nl, int family, const uint8_t *src, uint16_t sport,
                          const uint8_t *dst, uint16_t dport, uint32_t *uid);

#endif
