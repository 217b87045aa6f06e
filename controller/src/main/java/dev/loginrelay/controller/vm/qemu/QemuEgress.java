package dev.loginrelay.controller.vm.qemu;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a qemu VM's guest may connect out to ({@code LOGINRELAY_QEMU_EGRESS}). Inbound is always the agent's port
 * only, forwarded to 127.0.0.1.
 * <ul>
 * <li>{@code nat} (default): qemu's user-mode NAT, the guest reaches whatever the host reaches (the real CLIs need
 * their providers' HTTPS endpoints);</li>
 * <li>{@code none}: {@code restrict=on}, the guest reaches nothing, not even the host;</li>
 * <li>{@code 10.0.2.100:3128=127.0.0.1:3128,...}: {@code restrict=on} plus these forwards, each a guest address on
 * the VM's private network {@code 10.0.2.0/24} and port, connected to a host address and port. The guest reaches
 * exactly these, e.g. an egress proxy that allows only the providers' domains.</li>
 * </ul>
 *
 * @param spec     the setting as given, normalized (part of the golden snapshot's key: a clone's network must be
 *                 its snapshot's)
 * @param forwards guest to host forwards; empty for {@code nat} and {@code none}
 */
record QemuEgress(String spec, List<Forward> forwards) {
    private static final Pattern FORWARD = Pattern.compile(
        "10\\.0\\.2\\.(\\d{1,3}):(\\d{1,5})=([0-9.]+|\\[[0-9a-fA-F:]+]|[a-z0-9.-]+):(\\d{1,5})");
    /** Addresses qemu's user-mode network uses itself: gateway, DNS, SMB, and the guest's own. */
    private static final List<Integer> TAKEN = List.of(0, 2, 3, 4, 15, 255);

    /** One guest address:port connected to a host address:port. */
    record Forward(String guestAddress, int guestPort, String hostAddress, int hostPort) {
        String qemuOption() {
            return "guestfwd=tcp:" + guestAddress + ":" + guestPort + "-tcp:" + hostAddress + ":" + hostPort;
        }
    }

    QemuEgress {
        forwards = List.copyOf(forwards);
    }

    /** Parses the setting; an IllegalArgumentException names the variable and what is wrong. */
    static QemuEgress parse(String value) {
        String v = value == null || value.isBlank() ? "nat" : value.strip();
        if (v.equals("nat") || v.equals("none")) {
            return new QemuEgress(v, List.of());
        }
        List<Forward> out = new ArrayList<>();
        for (String part : v.split(",")) {
            Matcher m = FORWARD.matcher(part.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("LOGINRELAY_QEMU_EGRESS must be nat, none, or forwards like "
                    + "10.0.2.100:3128=127.0.0.1:3128 separated by commas; '" + part.strip() + "' is none of these");
            }
            int host = Integer.parseInt(m.group(1));
            if (host > 255 || TAKEN.contains(host)) {
                throw new IllegalArgumentException("LOGINRELAY_QEMU_EGRESS: guest address 10.0.2." + host
                    + " is not free on the VM's network (10.0.2.0, .2, .3, .4, .15 and .255 are qemu's or the "
                    + "guest's)");
            }
            out.add(new Forward("10.0.2." + host, port(m.group(2), part), m.group(3), port(m.group(4), part)));
        }
        return new QemuEgress(String.join(",", out.stream().map(f -> f.guestAddress() + ":" + f.guestPort() + "="
            + f.hostAddress() + ":" + f.hostPort()).toList()), out);
    }

    /** The options after {@code user} in qemu's {@code -nic}, forwarding the agent's 7070 to 127.0.0.1:hostPort. */
    String nicOptions(int agentHostPort) {
        StringBuilder b = new StringBuilder("user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:" + agentHostPort
            + "-:7070");
        if (!spec.equals("nat")) {
            b.append(",restrict=on");
        }
        forwards.forEach(f -> b.append(',').append(f.qemuOption()));
        return b.toString();
    }

    private static int port(String digits, String part) {
        int p = Integer.parseInt(digits);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("LOGINRELAY_QEMU_EGRESS: port " + p + " out of range in '" + part.strip()
                + "'");
        }
        return p;
    }
}
