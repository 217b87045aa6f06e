package dev.loginrelay.controller.agents;

import dev.loginrelay.controller.support.Secret;

import java.util.Objects;

/**
 * Where one session's agent runs. {@code toString()} masks the token (it is a {@link Secret}).
 *
 * @param agentId the provider's id for the agent ({@code local-…} or a configured static id)
 * @param baseUrl {@code http://host:port}, no trailing slash
 * @param token   the agent's API bearer token
 * @param vmId    the VM (or process) the agent runs in
 * @param vmIp    the address of that VM
 */
public record AgentHandle(String agentId, String baseUrl, Secret token, String vmId, String vmIp) {
    public AgentHandle {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(token, "token");
        while (baseUrl.endsWith("/")) {
            baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
        }
    }
}
