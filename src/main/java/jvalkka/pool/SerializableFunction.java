package jvalkka.pool;

import java.io.Serializable;
import java.util.function.Function;

/**
 * A {@link Function} that can cross to a worker JVM: a lambda or method
 * reference whose target type is this interface is serialized with the worker
 * (Java serialization of the lambda; its class is on the worker's class path,
 * which is the frontend's). Captured variables must be {@code Serializable} too;
 * otherwise starting the pool fails and names the field.
 *
 * @param <I> the item type
 * @param <O> the result type
 */
@FunctionalInterface
public interface SerializableFunction<I, O> extends Function<I, O>, Serializable {
}
