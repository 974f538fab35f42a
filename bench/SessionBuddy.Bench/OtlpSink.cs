using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SessionBuddy.Bench;

/// <summary>An OTLP/HTTP receiver that accepts and counts exports, so the processes under test pay the full cost of exporting.</summary>
public sealed class OtlpSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _requests;
    private long _bytes;

    private OtlpSink(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    public static async Task<OtlpSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        OtlpSink? sink = null;
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            var buffer = new byte[16 * 1024];
            long read = 0;
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                read += n;
            }
            Interlocked.Increment(ref sink!._requests);
            Interlocked.Add(ref sink._bytes, read);
            context.Response.ContentType = "application/x-protobuf"; // an empty Export*ServiceResponse
        });
        await app.StartAsync();
        sink = new OtlpSink(app, new Uri(app.Urls.First()));
        return sink;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
