using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using Npgsql;
using SessionBuddy.LocalSystem;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// A second gateway with authentication on, in front of the running suite: tokens from the gateway's own
/// token command, project limits across sessions, memory search modes, knowledge graph and analytics,
/// the hostile-argument sweep with a read-only token, the audit log, and no secret in any log.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SecurityTests
{
    private const string Issuer = "sessionbuddy-e2e";
    private const string Audience = "sessionbuddy-e2e-gateway";
    private const string Instance = "gateway-secured";

    private static readonly string[] HostileStrings =
    [
        "../../../../etc/passwd", "'; DROP TABLE sessions; --", "$(touch /tmp/sessionbuddy-pwned)", "`id`",
        "<script>alert(1)</script>", "%2e%2e%2f%2e%2e%2fetc%2fshadow", "/proc/self/environ", "{{7*7}}", "a\u0000b",
    ];

    private readonly string _secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(36));
    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];
    private OtlpSink _telemetry = null!;
    private Uri _endpoint = null!;
    private string _admin = null!;
    private string _readOnly = null!;
    private string _projectA = null!;
    private string ProjectA => "sec-a-" + _tag;
    private string ProjectB => "sec-b-" + _tag;

    [OneTimeSetUp]
    public async Task StartSecuredGateway()
    {
        // Its traces and logs go to a receiver here, to be searched for secrets (short batch delays: they arrive in a second).
        _telemetry = await OtlpSink.StartAsync(keepBodies: true);
        _endpoint = await Suite.App.StartGatewayAsync(Instance, new Dictionary<string, string>
        {
            ["Auth__Secret"] = _secret,
            ["Auth__Issuers__0"] = Issuer,
            ["Auth__Audience"] = Audience,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _telemetry.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "500",
        });
        _admin = await IssueAsync("--scopes", "read,write,execute,admin", "--subject", "admin-" + _tag);
        _readOnly = await IssueAsync("--scopes", "read", "--subject", "reader-" + _tag);
        _projectA = await IssueAsync("--scopes", "read,write,execute", "--project", ProjectA, "--subject", "member-" + _tag);
    }

    [OneTimeTearDown]
    public async Task StopTelemetryReceiver() => await _telemetry.DisposeAsync();

    /// <summary>Runs the gateway's token command, as a person would, with the same settings as the secured gateway.</summary>
    private async Task<string> IssueAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ProjectLocation.For(SessionBuddyResources.Gateway).AssemblyPath);
        start.ArgumentList.Add("token");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["Auth__Secret"] = _secret;
        start.Environment["Auth__Issuers__0"] = Issuer;
        start.Environment["Auth__Audience"] = Audience;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.EqualTo(0), error);
        return output.Trim();
    }

    private Task<ToolClient> ConnectAsync(string token) => ToolClient.ConnectAsync(_endpoint, bearerToken: token);

    [Test]
    public async Task WithoutATokenNothingIsServedAndTheChallengeNamesTheMetadata()
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(_endpoint, new StringContent(
            """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(401));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("resource_metadata=").And.Contain("/.well-known/oauth-protected-resource"));
        var tampered = _admin[..^4] + (_admin[^4..] == "AAAA" ? "BBBB" : "AAAA");
        Assert.ThrowsAsync<HttpRequestException>(async () => await ConnectAsync(tampered));
    }

    [Test]
    public async Task ProjectTokenReachesOnlyItsProject()
    {
        await using var admin = await ConnectAsync(_admin);
        await using var member = await ConnectAsync(_projectA);
        var own = (await admin.CallOkAsync("create_session", new { name = "own", project = ProjectA })).GetProperty("id").GetString()!;
        var foreign = (await admin.CallOkAsync("create_session", new { name = "foreign", project = ProjectB })).GetProperty("id").GetString()!;
        await admin.CallOkAsync("store_reflection", new { content = $"zebra migration plan {_tag} for project b", project = ProjectB });

        // Sessions: its own are readable and writable, another project's are neither.
        await member.CallOkAsync("add_message", new { session_id = own, role = "user", content = "mine" });
        Assert.That(await member.CallErrorAsync("get_session", new { session_id = foreign }), Does.Contain("belongs to another project"));
        Assert.That(await member.CallErrorAsync("add_message", new { session_id = foreign, role = "user", content = "intrusion" }),
            Does.Contain("belongs to another project"));
        Assert.That(await member.CallErrorAsync("session_write_file", new { session_id = foreign, path = "x.txt", content = "intrusion" }),
            Does.Contain("belongs to another project"));
        var foreignMessages = await admin.CallOkAsync("get_messages", new { session_id = foreign });
        Assert.That(foreignMessages.GetProperty("messages").GetArrayLength(), Is.EqualTo(0));
        var listed = await member.CallOkAsync("list_sessions", new { });
        Assert.That(listed.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("project").GetString()).Distinct(), Is.EqualTo(new[] { ProjectA }));

        // Writes without a project land in the token's project; naming another is refused.
        var stored = await member.CallOkAsync("store_reflection", new { content = $"zebra migration plan {_tag} for project a" });
        Assert.That(await member.CallErrorAsync("store_memory", new { content = "x", category = "fact", project = ProjectB }),
            Is.EqualTo($"project: this token is limited to {ProjectA}."));

        // Every search mode sees only the token's project.
        foreach (var mode in new[] { "hybrid", "semantic", "keyword" })
        {
            var found = await member.CallOkAsync("search_reflections", new { query = $"zebra migration plan {_tag}", mode });
            var ids = found.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
            Assert.That(ids, Is.EqualTo(new[] { stored.GetProperty("id").GetString() }), mode);
            Assert.That(await member.CallErrorAsync("search_reflections", new { query = "zebra", mode, project = ProjectB }), Does.Contain("limited to"), mode);
        }

        // Cross-project tools (knowledge graph, global analytics, exports, workers) are neither listed nor callable.
        var names = (await member.Mcp.ListToolsAsync()).Select(t => t.Name).ToList();
        Assert.That(names, Does.Contain("search_reflections").And.Contain("get_workflow_metrics"));
        foreach (var (tool, arguments) in new (string, object)[]
        {
            ("search_entities", new { query = "x" }), ("create_entity", new { name = "n" + _tag, entity_type = "concept" }),
            ("export_analytics", new { dataset = "sessions" }), ("get_activity_summary", new { }),
            ("worker_execute", new { worker_id = "w", prompt_or_command = "id" }),
        })
        {
            Assert.That(names, Does.Not.Contain(tool));
            Assert.That(await member.CallErrorAsync(tool, arguments), Does.StartWith($"Forbidden: {tool} reads or changes data of every project"));
        }
        var metrics = await member.CallOkAsync("get_workflow_metrics", new { days_back = 1 });
        Assert.That(metrics.ValueKind, Is.EqualTo(JsonValueKind.Object));

        // Resources span every project: a limited token sees none.
        Assert.That(await member.Mcp.ListResourcesAsync(), Is.Empty);
        Assert.ThrowsAsync<McpProtocolException>(async () => await member.Mcp.ReadResourceAsync($"sessionbuddy://sessions/{foreign}/log"));
    }

    [Test]
    public async Task HostileArgumentSweepWithAReadOnlyTokenWritesNothing()
    {
        await using var admin = await ConnectAsync(_admin);
        await using var reader = await ConnectAsync(_readOnly);
        var session = (await admin.CallOkAsync("create_session", new { name = "sweep target", project = ProjectB })).GetProperty("id").GetString()!;
        var allTools = await admin.Mcp.ListToolsAsync();
        var readable = (await reader.Mcp.ListToolsAsync()).Select(t => t.Name).ToHashSet();
        Assert.That(readable, Does.Contain("get_session").And.Not.Contain("add_message").And.Not.Contain("worker_execute"));
        var before = await CountRowsAsync();

        var index = 0;
        foreach (var tool in allTools)
        {
            var arguments = HostileArguments(tool.JsonSchema, session, ref index);
            var result = await reader.Mcp.CallToolAsync(tool.Name, arguments);
            var text = ToolClient.Text(result);
            if (!readable.Contains(tool.Name))
            {
                Assert.That(result.IsError, Is.True, $"{tool.Name} with a read-only token returned {text}");
                Assert.That(text, Does.Match(@"^Forbidden: \w+ needs the '(write|execute|admin)' scope; this token has: read\.$"), tool.Name);
            }
            Assert.That(text, Does.Not.Contain("trace id"), $"{tool.Name} failed unexpectedly: {text}");
        }

        Assert.That(await CountRowsAsync(), Is.EqualTo(before), "no write may succeed with a read-only token");
        Assert.That(File.Exists("/tmp/sessionbuddy-pwned"), Is.False);
        var messages = await admin.CallOkAsync("get_messages", new { session_id = session });
        Assert.That(messages.GetProperty("messages").GetArrayLength(), Is.EqualTo(0));

        // Every refused mutating call is in the audit log, without its arguments (the project is recorded as given).
        var audit = await WaitForAuditAsync(admin, "reader-" + _tag, allTools.Count - readable.Count);
        Assert.That(audit.Select(e => e.GetProperty("outcome").GetString()).Distinct(), Is.EqualTo(new[] { "denied" }));
        var auditJson = string.Join("\n", audit.SelectMany(e => e.EnumerateObject().Where(p => p.Name != "project")).Select(p => p.Value.GetRawText()));
        Assert.That(HostileStrings.Where(h => auditJson.Contains(h, StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task AuditLogRecordsMutatingCallsAndIsForAdminsOnly()
    {
        await using var admin = await ConnectAsync(_admin);
        await using var member = await ConnectAsync(_projectA);
        var session = (await member.CallOkAsync("create_session", new { name = "audited" })).GetProperty("id").GetString()!;
        await member.CallOkAsync("session_write_file", new { session_id = session, path = "secret.txt", content = "password=hunter2-" + _tag });
        await member.CallErrorAsync("add_message", new { session_id = session, role = "nobody", content = "bad role" });

        Assert.That(await member.CallErrorAsync("get_audit_log", new { }), Does.Contain("needs the 'admin' scope"));
        // Four calls are audited (create, write, refused add_message, refused get_audit_log); entries arrive over the bus in any order.
        var entries = await WaitForAuditAsync(admin, "member-" + _tag, 4);
        var byTool = entries.ToDictionary(e => e.GetProperty("tool").GetString()!, e => e);
        Assert.That(byTool["create_session"].GetProperty("outcome").GetString(), Is.EqualTo("ok"));
        Assert.That(byTool["create_session"].GetProperty("project").GetString(), Is.EqualTo(ProjectA));
        Assert.That(byTool["session_write_file"].GetProperty("session_id").GetString(), Is.EqualTo(session));
        // Calls naming a session are stored with the session's project, as authorization found it.
        Assert.That(byTool["session_write_file"].GetProperty("project").GetString(), Is.EqualTo(ProjectA));
        Assert.That(byTool["add_message"].GetProperty("project").GetString(), Is.EqualTo(ProjectA));
        Assert.That(byTool["add_message"].GetProperty("outcome").GetString(), Is.EqualTo("tool_error"));
        Assert.That(byTool["get_audit_log"].GetProperty("outcome").GetString(), Is.EqualTo("denied"));
        Assert.That(string.Join("\n", entries.Select(e => e.GetRawText())), Does.Not.Contain("hunter2"));
    }

    [Test]
    public async Task AnAuditedCallWhoseProjectHoldsANulCharacterIsStoredWithTheCallsAroundIt()
    {
        // PostgreSQL's text refuses NUL; an entry carrying one must neither be lost nor take the other entries of its batch with it.
        await using var nulCaller = await ConnectAsync(await IssueAsync("--scopes", "read,write", "--subject", "nul-" + _tag));
        await nulCaller.CallAsync("create_session", new { name = "before", project = "plain-" + _tag });
        await nulCaller.CallAsync("create_session", new { name = "nul", project = "nul\u0000" + _tag });
        await nulCaller.CallAsync("create_session", new { name = "after", project = "plain-" + _tag });

        await using var admin = await ConnectAsync(_admin);
        var entries = await WaitForAuditAsync(admin, "nul-" + _tag, 3);
        Assert.That(entries.Select(e => e.GetProperty("project").GetString()),
            Is.EquivalentTo(new[] { "plain-" + _tag, "nul\uFFFD" + _tag, "plain-" + _tag }));
    }

    /// <summary>Calls with every token, refused ones, and a secret-looking argument: something to log and trace.</summary>
    private async Task CallWithEveryTokenAsync()
    {
        await using (var admin = await ConnectAsync(_admin))
        {
            await admin.CallOkAsync("store_memory", new { content = "api key is sk-live-" + _tag, category = "fact", project = ProjectB });
        }
        await using (var reader = await ConnectAsync(_readOnly))
        {
            await reader.CallErrorAsync("delete_session", new { session_id = Guid.NewGuid().ToString() });
        }
        await using (var member = await ConnectAsync(_projectA))
        {
            await member.CallOkAsync("list_sessions", new { });
        }
    }

    private Dictionary<string, string> Secrets() => new()
    {
        ["Auth secret"] = _secret,
        ["admin token"] = _admin,
        ["read-only token"] = _readOnly,
        ["project token"] = _projectA,
        ["token signature"] = _admin.Split('.')[2],
        ["PostgreSQL password"] = new NpgsqlConnectionStringBuilder(Suite.App.PostgresConnectionString).Password!,
        ["RabbitMQ password"] = Suite.App.MessagingUri.UserInfo.Split(':')[1],
        ["secret argument"] = "sk-live-" + _tag,
    };

    [Test]
    public async Task NoSecretAppearsInAnyLog()
    {
        await CallWithEveryTokenAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));

        var secrets = Secrets();
        var logs = Suite.App.ProjectNames.Append(Instance).Select(Suite.App.GetLogPath).Where(File.Exists).ToList();
        Assert.That(logs, Has.Count.EqualTo(Suite.App.ProjectNames.Count + 1));
        foreach (var log in logs)
        {
            var text = await ReadSharedAsync(log);
            foreach (var (what, secret) in secrets)
            {
                Assert.That(text.Contains(secret, StringComparison.Ordinal), Is.False, $"{what} appears in {Path.GetFileName(log)}");
            }
        }
        Assert.That(await ReadSharedAsync(Suite.App.GetLogPath(Instance)), Does.Contain("authentication ON"));
    }

    [Test]
    public async Task NoSecretAppearsInExportedTracesOrLogs()
    {
        await CallWithEveryTokenAsync();

        // The calls' spans (the tool's name is in them) and the gateway's logs (its start-up line) have been exported.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!(Exported("traces").Contains("store_memory", StringComparison.Ordinal)
                 && Exported("logs").Contains("serving MCP at", StringComparison.Ordinal)))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the secured gateway's traces and logs did not reach the OTLP receiver");
            await Task.Delay(250);
        }
        await Task.Delay(TimeSpan.FromSeconds(1)); // the batch after the last call

        foreach (var signal in new[] { "traces", "logs" })
        {
            var exported = Exported(signal);
            foreach (var (what, secret) in Secrets())
            {
                Assert.That(exported.Contains(secret, StringComparison.Ordinal), Is.False, $"{what} appears in the exported {signal}");
            }
        }
    }

    /// <summary>Every OTLP/HTTP protobuf body of a signal the secured gateway exported, as text (strings are UTF-8 in protobuf).</summary>
    private string Exported(string signal) =>
        string.Join("\n", _telemetry.Bodies(signal).Select(body => System.Text.Encoding.UTF8.GetString(body)));

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    private static async Task<List<JsonElement>> WaitForAuditAsync(ToolClient admin, string subject, int atLeast)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var log = await admin.CallOkAsync("get_audit_log", new { subject, limit = 1000 });
            var entries = log.GetProperty("entries").EnumerateArray().Select(e => e.Clone()).ToList();
            if (entries.Count >= atLeast || DateTime.UtcNow > deadline)
            {
                Assert.That(entries, Has.Count.GreaterThanOrEqualTo(atLeast), $"audit entries of {subject}");
                return entries;
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Every argument the schema lists, filled with something hostile of the right JSON type; session ids are a real session.</summary>
    private static Dictionary<string, object?> HostileArguments(JsonElement schema, string sessionId, ref int index)
    {
        var arguments = new Dictionary<string, object?>();
        if (!schema.TryGetProperty("properties", out var properties))
        {
            return arguments;
        }
        foreach (var property in properties.EnumerateObject())
        {
            var hostile = HostileStrings[index++ % HostileStrings.Length];
            var type = property.Value.TryGetProperty("type", out var t)
                ? t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().First(v => v.GetString() != "null").GetString() : t.GetString()
                : "string";
            arguments[property.Name] = property.Name == "session_id" ? sessionId : type switch
            {
                "integer" => index % 2 == 0 ? -1 : int.MaxValue,
                "number" => 1e308,
                "boolean" => true,
                "array" => new[] { hostile },
                "object" => new JsonObject { ["$where"] = hostile, ["__proto__"] = new JsonObject { ["admin"] = true } },
                _ => hostile,
            };
        }
        return arguments;
    }

    /// <summary>Rows of every table of the services that hold user data (Analytics records the audit itself, so it is left out).</summary>
    private static async Task<Dictionary<string, long>> CountRowsAsync()
    {
        var counts = new Dictionary<string, long>();
        foreach (var database in new[] { "sessionsdb", "memorydb", "workerpooldb", "akoshadb" })
        {
            await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString(database));
            await connection.OpenAsync();
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand(
                "SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1", connection))
            await using (var reader = await list.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tables.Add(reader.GetString(0));
                }
            }
            foreach (var table in tables)
            {
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
                counts[$"{database}.{table}"] = (long)(await count.ExecuteScalarAsync())!;
            }
        }
        return counts;
    }
}
