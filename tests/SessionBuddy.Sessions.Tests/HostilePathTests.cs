using System.Diagnostics;
using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Tests;

/// <summary>
/// The hostile-path corpus against the local backend: every path that could leave the workspace, or
/// reach something that is not a regular file, is refused with an error naming <c>path</c>, and
/// nothing outside the workspace is read or written.
/// </summary>
public sealed class HostilePathTests
{
    private string _base = null!;
    private string _workspace = null!;
    private string _outside = null!;
    private LocalWorkspaceBackend _backend = null!;

    /// <summary>Refused before the file system is consulted.</summary>
    public static readonly string[] LexicalCorpus =
    [
        "", "   ", ".", "./", "..", "../", "../secret.txt", "../../etc/passwd", "work/../../secret.txt", "work/../..",
        "a/b/../../../x", "..\\secret.txt", "work\\..\\..\\secret.txt", "/etc/passwd", "/", "//server/share", "\\\\server\\share",
        "~/.ssh/id_rsa", "~root/x", "C:\\Windows\\win.ini", "c:/x", "work/\0/x", "work/a\nb", "work/\u0001", "...", "work/.../x",
        "work/ /x", new string('a', 2000), "work/" + new string('b', 300),
    ];

    /// <summary>Planted in the workspace by <see cref="Plant"/>; each leads outside or to a non-regular file.</summary>
    public static readonly string[] PlantedCorpus =
    [
        "escape-file", "escape-dir/secret.txt", "escape-dir", "work/nested/escape-file", "relative-escape", "chain-1",
        "dangling", "fifo", "dev-null", "work/linkdir-out/deeper/secret.txt", "root-link/secret.txt",
    ];

    [SetUp]
    public void Plant()
    {
        _base = Directory.CreateTempSubdirectory("hostile-").FullName;
        _workspace = Path.Combine(_base, "workspace");
        _outside = Path.Combine(_base, "outside");
        Directory.CreateDirectory(Path.Combine(_workspace, "work", "nested"));
        Directory.CreateDirectory(Path.Combine(_outside, "deeper"));
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
        File.WriteAllText(Path.Combine(_outside, "deeper", "secret.txt"), "secret");
        File.WriteAllText(Path.Combine(_workspace, "work", "ok.txt"), "fine");

        File.CreateSymbolicLink(Path.Combine(_workspace, "escape-file"), Path.Combine(_outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_workspace, "escape-dir"), _outside);
        File.CreateSymbolicLink(Path.Combine(_workspace, "work", "nested", "escape-file"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_workspace, "relative-escape"), "../outside/secret.txt");
        File.CreateSymbolicLink(Path.Combine(_workspace, "chain-1"), "chain-2");
        File.CreateSymbolicLink(Path.Combine(_workspace, "chain-2"), "../outside/secret.txt");
        File.CreateSymbolicLink(Path.Combine(_workspace, "dangling"), Path.Combine(_base, "nowhere"));
        File.CreateSymbolicLink(Path.Combine(_workspace, "dev-null"), "/dev/null");
        Directory.CreateSymbolicLink(Path.Combine(_workspace, "work", "linkdir-out"), "../../outside");
        Directory.CreateSymbolicLink(Path.Combine(_workspace, "root-link"), "/");
        Run("mkfifo", Path.Combine(_workspace, "fifo"));
        _backend = new LocalWorkspaceBackend("local", _workspace, maxFileBytes: 1024);
    }

    [TearDown]
    public void Remove() => Directory.Delete(_base, recursive: true);

    [TestCaseSource(nameof(LexicalCorpus))]
    public void Lexically_hostile_paths_are_refused_naming_path(string path)
    {
        var ex = Assert.Throws<RequestRejectedException>(() => WorkspacePath.Normalize(path))!;
        Assert.That(ex.Rejection.Argument, Is.EqualTo("path"));
        Assert.That(ex.Message, Does.StartWith("path: "));
    }

