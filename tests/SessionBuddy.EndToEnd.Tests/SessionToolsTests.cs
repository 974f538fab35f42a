using System.Text.Json;
using Npgsql;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// Every Sessions tool through the real path: MCP client → gateway → RabbitMQ → Sessions service →
/// PostgreSQL, in both the stateless flow (the 2.x client's default) and a session-based flow.
/// </summary>
[TestFixture(null)]
[TestFixture("2025-06-18")]
[TestFixture("2025-11-25")]
public sealed class SessionToolsTests(string? protocolVersion)
{
    private ToolClient _tools = null!;

    [OneTimeSetUp]
    public async Task Connect() => _tools = await ToolClient.ConnectAsync(Suite.App.McpUri, protocolVersion);

    [OneTimeTearDown]
    public async Task Disconnect() => await _tools.DisposeAsync();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Test]
    public async Task CreateThenGetReturnsTheSessionWithItsWorkspace()
    {
        var project = Unique("proj");
        var created = await _tools.CallOkAsync("create_session", new
        {
            name = "refactor parser",
            project,
            working_directory = "/src/app",
            metadata = new { agent = "claude", attempt = 1 },
        });

        var id = created.GetProperty("id").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(Guid.TryParse(id, out _), Is.True);
            Assert.That(created.GetProperty("status").GetString(), Is.EqualTo("created"));
            Assert.That(created.GetProperty("project").GetString(), Is.EqualTo(project));
            Assert.That(Directory.Exists(created.GetProperty("workspace_dir").GetString()), Is.True, "workspace directory exists");
            Assert.That(Directory.Exists(created.GetProperty("output_dir").GetString()), Is.True, "output directory exists");
        });
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(created.GetProperty("workspace_dir").GetString()!),
                Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), "workspace is the service's only (0700)");
        }

        var read = await _tools.CallOkAsync("get_session", new { session_id = id });
        Assert.Multiple(() =>
        {
            Assert.That(read.GetProperty("name").GetString(), Is.EqualTo("refactor parser"));
            Assert.That(read.GetProperty("working_directory").GetString(), Is.EqualTo("/src/app"));
            Assert.That(read.GetProperty("metadata").GetProperty("agent").GetString(), Is.EqualTo("claude"));
            Assert.That(read.GetProperty("message_count").GetInt64(), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task UpdateChangesNameAndStatusAndMergesMetadata()
    {
        var id = await CreateAsync(metadata: new { keep = "yes", change = 1 });

        var updated = await _tools.CallOkAsync("update_session", new
        {
            session_id = id,
            name = "renamed",
            status = "running",
            metadata = new { change = 2, added = true },
        });

        var metadata = updated.GetProperty("metadata");
        Assert.Multiple(() =>
        {
            Assert.That(updated.GetProperty("name").GetString(), Is.EqualTo("renamed"));
            Assert.That(updated.GetProperty("status").GetString(), Is.EqualTo("running"));
            Assert.That(metadata.GetProperty("keep").GetString(), Is.EqualTo("yes"));
            Assert.That(metadata.GetProperty("change").GetInt32(), Is.EqualTo(2));
            Assert.That(metadata.GetProperty("added").GetBoolean(), Is.True);
        });

        var unchangedName = await _tools.CallOkAsync("update_session", new { session_id = id, status = "completed" });
        Assert.That(unchangedName.GetProperty("name").GetString(), Is.EqualTo("renamed"));
    }

    [Test]
    public async Task ListPagesThroughAProjectNewestFirstWithoutGapsOrRepeats()
    {
        var project = Unique("list");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await CreateAsync(project: project, name: $"s{i}"));
        }
        await CreateAsync(project: Unique("other"));

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _tools.CallOkAsync("list_sessions", new { project, limit = 2, cursor });
            seen.AddRange(page.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.That(pages, Is.EqualTo(3));
        Assert.That(seen, Is.EqualTo(Enumerable.Reverse(ids).ToList()));

        var running = await _tools.CallOkAsync("list_sessions", new { project, status = "running" });
        Assert.That(running.GetProperty("sessions").GetArrayLength(), Is.EqualTo(0));
    }

    [Test]
    public async Task MessagesAreStoredInOrderAndPaged()
    {
        var id = await CreateAsync();
        var roles = new[] { "user", "assistant", "tool", "system", "user" };
        for (var i = 0; i < roles.Length; i++)
        {
            var added = await _tools.CallOkAsync("add_message", new { session_id = id, role = roles[i], content = $"message {i}" });
            Assert.That(added.GetProperty("sequence").GetInt64(), Is.EqualTo(i + 1));
        }

        var first = await _tools.CallOkAsync("get_messages", new { session_id = id, limit = 3 });
        var second = await _tools.CallOkAsync("get_messages", new { session_id = id, limit = 3, cursor = first.GetProperty("next_cursor").GetString() });

        var contents = first.GetProperty("messages").EnumerateArray().Concat(second.GetProperty("messages").EnumerateArray())
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.That(contents, Is.EqualTo(roles.Select((r, i) => ((string?)r, (string?)$"message {i}")).ToList()));
        Assert.That(second.TryGetProperty("next_cursor", out var end) ? end.ValueKind : JsonValueKind.Null, Is.EqualTo(JsonValueKind.Null));

        var session = await _tools.CallOkAsync("get_session", new { session_id = id });
        Assert.That(session.GetProperty("message_count").GetInt64(), Is.EqualTo(5));
    }

    [Test]
    public async Task DeleteRemovesSessionMessagesAndWorkspace()
    {
        var id = await CreateAsync();
        await _tools.CallOkAsync("add_message", new { session_id = id, role = "user", content = "hello" });
        var workspace = (await _tools.CallOkAsync("get_session", new { session_id = id })).GetProperty("workspace_dir").GetString()!;

        var deleted = await _tools.CallOkAsync("delete_session", new { session_id = id });
        Assert.That(deleted.GetProperty("deleted").GetBoolean(), Is.True);
        Assert.That(deleted.GetProperty("messages_deleted").GetInt64(), Is.EqualTo(1));

        Assert.That(Directory.Exists(workspace), Is.False, "workspace removed");
        Assert.That(await _tools.CallErrorAsync("get_session", new { session_id = id }), Does.Contain("session_id"));
        Assert.That(await CountAsync("SELECT count(*) FROM messages WHERE session_id = @id", Guid.Parse(id)), Is.EqualTo(0));
    }

    [Test]
    public async Task BadCreateArgumentsAreRejectedByNameAndStoreNothing()
    {
        var before = await CountAsync("SELECT count(*) FROM sessions");

        Assert.That(await _tools.CallErrorAsync("create_session", new { project = "p" }), Does.Contain("name"));
        Assert.That(await _tools.CallErrorAsync("create_session", new { name = "" }), Does.Contain("name"));
        Assert.That(await _tools.CallErrorAsync("create_session", new { name = "   " }), Does.Contain("name"));
        Assert.That(await _tools.CallErrorAsync("create_session", new { name = new string('n', 201) }), Does.Contain("name"));
        Assert.That(await _tools.CallErrorAsync("create_session", new { name = "ok", metadata = new[] { 1, 2 } }), Does.Contain("metadata"));

        Assert.That(await CountAsync("SELECT count(*) FROM sessions"), Is.EqualTo(before));
    }

    [Test]
    public async Task UnknownOrMalformedIdsAreRejectedByName()
    {
        var unknown = Guid.NewGuid().ToString();
        foreach (var tool in new[] { "get_session", "delete_session", "get_messages" })
        {
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = unknown }), Does.Contain("session_id").And.Contain(unknown), tool);
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = "not-a-uuid" }), Does.Contain("session_id").And.Contain("UUID"), tool);
            Assert.That(await _tools.CallErrorAsync(tool, new { }), Does.Contain("session_id"), tool);
        }
        Assert.That(await _tools.CallErrorAsync("update_session", new { session_id = unknown, name = "x" }), Does.Contain("session_id"));
        Assert.That(await _tools.CallErrorAsync("add_message", new { session_id = unknown, role = "user", content = "x" }), Does.Contain("session_id"));
    }

    [Test]
    public async Task BadMessageArgumentsAreRejectedByNameAndStoreNothing()
    {
        var id = await CreateAsync();
        var sessionId = Guid.Parse(id);

        Assert.That(await _tools.CallErrorAsync("add_message", new { session_id = id, role = "robot", content = "x" }), Does.Contain("role"));
        Assert.That(await _tools.CallErrorAsync("add_message", new { session_id = id, role = "user", content = "" }), Does.Contain("content"));
        Assert.That(await _tools.CallErrorAsync("add_message", new { session_id = id, content = "x" }), Does.Contain("role"));
        Assert.That(
            await _tools.CallErrorAsync("add_message", new { session_id = id, role = "user", content = new string('x', Suite.MaxMessageLength + 1) }),
            Does.Contain("content").And.Contain(Suite.MaxMessageLength.ToString()));

        Assert.That(await CountAsync("SELECT count(*) FROM messages WHERE session_id = @id", sessionId), Is.EqualTo(0));
        var session = await _tools.CallOkAsync("get_session", new { session_id = id });
        Assert.That(session.GetProperty("message_count").GetInt64(), Is.EqualTo(0));
    }

    [Test]
    public async Task BadListArgumentsAreRejectedByName()
    {
        Assert.That(await _tools.CallErrorAsync("list_sessions", new { limit = 0 }), Does.Contain("limit"));
        Assert.That(await _tools.CallErrorAsync("list_sessions", new { limit = 101 }), Does.Contain("limit"));
        Assert.That(await _tools.CallErrorAsync("list_sessions", new { status = "sleeping" }), Does.Contain("status"));
        Assert.That(await _tools.CallErrorAsync("list_sessions", new { cursor = "garbage!" }), Does.Contain("cursor"));
        var id = await CreateAsync();
        Assert.That(await _tools.CallErrorAsync("get_messages", new { session_id = id, cursor = "bm9wZQ" }), Does.Contain("cursor"));
        Assert.That(await _tools.CallErrorAsync("update_session", new { session_id = id, status = "paused" }), Does.Contain("status"));
    }

    private async Task<string> CreateAsync(string? project = null, string name = "e2e", object? metadata = null)
    {
        var created = await _tools.CallOkAsync("create_session", new { name, project, metadata });
        return created.GetProperty("id").GetString()!;
    }

    private static async Task<long> CountAsync(string sql, Guid? id = null)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("sessionsdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (id is not null)
        {
            command.Parameters.AddWithValue("id", id.Value);
        }
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
