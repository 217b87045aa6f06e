package dev.loginrelay.agent.provider;

import dev.loginrelay.agent.pty.ScanRules;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Compiles a spec's patterns into the scanner's rules. Attempt failures get an {@value #ATTEMPT} code prefix. */
public final class ScanRulesOf {
    public static final String ATTEMPT = "attempt:";

    private ScanRulesOf() {
    }

    public static ScanRules of(ProviderSpec spec) {
        ProviderSpec.Detect d = spec.detect();
        List<ScanRules.PromptRule> prompts = new ArrayList<>();
        for (ProviderSpec.PromptAnswer p : spec.prompts()) {
            prompts.add(new ScanRules.PromptRule(p.name(), Pattern.compile(p.pattern()), p.answer(), p.maxTimes()));
        }
        List<ScanRules.FailureRule> failures = new ArrayList<>();
        for (ProviderSpec.FailureMatch f : spec.attemptFailures()) {
            failures.add(new ScanRules.FailureRule(ATTEMPT + f.code(), Pattern.compile(f.pattern())));
        }
        for (ProviderSpec.FailureMatch f : spec.failures()) {
            failures.add(new ScanRules.FailureRule(f.code(), Pattern.compile(f.pattern())));
        }
        return new ScanRules(compile(d.authUrl()), compile(d.verificationUrl()), compile(d.userCode()), prompts,
            compile(d.inputPrompt()), compile(d.successText()), failures);
    }

    private static Pattern compile(String regex) {
        return regex == null ? null : Pattern.compile(regex);
    }
}
