package dev.loginrelay.controller.model;

import io.vertx.core.json.JsonObject;

/**
 * The columns a transition sets besides the status; a null component keeps the column as it is. {@code detail} goes
 * to the timeline event, and must already be redacted. Build it with {@link #none()} and the {@code with...} methods.
 *
 * @param userStep replaces all four user-step columns when not null (terminal moves clear them anyway)
 */
public record SessionChange(
    String agentId, String browserVmId, String vmIp, String errorCode, String errorMessage, JsonObject account,
    UserStep userStep, JsonObject detail) {

    private static final SessionChange NONE = new SessionChange(null, null, null, null, null, null, null, null);
    private static final int MAX_ID = 200;
    private static final int MAX_ERROR_CODE = 64;
    private static final int MAX_ERROR_MESSAGE = 1000;

    public SessionChange {
        checkLength("agentId", agentId, MAX_ID);
        checkLength("browserVmId", browserVmId, MAX_ID);
        checkLength("vmIp", vmIp, 64);
        checkLength("errorCode", errorCode, MAX_ERROR_CODE);
        if (errorMessage != null && errorMessage.length() > MAX_ERROR_MESSAGE) {
            errorMessage = errorMessage.substring(0, MAX_ERROR_MESSAGE - 1) + "…"; // CLI output can be long
        }
        account = account == null ? null : account.copy();
        detail = detail == null ? null : detail.copy();
    }

    /** Sets nothing but the status. */
    public static SessionChange none() {
        return NONE;
    }

    public SessionChange withPlacement(String newAgentId, String newBrowserVmId, String newVmIp) {
        return new SessionChange(newAgentId, newBrowserVmId, newVmIp, errorCode, errorMessage, account, userStep,
            detail);
    }

    public SessionChange withError(String code, String message) {
        return new SessionChange(agentId, browserVmId, vmIp, code, message, account, userStep, detail);
    }

    public SessionChange withAccount(JsonObject newAccount) {
        return new SessionChange(agentId, browserVmId, vmIp, errorCode, errorMessage, newAccount, userStep, detail);
    }

    public SessionChange withUserStep(UserStep step) {
        return new SessionChange(agentId, browserVmId, vmIp, errorCode, errorMessage, account, step, detail);
    }

    public SessionChange withDetail(JsonObject newDetail) {
        return new SessionChange(agentId, browserVmId, vmIp, errorCode, errorMessage, account, userStep, newDetail);
    }

    @Override
    public JsonObject account() {
        return account == null ? null : account.copy();
    }

    @Override
    public JsonObject detail() {
        return detail == null ? null : detail.copy();
    }

    private static void checkLength(String field, String value, int max) {
        if (value != null && (value.isBlank() || value.length() > max)) {
            throw new IllegalArgumentException(field + " must be 1.." + max + " characters, not blank");
        }
    }

    @Override
    public String toString() {
        return "SessionChange[agentId=" + agentId + ", browserVmId=" + browserVmId + ", vmIp=" + vmIp
            + ", errorCode=" + errorCode + ", userStep=" + userStep + ", account=" + (account != null)
            + ", detailKeys=" + (detail == null ? "[]" : detail.fieldNames()) + "]";
    }
}
