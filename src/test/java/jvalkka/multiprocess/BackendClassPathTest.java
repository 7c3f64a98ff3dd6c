package jvalkka.multiprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The backend's class path when it is given, and when it cannot be derived. */
@Timeout(120)
class BackendClassPathTest {
    public static final class Pinger extends MessageProcess {
        private static final long serialVersionUID = 1L;

        public Pinger() {
            super("cp-pinger");
        }

        void c__ping(int i) {
            send_out__(new MessageObject("pong", "i", i));
        }
    }

    /** Defines {@link LonePinger} itself from its bytes, saying nothing of where they came from. */
    static final class ByteLoader extends ClassLoader {
        ByteLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(LonePinger.class.getName())) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c != null) {
                    return c;
                }
                try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                    byte[] b = in.readAllBytes();
                    return defineClass(name, b, 0, b.length);
                } catch (IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
        }
    }

    @AfterAll
    static void noLeftovers() throws Exception {
        Leftovers.assertNone();
    }

    @Test
    void aProcessClassFromALoaderThatNamesNoLocationFailsAtStartNamingWithClassPath() throws Exception {
        Class<?> c = new ByteLoader(getClass().getClassLoader()).loadClass(LonePinger.class.getName());
        MessageProcess p = (MessageProcess) c.getConstructor().newInstance();
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains("cannot be derived"), e.getMessage());
        assertTrue(e.getMessage().contains(ByteLoader.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains("BackendOptions.withClassPath"), e.getMessage());
    }

    @Test
    void aGivenClassPathIsTheOneTheBackendStartsWith() throws Exception {
        Pinger p = new Pinger();
        p.setOptions(BackendOptions.defaults().withClassPath(System.getProperty("java.class.path")));
        p.start();
        try {
            p.sendMessageToBack(new MessageObject("ping", "i", 7));
            assertTrue(p.getPipe().poll(30), "no answer within 30 s");
            assertEquals(7, p.getPipe().recv().get("i", Integer.class));
        } finally {
            p.stop();
        }
    }

    @Test
    void aGivenClassPathWithoutJvalkkaFailsStartWithTheJvmsReason(@TempDir Path empty) {
        Pinger p = new Pinger();
        p.setOptions(BackendOptions.defaults().withClassPath(empty.toString()));
        BackendStartException e = assertThrows(BackendStartException.class, p::start);
        assertTrue(e.getMessage().contains(BackendMain.class.getName()), e.getMessage());
    }
}
