package dev.loginrelay.agent.run;

import dev.loginrelay.agent.pty.ScanEvent;

/** The unmasked text of a scan event, for assertions (the events' toString masks URLs and codes). */
final class ScanRulesOfTestSupport {
    private ScanRulesOfTestSupport() {
    }

    static String text(ScanEvent e) {
        if (e instanceof ScanEvent.AuthUrl u) {
            return u.url() + "\n";
        } else if (e instanceof ScanEvent.DeviceCode d) {
            return d.verificationUrl() + " " + d.userCode() + "\n";
        } else if (e instanceof ScanEvent.Success s) {
            return s.line() + "\n";
        } else if (e instanceof ScanEvent.Failure f) {
            return f.code() + ": " + f.message() + "\n";
        }
        return "";
    }
}
