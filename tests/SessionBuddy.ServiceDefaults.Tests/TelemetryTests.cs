using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;

namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>What AddServiceDefaults gives every process: health endpoints and traced HTTP requests.</summary>
[TestFixture]
public sealed class TelemetryTests
{
    [Test]
    public async Task HealthEndpointsAnswerAndServerSpansCarryHttpTags()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var port = FreeTcpPort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();

        Assert.That(app.Services.GetService<OpenTelemetrySdk>(), Is.Not.Null, "the OpenTelemetry SDK is part of the container");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var health = await http.GetAsync("/health");
        var alive = await http.GetAsync("/alive");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await health.Content.ReadAsStringAsync(), Does.Contain("\"status\":\"Healthy\""));

        await app.StopAsync();
        var span = spans.FirstOrDefault(s => (string?)s.GetTagItem("url.path") == "/health");
        Assert.That(span, Is.Not.Null, "a server span for GET /health");
        Assert.Multiple(() =>
        {
            Assert.That(span!.Kind, Is.EqualTo(ActivityKind.Server));
            Assert.That(span.GetTagItem("http.request.method"), Is.EqualTo("GET"));
            Assert.That(span.GetTagItem("http.route"), Is.EqualTo("/health"));
            Assert.That(span.GetTagItem("http.response.status_code"), Is.EqualTo(200));
            Assert.That(span.DisplayName, Is.EqualTo("GET /health"));
        });
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
    public async Task WithAnOtlpEndpointSpansAndMetricsAreExported()
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
        try
        {
            var port = FreeTcpPort();
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.AddServiceDefaults();
            await using (var app = builder.Build())
            {
                app.MapDefaultEndpoints();
                await app.StartAsync();
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                Assert.That((await http.GetAsync("/health")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
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

        // Protobuf keeps strings as UTF-8, so the span name and service name are readable in the payload.
        static bool Carries(byte[] body, string text) => System.Text.Encoding.UTF8.GetString(body).Contains(text, StringComparison.Ordinal);
        var traces = received.Where(r => r.Path == "/v1/traces").ToList();
        var metrics = received.Where(r => r.Path == "/v1/metrics").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(traces.Any(t => Carries(t.Body, "GET /health") && Carries(t.Body, "otlp-test-service")), Is.True,
                "the server span of GET /health reached the collector under the service's name");
            Assert.That(metrics.Any(m => Carries(m.Body, "http.server.request.duration")), Is.True,
                "ASP.NET Core's request duration metric reached the collector");
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
