package jvalkka.multiprocess;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;

/**
 * The backend's first Unix-domain socket without the JDK's security providers.
 * The JDK's class behind every Unix-domain channel ({@code sun.nio.ch.UnixDomainSockets},
 * JDK 16 to at least 25) makes, as it is initialised, a
 * {@code SecureRandom.getInstance("NativePRNGNonBlocking")}, which it uses only to
 * name a socket bound to no name ({@code bind(null)}): that reads the
 * {@code java.security} file and builds the {@code SUN} provider with its hundreds of
 * services, some 10 to 16 ms of a backend's boot CPU on JDK 25 (measured), for a
 * random number a backend never draws.
 *
 * <p>So the first channel is opened while this thread's provider list (the JDK's
 * mechanism for jar verification, {@code sun.security.jca.Providers}) holds one
 * provider of ours, whose {@code NativePRNGNonBlocking} is a {@link Lazy}: a
 * generator that gets the JDK's own {@code NativePRNGNonBlocking} (from the JVM's
 * providers as configured) the first time it is used, and from then on draws
 * from it. What the JDK's class would have drawn from is therefore the same
 * generator, only made later; no other thread, and no later code of this one,
 * sees our provider; the peer check and the token do not depend on it.
 *
 * <p>It needs {@code sun.security.jca} exported to this code
 * ({@code --add-exports java.base/sun.security.jca=ALL-UNNAMED}), which
 * {@link BackendCommand#jdkOptions} gives a backend of JDK 25 and later only: on
 * JDK 17 any module option turns off the class-data archive's optimised module
 * handling, which costs a backend more (about 20 ms, measured) than this saves.
 * Without the export, or if the JDK's internals differ, the channel is opened
 * as usual.
 */
final class BootRandom {
    private static final String JCA = "sun.security.jca";
    private static volatile boolean done;
    /** Whether the first channel was opened under our provider list (for the tests). */
    private static volatile boolean tookProviderList;

    private BootRandom() {
    }

    /**
     * A new Unix-domain socket channel; the first in this JVM is opened as the
     * class comment says, when this code may.
     */
    static SocketChannel openUnix() throws IOException {
        if (done) {
            return SocketChannel.open(StandardProtocolFamily.UNIX);
        }
        done = true;
        Method end;
        Object old;
        try {
            if (!Object.class.getModule().isExported(JCA, BootRandom.class.getModule())) {
                return SocketChannel.open(StandardProtocolFamily.UNIX);
            }
            Class<?> listClass = Class.forName(JCA + ".ProviderList");
            Class<?> providers = Class.forName(JCA + ".Providers");
            Object list = listClass.getMethod("newList", Provider[].class)
                    .invoke(null, (Object) new Provider[] {new Boot()});
            end = providers.getMethod("endThreadProviderList", listClass);
            old = providers.getMethod("beginThreadProviderList", listClass).invoke(null, list);
            tookProviderList = true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return SocketChannel.open(StandardProtocolFamily.UNIX); // the JDK's internals differ: as usual
        }
        try {
            return SocketChannel.open(StandardProtocolFamily.UNIX);
        } finally {
            try {
                end.invoke(null, old);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot restore this thread's security providers", e);
            }
        }
    }

    /** Whether this JVM's first channel was opened under our provider list. */
    static boolean tookProviderList() {
        return tookProviderList;
    }

    /** The provider of the first channel's generator: a {@link Lazy}, under the JDK's name. */
    private static final class Boot extends Provider {
        private static final long serialVersionUID = 1L;
        private final transient Service random;

        Boot() {
            super("jvalkka-boot", "1", "a backend's first Unix-domain socket (not for users)");
            random = new Service(this, "SecureRandom", "NativePRNGNonBlocking", Lazy.class.getName(), null, null) {
                @Override
                public Object newInstance(Object constructorParameter) {
                    return new Lazy();
                }
            };
            putService(random);
        }

        @Override
        public Service getService(String type, String algorithm) {
            return random.getType().equals(type) && random.getAlgorithm().equals(algorithm) ? random : null;
        }
    }

    /**
     * A generator that is the JDK's {@code NativePRNGNonBlocking} (or its default
     * {@code SecureRandom}, where that is missing), made at its first use.
     */
    static final class Lazy extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        private transient volatile SecureRandom real;

        private SecureRandom real() {
            SecureRandom r = real;
            if (r == null) {
                synchronized (this) {
                    r = real;
                    if (r == null) {
                        try {
                            r = SecureRandom.getInstance("NativePRNGNonBlocking");
                        } catch (NoSuchAlgorithmException e) {
                            r = new SecureRandom(); // as the JDK's class does
                        }
                        real = r;
                    }
                }
            }
            return r;
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            real().setSeed(seed);
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            real().nextBytes(bytes);
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            return real().generateSeed(numBytes);
        }
    }
}
