using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.LocalSystem.Hosting;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// An HTTP relay between a pusher and the hub: it forwards each batch and the hub's answer unchanged, except the
/// first answered batch for which <c>interrupt</c> returns true (it may kill the pusher there): that answer is
/// withheld, and <see cref="KilledAsync"/> completes with it.
/// </summary>
public sealed class HubRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource<PushBatchReply> _killed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubRelay(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>The hub's answer to the batch that was interrupted.</summary>
    public Task<PushBatchReply> KilledAsync => _killed.Task;

    public static async Task<HubRelay> StartAsync(Uri hub, Func<PushBatch, Task<bool>> interrupt)
    {
        var endpoint = new Uri($"http://127.0.0.1:{FreePort.Allocate()}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(endpoint.ToString());
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var relay = new HubRelay(app, endpoint);
        var http = new HttpClient();
        app.MapPost(HubWire.ResultsPath, async (HttpContext context) =>
        {
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
            using var forward = new HttpRequestMessage(HttpMethod.Post, new Uri(hub, HubWire.ResultsPath))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization)
            {
                forward.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
            }
            using var answer = await http.SendAsync(forward);
            var reply = await answer.Content.ReadAsStringAsync();
            if (answer.IsSuccessStatusCode && !relay._killed.Task.IsCompleted
                && await interrupt(JsonSerializer.Deserialize<PushBatch>(body, HubWire.Json)!))
            {
                relay._killed.TrySetResult(JsonSerializer.Deserialize<PushBatchReply>(reply, HubWire.Json)!);
                return Results.StatusCode(StatusCodes.Status502BadGateway);
            }
            return Results.Content(reply, answer.Content.Headers.ContentType?.ToString(), Encoding.UTF8, (int)answer.StatusCode);
        });
        await app.StartAsync();
        return relay;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
