package org.flatminima.kernels;

/** Thrown by a backend's factory when it cannot run here; the message says what is missing and how to get it. */
public class BackendUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