    [TestCaseSource(nameof(PlantedCorpus))]
    public void Planted_links_fifos_and_devices_are_refused_for_read_write_and_list(string path)
    {
        var relative = WorkspacePath.Normalize(path);
        AssertRefused(() => _backend.ReadAsync(relative, CancellationToken.None));
        AssertRefused(() => _backend.WriteAsync(relative, "pwned", CancellationToken.None));
        AssertRefused(() => _backend.ListAsync(relative, CancellationToken.None));
        Assert.That(File.ReadAllText(Path.Combine(_outside, "secret.txt")), Is.EqualTo("secret"), "nothing outside was changed");
        Assert.That(File.ReadAllText(Path.Combine(_outside, "deeper", "secret.txt")), Is.EqualTo("secret"));
        Assert.That(Directory.GetFiles(_outside).Select(Path.GetFileName), Is.EqualTo(new[] { "secret.txt" }), "nothing created outside");
    }

    [Test]
    public void A_character_device_inside_the_workspace_is_refused()
    {
        var device = Path.Combine(_workspace, "null-device");
        if (!TryRun("mknod", device, "c", "1", "3"))
        {
            Assert.Ignore("mknod needs root");
        }
        AssertRefused(() => _backend.ReadAsync("null-device", CancellationToken.None));
        AssertRefused(() => _backend.WriteAsync("null-device", "x", CancellationToken.None));
    }

    [Test]
    public async Task Oversized_writes_are_refused_naming_content_and_nothing_is_written()
    {
        var ex = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.WriteAsync("work/big.txt", new string('x', 1025), CancellationToken.None))!;
        Assert.That(ex.Rejection.Argument, Is.EqualTo("content"));
        Assert.That(File.Exists(Path.Combine(_workspace, "work", "big.txt")), Is.False);
        Assert.That(await _backend.WriteAsync("work/exact.txt", new string('x', 1024), CancellationToken.None), Is.EqualTo(1024));
    }

    [Test]
    public async Task Oversized_files_are_refused_on_read()
    {
        await File.WriteAllTextAsync(Path.Combine(_workspace, "work", "huge.txt"), new string('y', 5000));
        AssertRefused(() => _backend.ReadAsync("work/huge.txt", CancellationToken.None));
    }

    [Test]
    public async Task Symlinks_that_stay_inside_the_workspace_work_and_listing_never_follows_links()
    {
        File.CreateSymbolicLink(Path.Combine(_workspace, "inside-link"), "work/ok.txt");
        Assert.That(System.Text.Encoding.UTF8.GetString(await _backend.ReadAsync("inside-link", CancellationToken.None)), Is.EqualTo("fine"));
        Assert.That(System.Text.Encoding.UTF8.GetString(await _backend.ReadAsync("./work//ok.txt" is var p ? WorkspacePath.Normalize(p) : "", CancellationToken.None)), Is.EqualTo("fine"));
        await _backend.WriteAsync("work/new/dir/file.txt", "made", CancellationToken.None);
        Assert.That(File.ReadAllText(Path.Combine(_workspace, "work", "new", "dir", "file.txt")), Is.EqualTo("made"));

        var listed = await _backend.ListAsync("", CancellationToken.None);
        Assert.That(listed.Single(e => e.Path == "escape-dir").Type, Is.EqualTo("symlink"));
        Assert.That(listed.Single(e => e.Path == "fifo").Type, Is.EqualTo("other"));
        Assert.That(listed.Any(e => e.Path.StartsWith("escape-dir/", StringComparison.Ordinal)), Is.False, "links are not descended into");
        Assert.That(listed.Any(e => e.Path.StartsWith("root-link/", StringComparison.Ordinal)), Is.False);
        Assert.That(listed.Single(e => e.Path == "work/ok.txt"), Is.EqualTo(new Contracts.Sessions.SessionFileEntry("work/ok.txt", "file", 4)));
    }

    [Test]
    public void Service_files_cannot_be_changed_by_file_tools()
    {
        foreach (var reserved in new[] { "session.json", "session.log", "./session.json" })
        {
            var ex = Assert.Throws<RequestRejectedException>(() => WorkspacePath.EnsureWritable(WorkspacePath.Normalize(reserved)))!;
            Assert.That(ex.Rejection.Argument, Is.EqualTo("path"));
        }
    }

    private static void AssertRefused(Func<Task> action)
    {
        var ex = Assert.ThrowsAsync<RequestRejectedException>(async () => await action())!;
        Assert.That(ex.Rejection.Argument, Is.EqualTo("path"), ex.Message);
    }

    private static void Run(string file, params string[] args) => Assert.That(TryRun(file, args), Is.True, $"{file} failed");

    private static bool TryRun(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
