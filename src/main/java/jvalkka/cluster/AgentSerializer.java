package jvalkka.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Pekko serializer for {@link AgentMessage}s: a small explicit binary form
 * (strings, ints, the label map, actor references by their path), so Pekko's
 * Java serialization stays off. Bound in {@link ClusterSettings}'s configuration.
 * Input is limited: at most 256 labels, 1,024 JVM options, 64 KiB names
 * (DataOutput's limit) and 1 MiB texts (boot lines, reasons, standard error lines).
 */
public final class AgentSerializer extends SerializerWithStringManifest {
    /** The serializer's id in Pekko (ids below 100 are Pekko's own). */
    public static final int ID = 0x6a766b01;
    private static final String DESCRIBE = "D";
    private static final String INFO = "I";
    private static final String START = "S";
    private static final String STARTED = "T";
    private static final String START_FAILED = "F";
    private static final String STOP = "P";
    private static final String EXITED = "E";
    private static final int MAX_JVM_ARGS = 1024;
    private static final int MAX_TEXT = 1 << 20;
    private static final int MAX_LABELS = 256;

    private final ExtendedActorSystem system;
    private volatile ActorRefResolver resolver;

    /**
     * Called by Pekko, which creates its serializers by reflection from the configuration; not for
     * direct use.
     *
     * @param system the actor system whose actor references this serializer writes and resolves
     */
    public AgentSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    private ActorRefResolver resolver() {
        ActorRefResolver r = resolver;
        if (r == null) {
            r = ActorRefResolver.get(Adapter.toTyped(system));
            resolver = r;
        }
        return r;
    }

    @Override
    public int identifier() {
        return ID;
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof AgentMessage.Describe) {
            return DESCRIBE;
        }
        if (o instanceof AgentInfo) {
            return INFO;
        }
        if (o instanceof AgentMessage.StartBackend) {
            return START;
        }
        if (o instanceof AgentMessage.Started) {
            return STARTED;
        }
        if (o instanceof AgentMessage.StartFailed) {
            return START_FAILED;
        }
        if (o instanceof AgentMessage.StopBackend) {
            return STOP;
        }
        if (o instanceof AgentMessage.BackendExited) {
            return EXITED;
        }
        throw new IllegalArgumentException("not an agent message: " + o.getClass().getName());
    }

    @Override
    public byte[] toBinary(Object o) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (o instanceof AgentMessage.Describe d) {
                out.writeUTF(resolver().toSerializationFormat(d.replyTo()));
            } else if (o instanceof AgentInfo i) {
                out.writeUTF(i.host());
                out.writeUTF(i.address());
                out.writeInt(i.cores());
                out.writeLong(i.pid());
                out.writeInt(i.labels().size());
                for (Map.Entry<String, String> e : i.labels().entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeUTF(e.getValue());
                }
            } else if (o instanceof AgentMessage.StartBackend b) {
                out.writeLong(b.id());
                out.writeUTF(b.label());
                out.writeInt(b.jvmArgs().size());
                for (String a : b.jvmArgs()) {
                    out.writeUTF(a);
                }
                writeLong(out, b.bootLine());
                out.writeUTF(resolver().toSerializationFormat(b.replyTo()));
                out.writeUTF(resolver().toSerializationFormat(b.driver()));
            } else if (o instanceof AgentMessage.Started t) {
                out.writeLong(t.id());
                out.writeLong(t.pid());
            } else if (o instanceof AgentMessage.StartFailed f) {
                out.writeLong(f.id());
                writeLong(out, f.reason());
            } else if (o instanceof AgentMessage.StopBackend p) {
                out.writeLong(p.pid());
                out.writeBoolean(p.forcibly());
            } else if (o instanceof AgentMessage.BackendExited x) {
                out.writeLong(x.id());
                out.writeLong(x.pid());
                out.writeInt(x.status());
                writeLong(out, x.lastLines());
            } else {
                throw new IllegalArgumentException("not an agent message: " + o.getClass().getName());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode " + o, e);
        }
        return bytes.toByteArray();
    }

    /** A string of up to {@link #MAX_TEXT} UTF-8 bytes (longer ones are cut), beyond writeUTF's 64 KiB. */
    private static void writeLong(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, MAX_TEXT);
        out.writeInt(n);
        out.write(b, 0, n);
    }

    private static String readLong(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_TEXT) {
            throw new NotSerializableException("a text of " + n + " bytes");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            switch (manifest) {
                case DESCRIBE: {
                    ActorRef<AgentInfo> ref = resolver().resolveActorRef(in.readUTF());
                    return new AgentMessage.Describe(ref);
                }
                case INFO: {
                    String host = in.readUTF();
                    String address = in.readUTF();
                    int cores = in.readInt();
                    long pid = in.readLong();
                    int n = in.readInt();
                    if (n < 0 || n > MAX_LABELS) {
                        throw new NotSerializableException("agent info with " + n + " labels");
                    }
                    Map<String, String> labels = new LinkedHashMap<>();
                    for (int k = 0; k < n; k++) {
                        labels.put(in.readUTF(), in.readUTF());
                    }
                    return new AgentInfo(host, address, cores, labels, pid);
                }
                case START: {
                    long id = in.readLong();
                    String label = in.readUTF();
                    int n = in.readInt();
                    if (n < 0 || n > MAX_JVM_ARGS) {
                        throw new NotSerializableException("start request with " + n + " JVM options");
                    }
                    List<String> args = new ArrayList<>(n);
                    for (int k = 0; k < n; k++) {
                        args.add(in.readUTF());
                    }
                    String boot = readLong(in);
                    ActorRef<AgentMessage> replyTo = resolver().resolveActorRef(in.readUTF());
                    ActorRef<AgentMessage> driver = resolver().resolveActorRef(in.readUTF());
                    return new AgentMessage.StartBackend(id, label, args, boot, replyTo, driver);
                }
                case STARTED:
                    return new AgentMessage.Started(in.readLong(), in.readLong());
                case START_FAILED:
                    return new AgentMessage.StartFailed(in.readLong(), readLong(in));
                case STOP:
                    return new AgentMessage.StopBackend(in.readLong(), in.readBoolean());
                case EXITED:
                    return new AgentMessage.BackendExited(in.readLong(), in.readLong(), in.readInt(), readLong(in));
                default:
                    throw new NotSerializableException("unknown agent message manifest '" + manifest + "'");
            }
        } catch (IOException | IllegalArgumentException e) {
            NotSerializableException n = new NotSerializableException("bad agent message: " + e);
            n.initCause(e);
            throw n;
        }
    }
}
