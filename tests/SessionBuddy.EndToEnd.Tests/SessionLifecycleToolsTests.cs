using System.Text.Json;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>start, checkpoint, end, status, list_checkpoints, resume_session, export_session through MCP.</summary>
[TestFixture]
public sealed class SessionLifecycleToolsTests
{
    private ToolClient _tools = null!;
    private string _workingDirectory = null!;

    [OneTimeSetUp]
    public async Task Connect()
    {
        _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        _workingDirectory = Directory.CreateTempSubdirectory("e2e-lifecycle-").FullName;
        Directory.CreateDirectory(Path.Combine(_workingDirectory, "tests"));
        await File.WriteAllTextAsync(Path.Combine(_workingDirectory, "README.md"), "# e2e");
    }

    [OneTimeTearDown]
    public async Task Disconnect()
    {
        await _tools.DisposeAsync();
        Directory.Delete(_workingDirectory, recursive: true);
    }

    private async Task<string> StartAsync(string? project = null) =>
        (await _tools.CallOkAsync("start", new { working_directory = _workingDirectory, project })).GetProperty("id").GetString()!;

    [Test]
    public async Task A_whole_session_start_checkpoint_end_resume()
    {
        var started = await _tools.CallOkAsync("start", new { working_directory = _workingDirectory, project = "e2e-lifecycle" });
        var id = started.GetProperty("id").GetString()!;
        Assert.That(started.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(started.GetProperty("working_directory").GetString(), Is.EqualTo(_workingDirectory));

        await _tools.CallOkAsync("add_message", new { session_id = id, role = "user", content = "TODO: write the changelog" });
        var first = await _tools.CallOkAsync("checkpoint", new { session_id = id, summary = "first step" });
        Assert.That(first.GetProperty("quality_score").GetInt32(), Is.EqualTo(25 + 12 + 3), "tests + README + one message");
        var breakdown = first.GetProperty("quality_breakdown").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.That(breakdown, Is.EqualTo(new[] { "version_control", "tests", "docs", "activity" }));

        var status = await _tools.CallOkAsync("status", new { session_id = id });
        Assert.That(status.GetProperty("checkpoint_count").GetInt64(), Is.EqualTo(1));
        Assert.That(status.GetProperty("backend").GetProperty("healthy").GetBoolean(), Is.True);
        Assert.That(status.GetProperty("last_checkpoint").GetProperty("id").GetString(), Is.EqualTo(first.GetProperty("id").GetString()));

        var ended = await _tools.CallOkAsync("end", new { session_id = id, summary = "All done." });
        var handoff = ended.GetProperty("handoff_path").GetString()!;
        Assert.That(ended.GetProperty("session").GetProperty("status").GetString(), Is.EqualTo("completed"));
        Assert.That(handoff, Does.StartWith(started.GetProperty("output_dir").GetString()!));
        var text = await File.ReadAllTextAsync(handoff);
        Assert.That(text, Does.Contain("All done.").And.Contain("- [ ] write the changelog").And.Contain("## Quality trend"));

        var listed = await _tools.CallOkAsync("list_checkpoints", new { session_id = id });
        Assert.That(listed.GetProperty("checkpoints").GetArrayLength(), Is.EqualTo(2));

        Assert.That(await _tools.CallErrorAsync("checkpoint", new { session_id = id }), Does.Contain("session_id").And.Contain("completed"));
        Assert.That(await _tools.CallErrorAsync("end", new { session_id = id }), Does.Contain("session_id").And.Contain("resume_session"));

        var resumed = await _tools.CallOkAsync("resume_session", new { session_id = id, checkpoint_id = first.GetProperty("id").GetString() });
        Assert.That(resumed.GetProperty("session").GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(resumed.GetProperty("checkpoint").GetProperty("summary").GetString(), Is.EqualTo("first step"));
        Assert.That(resumed.GetProperty("handoff_path").GetString(), Is.EqualTo(handoff));
        var again = await _tools.CallOkAsync("checkpoint", new { session_id = id });
        Assert.That(again.GetProperty("sequence").GetInt64(), Is.EqualTo(3));
    }

    [Test]
    public async Task Start_refuses_bad_working_directories_and_projects_and_stores_nothing()
    {
        var before = await SessionsDb.CountAsync("SELECT count(*) FROM sessions");
        Assert.That(await _tools.CallErrorAsync("start", new { working_directory = "" }), Does.Contain("working_directory"));
        Assert.That(await _tools.CallErrorAsync("start", new { working_directory = "relative/dir" }), Does.Contain("working_directory").And.Contain("absolute"));
        Assert.That(await _tools.CallErrorAsync("start", new { working_directory = "/no/such/dir/" + Guid.NewGuid() }), Does.Contain("working_directory").And.Contain("does not exist"));
        Assert.That(await _tools.CallErrorAsync("start", new { working_directory = _workingDirectory, project = "  " }), Does.Contain("project"));
        Assert.That(await SessionsDb.CountAsync("SELECT count(*) FROM sessions"), Is.EqualTo(before));
    }

    [Test]
    public async Task Lifecycle_tools_refuse_unknown_and_malformed_ids_by_name()
    {
        var unknown = Guid.NewGuid().ToString();
        foreach (var tool in new[] { "checkpoint", "end", "status", "list_checkpoints", "resume_session", "export_session" })
        {
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = "not-a-uuid" }), Does.Contain("session_id"), tool);
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = unknown }), Does.Contain("session_id").And.Contain(unknown), tool);
        }
        Assert.That(await SessionsDb.CountAsync("SELECT count(*) FROM checkpoints WHERE session_id = @id", Guid.Parse(unknown)), Is.EqualTo(0));
    }

    [Test]
    public async Task Checkpoint_and_resume_refuse_bad_arguments_and_store_nothing()
    {
        var id = await StartAsync();
        Assert.That(await _tools.CallErrorAsync("checkpoint", new { session_id = id, summary = new string('s', 20_001) }), Does.Contain("summary"));
        Assert.That(await _tools.CallErrorAsync("end", new { session_id = id, summary = new string('s', 20_001) }), Does.Contain("summary"));
        Assert.That(await SessionsDb.CountAsync("SELECT count(*) FROM checkpoints WHERE session_id = @id", Guid.Parse(id)), Is.EqualTo(0));
        Assert.That(await _tools.CallErrorAsync("resume_session", new { session_id = id, checkpoint_id = "nope" }), Does.Contain("checkpoint_id"));
        Assert.That(await _tools.CallErrorAsync("resume_session", new { session_id = id, checkpoint_id = Guid.NewGuid().ToString() }), Does.Contain("checkpoint_id"));

        var created = (await _tools.CallOkAsync("create_session", new { name = "never started" })).GetProperty("id").GetString()!;
        Assert.That(await _tools.CallErrorAsync("checkpoint", new { session_id = created }), Does.Contain("session_id").And.Contain("is created"));
    }

    [Test]
    public async Task Json_export_round_trips_and_markdown_carries_everything()
    {
        var id = await StartAsync("export");
        await _tools.CallOkAsync("update_session", new { session_id = id, metadata = new { agent = "claude", n = 2 } });
        var contents = new[] { "first ✓", "second\nwith a newline", "\"quoted\" <tag>" };
        foreach (var c in contents)
        {
            await _tools.CallOkAsync("add_message", new { session_id = id, role = "user", content = c });
        }
        await _tools.CallOkAsync("checkpoint", new { session_id = id, summary = "exported" });

        var export = await _tools.CallOkAsync("export_session", new { session_id = id, format = "json" });
        Assert.That(export.GetProperty("format").GetString(), Is.EqualTo("json"));
        using var document = JsonDocument.Parse(export.GetProperty("content").GetString()!);
        var root = document.RootElement;

        var session = await _tools.CallOkAsync("get_session", new { session_id = id });
        var messages = await _tools.CallOkAsync("get_messages", new { session_id = id });
        var checkpoints = await _tools.CallOkAsync("list_checkpoints", new { session_id = id });
        Assert.Multiple(() =>
        {
            Assert.That(Normalise(root.GetProperty("session")), Is.EqualTo(Normalise(session)));
            Assert.That(Normalise(root.GetProperty("messages")), Is.EqualTo(Normalise(messages.GetProperty("messages"))));
            Assert.That(Normalise(root.GetProperty("checkpoints")), Is.EqualTo(Normalise(checkpoints.GetProperty("checkpoints"))));
        });

        var markdown = (await _tools.CallOkAsync("export_session", new { session_id = id, format = "markdown" })).GetProperty("content").GetString()!;
        foreach (var c in contents)
        {
            Assert.That(markdown, Does.Contain(c));
        }
        Assert.That(markdown, Does.Contain("exported").And.Contain(id));
        Assert.That(await _tools.CallErrorAsync("export_session", new { session_id = id, format = "pdf" }), Does.Contain("format"));
    }

    /// <summary>Timestamps compared as instants (the two serialisers may write offsets differently), everything else as text.</summary>
    private static string Normalise(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}:{Normalise(p.Value)}")) + "}",
        JsonValueKind.Array => "[" + string.Join(",", element.EnumerateArray().Select(Normalise)) + "]",
        JsonValueKind.String when DateTimeOffset.TryParse(element.GetString(), out var t) && element.GetString()!.Contains('T') => t.UtcTicks.ToString(),
        _ => element.GetRawText(),
    };
}
