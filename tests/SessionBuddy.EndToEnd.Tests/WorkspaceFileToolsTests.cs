namespace SessionBuddy.EndToEnd.Tests;

/// <summary>session_read_file, session_write_file, session_edit_file, session_list_files through MCP, with the hostile-path corpus.</summary>
[TestFixture]
public sealed class WorkspaceFileToolsTests
{
    private ToolClient _tools = null!;
    private string _outside = null!;

    /// <summary>Each must be refused with an error naming path (lexical) or leading out of / past the workspace's regular files (planted).</summary>
    private static readonly string[] HostilePaths =
    [
        "", "..", "../x", "../../../../etc/passwd", "work/../../x", "..\\x", "/etc/passwd", "/", "~/.bashrc", "C:\\x", "work/a\u0000b",
        "work/a\nb", "...", ".", "session.json", "session.log", "out-link/secret.txt", "out-link", "etc-passwd", "work/dir-out/secret.txt",
        "fifo", new string('p', 1500),
    ];

    [OneTimeSetUp]
    public async Task Connect()
    {
        _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        _outside = Directory.CreateTempSubdirectory("e2e-outside-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_outside, "secret.txt"), "secret");
    }

    [OneTimeTearDown]
    public async Task Disconnect()
    {
        await _tools.DisposeAsync();
        Directory.Delete(_outside, recursive: true);
    }

    private async Task<(string Id, string Workspace)> CreateAsync()
    {
        var created = await _tools.CallOkAsync("create_session", new { name = "files e2e" });
        return (created.GetProperty("id").GetString()!, created.GetProperty("workspace_dir").GetString()!);
    }

    [Test]
    public async Task Write_read_edit_and_list_in_the_workspace()
    {
        var (id, workspace) = await CreateAsync();
        var written = await _tools.CallOkAsync("session_write_file", new { session_id = id, path = "work/src/app.py", content = "x = 1\ny = 2\n" });
        Assert.That(written.GetProperty("bytes").GetInt64(), Is.EqualTo(12));
        Assert.That(File.ReadAllText(Path.Combine(workspace, "work", "src", "app.py")), Is.EqualTo("x = 1\ny = 2\n"));

        var read = await _tools.CallOkAsync("session_read_file", new { session_id = id, path = "./work//src/app.py" });
        Assert.That((read.GetProperty("content").GetString(), read.GetProperty("path").GetString()), Is.EqualTo(("x = 1\ny = 2\n", "work/src/app.py")));

        await _tools.CallOkAsync("session_edit_file", new { session_id = id, path = "work/src/app.py", old = "y = 2", @new = "y = 3" });
        Assert.That(File.ReadAllText(Path.Combine(workspace, "work", "src", "app.py")), Is.EqualTo("x = 1\ny = 3\n"));

        var listed = await _tools.CallOkAsync("session_list_files", new { session_id = id, path = "work" });
        Assert.That(listed.GetProperty("entries").EnumerateArray().Select(e => (e.GetProperty("path").GetString(), e.GetProperty("type").GetString())),
            Is.EqualTo(new[] { ((string?)"work/src", (string?)"directory"), ("work/src/app.py", "file") }));
        var all = await _tools.CallOkAsync("session_list_files", new { session_id = id });
        Assert.That(all.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()),
            Does.Contain("session.json").And.Contain("output").And.Contain("private"));

        var log = await _tools.CallOkAsync("session_log", new { session_id = id });
        Assert.That(log.GetProperty("lines").EnumerateArray().Select(l => l.GetString()),
            Has.Some.Contains("file written: work/src/app.py").And.Some.Contains("file edited: work/src/app.py"));
    }

    [Test]
    public async Task Edit_refuses_absent_ambiguous_and_missing_text_and_changes_nothing()
    {
        var (id, workspace) = await CreateAsync();
        await _tools.CallOkAsync("session_write_file", new { session_id = id, path = "work/a.txt", content = "same same" });
        Assert.That(await _tools.CallErrorAsync("session_edit_file", new { session_id = id, path = "work/a.txt", old = "other", @new = "x" }),
            Does.Contain("old").And.Contain("not found"));
        Assert.That(await _tools.CallErrorAsync("session_edit_file", new { session_id = id, path = "work/a.txt", old = "same", @new = "x" }),
            Does.Contain("old").And.Contain("occurs 2 times"));
        Assert.That(await _tools.CallErrorAsync("session_edit_file", new { session_id = id, path = "work/a.txt", old = "", @new = "x" }), Does.Contain("old"));
        Assert.That(await _tools.CallErrorAsync("session_edit_file", new { session_id = id, path = "work/none.txt", old = "a", @new = "x" }),
            Does.Contain("path").And.Contain("does not exist"));
        Assert.That(File.ReadAllText(Path.Combine(workspace, "work", "a.txt")), Is.EqualTo("same same"));
    }

