package dev.loginrelay.controller.vm.qemu;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The snapshot file's path reaches qemu's shell as one word, whatever it holds. */
class QemuVmTest {
    @Test
    void quotesThePathForTheMigrationShell() {
        assertThat(QemuVm.quoted(Path.of("/var/lib/vms/golden/state.bin"))).isEqualTo("'/var/lib/vms/golden/state.bin'");
        assertThat(QemuVm.quoted(Path.of("/data/it's here/state.bin"))).isEqualTo("'/data/it'\\''s here/state.bin'");
    }
}
