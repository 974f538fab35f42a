using System.Text.Json;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>Isolated workspaces through MCP: layout, index under concurrency, status flow, output dir, log, cleanup.</summary>
[TestFixture]
public sealed class SessionWorkspaceToolsTests
{
    private ToolClient _tools = null!;

    [OneTimeSetUp]
    public async Task Connect() => _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);

    [OneTimeTearDown]
    public async Task Disconnect() => await _tools.DisposeAsync();

    private async Task<JsonElement> CreateAsync(string? project = null) =>
        await _tools.CallOkAsync("create_session", new { name = "workspace e2e", project });

    [Test]
    public async Task Fifty_sessions_created_at_once_all_appear_once_each_with_its_own_workspace()
    {
        var project = "fifty-" + Guid.NewGuid().ToString("N")[..8];
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ToolClient.ConnectAsync(Suite.App.McpUri)));
        try
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
                Task.Run(() => clients[i % clients.Length].CallAsync("create_session", new { name = $"c{i}", project }))));
            Assert.That(results.Where(r => r.IsError == true).Select(ToolClient.Text), Is.Empty, "no call failed (no lock errors)");
            var created = results.Select(r => r.StructuredContent!.Value).ToList();

            var listed = new List<string>();
            string? cursor = null;
            do
            {
                var page = await _tools.CallOkAsync("list_sessions", new { project, limit = 100, cursor });
                listed.AddRange(page.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
                cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            }
            while (cursor is not null);

            Assert.That(listed, Has.Count.EqualTo(50));
            Assert.That(listed.Distinct().Order(), Is.EqualTo(created.Select(c => c.GetProperty("id").GetString()!).Order()));
            var workspaces = created.Select(c => c.GetProperty("workspace_dir").GetString()!).ToList();
            Assert.That(workspaces.Distinct().Count(), Is.EqualTo(50));
            foreach (var (workspace, session) in workspaces.Zip(created))
            {
                Assert.That(Path.GetFileName(workspace), Is.EqualTo(session.GetProperty("id").GetString()));
                foreach (var part in new[] { "work", "output", "private" })
                {
                    Assert.That(Directory.Exists(Path.Combine(workspace, part)), Is.True, part);
                }
                Assert.That(File.Exists(Path.Combine(workspace, "session.log")) && File.Exists(Path.Combine(workspace, "session.json")), Is.True);
            }
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task Status_follows_created_starting_running_completed_and_refuses_going_back()
    {
        var id = (await CreateAsync()).GetProperty("id").GetString()!;
        await _tools.CallOkAsync("update_session", new { session_id = id, status = "starting" });
        await _tools.CallOkAsync("update_session", new { session_id = id, status = "running" });
        var back = await _tools.CallErrorAsync("update_session", new { session_id = id, status = "created", name = "changed" });
        Assert.That(back, Does.Contain("status").And.Contain("cannot change a running session to created"));
        await _tools.CallOkAsync("update_session", new { session_id = id, status = "completed" });
        Assert.That(await _tools.CallErrorAsync("update_session", new { session_id = id, status = "running" }), Does.Contain("status"));
        var session = await _tools.CallOkAsync("get_session", new { session_id = id });
        Assert.That((session.GetProperty("status").GetString(), session.GetProperty("name").GetString()), Is.EqualTo(("completed", "workspace e2e")));

        var log = await _tools.CallOkAsync("session_log", new { session_id = id });
        var lines = log.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.That(lines.Select(l => l[(l.IndexOf(' ') + 1)..]), Is.EqualTo(new[]
        {
            "session created: workspace e2e (status created)", "status created → starting", "status starting → running", "status running → completed",
        }));
        var tail = await _tools.CallOkAsync("session_log", new { session_id = id, tail = 1 });
        Assert.That(tail.GetProperty("lines").EnumerateArray().Single().GetString(), Does.EndWith("status running → completed"));
    }

    [Test]
    public async Task Session_log_and_output_dir_refuse_bad_arguments()
    {
        var id = (await CreateAsync()).GetProperty("id").GetString()!;
        Assert.That(await _tools.CallErrorAsync("session_log", new { session_id = id, tail = 0 }), Does.Contain("tail"));
        Assert.That(await _tools.CallErrorAsync("session_log", new { session_id = id, tail = 10_001 }), Does.Contain("tail"));
        foreach (var tool in new[] { "session_log", "session_output_dir" })
        {
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = "x" }), Does.Contain("session_id"));
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = Guid.NewGuid().ToString() }), Does.Contain("session_id"));
        }
    }

    [Test]
    public async Task Output_dir_lists_what_the_session_produced()
    {
        var created = await CreateAsync();
        var id = created.GetProperty("id").GetString()!;
        await _tools.CallOkAsync("session_write_file", new { session_id = id, path = "output/report.md", content = "# report" });
        var output = await _tools.CallOkAsync("session_output_dir", new { session_id = id });
        Assert.That(output.GetProperty("output_dir").GetString(), Is.EqualTo(created.GetProperty("output_dir").GetString()));
        Assert.That(output.GetProperty("files").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "report.md" }));
    }

    [Test]
    public async Task Cleanup_removes_only_finished_sessions_older_than_the_limit()
    {
        var oldCompleted = await Finished("completed", ageHours: 30);
        var oldFailed = await Finished("failed", ageHours: 30);
        var youngCompleted = await Finished("completed", ageHours: 1);
        var oldRunning = await CreateAsync();
        var oldRunningId = Guid.Parse(oldRunning.GetProperty("id").GetString()!);
        await _tools.CallOkAsync("update_session", new { session_id = oldRunningId.ToString(), status = "running" });
        await SessionsDb.ExecuteAsync("UPDATE sessions SET updated_at = now() - interval '30 hours' WHERE id = @id", oldRunningId);

        var result = await _tools.CallOkAsync("cleanup_sessions", new { });
        var deleted = result.GetProperty("deleted").EnumerateArray().Select(d => Guid.Parse(d.GetString()!)).ToList();
        Assert.That(deleted, Does.Contain(oldCompleted.Id).And.Contain(oldFailed.Id));
        Assert.That(deleted, Does.Not.Contain(youngCompleted.Id).And.Not.Contain(oldRunningId));
        Assert.That(Directory.Exists(oldCompleted.Workspace) || Directory.Exists(oldFailed.Workspace), Is.False);
        Assert.That(Directory.Exists(youngCompleted.Workspace) && Directory.Exists(oldRunning.GetProperty("workspace_dir").GetString()), Is.True);
        Assert.That(await _tools.CallErrorAsync("get_session", new { session_id = oldCompleted.Id.ToString() }), Does.Contain("session_id"));

        var tighter = await _tools.CallOkAsync("cleanup_sessions", new { older_than_hours = 0.5 });
        Assert.That(tighter.GetProperty("deleted").EnumerateArray().Select(d => Guid.Parse(d.GetString()!)), Does.Contain(youngCompleted.Id));
        Assert.That(await _tools.CallOkAsync("get_session", new { session_id = oldRunningId.ToString() }), Is.Not.EqualTo(default(JsonElement)));

        Assert.That(await _tools.CallErrorAsync("cleanup_sessions", new { older_than_hours = -1 }), Does.Contain("older_than_hours"));
    }

    private async Task<(Guid Id, string Workspace)> Finished(string status, int ageHours)
    {
        var created = await CreateAsync();
        var id = created.GetProperty("id").GetString()!;
        await _tools.CallOkAsync("update_session", new { session_id = id, status = "running" });
        await _tools.CallOkAsync("update_session", new { session_id = id, status });
        await SessionsDb.ExecuteAsync($"UPDATE sessions SET updated_at = now() - interval '{ageHours} hours' WHERE id = @id", Guid.Parse(id));
        return (Guid.Parse(id), created.GetProperty("workspace_dir").GetString()!);
    }
}
