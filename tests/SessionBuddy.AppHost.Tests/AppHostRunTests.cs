using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.AppHost.Tests;

/// <summary>The AppHost as a user runs it: DCP and the dashboard, every resource healthy, traced tool calls, data kept, nothing left after SIGTERM.</summary>
public class AppHostRunTests
{
    private static readonly string[] Projects = ["gateway", "sessions", "memory", "analytics", "workerpool", "akoshasync"];
    private string _dataDirectory = "";

    [SetUp]
    public void CreateDataDirectory() => _dataDirectory = Directory.CreateTempSubdirectory("sessionbuddy-apphost-").FullName;

    [TearDown]
    public void DeleteDataDirectory()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left in /tmp.
        }
    }

    [TestCase("SessionBuddy:PostgresBinDirectory", "initdb")]
    [TestCase("SessionBuddy:RabbitMqServer", "rabbitmq-server")]
    [CancelAfter(60_000)]
    public async Task A_missing_server_binary_is_named_with_the_install_command(string setting, string named)
    {
        var nowhere = Path.Combine(_dataDirectory, "nowhere");
        using var apphost = AppHostProcess.Start([$"--{setting}={nowhere}", $"--SessionBuddy:DataDirectory={_dataDirectory}"]);

        var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(45));

        var output = string.Join(Environment.NewLine, apphost.Output);
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain(named).And.Contain(nowhere));
            Assert.That(output, Does.Contain("eng/install-prereqs.sh"));
            Assert.That(output, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(apphost.Survivors(), Is.Empty);
        });
    }

    [Test]
    [CancelAfter(600_000)]
    public async Task One_tool_call_is_one_trace_from_gateway_to_SQL_data_survives_a_restart_and_SIGTERM_leaves_nothing()
    {
        var gatewayPort = AppHostProcess.FreePort();
        string[] args = [$"--SessionBuddy:DataDirectory={_dataDirectory}", $"--SessionBuddy:GatewayPort={gatewayPort}"];
        string sessionId;
        using (var apphost = AppHostProcess.Start(args, onLine: TestContext.Progress.WriteLine))
        {
            var mcpUrl = await apphost.WaitForMcpUrlAsync(TimeSpan.FromSeconds(240));
            Assert.That(mcpUrl.Port, Is.EqualTo(gatewayPort));
            Assert.That(apphost.Output, Has.Some.Contains($"Dashboard: {apphost.DashboardUri.ToString().TrimEnd('/')}"));

            await using (var client = await ConnectAsync(mcpUrl))
            {
                var created = await client.CallToolAsync("create_session", new Dictionary<string, object?> { ["name"] = "traced", ["project"] = "apphost-test" });
                Assert.That(created.IsError, Is.Not.True, Text(created));
                sessionId = created.StructuredContent!.Value.GetProperty("id").GetString()!;
            }

            var trace = await WaitForToolTraceAsync(apphost.DashboardUri, "create_session", TimeSpan.FromSeconds(60));
            var services = trace.Select(s => s.Service).ToHashSet();
            Assert.Multiple(() =>
            {
                Assert.That(services, Does.Contain("gateway").And.Contain("sessions"), "gateway and service spans share the tool call's trace id");
                Assert.That(trace, Has.Some.Matches<Span>(s => s.Service == "gateway" && s.Scope == "SessionBuddy"
                    && s.Tags.GetValueOrDefault("sessionbuddy.tool.outcome") == "ok"), "the tool span carries its outcome");
                Assert.That(trace, Has.Some.Matches<Span>(s => s.Service == "sessions" && s.Scope == "MassTransit"), "the consumer's span");
                Assert.That(trace, Has.Some.Matches<Span>(s => s.Service == "sessions" && s.Scope == "Npgsql"
                    && s.Tags.GetValueOrDefault("db.namespace") == "sessionsdb"), "the service's SQL");
            });

            using var http = new HttpClient { BaseAddress = apphost.DashboardUri };
            var resources = await http.GetFromJsonAsync<JsonArray>("/api/telemetry/resources");
            Assert.That(resources!.Select(r => (string?)r!["name"]), Is.SupersetOf(Projects), "every project sends telemetry to the dashboard");
            var survivors = apphost.Survivors();
            Assert.That(survivors, Has.Some.Contains("dcp"), "DCP runs");
            Assert.That(survivors, Has.Some.Contains("postgres -D"), "postgres runs as an executable resource");
            Assert.That(survivors, Has.Some.Contains("beam.smp"), "rabbitmq runs as an executable resource");
            Assert.That(survivors, Has.Some.Contains("epmd -port"), "the node's epmd runs as a resource");

            await StopAsync(apphost);
        }

        using (var again = AppHostProcess.Start(args, onLine: TestContext.Progress.WriteLine))
        {
            var mcpUrl = await again.WaitForMcpUrlAsync(TimeSpan.FromSeconds(240));
            await using (var client = await ConnectAsync(mcpUrl))
            {
                var read = await client.CallToolAsync("get_session", new Dictionary<string, object?> { ["session_id"] = sessionId });
                Assert.That(read.IsError, Is.Not.True, Text(read));
                Assert.That(read.StructuredContent!.Value.GetProperty("name").GetString(), Is.EqualTo("traced"), "the session survived the restart");
            }
            await StopAsync(again);
        }
    }

    private static async Task StopAsync(AppHostProcess apphost)
    {
        Assert.That(SendSignal(apphost.Process.Id, 15), Is.Zero, "SIGTERM sent");
        var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(exitCode, Is.Zero);
        // DCP stops the resources after the AppHost has gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (apphost.Survivors().Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
        Assert.That(apphost.Survivors(), Is.Empty, "processes left after SIGTERM");
    }

    private static async Task<McpClient> ConnectAsync(Uri mcpUrl) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = mcpUrl, TransportMode = HttpTransportMode.StreamableHttp }));

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private sealed record Span(string TraceId, string Service, string Scope, string Name, IReadOnlyDictionary<string, string?> Tags);

    /// <summary>Reads the dashboard's telemetry API until the trace of the named tool call has spans from more than the gateway.</summary>
    private static async Task<IReadOnlyList<Span>> WaitForToolTraceAsync(Uri dashboard, string tool, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = dashboard };
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<Span> trace = [];
        while (DateTime.UtcNow < deadline)
        {
            // The gateway's traces hold the tool span; the whole trace is read by its id.
            var toolSpan = Spans(await http.GetFromJsonAsync<JsonObject>("/api/telemetry/traces?resource=gateway"))
                .FirstOrDefault(s => s.Tags.GetValueOrDefault("sessionbuddy.tool.name") == tool);
            if (toolSpan is not null)
            {
                trace = Spans(await http.GetFromJsonAsync<JsonObject>($"/api/telemetry/traces/{toolSpan.TraceId}"));
                if (trace.Any(s => s.Service != "gateway" && s.Scope == "Npgsql"))
                {
                    return trace;
                }
            }
            await Task.Delay(500);
        }
        return trace;
    }

    private static List<Span> Spans(JsonObject? body)
    {
        var spans = new List<Span>();
        foreach (var resourceSpans in body?["data"]?["resourceSpans"]?.AsArray() ?? [])
        {
            var service = Attributes(resourceSpans!["resource"]?["attributes"]).GetValueOrDefault("service.name") ?? "";
            foreach (var scopeSpans in resourceSpans["scopeSpans"]?.AsArray() ?? [])
            {
                var scope = (string?)scopeSpans!["scope"]?["name"] ?? "";
                foreach (var span in scopeSpans["spans"]?.AsArray() ?? [])
                {
                    spans.Add(new Span((string)span!["traceId"]!, service, scope, (string?)span["name"] ?? "", Attributes(span["attributes"])));
                }
            }
        }
        return spans;
    }

    private static Dictionary<string, string?> Attributes(JsonNode? attributes) =>
        (attributes?.AsArray() ?? []).ToDictionary(a => (string)a!["key"]!, a => a!["value"]?["stringValue"]?.GetValue<string>());

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);
}
