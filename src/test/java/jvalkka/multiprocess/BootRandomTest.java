package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A backend's first socket is opened without the JDK's security providers where
 * its JDK lets it ({@link BootRandom}: JDK 25 and later), and nothing of that
 * shows afterwards: the JVM's providers are the JDK's, and a socket bound to no
 * name still gets a random one.
 */
@Timeout(120)
class BootRandomTest {
    /** A JDK 25 or later installed beside this one, or null. */
    private static final String JDK25 = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    static final class Checker extends MessageProcess {
        private static final long serialVersionUID = 1L;

        Checker() {
            super("checker");
        }

        void c__check() throws Exception {
            String provider = SecureRandom.getInstance("NativePRNGNonBlocking").getProvider().getName();
            String bound;
            try (ServerSocketChannel c = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.bind(null); // the JDK names it with the generator the first socket's class made
                Path p = ((UnixDomainSocketAddress) c.getLocalAddress()).getPath();
                bound = p.toString();
                Files.deleteIfExists(p);
            }
            send_out__(new MessageObject("checked", "provider", provider, "bound", bound, "took",
                    BootRandom.tookProviderList()));
        }
    }

    private static MessageObject check(BackendOptions options) throws Exception {
        Checker c = new Checker();
        c.setOptions(options);
        c.start();
        try {
            c.sendMessageToBack(new MessageObject("check"));
            assertTrue(c.getPipe().poll(60), "no answer within 60 s");
            return c.getPipe().recv();
        } finally {
            c.stop();
        }
    }

    @Test
    void aJdk25BackendOpensItsFirstSocketUnderItsOwnProviderListAndLeavesTheJdksInPlace() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(JDK25)), "no JDK 25 at " + JDK25);
        MessageObject m = check(BackendOptions.defaults().withJavaCommand(JDK25));
        assertEquals(Boolean.TRUE, m.get("took"), m.toString());
        assertEquals("SUN", m.get("provider"), m.toString());
        assertTrue(m.get("bound", String.class).contains("socket_"), m.toString());
    }

    @Test
    void aBackendWithoutTheExportOpensItsSocketsAsUsual() throws Exception {
        // this JVM's JDK: 17 gets no export (it would cost its archive more than it saves)
        Assumptions.assumeTrue(Runtime.version().feature() < 25, "a JDK 25 backend gets the export");
        MessageObject m = check(BackendOptions.defaults());
        assertEquals(Boolean.FALSE, m.get("took"), m.toString());
        assertEquals("SUN", m.get("provider"), m.toString());
        assertTrue(m.get("bound", String.class).contains("socket_"), m.toString());
    }
}
