/* What every role shares: the files the dynamic loader and libc read, the
 * system calls every netward worker makes while serving, the extras a
 * sanitizer build needs, and the deny list of the pre-exec filter. */
#define _GNU_SOURCE
#include "policy.h"

#include <errno.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>

/* Read-only for everyone: code (libraries, the loader, /usr/share data),
 * the loader cache, the time zone, and /proc (other processes' private
 * entries stay guarded by the ptrace check, which landlock narrows to the
 * worker's own domain). Nothing under /etc but these two files. */
const struct nw_fs_rule nw_fs_runtime_libs[] = {
	{"/usr", NW_FS_READ, false},
	/* execve opens the ELF interpreter for execution too */
	{"/lib64/ld-linux-x86-64.so.2", NW_FS_READ | NW_FS_EXEC, true},
	{"/lib/ld-linux-aarch64.so.1", NW_FS_READ | NW_FS_EXEC, true},
	{"/etc/ld.so.cache", NW_FS_READ, true},
	{"/etc/localtime", NW_FS_READ, true},
	{"/proc", NW_FS_READ, true},
	{"/sys/devices/system/cpu", NW_FS_READ, true},
	{"/dev/null", NW_FS_READ | NW_FS_WRITE, true},
	{"/dev/urandom", NW_FS_READ, true},
	{NULL, 0, false},
};

#define ROW(n) {#n, NW_ANY, 0, 0, 0}
#define ROW_IF(n, c, a, v) {#n, c, a, v, 0}
#define ROW_ERR(n, e) {#n, NW_ANY, 0, 0, e}
#define ROW_IF_ERR(n, c, a, v, e) {#n, c, a, v, e}

/* Serving: I/O on descriptors already open or opened under landlock's
 * rules, memory without PROT_EXEC, threads but no new processes, signals
 * to ourselves only, unix sockets only. */
const struct nw_sys nw_sys_base[] = {
	/* descriptors and files (which files: landlock decides) */
	ROW(read), ROW(write), ROW(readv), ROW(writev), ROW(pread64),
	ROW(pwrite64), ROW(preadv), ROW(pwritev), ROW(close), ROW(fstat),
	ROW(newfstatat), ROW(statx), ROW(stat), ROW(lstat), ROW(lseek),
	ROW(open), ROW(openat), ROW(fcntl), ROW(dup), ROW(dup2), ROW(dup3),
	ROW(access), ROW(faccessat), ROW(faccessat2), ROW(readlink),
	ROW(readlinkat), ROW(getdents64), ROW(getcwd), ROW(statfs),
	ROW(fstatfs), ROW(unlink), ROW(unlinkat), ROW(rename),
	ROW(renameat), ROW(renameat2), ROW(mkdir), ROW(mkdirat),
	ROW(rmdir), ROW(ftruncate), ROW(fsync), ROW(fdatasync),
	ROW(flock), ROW(fallocate), ROW(fadvise64), ROW(utimensat),
	ROW(umask), ROW(fchmod),
	/* memory: never executable after start-up */
	ROW_IF(mmap, NW_BITS_CLEAR, 2, PROT_EXEC),
	ROW_IF(mprotect, NW_BITS_CLEAR, 2, PROT_EXEC),
	ROW(munmap), ROW(mremap), ROW(madvise), ROW(brk), ROW(membarrier),
	/* threads, not processes: clone3 hides its flags from seccomp, so
	 * it answers ENOSYS and libc falls back to clone, checked here */
	ROW_IF(clone, NW_BITS_SET, 0, CLONE_THREAD),
	ROW_ERR(clone3, ENOSYS),
	ROW(futex), ROW(set_robust_list), ROW(get_robust_list), ROW(rseq),
	ROW(sched_yield), ROW(sched_getaffinity), ROW(exit),
	ROW(exit_group), ROW(restart_syscall),
	ROW_IF(prctl, NW_EQ, 0, PR_SET_NAME),
	ROW_IF(prctl, NW_EQ, 0, PR_GET_NAME),
	/* signals: only to this process */
	ROW(rt_sigaction), ROW(rt_sigprocmask), ROW(rt_sigreturn),
	ROW(rt_sigtimedwait), ROW(sigaltstack),
	ROW_IF(tgkill, NW_SELF, 0, 0), ROW_IF(kill, NW_SELF, 0, 0),
	/* time and identity */
	ROW(nanosleep), ROW(clock_nanosleep), ROW(clock_gettime),
	ROW(clock_getres), ROW(gettimeofday), ROW(time), ROW(getpid),
	ROW(gettid), ROW(getppid), ROW(getuid), ROW(geteuid), ROW(getgid),
	ROW(getegid), ROW(getresuid), ROW(getresgid), ROW(getgroups),
	ROW(getrandom), ROW(getrusage), ROW(times), ROW(uname),
	ROW(sysinfo), ROW(getrlimit),
	ROW_IF(prlimit64, NW_EQ, 2, 0), /* read limits, never raise them */
	/* waiting */
	ROW(epoll_create), ROW(epoll_create1), ROW(epoll_ctl),
	ROW(epoll_wait), ROW(epoll_pwait), ROW(epoll_pwait2),
	ROW(eventfd2), ROW(pipe), ROW(pipe2), ROW(poll), ROW(ppoll),
	ROW(select), ROW(pselect6),
	/* sockets: which families a role may open is its own table */
	ROW_IF(socketpair, NW_EQ, 0, AF_UNIX),
	ROW(accept), ROW(accept4), ROW(getsockopt), ROW(setsockopt),
	ROW(getsockname), ROW(getpeername), ROW(sendmsg), ROW(recvmsg),
	ROW(sendto), ROW(recvfrom), ROW(shutdown),
	ROW_IF(ioctl, NW_EQ, 1, FIONREAD), ROW_IF(ioctl, NW_EQ, 1, FIONBIO),
	ROW_IF_ERR(ioctl, NW_EQ, 1, TCGETS, ENOTTY),
	{NULL, NW_ANY, 0, 0, 0},
};

