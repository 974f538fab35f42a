using System.Diagnostics;
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

            var trace = await WaitForToolTraceAsync(apphost.DashboardUri, "create_session", "sessions", TimeSpan.FromSeconds(60));
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

    [Test]
    [CancelAfter(900_000)]
    public async Task Two_replicas_of_every_project_run_under_DCP_give_the_same_answers_through_its_proxy_and_SIGTERM_leaves_nothing()
    {
        var gatewayPort = AppHostProcess.FreePort();
        using var apphost = AppHostProcess.Start(
            [$"--SessionBuddy:DataDirectory={_dataDirectory}", $"--SessionBuddy:GatewayPort={gatewayPort}", "--replicas", "2"],
            onLine: TestContext.Progress.WriteLine);
        var started = Stopwatch.StartNew();

        var mcpUrl = await apphost.WaitForMcpUrlAsync(TimeSpan.FromSeconds(480));
        TestContext.Progress.WriteLine($"--replicas 2: MCP endpoint after {started.Elapsed.TotalSeconds:0} s, load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Assert.That(mcpUrl.Port, Is.EqualTo(gatewayPort), "DCP's proxy holds the MCP port in front of the gateway replicas");

        // Each replica is a process of its own on a port of its own, behind the resource's proxied port.
        var replicas = await WaitForHealthyReplicasAsync(apphost, TimeSpan.FromSeconds(240));
        TestContext.Progress.WriteLine($"every replica healthy after {started.Elapsed.TotalSeconds:0} s, load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Assert.Multiple(() =>
        {
            Assert.That(replicas.Keys, Is.EquivalentTo(Projects));
            foreach (var (project, urls) in replicas)
            {
                Assert.That(urls, Has.Count.EqualTo(2), $"{project}: two replicas, each answering /health on its own port");
            }
        });

        string sessionId;
        await using (var client = await ConnectAsync(mcpUrl))
        {
            var tools = await client.ListToolsAsync();
            Assert.That(tools.Select(t => t.Name), Does.Contain("create_session").And.Contain("get_session"));
            var created = await client.CallToolAsync("create_session", new Dictionary<string, object?> { ["name"] = "replicated", ["project"] = "apphost-replicas" });
            Assert.That(created.IsError, Is.Not.True, Text(created));
            sessionId = created.StructuredContent!.Value.GetProperty("id").GetString()!;
        }

        // Read back through the proxy and from each gateway replica directly: the same answer whichever replica
        // (and whichever Sessions replica behind the bus) serves it.
        foreach (var endpoint in replicas["gateway"].Select(url => new Uri(url, "/mcp")).Prepend(mcpUrl))
        {
            await using var client = await ConnectAsync(endpoint);
            var read = await client.CallToolAsync("get_session", new Dictionary<string, object?> { ["session_id"] = sessionId });
            Assert.That(read.IsError, Is.Not.True, $"{endpoint}: {Text(read)}");
            Assert.That(read.StructuredContent!.Value.GetProperty("name").GetString(), Is.EqualTo("replicated"), endpoint.ToString());
        }

        await StopAsync(apphost);
    }

    /// <summary>
    /// The healthy replicas of each project, by the URL each listens on (a replica's <c>ASPNETCORE_URLS</c>; DCP's
    /// <c>dotnet run</c> and the process it starts share it): waits until two of each answer /health, or the timeout.
    /// </summary>
    private static async Task<Dictionary<string, List<Uri>>> WaitForHealthyReplicasAsync(AppHostProcess apphost, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var healthy = new Dictionary<string, List<Uri>>();
            var listening = apphost.Processes()
                .Where(p => p.Environment.TryGetValue("OTEL_SERVICE_NAME", out var name) && Projects.Contains(name) && p.Environment.ContainsKey("ASPNETCORE_URLS"))
                .Select(p => (Project: p.Environment["OTEL_SERVICE_NAME"], Url: new Uri(p.Environment["ASPNETCORE_URLS"].Split(';')[0])))
                .Distinct();
            foreach (var (project, url) in listening)
            {
                try
                {
                    if ((await http.GetAsync(new Uri(url, "/health"))).IsSuccessStatusCode)
                    {
                        (healthy.TryGetValue(project, out var urls) ? urls : healthy[project] = []).Add(url);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
            }
            if ((healthy.Count == Projects.Length && healthy.Values.All(u => u.Count >= 2)) || DateTime.UtcNow > deadline)
            {
                return healthy;
            }
            await Task.Delay(1000);
        }
    }

    private static async Task StopAsync(AppHostProcess apphost)
    {
        Assert.That(SendSignal(apphost.Process.Id, 15), Is.Zero, "SIGTERM sent");
        var exitCode = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(exitCode, Is.Zero);
        // DCP stops the resources after the AppHost has gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (apphost.Survivors().Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
        Assert.That(apphost.Survivors(), Is.Empty, "processes left after SIGTERM");
    }

    // A 2026-07-28 client needs no session, so any replica behind DCP's proxy may answer each of its requests. Its
    // server/discover probe gives up after 5 s by default and falls back to the initialize handshake, whose session
    // lives in one gateway replica; a cold replica on a loaded machine can take longer than that to answer.
    private static async Task<McpClient> ConnectAsync(Uri mcpUrl) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = mcpUrl, TransportMode = HttpTransportMode.StreamableHttp }),
            new McpClientOptions { DiscoverProbeTimeout = TimeSpan.FromSeconds(60) });

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private sealed record Span(string TraceId, string Service, string Scope, string Name, IReadOnlyDictionary<string, string?> Tags);

    /// <summary>Reads the dashboard's telemetry API until the trace of the named tool call has spans from more than the gateway.</summary>
    /// <summary>
    /// The trace of the gateway's <paramref name="tool"/> span once it holds <paramref name="service"/>'s consumer and SQL spans. Other
    /// services' spans may join it first (Analytics stores the call's audit entry in the same trace).
    /// </summary>
    private static async Task<IReadOnlyList<Span>> WaitForToolTraceAsync(Uri dashboard, string tool, string service, TimeSpan timeout)
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
                // A span is exported when it ends: the consumer's own span ends after its SQL, maybe in a later batch.
                if (trace.Any(s => s.Service == service && s.Scope == "Npgsql") && trace.Any(s => s.Service == service && s.Scope == "MassTransit"))
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
