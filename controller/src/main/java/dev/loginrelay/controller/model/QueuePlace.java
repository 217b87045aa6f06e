package dev.loginrelay.controller.model;

import java.time.Duration;
import java.util.Objects;

/**
 * Where a {@code pending} session waits: {@code position} 1 starts next; {@code estimate} is how long that may take
 * from the recent starts, or null when the dispatcher cannot say.
 */
public record QueuePlace(int position, Duration estimate) {
    public QueuePlace {
        if (position < 1) {
            throw new IllegalArgumentException("position cannot be less than 1, not " + position);
        }
        if (estimate != null) {
            Objects.requireNonNull(estimate, "estimate");
        }
    }
}