    [Test]
    public async Task Reads_of_missing_files_and_directories_and_oversized_writes_are_refused()
    {
        var (id, workspace) = await CreateAsync();
        Assert.That(await _tools.CallErrorAsync("session_read_file", new { session_id = id, path = "work/none.txt" }), Does.Contain("path").And.Contain("does not exist"));
        Assert.That(await _tools.CallErrorAsync("session_read_file", new { session_id = id, path = "work" }), Does.Contain("path").And.Contain("directory"));
        Assert.That(await _tools.CallErrorAsync("session_list_files", new { session_id = id, path = "nothing-here" }), Does.Contain("path"));
        var tooBig = new string('x', 2 * 1024 * 1024 + 1);
        Assert.That(await _tools.CallErrorAsync("session_write_file", new { session_id = id, path = "work/big.txt", content = tooBig }), Does.Contain("content").And.Contain("Sessions:MaxFileBytes"));
        Assert.That(File.Exists(Path.Combine(workspace, "work", "big.txt")), Is.False);
    }

    [Test]
    public async Task Every_hostile_path_is_refused_by_every_file_tool_naming_path()
    {
        var (id, workspace) = await CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(workspace, "work", "ok.txt"), "ok");
        File.CreateSymbolicLink(Path.Combine(workspace, "out-link"), _outside);
        File.CreateSymbolicLink(Path.Combine(workspace, "etc-passwd"), "/etc/passwd");
        Directory.CreateSymbolicLink(Path.Combine(workspace, "work", "dir-out"), Path.GetRelativePath(Path.Combine(workspace, "work"), _outside));
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(workspace, "fifo")))
        {
            await mkfifo.WaitForExitAsync();
        }

        foreach (var path in HostilePaths)
        {
            var label = path.Length > 40 ? path[..40] + "…" : path;
            var write = await _tools.CallErrorAsync("session_write_file", new { session_id = id, path, content = "pwned" });
            Assert.That(write, Does.Contain("path"), $"write {label}");
            Assert.That(await _tools.CallErrorAsync("session_edit_file", new { session_id = id, path, old = "secret", @new = "pwned" }), Does.Contain("path"), $"edit {label}");
            if (path is not ("session.json" or "session.log"))
            {
                Assert.That(await _tools.CallErrorAsync("session_read_file", new { session_id = id, path }), Does.Contain("path"), $"read {label}");
            }
        }
        foreach (var path in new[] { "..", "/", "../x", "out-link", "work/dir-out", "fifo", "work/ok.txt" })
        {
            Assert.That(await _tools.CallErrorAsync("session_list_files", new { session_id = id, path }), Does.Contain("path"), $"list {path}");
        }
        Assert.That(File.ReadAllText(Path.Combine(_outside, "secret.txt")), Is.EqualTo("secret"));
        Assert.That(Directory.GetFiles(_outside), Has.Length.EqualTo(1), "nothing created outside");
        Assert.That(File.ReadAllText(Path.Combine(workspace, "session.json")), Does.Contain("files e2e"), "service files untouched");
    }

    [Test]
    public async Task File_tools_refuse_bad_and_unknown_sessions()
    {
        foreach (var tool in new[] { "session_read_file", "session_write_file", "session_edit_file", "session_list_files" })
        {
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = "bad", path = "a", content = "c", old = "o", @new = "n" }), Does.Contain("session_id"), tool);
            Assert.That(await _tools.CallErrorAsync(tool, new { session_id = Guid.NewGuid().ToString(), path = "a", content = "c", old = "o", @new = "n" }),
                Does.Contain("session_id"), tool);
        }
    }

    [Test]
    public async Task A_deleted_sessions_files_are_removed_and_unreachable()
    {
        var (id, workspace) = await CreateAsync();
        await _tools.CallOkAsync("session_write_file", new { session_id = id, path = "work/keep.txt", content = "data" });
        await _tools.CallOkAsync("delete_session", new { session_id = id });
        Assert.That(Directory.Exists(workspace), Is.False);
        Assert.That(await _tools.CallErrorAsync("session_read_file", new { session_id = id, path = "work/keep.txt" }), Does.Contain("session_id"));
        Assert.That(await _tools.CallErrorAsync("session_write_file", new { session_id = id, path = "work/keep.txt", content = "again" }), Does.Contain("session_id"));
        Assert.That(Directory.Exists(workspace), Is.False, "a write to a deleted session does not recreate its workspace");
    }
}
