#!/usr/bin/env python3
"""Runs a command with io_uring_setup(2) failing with ENOSYS (a seccomp filter, inherited by
every child), as on a kernel or container that disables io_uring: the relay engine then falls
back to epoll. Only the command's process tree is affected.

usage: no-io-uring.py COMMAND [ARG...]"""
import ctypes
import os
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AUDIT_ARCH_X86_64 = 0xC000003E
NR_IO_URING_SETUP = 425
ENOSYS = 38
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if os.uname().machine != "x86_64":
        sys.exit("no-io-uring.py: x86_64 only")
    prog = [
        (BPF_LD_W_ABS, 0, 0, 4),                 # seccomp_data.arch
        (BPF_JEQ_K, 0, 3, AUDIT_ARCH_X86_64),    # another ABI: allow
        (BPF_LD_W_ABS, 0, 0, 0),                 # seccomp_data.nr
        (BPF_JEQ_K, 0, 1, NR_IO_URING_SETUP),
        (BPF_RET_K, 0, 0, RET_ERRNO | ENOSYS),
        (BPF_RET_K, 0, 0, RET_ALLOW),
    ]
    filters = (SockFilter * len(prog))(*[SockFilter(*f) for f in prog])
    fprog = SockFprog(len(prog), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        # Without CAP_SYS_ADMIN a filter needs no_new_privs.
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
            sys.exit("no-io-uring.py: seccomp: " + os.strerror(ctypes.get_errno()))
    os.execvp(sys.argv[1], sys.argv[1:])


main()
