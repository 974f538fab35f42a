using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SessionBuddy.AkoshaSync.Push;

namespace SessionBuddy.AkoshaSync.Hub;

/// <summary>The hub's HTTP endpoint (Akosha:HubEnabled): other instances' pushers post their batches here.</summary>
public static class HubEndpoints
{
    public static WebApplication MapAkoshaHub(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AkoshaOptions>>().Value;
        if (options.HubEnabled)
        {
            app.MapPost(HubWire.ResultsPath, ReceiveAsync);
        }
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext http, HubStore store, IOptions<AkoshaOptions> options, CancellationToken ct)
    {
        if (!Authorized(http.Request.Headers.Authorization.ToString(), options.Value.HubKey!))
        {
            return Results.Problem("a valid bearer key (the hub's Akosha:HubKey) is required", statusCode: StatusCodes.Status401Unauthorized);
        }
        PushBatch? batch;
        try
        {
            batch = await http.Request.ReadFromJsonAsync<PushBatch>(HubWire.Json, ct);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return Results.Problem($"body: not a push batch ({ex.Message})", statusCode: StatusCodes.Status400BadRequest);
        }
        if (batch is null || string.IsNullOrWhiteSpace(batch.SystemId) || batch.SystemId.Length > HubWire.MaxSystemIdLength)
        {
            return Results.Problem($"system_id: required, at most {HubWire.MaxSystemIdLength} characters", statusCode: StatusCodes.Status400BadRequest);
        }
        if (batch.Items is not { Count: > 0 and <= HubWire.MaxBatchItems } || batch.Items.Any(i => i is null))
        {
            return Results.Problem($"items: 1..{HubWire.MaxBatchItems} items are accepted per batch", statusCode: StatusCodes.Status400BadRequest);
        }
        return Results.Json(new PushBatchReply(await store.StoreAsync(batch.SystemId.Trim(), batch.Items, ct)), HubWire.Json);
    }

    private static bool Authorized(string header, string key)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(key));
    }
}