/* Unix sockets only; any other family is refused, not fatal, so a library
 * probing for IPv6 keeps working. */
const struct nw_sys nw_sys_unix_only[] = {
	ROW_IF(socket, NW_EQ, 0, AF_UNIX),
	ROW_IF_ERR(socket, NW_NE, 0, AF_UNIX, EACCES),
	{NULL, NW_ANY, 0, 0, 0},
};

/* AddressSanitizer's leak check stops the world with a ptrace-ing clone
 * at exit; its reports read /proc. Only compiled into sanitizer builds'
 * filters (sandbox.c decides). */
const struct nw_sys nw_sys_sanitizer[] = {
	ROW(ptrace), ROW(wait4), ROW(prctl), ROW(sched_getparam),
	ROW(getdents), /* the thread lister of the leak checker's tracer */
	ROW(sched_getscheduler), ROW(process_vm_readv), ROW(getpgid),
	/* the leak checker's tracer shares our memory: still no fork */
	ROW_IF(clone, NW_BITS_SET, 0, CLONE_VM),
	{NULL, NW_ANY, 0, 0, 0},
};

/* Installed by the supervisor in every child before execve, redis
 * included, on top of everything else allowed: calls no worker makes and
 * that would reach past the sandbox (kernel state, other processes'
 * memory, new namespaces, io_uring which seccomp cannot see into). */
const struct nw_sys nw_sys_preexec_deny[] = {
#if !defined(__SANITIZE_ADDRESS__)
	ROW(ptrace),
#endif
	ROW(process_vm_readv), ROW(process_vm_writev), ROW(kcmp),
	ROW(pidfd_getfd), ROW(mount), ROW(umount2), ROW(pivot_root),
	ROW(chroot), ROW(move_mount), ROW(open_tree), ROW(fsopen),
	ROW(fsmount), ROW(fsconfig), ROW(fspick), ROW(mount_setattr),
	ROW(unshare), ROW(setns), ROW(swapon), ROW(swapoff), ROW(reboot),
	ROW(kexec_load), ROW(kexec_file_load), ROW(init_module),
	ROW(finit_module), ROW(delete_module), ROW(bpf),
	ROW(perf_event_open), ROW(keyctl), ROW(add_key), ROW(request_key),
	ROW(userfaultfd), ROW(open_by_handle_at), ROW(name_to_handle_at),
	ROW(acct), ROW(quotactl), ROW(settimeofday), ROW(clock_settime),
	ROW(adjtimex), ROW(clock_adjtime), ROW(iopl), ROW(ioperm),
	ROW(syslog), ROW(io_uring_setup), ROW(io_uring_enter),
	ROW(io_uring_register), ROW(sethostname), ROW(setdomainname),
	ROW(vhangup), ROW(fanotify_init),
	{NULL, NW_ANY, 0, 0, 0},
};
