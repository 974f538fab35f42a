using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SessionBuddy.LocalSystem;

/// <summary>
/// An OTLP/HTTP receiver on loopback that accepts and counts exports per signal (traces, logs, metrics: the path is
/// /v1/{signal}), so the processes under test pay the full cost of exporting and the bench can say what the bytes are;
/// with <c>keepBodies</c> it also keeps every body for tests to look into. The processes must export with
/// OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf.
/// </summary>
public sealed class OtlpSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, SignalCount> _signals = new(StringComparer.Ordinal);
    private readonly string? _dumpDirectory;
    private readonly ConcurrentQueue<(string Signal, byte[] Body)>? _bodies;
    private int _dumped;
    private int _dumpLimit;

    private OtlpSink(WebApplication app, Uri endpoint, string? dumpDirectory, bool keepBodies)
    {
        _app = app;
        Endpoint = endpoint;
        _dumpDirectory = dumpDirectory;
        _bodies = keepBodies ? new() : null;
    }

    public Uri Endpoint { get; }

    public long Requests => _signals.Values.Sum(s => s.Requests);

    public long Bytes => _signals.Values.Sum(s => s.Bytes);

    /// <summary>Requests and bytes received so far, per signal.</summary>
    public IReadOnlyDictionary<string, (long Requests, long Bytes)> Snapshot() =>
        _signals.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key, s => (s.Value.Requests, s.Value.Bytes), StringComparer.Ordinal);

    /// <summary>The bodies received so far for <paramref name="signal"/> (traces, logs, metrics), when started with keepBodies.</summary>
    public IReadOnlyList<byte[]> Bodies(string signal) =>
        _bodies is null ? throw new InvalidOperationException("Start the sink with keepBodies: true to keep bodies.")
            : [.. _bodies.Where(b => b.Signal == signal).Select(b => b.Body)];

    /// <summary>Saves the next <paramref name="count"/> export bodies in the dump directory, if one was given.</summary>
    public void DumpNext(int count) => Volatile.Write(ref _dumpLimit, Volatile.Read(ref _dumped) + count);

    /// <param name="dumpDirectory">When set, bodies chosen by <see cref="DumpNext"/> are saved there as {n}-{signal}.pb to be looked into.</param>
    /// <param name="keepBodies">Keep every body in memory for <see cref="Bodies"/> (tests; not for long runs).</param>
    public static async Task<OtlpSink> StartAsync(string? dumpDirectory = null, bool keepBodies = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        OtlpSink? sink = null;
        app.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            sink!.Count(signal, body);
            context.Response.ContentType = "application/x-protobuf"; // an empty Export*ServiceResponse
        });
        await app.StartAsync();
        if (dumpDirectory is not null)
        {
            Directory.CreateDirectory(dumpDirectory);
        }
        sink = new OtlpSink(app, new Uri(app.Urls.First()), dumpDirectory, keepBodies);
        return sink;
    }

    private void Count(string signal, MemoryStream body)
    {
        var count = _signals.GetOrAdd(signal, _ => new SignalCount());
        Interlocked.Increment(ref count.Requests);
        Interlocked.Add(ref count.Bytes, body.Length);
        _bodies?.Enqueue((signal, body.ToArray()));
        if (_dumpDirectory is not null && Volatile.Read(ref _dumped) < Volatile.Read(ref _dumpLimit))
        {
            var n = Interlocked.Increment(ref _dumped);
            File.WriteAllBytes(Path.Combine(_dumpDirectory, $"{n:000}-{signal}.pb"), body.ToArray());
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private sealed class SignalCount
    {
        public long Requests;
        public long Bytes;
    }
}
