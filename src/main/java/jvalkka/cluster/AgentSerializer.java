package jvalkka.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.LinkedHashMap;
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
 * Input is limited: at most 256 labels and 64 KiB strings (DataOutput's limit).
 */
public final class AgentSerializer extends SerializerWithStringManifest {
    /** The serializer's id in Pekko (ids below 100 are Pekko's own). */
    public static final int ID = 0x6a766b01;
    private static final String DESCRIBE = "D";
    private static final String INFO = "I";
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
            } else {
                throw new IllegalArgumentException("not an agent message: " + o.getClass().getName());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode " + o, e);
        }
        return bytes.toByteArray();
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
