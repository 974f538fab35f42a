using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>What AddServiceDefaults gives every process: health endpoints, and OTLP traces, metrics and correlated logs when an endpoint is set.</summary>
[TestFixture]
public sealed class TelemetryTests
{
    private static readonly ActivitySource MassTransitSource = new("MassTransit");

    private static readonly ActivitySource NpgsqlSource = new("Npgsql");

    /// <summary>A bookkeeping message the test's service declares untraced.</summary>
    private sealed record ProbeAudited;

    [Test]
    public async Task HealthEndpointsAnswer()
    {
        var port = FreeTcpPort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var health = await http.GetAsync("/health");
        var alive = await http.GetAsync("/alive");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await health.Content.ReadAsStringAsync(), Does.Contain("\"status\":\"Healthy\""));
    }

    [Test]
    public void SessionBuddyEnvironmentVariablesOverrideConfiguration()
    {
        Environment.SetEnvironmentVariable("SESSION_BUDDY_Widgets__Size", "42");
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.AddServiceDefaults();
            Assert.That(builder.Configuration["Widgets:Size"], Is.EqualTo("42"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SESSION_BUDDY_Widgets__Size", null);
        }
    }

    [Test]
    public async Task WithAnOtlpEndpointSpansMetricsAndTraceCorrelatedLogsAreExported()
    {
        // A collector on loopback speaking OTLP/HTTP: it records what was posted where.
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var collectorPort = FreeTcpPort();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.WebHost.UseUrls($"http://127.0.0.1:{collectorPort}");
        await using var collector = collectorBuilder.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path.Value!, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
        });
        await collector.StartAsync();

        string[] variables = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME"];
        Environment.SetEnvironmentVariable(variables[0], $"http://127.0.0.1:{collectorPort}");
        Environment.SetEnvironmentVariable(variables[1], "http/protobuf");
        Environment.SetEnvironmentVariable(variables[2], "otlp-test-service");
        var probeTraceId = default(ActivityTraceId);
        ActivityContext? untracedContext = null;
        ActivitySpanId? receiveSpanId = null, consumerSqlParent = null;
        var processCreated = true;
        try
        {
            var port = FreeTcpPort();
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.AddServiceDefaults();
            builder.Services.AddUntracedMessage<ProbeAudited>();
            await using (var app = builder.Build())
            {
                app.MapDefaultEndpoints();
                app.MapGet("/probe", (ILogger<TelemetryTests> logger) =>
                {
                    probeTraceId = Activity.Current?.TraceId ?? default;
                    logger.LogInformation("probe answered");
                    // What MassTransit records for a request and for its reply (the reply goes to the requester's "bus" endpoint).
                    using (var send = MassTransitSource.StartActivity("probe-request send", ActivityKind.Producer))
                    {
                        send?.AddTag("messaging.destination.name", "probe-request");
                        send?.AddTag("messaging.masstransit.destination_address", "rabbitmq://127.0.0.1:5672/probe-request-destination");
                    }
                    using (MassTransitSource.StartActivity("bus send", ActivityKind.Producer))
                    {
                    }
                    TraceTrimming.SendOutsideTraceAsync(() =>
                    {
                        using var untraced = MassTransitSource.StartActivity(TraceTrimming.SendSpanName(typeof(ProbeAudited)), ActivityKind.Producer);
                        // What MassTransit writes into the message's headers: the receiver must see an unsampled context.
                        untracedContext = untraced?.Context;
                        return Task.CompletedTask;
                    }).GetAwaiter().GetResult();
                    Assert.That(Activity.Current?.TraceId, Is.EqualTo(probeTraceId), "the caller's span is current again");
                    using (NpgsqlSource.StartActivity("postgresql", ActivityKind.Client)?.SetTag("db.query.text", "SELECT 'in the request'"))
                    {
                    }
                    return "ok";
                });
                await app.StartAsync();
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                Assert.That((await http.GetAsync("/health")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(await http.GetStringAsync("/probe"), Is.EqualTo("ok"));
                // A consumer's spans as MassTransit opens them: receive (the sender's context from the headers), then
                // process inside it, then the consumer's SQL.
                var outer0 = Activity.Current;
                Activity.Current = null;
                var sender = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
                using (var receive = MassTransitSource.StartActivity("probe-consumer receive", ActivityKind.Consumer, sender))
                {
                    receiveSpanId = receive?.SpanId;
                    using var process = MassTransitSource.StartActivity("probe-consumer process", ActivityKind.Consumer);
                    processCreated = process is not null;
                    using var sql = NpgsqlSource.StartActivity("postgresql", ActivityKind.Client)?.SetTag("db.query.text", "SELECT 'in the consumer'");
                    consumerSqlParent = sql?.ParentSpanId;
                }
                Activity.Current = outer0;
                // Background work's SQL: no request or message around it.
                var outer = Activity.Current;
                Activity.Current = null;
                using (NpgsqlSource.StartActivity("postgresql", ActivityKind.Client)?.SetTag("db.query.text", "SELECT 'polling'"))
                {
                }
                Activity.Current = outer;
                await app.StopAsync(); // flushes the exporters
            }
        }
        finally
        {
            foreach (var variable in variables)
            {
                Environment.SetEnvironmentVariable(variable, null);
            }
        }

        // Protobuf keeps strings as UTF-8 and ids as raw bytes, so both are findable in the payload.
        static bool Carries(byte[] body, string text) => System.Text.Encoding.UTF8.GetString(body).Contains(text, StringComparison.Ordinal);
        var traceIdBytes = new byte[16];
        probeTraceId.CopyTo(traceIdBytes);
        var traces = received.Where(r => r.Path == "/v1/traces").ToList();
        var metrics = received.Where(r => r.Path == "/v1/metrics").ToList();
        var logs = received.Where(r => r.Path == "/v1/logs").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(probeTraceId, Is.Not.EqualTo(default(ActivityTraceId)), "the request had a trace");
            Assert.That(traces.Any(t => Carries(t.Body, "GET /probe") && Carries(t.Body, "otlp-test-service")), Is.True,
                "the server span of GET /probe reached the collector under the service's name");
            Assert.That(traces.Any(t => Carries(t.Body, "GET /health")), Is.False, "health probes are not traced");
            Assert.That(traces.Any(t => Carries(t.Body, "probe-request send") && Carries(t.Body, "messaging.destination.name")), Is.True,
                "a message's send span is exported with its destination");
            Assert.That(traces.Any(t => Carries(t.Body, "probe-request-destination")), Is.False,
                "without MassTransit's address attributes, which repeat the destination on every span");
            Assert.That(traces.Any(t => Carries(t.Body, "bus send")), Is.False, "nor the spans of a request's reply");
            Assert.That(traces.Any(t => Carries(t.Body, "ProbeAudited")), Is.False, "nor the send of a message declared untraced");
            Assert.That(untracedContext?.TraceFlags.HasFlag(ActivityTraceFlags.Recorded), Is.False,
                "whose trace context travels unsampled, so its receiver records nothing of it");
            Assert.That(traces.Any(t => Carries(t.Body, "SELECT 'in the request'")), Is.True, "SQL inside a request is exported with its text");
            Assert.That(traces.Any(t => Carries(t.Body, "SELECT 'polling'")), Is.False, "SQL of background work outside any span is not");
            Assert.That(traces.Any(t => Carries(t.Body, "probe-consumer receive") && Carries(t.Body, "SELECT 'in the consumer'")), Is.True,
                "a consumer's receive span and its SQL are exported");
            Assert.That(processCreated || traces.Any(t => Carries(t.Body, "probe-consumer process")), Is.False,
                "MassTransit's process span inside the receive span is not even created");
            Assert.That(consumerSqlParent, Is.EqualTo(receiveSpanId), "so the consumer's SQL hangs under the receive span");
            Assert.That(metrics.Any(m => Carries(m.Body, "http.server.request.duration")), Is.True,
                "ASP.NET Core's request duration metric reached the collector");
            Assert.That(metrics.Any(m => Carries(m.Body, "process.runtime.dotnet.gc.collections.count") || Carries(m.Body, "dotnet.gc.collections")), Is.True,
                "runtime metrics reached the collector");
            Assert.That(logs.Any(l => Carries(l.Body, "probe answered") && l.Body.AsSpan().IndexOf(traceIdBytes) >= 0), Is.True,
                "the log written while answering carries the request's trace id");
            Assert.That(logs.Any(l => Carries(l.Body, "probe answered") && Carries(l.Body, "RequestPath")), Is.False,
                "without the request's scope copied into every record");
        });
    }

    [Test]
    public async Task WithoutAnOtlpEndpointNothingIsRecorded()
    {
        // Recording spans that nobody exports costs every request; without an endpoint the SDK listens to nothing.
        var port = FreeTcpPort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        var recorded = true;
        app.MapGet("/probe", () => { recorded = Activity.Current?.Recorded ?? false; return "ok"; });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.That(await http.GetStringAsync("/probe"), Is.EqualTo("ok"));
        Assert.That(recorded, Is.False, "no server span is recorded when no exporter would receive it");
    }

    private static int FreeTcpPort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
