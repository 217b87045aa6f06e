package dev.loginrelay.agent.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the provider and login flow a real-CLI test proves, for the compatibility table
 * ({@code docs/compatibility.md}): put it on the class (and on a method to override it) of a test registered with
 * {@code @ExtendWith(CompatibilityRecorder.class)}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Compat {
    /** The provider as in {@code snapshot/clis.txt} ({@code codex}, {@code claude}, {@code gemini}). */
    String provider();

    /** The login flow, e.g. {@code browser}, {@code device}, {@code paste}. */
    String flow();

    /** What drove the CLI: {@code cli} (the test itself), {@code agent}, or {@code controller} (its public API). */
    String via() default "agent";
}
