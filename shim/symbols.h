/* SPDX-License-Identifier: MIT */
/*
 * Every libc name the shim defines: one row each. The table is expanded to
 * declare and resolve the real functions (shim.h, init.c), to write the
 * linker's version script (symbols.map.c) and to check that libsprout.so
 * exports these names and no others (tests/export).
 *
 * Adding a function: one row here, one definition with SPROUT_EXPORT in the
 * file of its object family, one test program in tests/progs/.
 *
 * X(name, version): the real function is dlsym(RTLD_NEXT, name), libc's
 * default version, or with a version, dlvsym(RTLD_NEXT, name, version) (for
 * names libc keeps only for old binaries). The shim's definition carries no
 * version: it binds a program's references to any version of the name.
 */
#ifndef SPROUT_SHIM_SYMBOLS_H
#define SPROUT_SHIM_SYMBOLS_H

#include <features.h> /* __GLIBC__, also where the linker script is made */

/*
 * M(X, name, version): a row only the musl build has: the cancellation
 * state (glibc's own functions keep it in glibc's word, which the shim
 * shares) and dlopen() (musl gives TLS of a module loaded late only to the
 * threads on its own list).
 *
 * G(X, name, version): a row for a name only glibc has (its _chk and
 * __-prefixed aliases, its _np extensions, its BSD and System V names): a
 * program built against musl cannot refer to it, and the musl build
 * neither defines nor exports it; its definition is inside
 * #ifdef __GLIBC__.
 */
#ifdef __GLIBC__
#define G(X, name, version) X(name, version)
#define M(X, name, version)
#else
#define G(X, name, version)
#define M(X, name, version) X(name, version)
#endif

