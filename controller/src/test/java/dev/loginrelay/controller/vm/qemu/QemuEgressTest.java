package dev.loginrelay.controller.vm.qemu;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The guest's way out: qemu's -nic options for each setting, and bad settings named. */
class QemuEgressTest {
    @Test
    void natIsTheDefaultAndOnlyForwardsTheAgentIn() {
        QemuEgress e = QemuEgress.parse(null);
        assertThat(e.spec()).isEqualTo("nat");
        assertThat(e.nicOptions(40001)).isEqualTo("user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40001-:7070");
    }

    @Test
    void noneRestrictsTheGuest() {
        assertThat(QemuEgress.parse(" none ").nicOptions(40001))
            .isEqualTo("user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40001-:7070,restrict=on");
    }

    @Test
    void forwardsRestrictTheGuestToExactlyThoseEndpoints() {
        QemuEgress e = QemuEgress.parse("10.0.2.100:80=127.0.0.1:41234, 10.0.2.101:3128=localhost:3128");
        assertThat(e.forwards()).hasSize(2);
        assertThat(e.spec()).isEqualTo("10.0.2.100:80=127.0.0.1:41234,10.0.2.101:3128=localhost:3128");
        assertThat(e.nicOptions(40001)).isEqualTo("user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40001-:7070,"
            + "restrict=on,guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:41234,"
            + "guestfwd=tcp:10.0.2.101:3128-tcp:localhost:3128");
    }

    @Test
    void rejectsWhatIsNotAForwardNamingIt() {
        assertThatThrownBy(() -> QemuEgress.parse("open")).hasMessageContaining("LOGINRELAY_QEMU_EGRESS")
            .hasMessageContaining("'open'");
        assertThatThrownBy(() -> QemuEgress.parse("192.168.1.5:80=127.0.0.1:80"))
            .hasMessageContaining("'192.168.1.5:80=127.0.0.1:80'");
        assertThatThrownBy(() -> QemuEgress.parse("10.0.2.2:80=127.0.0.1:80"))
            .hasMessageContaining("10.0.2.2 is not free");
        assertThatThrownBy(() -> QemuEgress.parse("10.0.2.100:0=127.0.0.1:80")).hasMessageContaining("port 0");
        assertThatThrownBy(() -> QemuEgress.parse("10.0.2.100:80=127.0.0.1:80,rm -rf"))
            .hasMessageContaining("'rm -rf'");
    }
}
