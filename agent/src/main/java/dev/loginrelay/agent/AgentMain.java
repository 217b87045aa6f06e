package dev.loginrelay.agent;

/** Placeholder main; replaced by the real agent entry point. */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) {
    }
}
