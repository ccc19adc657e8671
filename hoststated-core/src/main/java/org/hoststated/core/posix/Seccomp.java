package org.hoststated.core.posix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A seccomp filter for the unprivileged engines: no {@code ptrace} of another process, no
 * reading or writing of another's memory or descriptors, no signal to another process. The
 * engines and the check scripts run as one user, and a user may ptrace and signal its own
 * processes (Linux without Yama's restriction, Debian's and RHEL's default): an engine taken
 * over attached to a check script, which runs outside the chroot, and left its chroot, and could
 * stop the other engine (probe G of session 56). Signals to the engine's own threads (the JVM's
 * {@code tgkill} to itself) pass. Installed on every thread of the JVM at once
 * ({@code SECCOMP_FILTER_FLAG_TSYNC}), after the privilege drop (the caller has no_new_privs,
 * which the synchronised threads then have too). A call refused fails with EPERM. x86_64 only;
 * elsewhere {@link #confine} says why it did nothing.
 */
public final class Seccomp {
    private static final int SYS_SECCOMP = 317;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    /** The x32 ABI's system call numbers, which must not slip past the checks. */
    private static final int X32_SYSCALL_BIT = 0x40000000;

    private static final int SYS_KILL = 62;
    private static final int SYS_PTRACE = 101;
    private static final int SYS_RT_SIGQUEUEINFO = 129;
    private static final int SYS_TKILL = 200;
    private static final int SYS_TGKILL = 234;
    private static final int SYS_RT_TGSIGQUEUEINFO = 297;
    private static final int SYS_PROCESS_VM_READV = 310;
    private static final int SYS_PROCESS_VM_WRITEV = 311;
    private static final int SYS_PIDFD_SEND_SIGNAL = 424;
    private static final int SYS_PIDFD_GETFD = 438;
    /** Refused outright. */
    private static final int[] DENIED = {SYS_PTRACE, SYS_PROCESS_VM_READV, SYS_PROCESS_VM_WRITEV, SYS_PIDFD_GETFD,
        SYS_PIDFD_SEND_SIGNAL, SYS_TKILL};
    /** Allowed when their first argument, a process id, is the engine's own. */
    private static final int[] OWN_PROCESS_ONLY = {SYS_KILL, SYS_TGKILL, SYS_RT_SIGQUEUEINFO, SYS_RT_TGSIGQUEUEINFO};

    // struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low half first, on x86_64).
    private static final int NR = 0;
    private static final int ARCH = 4;
    private static final int ARG0_LOW = 16;
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short RET_K = 0x06;
    private static final int RET_ALLOW = 0x7fff0000;
    private static final int RET_EPERM = 0x00050000 | 1;

    private Seccomp() {
    }

    /**
     * Installs the filter on every thread of this process. Irreversible.
     *
     * @return null, or why nothing was installed (another architecture)
     * @throws IOException when the kernel refuses the filter
     */
    public static String confine() throws IOException {
        if (!"amd64".equals(System.getProperty("os.arch"))) {
            return "no filter for " + System.getProperty("os.arch");
        }
        byte[] program = program((int) ProcessHandle.current().pid());
        int n = program.length / 8;
        Pointer filter = Memory.allocateDirect(Native.RUNTIME, program.length, true);
        filter.put(0, program, 0, program.length);
        // struct sock_fprog: unsigned short len, padding, then the filter's address.
        Pointer prog = Memory.allocateDirect(Native.RUNTIME, 16, true);
        prog.putShort(0, (short) n);
        prog.putAddress(8, filter.address());
        if (Native.LIBC.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog) != 0) {
            throw Errno.lastException("seccomp");
        }
        return null;
    }

    /** The filter's instructions, as the kernel reads them (struct sock_filter, native order). */
    static byte[] program(int ownPid) {
        List<int[]> ins = new ArrayList<>();
        // Another architecture's calls (the 32-bit int 0x80 entry) and x32's are refused.
        ins.add(stmt(LD_W_ABS, ARCH));
        ins.add(jump(JEQ_K, AUDIT_ARCH_X86_64, 1, 0));
        ins.add(stmt(RET_K, RET_EPERM));
        ins.add(stmt(LD_W_ABS, NR));
        ins.add(jump(JGE_K, X32_SYSCALL_BIT, 0, 1));
        ins.add(stmt(RET_K, RET_EPERM));
        for (int nr : DENIED) {
            ins.add(jump(JEQ_K, nr, 0, 1));
            ins.add(stmt(RET_K, RET_EPERM));
        }
        for (int i = 0; i < OWN_PROCESS_ONLY.length; i++) {
            // To the check of the first argument, after the other comparisons and the allow.
            int skip = (OWN_PROCESS_ONLY.length - 1 - i) + 1;
            ins.add(jump(JEQ_K, OWN_PROCESS_ONLY[i], skip, 0));
        }
        ins.add(stmt(RET_K, RET_ALLOW));
        ins.add(stmt(LD_W_ABS, ARG0_LOW));
        ins.add(jump(JEQ_K, ownPid, 0, 1));
        ins.add(stmt(RET_K, RET_ALLOW));
        ins.add(stmt(RET_K, RET_EPERM));
        ByteBuffer b = ByteBuffer.allocate(ins.size() * 8).order(ByteOrder.nativeOrder());
        for (int[] i : ins) {
            b.putShort((short) i[0]).put((byte) i[1]).put((byte) i[2]).putInt(i[3]);
        }
        return b.array();
    }

    private static int[] stmt(short code, int k) {
        return new int[] {code, 0, 0, k};
    }

    private static int[] jump(short code, int k, int jt, int jf) {
        return new int[] {code, jt, jf, k};
    }
}
