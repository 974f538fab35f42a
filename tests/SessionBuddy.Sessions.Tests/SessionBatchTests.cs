using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Tests;

/// <summary>CreateSessions and UpdateSessions (worker task workspaces) against a real sessionsdb.</summary>
public sealed class SessionBatchTests
{
    private SessionsDatabase _db = null!;
    private static readonly CancellationToken None = CancellationToken.None;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await SessionsDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private SessionStore Store => _db.Get<SessionStore>();

    [Test]
    public async Task A_batch_creates_each_session_once_in_request_order_with_workspaces_and_events()
    {
        var project = "batch-" + Guid.NewGuid().ToString("N")[..8];
        var earlier = await Store.CreateAsync(Guid.NewGuid(), "earlier", project, null, "{}", None);
        var operations = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();
        var requested = operations.Select((op, i) => new NewSession(op, $"b{i}", project, null, "{\"i\": " + i + "}")).ToList();
        // A redelivered operation and one already applied by an earlier request.
        requested.Insert(10, requested[3]);
        await using var lookup = _db.DataSource.CreateCommand("SELECT operation_id FROM sessions WHERE id = @id");
        lookup.Parameters.AddWithValue("id", earlier.Id);
        var earlierOperation = (Guid)(await lookup.ExecuteScalarAsync())!;
        requested.Add(new NewSession(earlierOperation, "earlier again", project, null, "{}"));

        var created = await Store.CreateManyAsync(requested, None);

        Assert.That(created.Select(s => s.Name), Is.EqualTo(requested.Take(41).Select(r => r.Name).Append("earlier")));
        Assert.That(created[10].Id, Is.EqualTo(created[3].Id));
        Assert.That(created[^1].Id, Is.EqualTo(earlier.Id));
        Assert.That(await _db.CountAsync($"SELECT count(*) FROM sessions WHERE project = '{project}'"), Is.EqualTo(41));
        Assert.That(await _db.CountAsync(
            $"SELECT count(*) FROM outbox_messages WHERE message_type LIKE '%SessionCreated' AND payload->>'project' = '{project}'"), Is.EqualTo(41));
        foreach (var s in created)
        {
            Assert.That(File.Exists(Path.Combine(s.WorkspaceDir, SessionWorkspaces.MetadataFileName)) && Directory.Exists(s.OutputDir), Is.True);
        }
        Assert.That(Directory.GetDirectories(_db.WorkspaceRoot).Count(d => File.Exists(Path.Combine(d, SessionWorkspaces.MetadataFileName))
            && File.ReadAllText(Path.Combine(d, SessionWorkspaces.MetadataFileName)).Contains(project)), Is.EqualTo(41), "no stray workspaces");
    }

    [Test]
    public async Task A_batch_of_updates_applies_in_order_and_skips_only_the_refused_ones()
    {
        var a = await Store.CreateAsync(Guid.NewGuid(), "a", null, null, "{}", None);
        var b = await Store.CreateAsync(Guid.NewGuid(), "b", null, null, "{}", None);

        var updated = await Store.UpdateManyAsync(
        [
            new SessionChange(a.Id, "task a", SessionStatuses.Running, "{\"task_id\": \"t1\"}"),
            new SessionChange(b.Id, null, SessionStatuses.Completed, null), // created -> completed is not allowed
            new SessionChange(Guid.NewGuid(), null, SessionStatuses.Running, null), // unknown
            new SessionChange(a.Id, null, SessionStatuses.Completed, null),
        ], None);

        Assert.That(updated.Select(s => (s.Id, s.Name, s.Status)), Is.EqualTo(new[] { (a.Id, "task a", SessionStatuses.Completed) }));
        Assert.That(updated[0].Metadata.GetProperty("task_id").GetString(), Is.EqualTo("t1"));
        Assert.That((await Store.GetAsync(b.Id, None)).Status, Is.EqualTo(SessionStatuses.Created));
        var log = _db.Get<SessionWorkspaces>().ReadLog(a.WorkspaceDir, 10).Select(l => l[(l.IndexOf(' ') + 1)..]);
        Assert.That(log, Is.EqualTo(new[] { "session created: a (status created)", "status created → running", "status running → completed" }));
        Assert.That(File.ReadAllText(Path.Combine(a.WorkspaceDir, SessionWorkspaces.MetadataFileName)), Does.Contain("completed"));
    }
}
