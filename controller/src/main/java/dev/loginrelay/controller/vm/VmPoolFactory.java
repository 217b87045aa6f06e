package dev.loginrelay.controller.vm;

import java.util.List;

/** One VM back-end: the names {@code LOGINRELAY_VM_PROVIDER} selects it by, and how it builds its pool. */
public interface VmPoolFactory {
    /** The first is its name; the others are accepted aliases. */
    List<String> names();

    /** Reads and validates the back-end's own settings from {@code ctx.env()}; fails naming the bad variable. */
    VmPool create(VmPoolContext ctx);
}
