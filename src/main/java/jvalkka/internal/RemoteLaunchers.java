package jvalkka.internal;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The one {@link RemoteLauncher} of this JVM, if its cluster driver runs. Not part of the API.
 */
public final class RemoteLaunchers {
    private static final AtomicReference<RemoteLauncher> INSTALLED = new AtomicReference<>();

    private RemoteLaunchers() {
    }

    /**
     * Installs {@code launcher}; fails if another one is installed.
     *
     * @param launcher the launcher of the driver that starts
     * @throws IllegalStateException when another driver's launcher is installed
     */
    public static void install(RemoteLauncher launcher) {
        if (!INSTALLED.compareAndSet(null, launcher)) {
            throw new IllegalStateException("a cluster driver is already running in this JVM");
        }
    }

    /**
     * Removes {@code launcher} if it is the one installed.
     *
     * @param launcher the launcher of the driver that stops
     */
    public static void uninstall(RemoteLauncher launcher) {
        INSTALLED.compareAndSet(launcher, null);
    }

    /**
     * The installed launcher, or null.
     *
     * @return the launcher, or null when no cluster driver runs in this JVM
     */
    public static RemoteLauncher installed() {
        return INSTALLED.get();
    }
}
