package jvalkka.sync;

/**
 * Every process that could have set the awaited event has died, so waiting
 * longer is pointless: what {@link SyncIndex#close()} throws instead of hanging
 * (where valkka would hang). The event has been released.
 */
public final class BackendDiedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The index of the event that was being waited for. */
    private final int index;
    /** How the backend died, as its frontend saw it. */
    private final String deathReport;

    /**
     * The backend that was to set event {@code index} of group {@code groupName} died.
     *
     * @param groupName the name of the event group
     * @param index the index of the event
     * @param deathReport how the backend died
     */
    public BackendDiedException(String groupName, int index, String deathReport) {
        super("backend died before setting event " + index + " of EventGroup '" + groupName + "': " + deathReport);
        this.index = index;
        this.deathReport = deathReport;
    }

    /**
     * The index of the event that was awaited.
     *
     * @return the index of the event that was awaited
     */
    public int index() {
        return index;
    }

    /**
     * The peers' death reports, joined with "; ".
     *
     * @return the peers' death reports, joined with "; "
     */
    public String deathReport() {
        return deathReport;
    }
}
