using SessionBuddy.LocalSystem;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// register_workspace_backend and list_workspace_backends with a container backend served by
/// <see cref="FakeDocker"/>, and a restart of the Sessions service in the middle of a session. The
/// Sessions service finds the fake CLI through SESSION_BUDDY_Sessions__ContainerCli, which it inherits
/// when the test restarts it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WorkspaceBackendToolsTests
{
    private const string CliVariable = "SESSION_BUDDY_Sessions__ContainerCli";
    private ToolClient _tools = null!;
    private FakeDocker _docker = null!;

    [OneTimeSetUp]
    public async Task Connect()
    {
        _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        _docker = new FakeDocker();
        Environment.SetEnvironmentVariable(CliVariable, _docker.Executable);
    }

    [OneTimeTearDown]
    public async Task Disconnect()
    {
        await _tools.DisposeAsync();
        Environment.SetEnvironmentVariable(CliVariable, null);
    }

    [Test, Order(1)]
    public async Task A_session_survives_a_restart_of_the_sessions_service_mid_session()
    {
        var dir = Directory.CreateTempSubdirectory("e2e-restart-").FullName;
        var started = await _tools.CallOkAsync("start", new { working_directory = dir, project = "restart" });
        var id = started.GetProperty("id").GetString()!;
        await _tools.CallOkAsync("session_write_file", new { session_id = id, path = "work/notes.md", content = "before" });
        var first = await _tools.CallOkAsync("checkpoint", new { session_id = id, summary = "before restart" });

        await Suite.App.KillAsync("sessions");
        await Suite.App.StartAsync("sessions");

        var status = await _tools.CallOkAsync("status", new { session_id = id });
        Assert.That(status.GetProperty("session").GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(status.GetProperty("last_checkpoint").GetProperty("id").GetString(), Is.EqualTo(first.GetProperty("id").GetString()));
        var listed = await _tools.CallOkAsync("list_sessions", new { project = "restart" });
        Assert.That(listed.GetProperty("sessions").EnumerateArray().Count(s => s.GetProperty("id").GetString() == id), Is.EqualTo(1), "the index survived");
        Assert.That((await _tools.CallOkAsync("session_read_file", new { session_id = id, path = "work/notes.md" })).GetProperty("content").GetString(), Is.EqualTo("before"));

        await _tools.CallOkAsync("session_edit_file", new { session_id = id, path = "work/notes.md", old = "before", @new = "after" });
        var second = await _tools.CallOkAsync("checkpoint", new { session_id = id, summary = "after restart" });
        Assert.That(second.GetProperty("sequence").GetInt64(), Is.EqualTo(2));
        var ended = await _tools.CallOkAsync("end", new { session_id = id });
        Assert.That(File.ReadAllText(ended.GetProperty("handoff_path").GetString()!), Does.Contain("before restart").And.Contain("after restart"));
        Directory.Delete(dir, recursive: true);
    }

    [Test, Order(2)]
    public async Task A_container_backend_holds_a_sessions_files_and_its_health_shows_in_status()
    {
        var container = "box-" + Guid.NewGuid().ToString("N")[..6];
        var root = _docker.AddContainer(container);
        var id = (await _tools.CallOkAsync("create_session", new { name = "boxed" })).GetProperty("id").GetString()!;

        var registered = await _tools.CallOkAsync("register_workspace_backend", new { name = container, kind = "container", container, root = "/srv", session_id = id });
        Assert.That(registered.GetProperty("health").GetProperty("healthy").GetBoolean(), Is.True, registered.ToString());
        Assert.That(registered.GetProperty("session_count").GetInt64(), Is.EqualTo(1));

        await _tools.CallOkAsync("session_write_file", new { session_id = id, path = "work/in.txt", content = "inside the box" });
        Assert.That(File.ReadAllText(Path.Combine(root, "srv", id, "work", "in.txt")), Is.EqualTo("inside the box"));
        Assert.That((await _tools.CallOkAsync("session_read_file", new { session_id = id, path = "work/in.txt" })).GetProperty("content").GetString(),
            Is.EqualTo("inside the box"));
        Assert.That(_docker.Calls, Has.Some.StartsWith($"cp ").And.Some.EqualTo($"exec {container} base64 -- /srv/{id}/work/in.txt"));

        _docker.Stop(container);
        var status = await _tools.CallOkAsync("status", new { session_id = id });
        Assert.That(status.GetProperty("backend").GetProperty("healthy").GetBoolean(), Is.False);
        Assert.That(status.GetProperty("backend").GetProperty("name").GetString(), Is.EqualTo(container));
        var error = await _tools.CallErrorAsync("session_read_file", new { session_id = id, path = "work/in.txt" });
        Assert.That(error, Does.Contain("session_id").And.Contain("unhealthy").And.Contain("Retry"));
        var backends = await _tools.CallOkAsync("list_workspace_backends");
        var mine = backends.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("name").GetString() == container);
        Assert.That(mine.GetProperty("health").GetProperty("healthy").GetBoolean(), Is.False);
        Assert.That(backends.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "local")
            .GetProperty("health").GetProperty("healthy").GetBoolean(), Is.True);

        _docker.Start(container);
        Assert.That((await _tools.CallOkAsync("session_read_file", new { session_id = id, path = "work/in.txt" })).GetProperty("content").GetString(),
            Is.EqualTo("inside the box"), "the retry succeeds once the backend is back");
    }

    [Test, Order(3)]
    public async Task Bad_registrations_are_refused_by_argument_and_store_nothing()
    {
        var before = await SessionsDb.CountAsync("SELECT count(*) FROM workspace_backends");
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "bad name!", kind = "local" }), Does.Contain("name"));
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "local", kind = "container", container = "c" }), Does.Contain("name"));
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "x1", kind = "vm" }), Does.Contain("kind"));
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "x1", kind = "kubernetes" }), Does.Contain("kind"));
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "x1", kind = "container" }), Does.Contain("container"));
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "x1", kind = "container", container = "c", root = "rel" }), Does.Contain("root"));
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "x1", kind = "local", session_id = "nope" }), Does.Contain("session_id"));
        Assert.That(await _tools.CallErrorAsync("register_workspace_backend", new { name = "x2", kind = "local", session_id = Guid.NewGuid().ToString() }), Does.Contain("session_id"));
        Assert.That(await SessionsDb.CountAsync("SELECT count(*) FROM workspace_backends"), Is.EqualTo(before));
    }
}
