using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
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

    private static int FreeTcpPort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
