using System.Text.Json;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Checkpoints;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Messages;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Sessions.Tests;

/// <summary>The Sessions classes against a real sessionsdb: index consistency under concurrency, lifecycle, cleanup, deletion, backends.</summary>
public sealed class SessionStoreTests
{
    private SessionsDatabase _db = null!;
    private FakeDocker _docker = null!;
    private static readonly CancellationToken None = CancellationToken.None;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _docker = new FakeDocker();
        _db = await SessionsDatabase.CreateAsync(o => o.ContainerCli = _docker.Executable);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _db.DisposeAsync();
        _docker.Dispose();
    }

    private SessionStore Store => _db.Get<SessionStore>();

    private SessionLifecycle Lifecycle => _db.Get<SessionLifecycle>();

    private MessageStore Messages => _db.Get<MessageStore>();

    private WorkspaceFiles Files => _db.Get<WorkspaceFiles>();

    [Test]
    public async Task Fifty_concurrent_creates_all_appear_in_the_index_once_with_their_workspaces()
    {
        var project = "concurrent-" + Guid.NewGuid().ToString("N")[..8];
        var created = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Task.Run(() => Store.CreateAsync(Guid.NewGuid(), $"s{i}", project, null, "{}", None))));

        var listed = new List<SessionDetails>();
        string? cursor = null;
        do
        {
            var page = await Store.ListAsync(project, null, 100, cursor, None);
            listed.AddRange(page.Sessions);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.That(listed.Select(s => s.Id).Order(), Is.EqualTo(created.Select(s => s.Id).Order()));
        Assert.That(listed.Select(s => s.Id).Distinct().Count(), Is.EqualTo(50));
        foreach (var s in created)
        {
            Assert.That(File.Exists(Path.Combine(s.WorkspaceDir, "session.json")), Is.True);
            Assert.That(Directory.Exists(Path.Combine(s.WorkspaceDir, "work")) && Directory.Exists(s.OutputDir)
                && Directory.Exists(Path.Combine(s.WorkspaceDir, "private")), Is.True);
        }
        Assert.That(Directory.GetDirectories(_db.WorkspaceRoot).Select(Path.GetFileName), Is.SupersetOf(created.Select(s => s.Id.ToString())));
    }

    [Test]
    public async Task The_same_operation_delivered_fifty_times_at_once_creates_one_session()
    {
        var operation = Guid.NewGuid();
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Task.Run(() => Store.CreateAsync(operation, "dup", null, null, "{}", None))));
        Assert.That(results.Select(r => r.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That(await _db.CountAsync("SELECT count(*) FROM sessions WHERE name = 'dup'"), Is.EqualTo(1));
        Assert.That(Directory.GetDirectories(_db.WorkspaceRoot).Count(d => File.Exists(Path.Combine(d, "session.json"))
            && File.ReadAllText(Path.Combine(d, "session.json")).Contains("\"dup\"")), Is.EqualTo(1), "losers removed their workspaces");
    }

    [Test]
    public async Task Create_session_is_one_database_round_trip_and_its_event_commits_with_it()
    {
        var operation = Guid.NewGuid();
        var (created, firstTime) = await CountingCommandsAsync(() => Store.CreateAsync(operation, "one trip", "rt", null, "{}", None));
        var (again, redelivered) = await CountingCommandsAsync(() => Store.CreateAsync(operation, "one trip", "rt", null, "{}", None));

        Assert.That(firstTime, Is.EqualTo(1), "the row and its SessionCreated event in one statement");
        Assert.That(redelivered, Is.EqualTo(2), "a redelivery tries the insert, then reads what the first delivery stored");
        Assert.That(again.Id, Is.EqualTo(created.Id));
        Assert.That(await _db.CountAsync(
            "SELECT count(*) FROM outbox_messages WHERE message_type LIKE '%.SessionCreated' AND payload->>'sessionId' = @id::text", created.Id), Is.EqualTo(1));
    }

    /// <summary>Runs the call and counts the SQL commands it sent (Npgsql's activity per command), which are its round trips.</summary>
    private static async Task<(T Result, int Commands)> CountingCommandsAsync<T>(Func<Task<T>> call)
    {
        var commands = 0;
        var caller = new AsyncLocal<bool> { Value = true };
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStarted = _ =>
            {
                if (caller.Value)
                {
                    Interlocked.Increment(ref commands);
                }
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var result = await call();
        return (result, commands);
    }

    [Test]
    public async Task Status_changes_follow_the_flow_and_are_logged_and_mirrored()
    {
        var s = await Store.CreateAsync(Guid.NewGuid(), "flow", null, null, "{}", None);
        await Store.UpdateAsync(s.Id, null, SessionStatuses.Starting, null, None);
        await Store.UpdateAsync(s.Id, null, SessionStatuses.Running, null, None);
        var ex = Assert.ThrowsAsync<RequestRejectedException>(() => Store.UpdateAsync(s.Id, "renamed", SessionStatuses.Created, null, None))!;
        Assert.That(ex.Rejection.Argument, Is.EqualTo("status"));
        Assert.That((await Store.GetAsync(s.Id, None)).Name, Is.EqualTo("flow"), "a refused update changes nothing");
        await Store.UpdateAsync(s.Id, null, SessionStatuses.Failed, null, None);

        var log = _db.Get<SessionWorkspaces>().ReadLog(s.WorkspaceDir, 10);
        Assert.That(log.Select(l => l[(l.IndexOf(' ') + 1)..]), Is.EqualTo(new[]
        {
            "session created: flow (status created)", "status created → starting", "status starting → running", "status running → failed",
        }));
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(s.WorkspaceDir, "session.json")));
        Assert.That(metadata.RootElement.GetProperty("status").GetString(), Is.EqualTo("failed"));
    }

    [Test]
    public async Task A_message_operation_racing_itself_is_stored_once_with_one_event_and_one_sequence_number()
    {
        var session = await Store.CreateAsync(Guid.NewGuid(), "race", "race-" + Guid.NewGuid().ToString("N")[..8], null, "{}", None);
        var first = await Messages.AddAsync(Guid.NewGuid(), session.Id, "user", "before", None);
        var operation = Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => Messages.AddAsync(operation, session.Id, "assistant", "raced", None))));
        var replay = await Messages.AddAsync(operation, session.Id, "assistant", "raced", None);

        Assert.That(answers.Select(a => a.Id).Append(replay.Id).Distinct().Count(), Is.EqualTo(1), "every caller is given the one stored message");
        Assert.That(answers[0].Sequence, Is.EqualTo(first.Sequence + 1), "the raced operation took exactly one sequence number");
        await using var count = _db.DataSource.CreateCommand(
            """
            SELECT (SELECT count(*) FROM messages WHERE session_id = @id),
                   (SELECT message_count FROM sessions WHERE id = @id),
                   (SELECT count(*) FROM outbox_messages WHERE payload->>'messageId' = @message_id)
            """);
        count.Parameters.AddWithValue("id", session.Id);
        count.Parameters.AddWithValue("message_id", answers[0].Id.ToString());
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.That((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)), Is.EqualTo((2L, 2L, 1L)),
            "two messages, a message count of two, and one MessageAdded event for the raced message");
    }

    [Test]
    public async Task A_message_for_an_unknown_session_stores_no_message_and_no_event()
    {
        var unknown = Guid.NewGuid();
        var refused = Assert.ThrowsAsync<RequestRejectedException>(() => Messages.AddAsync(Guid.NewGuid(), unknown, "user", "lost?", None))!;
        Assert.That(refused.Rejection.Argument, Is.EqualTo("session_id"));
        await using var count = _db.DataSource.CreateCommand(
            "SELECT (SELECT count(*) FROM messages WHERE session_id = @id) + (SELECT count(*) FROM outbox_messages WHERE payload->>'sessionId' = @text)");
        count.Parameters.AddWithValue("id", unknown);
        count.Parameters.AddWithValue("text", unknown.ToString());
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(0L));
    }

    [Test]
    public async Task A_session_runs_from_start_through_checkpoints_to_a_handoff_and_resumes()
    {
        var dir = Directory.CreateTempSubdirectory("lifecycle-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "README.md"), "# project");
        var started = await Lifecycle.StartAsync(Guid.NewGuid(), dir, "lifecycle", None);
        Assert.That((started.Status, started.Name, started.WorkingDirectory), Is.EqualTo(("running", Path.GetFileName(dir), dir)));

        await Messages.AddAsync(Guid.NewGuid(), started.Id, "user", "Fix the parser\nTODO: add a regression test", None);
        var first = await Lifecycle.CheckpointAsync(Guid.NewGuid(), started.Id, "parser fixed", None);
        Assert.That((first.Sequence, first.QualityScore), Is.EqualTo((1L, 12 + 3)));
        Directory.CreateDirectory(Path.Combine(dir, "tests"));
        var operation = Guid.NewGuid();
        var second = await Lifecycle.CheckpointAsync(operation, started.Id, null, None);
        Assert.That((second.Sequence, second.QualityScore), Is.EqualTo((2L, 12 + 25 + 3 + 2)));
        Assert.That((await Lifecycle.CheckpointAsync(operation, started.Id, null, None)).Id, Is.EqualTo(second.Id), "a retried checkpoint is applied once");

        var handoff = await Lifecycle.EndAsync(Guid.NewGuid(), started.Id, "Parser done.\n- [ ] release notes", None);
        Assert.That(handoff.Session.Status, Is.EqualTo("completed"));
        Assert.That(handoff.HandoffPath, Is.EqualTo(Path.Combine(started.OutputDir, "handoff.md")));
        var text = await File.ReadAllTextAsync(handoff.HandoffPath);
        Assert.That(text, Does.Contain("## What was done").And.Contain("Parser done.").And.Contain("Checkpoint 1: parser fixed"));
        Assert.That(text, Does.Contain("- [ ] add a regression test").And.Contain("- [ ] release notes"));
        Assert.That(text, Does.Contain($"## Last checkpoint").And.Contain($"quality **{handoff.FinalCheckpoint.QualityScore}/100**"));
        Assert.That(text, Does.Contain($"15 → 42 → {handoff.FinalCheckpoint.QualityScore} (improving"));

        var refused = Assert.ThrowsAsync<RequestRejectedException>(() => Lifecycle.CheckpointAsync(Guid.NewGuid(), started.Id, null, None))!;
        Assert.That(refused.Message, Does.Contain("is completed").And.Contain("resume_session"));

        var resumed = await Lifecycle.ResumeAsync(started.Id, first.Id, None);
        Assert.That((resumed.Session.Status, resumed.Checkpoint!.Id, resumed.HandoffPath), Is.EqualTo(("running", first.Id, handoff.HandoffPath)));
        var wrong = Assert.ThrowsAsync<RequestRejectedException>(() => Lifecycle.ResumeAsync(started.Id, Guid.NewGuid(), None))!;
        Assert.That(wrong.Rejection.Argument, Is.EqualTo("checkpoint_id"));

        var events = await _db.CountAsync(
            """
            SELECT count(*) FROM outbox_messages WHERE payload->>'sessionId' = @id::text AND message_type IN
              ('SessionBuddy.Contracts.Sessions.SessionStarted', 'SessionBuddy.Contracts.Sessions.CheckpointCreated',
               'SessionBuddy.Contracts.Sessions.SessionEnded', 'SessionBuddy.Contracts.Sessions.SessionResumed')
            """, started.Id);
        Assert.That(events, Is.EqualTo(1 + 3 + 1 + 1), "started, three checkpoints, ended, resumed");
        var ended = await _db.CountAsync(
            $"""
            SELECT count(*) FROM outbox_messages WHERE payload->>'sessionId' = @id::text
              AND message_type = 'SessionBuddy.Contracts.Sessions.SessionEnded'
              AND payload->>'summary' = E'Parser done.\n- [ ] release notes' AND payload->>'project' = 'lifecycle'
              AND payload->>'name' = '{Path.GetFileName(dir)}' AND (payload->>'durationSeconds')::float8 >= 0
            """, started.Id);
        Assert.That(ended, Is.EqualTo(1), "SessionEnded carries the session's summary, name, project and duration (for Akosha:ForwardSessionSummaries)");

        var status = await Lifecycle.StatusAsync(started.Id, None);
        Assert.That((status.CheckpointCount, status.QualityTrend.Count, status.Backend.Healthy), Is.EqualTo((3L, 3, true)));
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public async Task Twenty_concurrent_deliveries_of_one_checkpoint_store_it_once()
    {
        var s = await Lifecycle.StartAsync(Guid.NewGuid(), Path.GetTempPath(), null, None);
        var operation = Guid.NewGuid();
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => Lifecycle.CheckpointAsync(operation, s.Id, "once", None))));
        Assert.That(results.Select(r => r.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That(await _db.CountAsync("SELECT count(*) FROM checkpoints WHERE session_id = @id", s.Id), Is.EqualTo(1));
    }

    [Test]
    public async Task The_json_export_round_trips_to_what_the_store_holds()
    {
        var dir = Directory.CreateTempSubdirectory("export-").FullName;
        var s = await Lifecycle.StartAsync(Guid.NewGuid(), dir, null, None);
        await Store.UpdateAsync(s.Id, null, null, """{"k":[1,"two",{"x":null}]}""", None);
        await Messages.AddAsync(Guid.NewGuid(), s.Id, "user", "unicode ✓ \"quotes\" <b>", None);
        await Messages.AddAsync(Guid.NewGuid(), s.Id, "assistant", "line1\nline2", None);
        await Lifecycle.CheckpointAsync(Guid.NewGuid(), s.Id, "cp", None);

        var export = await Lifecycle.ExportAsync(s.Id, "json", None);
        var document = JsonSerializer.Deserialize<SessionExportDocument>(export.Content, CheckpointStore.Json)!;
        var session = await Store.GetAsync(s.Id, None);
        var messages = await Messages.GetPageAsync(s.Id, 100, null, None);
        var checkpoints = await Lifecycle.ListCheckpointsAsync(s.Id, None);

        Assert.That(document.Session with { Metadata = default }, Is.EqualTo(session with { Metadata = default }));
        Assert.That(JsonSerializer.Serialize(document.Session.Metadata), Is.EqualTo(JsonSerializer.Serialize(session.Metadata)));
        Assert.That(document.Messages, Is.EqualTo(messages.Messages));
        Assert.That(JsonSerializer.Serialize(document.Checkpoints, CheckpointStore.Json), Is.EqualTo(JsonSerializer.Serialize(checkpoints.Checkpoints, CheckpointStore.Json)));
        Assert.That(JsonSerializer.Serialize(document, CheckpointStore.Json), Is.EqualTo(export.Content), "re-serialising gives the same text");

        var markdown = await Lifecycle.ExportAsync(s.Id, "markdown", None);
        Assert.That(markdown.Content, Does.Contain("unicode ✓ \"quotes\" <b>").And.Contain("line1\nline2").And.Contain("cp"));
        var bad = Assert.ThrowsAsync<RequestRejectedException>(() => Lifecycle.ExportAsync(s.Id, "xml", None))!;
        Assert.That(bad.Rejection.Argument, Is.EqualTo("format"));
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public async Task Cleanup_removes_only_old_completed_and_failed_sessions()
    {
        var oldCompleted = await Finished("completed");
        var oldFailed = await Finished("failed");
        var recentCompleted = await Store.CreateAsync(Guid.NewGuid(), "recent", null, null, "{}", None);
        await Store.UpdateAsync(recentCompleted.Id, null, "running", null, None);
        await Store.UpdateAsync(recentCompleted.Id, null, "completed", null, None);
        var oldRunning = await Store.CreateAsync(Guid.NewGuid(), "old running", null, null, "{}", None);
        await Store.UpdateAsync(oldRunning.Id, null, "running", null, None);
        await _db.ExecuteAsync("UPDATE sessions SET updated_at = now() - interval '3 days' WHERE id = @id", oldRunning.Id);

        var result = await Store.CleanupAsync(24, None);

        Assert.That(result.Deleted, Is.SupersetOf(new[] { oldCompleted.Id, oldFailed.Id }));
        Assert.That(result.Deleted, Does.Not.Contain(recentCompleted.Id).And.Not.Contain(oldRunning.Id));
        Assert.That(result.SkippedActive, Is.GreaterThanOrEqualTo(1));
        Assert.That(Directory.Exists(oldCompleted.WorkspaceDir) || Directory.Exists(oldFailed.WorkspaceDir), Is.False);
        Assert.That(Directory.Exists(oldRunning.WorkspaceDir) && Directory.Exists(recentCompleted.WorkspaceDir), Is.True);
        Assert.That(await _db.CountAsync("SELECT count(*) FROM outbox_messages WHERE message_type = 'SessionBuddy.Contracts.Sessions.SessionDeleted' AND payload->>'sessionId' = @id::text", oldFailed.Id), Is.EqualTo(1));
    }

    [Test]
    public async Task A_deleted_sessions_files_are_gone_and_unreachable()
    {
        var s = await Store.CreateAsync(Guid.NewGuid(), "doomed", null, null, "{}", None);
        await Files.WriteAsync(s.Id, "work/a.txt", "data", None);
        await Store.DeleteAsync(s.Id, None);
        Assert.That(Directory.Exists(s.WorkspaceDir), Is.False);
        var ex = Assert.ThrowsAsync<RequestRejectedException>(() => Files.ReadAsync(s.Id, "work/a.txt", None))!;
        Assert.That((ex.Rejection.Code, ex.Rejection.Argument), Is.EqualTo((RejectionCodes.NotFound, "session_id")));
        Assert.That(await _db.CountAsync("SELECT count(*) FROM checkpoints WHERE session_id = @id", s.Id), Is.EqualTo(0));
    }

    [Test]
    public async Task File_tools_edit_exactly_once_and_explain_absent_or_ambiguous_text()
    {
        var s = await Store.CreateAsync(Guid.NewGuid(), "edit", null, null, "{}", None);
        await Files.WriteAsync(s.Id, "work/code.py", "a = 1\nb = 1\nc = 2\n", None);
        await Files.EditAsync(s.Id, "work/code.py", "c = 2", "c = 3", None);
        Assert.That((await Files.ReadAsync(s.Id, "work/code.py", None)).Content, Is.EqualTo("a = 1\nb = 1\nc = 3\n"));

        var absent = Assert.ThrowsAsync<RequestRejectedException>(() => Files.EditAsync(s.Id, "work/code.py", "zzz", "y", None))!;
        Assert.That((absent.Rejection.Argument, absent.Message.Contains("not found")), Is.EqualTo(("old", true)));
        var ambiguous = Assert.ThrowsAsync<RequestRejectedException>(() => Files.EditAsync(s.Id, "work/code.py", " = 1", "y", None))!;
        Assert.That((ambiguous.Rejection.Argument, ambiguous.Message.Contains("occurs 2 times")), Is.EqualTo(("old", true)));
        Assert.That((await Files.ReadAsync(s.Id, "work/code.py", None)).Content, Is.EqualTo("a = 1\nb = 1\nc = 3\n"), "refused edits change nothing");
        var log = _db.Get<SessionWorkspaces>().ReadLog(s.WorkspaceDir, 2);
        Assert.That(log[0], Does.Contain("file written: work/code.py"));
        Assert.That(log[1], Does.Contain("file edited: work/code.py"));
    }

    [Test]
    public async Task A_session_on_a_container_backend_uses_it_and_reports_it_unhealthy_when_stopped()
    {
        var root = _docker.AddContainer("store-box");
        var s = await Store.CreateAsync(Guid.NewGuid(), "boxed", null, null, "{}", None);
        var registry = _db.Get<WorkspaceBackendRegistry>();
        var registered = await registry.RegisterAsync("box-1", "container", "store-box", "/srv", s.Id, None);
        Assert.That((registered.SessionCount, registered.Health.Healthy, registered.Root), Is.EqualTo((1L, true, "/srv")));

        await Files.WriteAsync(s.Id, "work/in-box.txt", "boxed", None);
        Assert.That(File.ReadAllText(Path.Combine(root, "srv", s.Id.ToString(), "work", "in-box.txt")), Is.EqualTo("boxed"));
        Assert.That(File.Exists(Path.Combine(s.WorkspaceDir, "work", "in-box.txt")), Is.False, "not in the local workspace");

        _docker.Stop("store-box");
        var ex = Assert.ThrowsAsync<RequestRejectedException>(() => Files.ReadAsync(s.Id, "work/in-box.txt", None))!;
        Assert.That((ex.Rejection.Code, ex.Rejection.Argument), Is.EqualTo((RejectionCodes.Unavailable, "session_id")));
        Assert.That(ex.Message, Does.Contain("box-1").And.Contain("Retry"));
        var status = await Lifecycle.StatusAsync(s.Id, None);
        Assert.That((status.Backend.Name, status.Backend.Healthy), Is.EqualTo(("box-1", false)));
        var listed = await registry.ListAsync(None);
        Assert.That(listed.Backends.Single(b => b.Name == "box-1").Health.Healthy, Is.False);
        Assert.That(listed.Backends.Single(b => b.Name == "local").Health.Healthy, Is.True);

        _docker.Start("store-box");
        Assert.That((await Files.ReadAsync(s.Id, "work/in-box.txt", None)).Content, Is.EqualTo("boxed"));
    }

    [TestCase("", "container", "c", null, "name")]
    [TestCase("bad name", "container", "c", null, "name")]
    [TestCase("local", "container", "c", null, "name")]
    [TestCase("x", "vm", null, null, "kind")]
    [TestCase("x", "kubernetes", null, null, "kind")]
    [TestCase("x", "container", null, null, "container")]
    [TestCase("x", "container", "--privileged", null, "container")]
    [TestCase("x", "container", "c", "relative", "root")]
    [TestCase("x", "container", "c", "/a/../b", "root")]
    public void Bad_backend_registrations_are_refused_by_argument(string name, string kind, string? container, string? root, string argument)
    {
        var ex = Assert.ThrowsAsync<RequestRejectedException>(() => _db.Get<WorkspaceBackendRegistry>().RegisterAsync(name, kind, container, root, null, None))!;
        Assert.That(ex.Rejection.Argument, Is.EqualTo(argument));
    }

    private async Task<SessionDetails> Finished(string status)
    {
        var s = await Store.CreateAsync(Guid.NewGuid(), "old " + status, null, null, "{}", None);
        await Store.UpdateAsync(s.Id, null, "running", null, None);
        await Store.UpdateAsync(s.Id, null, status, null, None);
        await _db.ExecuteAsync("UPDATE sessions SET updated_at = now() - interval '2 days' WHERE id = @id", s.Id);
        return s;
    }
}
