package dev.loginrelay.controller.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The known back-ends by name ({@code LOGINRELAY_VM_PROVIDER}); a new back-end is one more factory here. */
public final class VmPools {
    private final Map<String, VmPoolFactory> byName = new LinkedHashMap<>();
    private final List<String> names = new ArrayList<>();

    public VmPools(List<VmPoolFactory> factories) {
        for (VmPoolFactory f : factories) {
            names.add(f.names().get(0));
            for (String n : f.names()) {
                if (byName.putIfAbsent(n, f) != null) {
                    throw new IllegalArgumentException("two VM back-ends are named " + n);
                }
            }
        }
    }

    /** The back-ends' names (aliases left out), in registration order. */
    public List<String> names() {
        return List.copyOf(names);
    }

    public boolean knows(String name) {
        return byName.containsKey(name);
    }

    public VmPool create(String name, VmPoolContext ctx) {
        VmPoolFactory f = byName.get(name);
        if (f == null) {
            throw new IllegalArgumentException("LOGINRELAY_VM_PROVIDER must be one of " + String.join(", ", names)
                + ", not " + name);
        }
        return f.create(ctx);
    }
}
