package dev.loginrelay.controller.vm.qemu;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one qemu command line (the provider's VMs and {@code QemuTool}'s) and its fw_cfg half of the contract with
 * the image's {@code loginrelay-vmconfig}; no VM is started here ({@code QemuProviderIT} boots them).
 */
class QemuVmTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path DIR = Path.of("/var/lib/vms/qemu-ab12");

    @Test
    void quotesThePathForTheMigrationShell() {
        assertThat(QemuVm.quoted(Path.of("/var/lib/vms/golden/state.bin"))).isEqualTo("'/var/lib/vms/golden/state.bin'");
        assertThat(QemuVm.quoted(Path.of("/data/it's here/state.bin"))).isEqualTo("'/data/it'\\''s here/state.bin'");
    }

    @Test
    void aColdBootGetsItsTokenAndFilesThroughFwCfgAndOnlyTheAgentPortOnLoopback() {
        List<String> cmd = QemuVm.command(config("nat", 1024, 3), "tcg", DIR, 40123,
            new QemuVm.GuestFiles(Path.of("/w/providers.tar"), Path.of("/w/agent.env")), false);
        assertThat(cmd.get(0)).isEqualTo("/opt/qemu/bin/qemu-system-x86_64");
        assertThat(pairs(cmd)).contains("-accel tcg", "-smp 3", "-m 1024", "-name loginrelay-qemu-ab12",
            "-kernel /img/vmlinuz", "-initrd /img/initrd.img", "-pidfile /var/lib/vms/qemu-ab12/qemu.pid",
            "-drive file=/var/lib/vms/qemu-ab12/disk.qcow2,if=virtio,format=qcow2",
            "-nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40123-:7070",
            "-qmp unix:/var/lib/vms/qemu-ab12/qmp.sock,server=on,wait=off",
            "-chardev socket,id=qga0,path=/var/lib/vms/qemu-ab12/qga.sock,server=on,wait=off",
            "-fw_cfg name=opt/dev.loginrelay/agent.token,file=/var/lib/vms/qemu-ab12/token",
            "-fw_cfg name=opt/dev.loginrelay/agent.env,file=/w/agent.env",
            "-fw_cfg name=opt/dev.loginrelay/providers.tar,file=/w/providers.tar");
        assertThat(cmd).contains("-daemonize", "-nodefaults", "-no-user-config").doesNotContain("-incoming");
        assertThat(String.join(" ", cmd)).doesNotContain("0.0.0.0");
    }

    @Test
    void aColdBootWithoutExtraFilesGetsTheTokenOnly() {
        List<String> cmd = QemuVm.command(config("nat", 1536, 2), "kvm", DIR, 40000, QemuVm.GuestFiles.NONE, false);
        assertThat(cmd.stream().filter(a -> a.startsWith("name=opt/"))).containsExactly(
            "name=opt/dev.loginrelay/agent.token,file=/var/lib/vms/qemu-ab12/token");
        assertThat(pairs(cmd)).contains("-accel kvm", "-cpu max");
    }

    @Test
    void aCloneWaitsForItsStateAndGetsNoFwCfg() {
        List<String> cmd = QemuVm.command(config("none", 1536, 2), "tcg", DIR, 40000,
            new QemuVm.GuestFiles(Path.of("/w/providers.tar"), null), true);
        assertThat(pairs(cmd)).contains("-incoming defer",
            "-nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40000-:7070,restrict=on");
        assertThat(cmd).doesNotContain("-fw_cfg");
    }

    @Test
    void everyFwCfgNameIsOneTheImageReads() throws Exception {
        String vmconfig = Files.readString(ROOT.resolve("snapshot/guest/loginrelay-vmconfig"));
        assertThat(vmconfig).contains("fw=/sys/firmware/qemu_fw_cfg/by_name/" + QemuVm.FwCfg.PREFIX
            .substring(0, QemuVm.FwCfg.PREFIX.length() - 1) + "\n");
        assertThat(Arrays.stream(QemuVm.FwCfg.values()).map(QemuVm.FwCfg::file))
            .allSatisfy(f -> assertThat(vmconfig).contains("\"$fw/" + f + "/raw\""));
    }

    private static QemuPoolConfig config(String egress, int memMb, int cpus) {
        return new QemuPoolConfig(Path.of("/img"), Path.of("/var/lib/vms"), true, null, QemuEgress.parse(egress),
            "auto", memMb, cpus, Duration.ofMinutes(1), Path.of("/opt/qemu/bin/qemu-system-x86_64"),
            Path.of("qemu-img"), 0);
    }

    /** Each option with its value, as "-opt value". */
    private static List<String> pairs(List<String> cmd) {
        return java.util.stream.IntStream.range(1, cmd.size() - 1).filter(i -> cmd.get(i).startsWith("-"))
            .mapToObj(i -> cmd.get(i) + " " + cmd.get(i + 1)).toList();
    }
}
