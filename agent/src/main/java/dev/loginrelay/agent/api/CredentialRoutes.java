package dev.loginrelay.agent.api;

import dev.loginrelay.agent.error.ApiException;
import dev.loginrelay.agent.error.ErrorCode;
import dev.loginrelay.agent.run.RunService;
import dev.loginrelay.agent.run.WorkspaceHome;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Credential hand-over: a ready run's files go to the controller once; a workspace agent takes files into its HOME
 * and gives them up. Bodies and replies carry credential contents, so nothing here logs a body.
 */
final class CredentialRoutes {
    private final RunService runs;
    private final WorkspaceHome workspace;

    CredentialRoutes(RunService runs, WorkspaceHome workspace) {
        this.runs = runs;
        this.workspace = workspace;
    }

    void mount(Router r) {
        r.post("/api/v1/runs/:id/credentials/take").handler(this::takeCredentials);
        r.put("/api/v1/workspace/credentials/:provider").handler(this::installCredentials);
        r.delete("/api/v1/workspace/credentials/:provider").handler(this::removeCredentials);
    }

    private void takeCredentials(RoutingContext ctx) {
        runs.takeCredentials(ctx.pathParam("id"))
            .onSuccess(body -> Replies.json(ctx, 200, body))
            .onFailure(ctx::fail);
    }

    private void installCredentials(RoutingContext ctx) {
        JsonObject body = Requests.body(ctx, "files");
        JsonArray files;
        try {
            files = body.getJsonArray("files");
        } catch (ClassCastException | DecodeException e) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "field 'files' must be an array");
        }
        if (files == null || files.isEmpty() || !files.stream().allMatch(f -> f instanceof JsonObject)) {
            throw new ApiException(ErrorCode.BAD_REQUEST, "field 'files' must be a non-empty array of objects");
        }
        workspace.install(ctx.pathParam("provider"), files)
            .onSuccess(result -> Replies.json(ctx, 200, result))
            .onFailure(ctx::fail);
    }

    private void removeCredentials(RoutingContext ctx) {
        workspace.remove(ctx.pathParam("provider"))
            .onSuccess(result -> Replies.json(ctx, 200, result))
            .onFailure(ctx::fail);
    }
}
