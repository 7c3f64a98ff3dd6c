package jvalkka.shm.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.IgnoreError;
import org.agrona.BufferUtil;

/**
 * Linux futexes on 32-bit words in shared mappings, for waiting across processes
 * without burning CPU. Uses the non-private operations ({@code FUTEX_WAIT},
 * {@code FUTEX_WAKE}), which key the word by the mapped file and offset, so a
 * waiter in one process is woken by a {@code wake} in another.
 *
 * <p>Low level: callers build their protocol on top (for example
 * {@code jvalkka.sync.EventGroup}). When futexes are unavailable (not Linux
 * x86_64/aarch64, no libc through jnr-ffi, or {@code -Djvalkka.futex=false})
 * {@link #AVAILABLE} is false and callers must fall back to polling.
 *
 * <p>Thread-safe. {@link #await} does not allocate after its thread's first call.
 */
public final class Futex {
    /** Whether futex calls work here. */
    public static final boolean AVAILABLE;

    private static final long SYS_FUTEX;
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final LibC LIBC;
    private static final ThreadLocal<long[]> TIMESPEC = ThreadLocal.withInitial(Futex::newTimespec);
    private static final ThreadLocal<ByteBuffer> KEEP = new ThreadLocal<>();

    /** libc's variadic {@code syscall}; every argument is a register-sized integer. */
    public interface LibC {
        /**
         * The C library's {@code syscall(2)}.
         *
         * @param number the system call number
         * @param a1 its first argument
         * @param a2 its second argument
         * @param a3 its third argument
         * @param a4 its fourth argument
         * @param a5 its fifth argument
         * @param a6 its sixth argument
         * @return what the call returns
         */
        @IgnoreError
        long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);
    }

    static {
        String arch = System.getProperty("os.arch", "");
        long no = switch (arch) {
            case "amd64", "x86_64" -> 202;
            case "aarch64", "arm64" -> 98;
            default -> -1;
        };
        LibC lib = null;
        boolean ok = false;
        if (no > 0 && System.getProperty("os.name", "").startsWith("Linux")
                && !"false".equals(System.getProperty("jvalkka.futex"))) {
            try {
                lib = LibraryLoader.create(LibC.class).load("c");
                ByteBuffer probe = ByteBuffer.allocateDirect(8);
                // waking nobody on a valid word returns 0; ENOSYS or EFAULT would return -1
                ok = lib.syscall(no, BufferUtil.address(probe), FUTEX_WAKE, 1, 0, 0, 0) == 0;
            } catch (Throwable t) {
                ok = false;
            }
        }
        SYS_FUTEX = no;
        LIBC = ok ? lib : null;
        AVAILABLE = ok;
    }

    private Futex() {
    }

    private static void checkAvailable() {
        if (LIBC == null) {
            throw new UnsupportedOperationException("futexes are not available here (Linux x86_64/aarch64 with"
                    + " libc through jnr-ffi, and not -Djvalkka.futex=false); check Futex.AVAILABLE first");
        }
    }

    private static long[] newTimespec() {
        // 16 bytes of native memory per thread, kept alive by KEEP; the long[] just carries its address
        ByteBuffer b = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        KEEP.set(b);
        return new long[] {BufferUtil.address(b)};
    }

    /**
     * Sleeps while the int at {@code address} equals {@code expected}, at most
     * {@code timeoutNanos} (no limit if negative). Returns on a wake, a timeout,
     * a signal, or at once if the word already differs: callers re-check the
     * word. Not interruptible by {@link Thread#interrupt()}: use bounded timeouts
     * where interrupts matter.
     *
     * @param address the address of the 32-bit int to wait on
     * @param expected the value to wait while the int holds
     * @param timeoutNanos the longest wait in nanoseconds (negative: no limit)
     */
    public static void await(long address, int expected, long timeoutNanos) {
        checkAvailable();
        long ts = 0;
        if (timeoutNanos >= 0) {
            ts = TIMESPEC.get()[0];
            org.agrona.UnsafeAccess.UNSAFE.putLong(ts, timeoutNanos / 1_000_000_000L);
            org.agrona.UnsafeAccess.UNSAFE.putLong(ts + 8, timeoutNanos % 1_000_000_000L);
        }
        LIBC.syscall(SYS_FUTEX, address, FUTEX_WAIT, expected, ts, 0, 0);
    }

    /**
     * Wakes up to {@code count} waiters on the int at {@code address}; returns how many it woke.
     *
     * @param address the address of the 32-bit int to wait on
     * @param count the most waiters to wake
     * @return how many were woken
     */
    public static int wake(long address, int count) {
        checkAvailable();
        return (int) LIBC.syscall(SYS_FUTEX, address, FUTEX_WAKE, count, 0, 0, 0);
    }
}
