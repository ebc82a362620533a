package org.flatminima.engine.nn;

/**
 * An input whose shape a module cannot take. The message names the layer (its index path inside nested
 * {@link Sequential}s, e.g. {@code layer 2} or {@code layer 3.1}, and its description), the expected shape and
 * the actual one. A user error: the fix is in the model spec or in the data.
 */
public final class ShapeMismatchException extends IllegalArgumentException {
    private final String path;
    private final String layer;
    private final String detail;

    /** A mismatch at {@code layer} (a description such as {@code Linear(in=784, out=512)}). */
    public ShapeMismatchException(String layer, String detail) {
        this("", layer, detail);
    }

    private ShapeMismatchException(String path, String layer, String detail) {
        super((path.isEmpty() ? "" : "layer " + path + " ") + layer + ": " + detail);
        this.path = path;
        this.layer = layer;
        this.detail = detail;
    }

    /** The same mismatch seen from the enclosing container, where the failing module has position {@code index}. */
    public ShapeMismatchException inside(int index) {
        return new ShapeMismatchException(path.isEmpty() ? Integer.toString(index) : index + "." + path, layer, detail);
    }

    /** The index path of the failing layer ({@code "3.1"}), empty if the failing module was used on its own. */
    public String path() {
        return path;
    }
}
