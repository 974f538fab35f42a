using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Npgsql;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Clients.Tests;

/// <summary>
/// Two replicas of every service and of the gateway, behind a balancer: what a user notices when one dies, and
/// where an MCP session lives.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReplicaTests
{
    private const int Writers = 16;

    private DistributedAppFixture _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await Suite.WithReplicasAsync(2);

    [Test]
    public async Task KillingAReplicaOfSessionsAndOfTheGatewayLosesNoAcknowledgedWriteAndDuplicatesNone()
    {
        await using var setup = await ConnectAsync(_app.McpUri);
        var sessionId = Guid.Parse(Structured(await setup.CallToolAsync("create_session", Args(new { name = "replica crash" }))).GetProperty("id").GetString()!);

        var acknowledged = new ConcurrentDictionary<string, string>(); // content -> message id
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var afterKill = 0;
        var killed = false;

        async Task WriteAsync(int writer)
        {
            await using var client = await ConnectAsync(_app.McpUri);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var content = $"writer {writer} message {n}";
                CallToolResult result;
                try
                {
                    result = await client.CallToolAsync("add_message", Args(new { session_id = sessionId, role = "user", content }));
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or ModelContextProtocol.McpException)
                {
                    // The gateway replica holding the call died: not acknowledged, so it may or may not be stored.
                    failures.Enqueue(ex.Message);
                    continue;
                }
                if (result.IsError == true)
                {
                    failures.Enqueue(string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text)));
                    continue;
                }
                acknowledged[content] = Structured(result).GetProperty("id").GetString()!;
                if (Volatile.Read(ref killed))
                {
                    Interlocked.Increment(ref afterKill);
                }
            }
        }

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(w))).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var beforeKill = acknowledged.Count;
        try
        {
            await Task.WhenAll(_app.KillAsync("sessions-2"), _app.KillAsync("gateway-2"));
            Volatile.Write(ref killed, true);
            await Task.Delay(TimeSpan.FromSeconds(4));
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            await AssertNothingLostOrDuplicatedAsync(sessionId, acknowledged, beforeKill, afterKill, failures.Count);
        }
        finally
        {
            // The other tests of this fixture need both replicas, whatever this one found.
            await stop.CancelAsync();
            await Task.WhenAll(_app.StartAsync("sessions-2"), _app.StartAsync("gateway-2"));
        }
    }

    private async Task AssertNothingLostOrDuplicatedAsync(Guid sessionId, ConcurrentDictionary<string, string> acknowledged, int beforeKill, int afterKill, int failures)
    {
        var stored = await MessagesAsync(sessionId);
        var events = await ScalarAsync("sessionsdb",
            "SELECT count(*) FROM outbox_messages WHERE message_type LIKE '%.MessageAdded' AND (payload->>'sessionId')::uuid = @session", "session", sessionId);
        // Analytics counts the MessageAdded events it applied: once each, whichever replica received them.
        // On a loaded host the events may still be on their way: wait up to a minute before calling one lost.
        long projected = -1;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (projected != stored.Count && waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            projected = await ScalarAsync("analyticsdb", "SELECT coalesce(max(message_count), 0) FROM session_activity WHERE session_id = @session", "session", sessionId);
            if (projected != stored.Count)
            {
                await Task.Delay(250);
            }
        }
        var undispatched = await ScalarAsync("sessionsdb",
            "SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL AND (payload->>'sessionId')::uuid = @session", "session", sessionId);
        TestContext.Out.WriteLine(
            $"acknowledged {acknowledged.Count} ({beforeKill} before the kill, {afterKill} after), stored {stored.Count}, " +
            $"events {events} ({undispatched} not yet dispatched), counted by analytics {projected} after {waited.Elapsed.TotalSeconds:F1} s, failed calls {failures}");
        if (projected != stored.Count)
        {
            foreach (var replica in new[] { "analytics", "analytics-2", "sessions" })
            {
                TestContext.Out.WriteLine($"--- warnings and errors in {replica}.log");
                foreach (var line in File.ReadLines(_app.GetLogPath(replica)).Where(l => l.StartsWith("warn:") || l.StartsWith("fail:") || l.StartsWith("crit:")).TakeLast(20))
                {
                    TestContext.Out.WriteLine(line);
                }
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(beforeKill, Is.GreaterThan(0), "writes happened before the kill");
            Assert.That(afterKill, Is.GreaterThan(0), "the surviving replicas take the writes after the kill");
            Assert.That(acknowledged.Where(a => !stored.Any(m => m.Id == a.Value && m.Content == a.Key)).Select(a => a.Key), Is.Empty,
                "acknowledged writes missing (or stored under another id)");
            Assert.That(stored.GroupBy(m => m.Content).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "writes stored twice");
            Assert.That(stored.Select(m => m.Sequence), Is.EqualTo(Enumerable.Range(1, stored.Count).Select(i => (long)i)), "the sequence has no gaps");
            Assert.That(events, Is.EqualTo(stored.Count), "one MessageAdded event per stored message");
            Assert.That(projected, Is.EqualTo(stored.Count), "analytics applied each event once");
        });
    }

    [Test]
    public async Task StatelessClientsAreServedByEveryReplicaAndASessionStaysWithTheReplicaThatIssuedIt()
    {
        // The 2026-07-28 revision needs no session: calls spread over both gateway replicas.
        var before = _app.GatewayRequestsServed.ToDictionary(p => p.Key, p => p.Value);
        await using (var stateless = await ConnectAsync(_app.McpUri))
        {
            for (var i = 0; i < 6; i++)
            {
                Assert.That((await stateless.CallToolAsync("get_liveness", Args(new { }))).IsError, Is.Not.True);
            }
        }
        Assert.That(_app.GatewayRequestsServed.Where(p => p.Value > before.GetValueOrDefault(p.Key)).Select(p => p.Key), Is.EquivalentTo(new[] { 0, 1 }),
            "both gateway replicas answered");

        // A client of an initialize-handshake revision holds a session; through the balancer it keeps working.
        await using (var sessionful = await ConnectAsync(_app.McpUri, "2025-06-18"))
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.That((await sessionful.CallToolAsync("get_liveness", Args(new { }))).IsError, Is.Not.True);
            }
        }

        // The session lives in the replica that issued it: the other answers 404, which tells the client to initialize again.
        using var http = new HttpClient();
        var first = new Uri(_app.GetReplicaEndpoint("gateway", 1), "/mcp");
        var second = new Uri(_app.GetReplicaEndpoint("gateway", 2), "/mcp");
        using var initialized = await http.SendAsync(Post(first, null,
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"affinity","version":"1"}}}"""));
        Assert.That(initialized.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var session = initialized.Headers.GetValues("Mcp-Session-Id").Single();
        const string list = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";
        using var elsewhere = await http.SendAsync(Post(second, session, list));
        using var home = await http.SendAsync(Post(first, session, list));
        Assert.That(elsewhere.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another replica does not know the session");
        Assert.That(home.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the replica that issued it serves it");
    }

    [Test]
    public async Task APoolOfOneWorkerRunsOneTaskAtATimeWhicheverReplicaRunsThem()
    {
        await using var setup = await ConnectAsync(_app.McpUri);
        var poolId = "replica-pool-" + Guid.NewGuid().ToString("N")[..8];
        Structured(await setup.CallToolAsync("pool_create", Args(new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 1 })));

        // Four callers at once; the WorkerPool replicas compete for the requests, so both run some of the tasks.
        async Task<string> RunAsync()
        {
            await using var client = await ConnectAsync(_app.McpUri);
            var executed = Structured(await client.CallToolAsync("pool_execute",
                Args(new { pool_id = poolId, tasks = new[] { "date +%s%N; sleep 0.4; date +%s%N" }, wait = true, timeout_seconds = 60 })));
            return executed.GetProperty("tasks")[0].GetProperty("output").GetString()!;
        }
        var outputs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(RunAsync)));
        Structured(await setup.CallToolAsync("pool_shutdown", Args(new { pool_id = poolId, push_to_akosha = false })));

        var runs = outputs.Select(o => o.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray())
            .Select(t => (Start: t[0], End: t[1])).OrderBy(r => r.Start).ToList();
        var owners = await ScalarAsync("workerpooldb", "SELECT count(DISTINCT owner_instance) FROM tasks WHERE pool_id = @pool", "pool", poolId);
        Assert.Multiple(() =>
        {
            Assert.That(owners, Is.EqualTo(2), "both WorkerPool replicas ran tasks of the pool");
            Assert.That(runs.Zip(runs.Skip(1)).Where(p => p.Second.Start < p.First.End), Is.Empty,
                "the pool's one worker ran two tasks at once: " + string.Join(", ", runs));
        });
    }

    [Test]
    public async Task AWorkerSpawnedThroughOneGatewayReplicaIsRunReadAndCancelledThroughTheOther()
    {
        await using var first = await ConnectAsync(new Uri(_app.GetReplicaEndpoint("gateway", 1), "/mcp"));
        await using var second = await ConnectAsync(new Uri(_app.GetReplicaEndpoint("gateway", 2), "/mcp"));
        var workerId = Structured(await first.CallToolAsync("worker_spawn", Args(new { worker_type = "shell", count = 1 })))
            .GetProperty("workers")[0].GetProperty("worker_id").GetString()!;

        // Run through the other gateway; read the task's status back through the first.
        var executed = Structured(await second.CallToolAsync("worker_execute", Args(new { worker_id = workerId, prompt_or_command = "echo across replicas", timeout_seconds = 30 })));
        var taskId = executed.GetProperty("task_id").GetString()!;
        var status = Structured(await first.CallToolAsync("worker_task_status", Args(new { task_ids = new[] { taskId } }))).GetProperty("tasks")[0];
        Assert.Multiple(() =>
        {
            Assert.That(executed.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(executed.GetProperty("output").GetString(), Does.Contain("across replicas"));
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("completed"), "the first gateway sees the task the second ran");
            Assert.That(status.GetProperty("output").GetString(), Does.Contain("across replicas"));
        });

        // A long task started through the first gateway is seen running and cancelled through the second.
        var running = Task.Run(() => first.CallToolAsync("worker_execute", Args(new { worker_id = workerId, prompt_or_command = "sleep 120", timeout_seconds = 300 })).AsTask());
        string? current = null;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (current is null && waited.Elapsed < TimeSpan.FromSeconds(60) && !running.IsCompleted)
        {
            var worker = Structured(await second.CallToolAsync("worker_status", Args(new { worker_id = workerId })));
            current = worker.GetProperty("status").GetString() == "busy" && worker.TryGetProperty("current_task_id", out var task) && task.ValueKind == JsonValueKind.String
                ? task.GetString() : null;
            if (current is null)
            {
                await Task.Delay(200);
            }
        }
        Assert.That(current, Is.Not.Null, "the second gateway sees the worker busy with the task the first started");
        var cancelled = Structured(await second.CallToolAsync("worker_cancel", Args(new { worker_id = workerId })));
        var interrupted = Structured(await running.WaitAsync(TimeSpan.FromSeconds(60)));
        var afterwards = Structured(await second.CallToolAsync("worker_task_status", Args(new { task_ids = new[] { current } }))).GetProperty("tasks")[0];
        Assert.Multiple(() =>
        {
            Assert.That(cancelled.GetProperty("cancelled_tasks").GetInt32(), Is.EqualTo(1));
            Assert.That(interrupted.GetProperty("task_id").GetString(), Is.EqualTo(current));
            Assert.That(interrupted.GetProperty("status").GetString(), Is.EqualTo("cancelled"), "the call held by the first gateway ends with the cancellation");
            Assert.That(afterwards.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            Assert.That(waited.Elapsed, Is.LessThan(TimeSpan.FromSeconds(100)), "cancelled, not run to its end");
        });
    }

    [Test]
    public async Task AFileAWorkerWritesOnEitherWorkerPoolReplicaIsReadThroughTheSessionsService()
    {
        // Each task runs in a session workspace a Sessions replica created, on whichever WorkerPool replica accepted
        // it, and writes a file there; the file is then read through the Sessions service (either replica): the
        // workspace folder (Sessions__WorkspaceRoot, WorkerPool's sessions) is the same on every replica.
        await using var setup = await ConnectAsync(_app.McpUri);
        var poolId = "replica-files-" + Guid.NewGuid().ToString("N")[..8];
        Structured(await setup.CallToolAsync("pool_create", Args(new { worker_types = new[] { "shell" }, pool_id = poolId, max_workers = 2 })));
        async Task<(string Session, string Marker)> RunAsync(int n)
        {
            await using var client = await ConnectAsync(_app.McpUri);
            var marker = $"written by task {n} {Guid.NewGuid():N}";
            var executed = Structured(await client.CallToolAsync("pool_execute",
                Args(new { pool_id = poolId, tasks = new[] { $"mkdir -p shared && printf '%s' '{marker}' > shared/result.txt && cat shared/result.txt" }, wait = true, timeout_seconds = 60 })));
            var task = executed.GetProperty("tasks")[0];
            Assert.That(task.GetProperty("status").GetString(), Is.EqualTo("completed"), task.GetProperty("error").ToString());
            return (task.GetProperty("session_id").GetString()!, marker);
        }
        var written = await Task.WhenAll(Enumerable.Range(0, 6).Select(n => Task.Run(() => RunAsync(n))));
        Structured(await setup.CallToolAsync("pool_shutdown", Args(new { pool_id = poolId, push_to_akosha = false })));

        var owners = await ScalarAsync("workerpooldb", "SELECT count(DISTINCT owner_instance) FROM tasks WHERE pool_id = @pool", "pool", poolId);
        var read = new List<(string Marker, string Content)>();
        foreach (var (session, marker) in written)
        {
            // Twice each: the Sessions replicas compete for the requests.
            for (var i = 0; i < 2; i++)
            {
                var file = Structured(await setup.CallToolAsync("session_read_file", Args(new { session_id = session, path = "shared/result.txt" })));
                read.Add((marker, file.GetProperty("content").GetString()!));
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(owners, Is.EqualTo(2), "both WorkerPool replicas ran tasks that wrote files");
            Assert.That(read.Where(r => r.Content != r.Marker), Is.Empty, "every file read back through Sessions as its task wrote it");
        });
    }

    private static HttpRequestMessage Post(Uri endpoint, string? session, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
            request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        }
        return request;
    }

    private static Task<McpClient> ConnectAsync(Uri endpoint, string? protocolVersion = null) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = endpoint, TransportMode = HttpTransportMode.StreamableHttp }),
            new McpClientOptions { ProtocolVersion = protocolVersion });

    private static Dictionary<string, object?> Args(object arguments) =>
        JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments))!;

    private static JsonElement Structured(CallToolResult result) =>
        result.IsError == true || result.StructuredContent is null
            ? throw new AssertionException("tool failed: " + string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text)))
            : result.StructuredContent.Value;

    private async Task<List<(string Id, string Content, long Sequence)>> MessagesAsync(Guid sessionId) =>
        [.. (await QueryAsync("sessionsdb", "SELECT id, content, sequence FROM messages WHERE session_id = @session ORDER BY sequence", "session", sessionId))
            .Select(row => (((Guid)row[0]).ToString(), (string)row[1], (long)row[2]))];

    private async Task<long> ScalarAsync(string database, string sql, string parameter, object value) =>
        Convert.ToInt64((await QueryAsync(database, sql, parameter, value)).Single()[0]);

    private async Task<List<object[]>> QueryAsync(string database, string sql, string parameter, object value)
    {
        await using var connection = new NpgsqlConnection(_app.GetConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(parameter, value);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }
}