#define SPROUT_SYMBOLS(X)                                                 \
	/* thread.c */                                                    \
	X(pthread_create, NULL)                                           \
	X(pthread_join, NULL)                                             \
	X(pthread_tryjoin_np, NULL)                                       \
	X(pthread_timedjoin_np, NULL)                                     \
	G(X, pthread_clockjoin_np, NULL)                                  \
	X(pthread_detach, NULL)                                           \
	X(pthread_exit, NULL)                                             \
	X(pthread_self, NULL)                                             \
	X(pthread_equal, NULL)                                            \
	X(sched_yield, NULL)                                              \
	G(X, pthread_yield, "GLIBC_2.2.5")                                \
	X(pthread_getcpuclockid, NULL)                                    \
	X(pthread_setname_np, NULL)                                       \
	X(prctl, NULL)                                                    \
	X(pthread_getname_np, NULL)                                       \
	X(gettid, NULL)                                                   \
	X(vfork, NULL)                                                    \
	G(X, __vfork, NULL)                                               \
	X(_Fork, NULL)                                                    \
	X(clone, NULL)                                                    \
	X(syscall, NULL)                                                  \
	G(X, tgkill, NULL)                                                \
	X(sched_setaffinity, NULL)                                        \
	X(sched_getaffinity, NULL)                                        \
	G(X, sched_setscheduler, NULL)                                    \
	G(X, sched_getscheduler, NULL)                                    \
	G(X, sched_setparam, NULL)                                        \
	G(X, sched_getparam, NULL)                                        \
	X(getpriority, NULL)                                              \
	X(setpriority, NULL)                                              \
	X(nice, NULL)                                                     \
	X(sched_getcpu, NULL)                                             \
	M(X, dlopen, NULL)                                                \
	/* attr.c */                                                      \
	X(pthread_getattr_np, NULL)                                       \
	X(pthread_getattr_default_np, NULL)                               \
	X(pthread_setattr_default_np, NULL)                               \
	/* key.c */                                                       \
	X(pthread_key_create, NULL)                                       \
	X(pthread_key_delete, NULL)                                       \
	X(pthread_getspecific, NULL)                                      \
	X(pthread_setspecific, NULL)                                      \
	/* once.c */                                                      \
	X(pthread_once, NULL)                                             \
	/* c11.c */                                                       \
	X(thrd_create, NULL)                                              \
	X(thrd_join, NULL)                                                \
	X(thrd_detach, NULL)                                              \
	X(thrd_exit, NULL)                                                \
	X(thrd_current, NULL)                                             \
	X(thrd_equal, NULL)                                               \
	X(thrd_yield, NULL)                                               \
	X(call_once, NULL)                                                \
	X(tss_create, NULL)                                               \
	X(tss_delete, NULL)                                               \
	X(tss_get, NULL)                                                  \
	X(tss_set, NULL)                                                  \
	/* mutex.c */                                                     \
	X(pthread_mutex_init, NULL)                                       \
	X(pthread_mutex_destroy, NULL)                                    \
	X(pthread_mutex_lock, NULL)                                       \
	X(pthread_mutex_trylock, NULL)                                    \
	X(pthread_mutex_timedlock, NULL)                                  \
	G(X, pthread_mutex_clocklock, NULL)                               \
	X(pthread_mutex_unlock, NULL)                                     \
	X(pthread_mutex_consistent, NULL)                                 \
	X(pthread_mutex_getprioceiling, NULL)                             \
	X(pthread_mutex_setprioceiling, NULL)                             \
	/* cond.c */                                                      \
	X(pthread_cond_init, NULL)                                        \
	X(pthread_cond_destroy, NULL)                                     \
	X(pthread_cond_signal, NULL)                                      \
	X(pthread_cond_broadcast, NULL)                                   \
	X(pthread_cond_wait, NULL)                                        \
	X(pthread_cond_timedwait, NULL)                                   \
	G(X, pthread_cond_clockwait, NULL)                                \
	/* rwlock.c */                                                    \
	X(pthread_rwlock_init, NULL)                                      \
	X(pthread_rwlock_destroy, NULL)                                   \
	X(pthread_rwlock_rdlock, NULL)                                    \
	X(pthread_rwlock_tryrdlock, NULL)                                 \
	X(pthread_rwlock_timedrdlock, NULL)                               \
	G(X, pthread_rwlock_clockrdlock, NULL)                            \
	X(pthread_rwlock_wrlock, NULL)                                    \
	X(pthread_rwlock_trywrlock, NULL)                                 \
	X(pthread_rwlock_timedwrlock, NULL)                               \
	G(X, pthread_rwlock_clockwrlock, NULL)                            \
	X(pthread_rwlock_unlock, NULL)                                    \
	/* barrier.c */                                                   \
	X(pthread_barrier_init, NULL)                                     \
	X(pthread_barrier_destroy, NULL)                                  \
	X(pthread_barrier_wait, NULL)                                     \
	/* spin.c */                                                      \
	X(pthread_spin_init, NULL)                                        \
	X(pthread_spin_destroy, NULL)                                     \
	X(pthread_spin_lock, NULL)                                        \
	X(pthread_spin_trylock, NULL)                                     \
	X(pthread_spin_unlock, NULL)                                      \
	/* sem.c */                                                       \
	X(sem_init, NULL)                                                 \
	X(sem_destroy, NULL)                                              \
	X(sem_wait, NULL)                                                 \
	X(sem_trywait, NULL)                                              \
	X(sem_timedwait, NULL)                                            \
	G(X, sem_clockwait, NULL)                                         \
	X(sem_post, NULL)                                                 \
	X(sem_getvalue, NULL)                                             \
	/* c11.c (mtx, cnd) */                                            \
	X(mtx_init, NULL)                                                 \
	X(mtx_destroy, NULL)                                              \
	X(mtx_lock, NULL)                                                 \
	X(mtx_trylock, NULL)                                              \
	X(mtx_timedlock, NULL)                                            \
	X(mtx_unlock, NULL)                                               \
	X(cnd_init, NULL)                                                 \
	X(cnd_destroy, NULL)                                              \
	X(cnd_signal, NULL)                                               \
	X(cnd_broadcast, NULL)                                            \
	X(cnd_wait, NULL)                                                 \
	X(cnd_timedwait, NULL)                                            \
	/* foreign.c */                                                   \
	X(pthread_kill, NULL)                                             \
	G(X, pthread_sigqueue, NULL)                                      \
	X(pthread_cancel, NULL)                                           \
	X(pthread_setschedparam, NULL)                                    \
	X(pthread_getschedparam, NULL)                                    \
	X(pthread_setschedprio, NULL)                                     \
	X(pthread_setaffinity_np, NULL)                                   \
	X(pthread_getaffinity_np, NULL)                                   \
	/* cancel.c */                                                    \
	M(X, pthread_setcancelstate, NULL)                                \
	M(X, pthread_setcanceltype, NULL)                                 \
	M(X, pthread_testcancel, NULL)                                    \
	/* setxid.c */                                                    \
	M(X, setuid, NULL)                                                \
	M(X, setgid, NULL)                                                \
	M(X, seteuid, NULL)                                               \
	M(X, setegid, NULL)                                               \
	M(X, setreuid, NULL)                                              \
	M(X, setregid, NULL)                                              \
	M(X, setresuid, NULL)                                             \
	M(X, setresgid, NULL)                                             \
	M(X, setgroups, NULL)                                             \
	/* taskdir.c */                                                   \
	X(opendir, NULL)                                                  \
	X(fdopendir, NULL)                                                \
	X(readdir, NULL)                                                  \
	G(X, readdir64, NULL)                                             \
	X(readdir_r, NULL)                                                \
	G(X, readdir64_r, NULL)                                           \
	X(rewinddir, NULL)                                                \
	X(seekdir, NULL)                                                  \
	X(telldir, NULL)                                                  \
	X(closedir, NULL)                                                 \
	/* signal.c */                                                    \
	X(pthread_sigmask, NULL)                                          \
	X(raise, NULL)                                                    \
	M(X, abort, NULL)                                                 \
	M(X, __assert_fail, NULL)                                         \
	X(sigaltstack, NULL)                                              \
	X(sigpending, NULL)                                               \
	X(kill, NULL)                                                     \
	X(sigqueue, NULL)                                                 \
	G(X, gsignal, NULL)                                               \
	X(sigprocmask, NULL)                                              \
	G(X, sigsetmask, NULL)                                            \
	G(X, sigblock, NULL)                                              \
	G(X, siggetmask, NULL)                                            \
	X(sighold, NULL)                                                  \
	X(sigrelse, NULL)                                                 \
	X(sigset, NULL)                                                   \
	X(sigpause, NULL)                                                 \
	G(X, __sigpause, NULL)                                            \
	G(X, __xpg_sigpause, NULL)                                        \
	X(siglongjmp, NULL)                                               \
	X(longjmp, NULL)                                                  \
	X(_longjmp, NULL)                                                 \
	G(X, __longjmp_chk, NULL)                                         \
	X(sigaction, NULL)                                                \
	X(signal, NULL)                                                   \
	X(bsd_signal, NULL)                                               \
	G(X, sysv_signal, NULL)                                           \
	/* syscall-wrap/sleep.c */                                        \
	X(nanosleep, NULL)                                                \
	G(X, __nanosleep, NULL)                                           \
	X(clock_nanosleep, NULL)                                          \
	/* shim/cpuclock.c */                                             \
	X(clock_gettime, NULL)                                            \
	X(clock_getres, NULL)                                             \
	X(sleep, NULL)                                                    \
	X(usleep, NULL)                                                   \
	X(thrd_sleep, NULL)                                               \
	/* syscall-wrap/blocking.c */                                     \
	X(read, NULL)                                                     \
	G(X, __read, NULL)                                                \
	G(X, __read_chk, NULL)                                            \
	X(write, NULL)                                                    \
	G(X, __write, NULL)                                               \
	X(pread, NULL)                                                    \
	G(X, pread64, NULL)                                               \
	G(X, __pread64, NULL)                                             \
	G(X, __pread_chk, NULL)                                           \
	G(X, __pread64_chk, NULL)                                         \
	X(pwrite, NULL)                                                   \
	G(X, pwrite64, NULL)                                              \
	G(X, __pwrite64, NULL)                                            \
	X(readv, NULL)                                                    \
	X(writev, NULL)                                                   \
	X(preadv, NULL)                                                   \
	G(X, preadv64, NULL)                                              \
	X(pwritev, NULL)                                                  \
	G(X, pwritev64, NULL)                                             \
	G(X, preadv2, NULL)                                               \
	G(X, preadv64v2, NULL)                                            \
	G(X, pwritev2, NULL)                                              \
	G(X, pwritev64v2, NULL)                                           \
	X(fsync, NULL)                                                    \
	X(fdatasync, NULL)                                                \
	X(sync_file_range, NULL)                                          \
	X(tcdrain, NULL)                                                  \
	X(creat, NULL)                                                    \
	G(X, creat64, NULL)                                               \
	G(X, __open_2, NULL)                                              \
	G(X, __open64_2, NULL)                                            \
	G(X, __openat_2, NULL)                                            \
	G(X, __openat64_2, NULL)                                          \
	X(open, NULL)                                                     \
	G(X, open64, NULL)                                                \
	G(X, __open, NULL)                                                \
	G(X, __open64, NULL)                                              \
	X(openat, NULL)                                                   \
	G(X, openat64, NULL)                                              \
	X(fcntl, NULL)                                                    \
	G(X, fcntl64, NULL)                                               \
	G(X, __fcntl, NULL)                                               \
	X(flock, NULL)                                                    \
	X(lockf, NULL)                                                    \
	G(X, lockf64, NULL)                                               \
	X(wait, NULL)                                                     \
	G(X, __wait, NULL)                                                \
	X(waitpid, NULL)                                                  \
	G(X, __waitpid, NULL)                                             \
	X(wait3, NULL)                                                    \
	X(wait4, NULL)                                                    \
	X(waitid, NULL)                                                   \
	X(system, NULL)                                                   \
	X(sigwait, NULL)                                                  \
	X(sigwaitinfo, NULL)                                              \
	X(sigtimedwait, NULL)                                             \
	X(sigsuspend, NULL)                                               \
	G(X, __sigsuspend, NULL)                                          \
	X(pause, NULL)                                                    \
	X(msgrcv, NULL)                                                   \
	X(msgsnd, NULL)                                                   \
	X(mq_receive, NULL)                                               \
	X(mq_timedreceive, NULL)                                          \
	X(mq_send, NULL)                                                  \
	X(mq_timedsend, NULL)                                             \
	X(getaddrinfo, NULL)                                              \
	X(getnameinfo, NULL)                                              \
	X(gethostbyname, NULL)                                            \
	X(gethostbyname2, NULL)                                           \
	X(gethostbyname_r, NULL)                                          \
	X(gethostbyname2_r, NULL)                                         \
	/* syscall-wrap/netio.c (and read, write, readv, writev above) */ \
	X(recv, NULL)                                                     \
	X(recvfrom, NULL)                                                 \
	X(recvmsg, NULL)                                                  \
	X(recvmmsg, NULL)                                                 \
	X(send, NULL)                                                     \
	X(sendto, NULL)                                                   \
	X(sendmsg, NULL)                                                  \
	X(sendmmsg, NULL)                                                 \
	G(X, __recv_chk, NULL)                                            \
	G(X, __recvfrom_chk, NULL)                                        \
	X(accept, NULL)                                                   \
	X(accept4, NULL)                                                  \
	X(connect, NULL)                                                  \
	X(poll, NULL)                                                     \
	G(X, __poll, NULL)                                                \
	G(X, __poll_chk, NULL)                                            \
	X(ppoll, NULL)                                                    \
	G(X, __ppoll_chk, NULL)                                           \
	X(select, NULL)                                                   \
	G(X, __select, NULL)                                              \
	X(pselect, NULL)                                                  \
	X(epoll_wait, NULL)                                               \
	X(epoll_pwait, NULL)                                              \
	G(X, epoll_pwait2, NULL)                                          \
	X(splice, NULL)                                                   \
	X(sendfile, NULL)                                                 \
	G(X, sendfile64, NULL)                                            \
	X(close, NULL)                                                    \
	G(X, __close, NULL)                                               \
	X(dup, NULL)                                                      \
	X(dup2, NULL)                                                     \
	G(X, __dup2, NULL)                                                \
	X(dup3, NULL)                                                     \
	G(X, close_range, NULL)                                           \
	G(X, closefrom, NULL)                                             \
	X(fclose, NULL)                                                   \
	X(socket, NULL)                                                   \
	X(socketpair, NULL)                                               \
	X(pipe, NULL)                                                     \
	G(X, __pipe, NULL)                                                \
	X(pipe2, NULL)                                                    \
	X(eventfd, NULL)                                                  \
	X(timerfd_create, NULL)                                           \
	X(signalfd, NULL)                                                 \
	X(inotify_init, NULL)                                             \
	X(inotify_init1, NULL)                                            \
	X(epoll_create, NULL)                                             \
	X(epoll_create1, NULL)                                            \
	X(setsockopt, NULL)                                               \
	X(ioctl, NULL)

#endif
