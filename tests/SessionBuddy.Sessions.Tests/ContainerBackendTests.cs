using SessionBuddy.Contracts;
using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Workspaces;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Sessions.Tests;

/// <summary>The container backend against <see cref="FakeDocker"/>: the calls it makes and how it reads the answers.</summary>
public sealed class ContainerBackendTests
{
    private FakeDocker _docker = null!;
    private string _containerRoot = null!;
    private ContainerWorkspaceBackend _backend = null!;

    [SetUp]
    public void Create()
    {
        _docker = new FakeDocker();
        _containerRoot = _docker.AddContainer("dev-box");
        _backend = new ContainerWorkspaceBackend("box", "dev-box", "/workspace/s1",
            new ContainerCli(_docker.Executable, TimeSpan.FromSeconds(10)), maxFileBytes: 1000);
    }

    [TearDown]
    public void Remove() => _docker.Dispose();

    [Test]
    public async Task Health_comes_from_docker_inspect()
    {
        Assert.That((await _backend.CheckHealthAsync(CancellationToken.None)).Healthy, Is.True);
        Assert.That(_docker.Calls, Is.EqualTo(new[] { "inspect --format {{.State.Running}} dev-box" }));

        _docker.Stop("dev-box");
        var stopped = await _backend.CheckHealthAsync(CancellationToken.None);
        Assert.That((stopped.Healthy, stopped.Detail), Is.EqualTo((false, "container dev-box is not running")));

        var missing = new ContainerWorkspaceBackend("gone", "no-such", "/w", new ContainerCli(_docker.Executable, TimeSpan.FromSeconds(10)), 1000);
        var health = await missing.CheckHealthAsync(CancellationToken.None);
        Assert.That(health.Healthy, Is.False);
        Assert.That(health.Detail, Does.Contain("No such object: no-such"));

        var noCli = new ContainerWorkspaceBackend("x", "dev-box", "/w", new ContainerCli("/nonexistent/docker", TimeSpan.FromSeconds(10)), 1000);
        Assert.That((await noCli.CheckHealthAsync(CancellationToken.None)).Detail, Does.Contain("cannot run /nonexistent/docker"));
    }

    [Test]
    public async Task Write_read_and_list_go_through_exec_and_cp()
    {
        Assert.That(await _backend.WriteAsync("work/src/app.py", "print('hi')\n", CancellationToken.None), Is.EqualTo(12));
        Assert.That(File.ReadAllText(Path.Combine(_containerRoot, "workspace", "s1", "work", "src", "app.py")), Is.EqualTo("print('hi')\n"));
        Assert.That(System.Text.Encoding.UTF8.GetString(await _backend.ReadAsync("work/src/app.py", CancellationToken.None)), Is.EqualTo("print('hi')\n"));

        var listed = await _backend.ListAsync("", CancellationToken.None);
        Assert.That(listed.Select(e => (e.Path, e.Type, e.Bytes)), Is.EqualTo(new[]
        {
            ("work", "directory", 0L), ("work/src", "directory", 0L), ("work/src/app.py", "file", 12L),
        }));

        var calls = _docker.Calls;
        Assert.That(calls, Does.Contain("exec dev-box mkdir -p -- /workspace/s1/work/src"));
        Assert.That(calls.Any(c => c.StartsWith("cp ", StringComparison.Ordinal) && c.EndsWith(" dev-box:/workspace/s1/work/src/app.py", StringComparison.Ordinal)), Is.True);
        Assert.That(calls, Does.Contain("exec dev-box base64 -- /workspace/s1/work/src/app.py"));
        Assert.That(calls, Does.Contain("exec dev-box realpath -m -- /workspace/s1/work/src/app.py"));
        Assert.That(calls.Any(c => c.StartsWith("exec dev-box find -P /workspace/s1 -mindepth 1", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task Symlinks_inside_the_container_that_lead_out_are_refused()
    {
        await _backend.WriteAsync("work/a.txt", "a", CancellationToken.None);
        Directory.CreateDirectory(Path.Combine(_containerRoot, "etc"));
        File.WriteAllText(Path.Combine(_containerRoot, "etc", "shadow"), "secret");
        File.CreateSymbolicLink(Path.Combine(_containerRoot, "workspace", "s1", "out"), "../../etc");
        File.CreateSymbolicLink(Path.Combine(_containerRoot, "workspace", "s1", "sibling"), "../other");

        foreach (var path in new[] { "out/shadow", "out", "sibling/x" })
        {
            var ex = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.ReadAsync(path, CancellationToken.None))!;
            Assert.That(ex.Rejection.Argument, Is.EqualTo("path"), path);
            var write = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.WriteAsync(path, "x", CancellationToken.None))!;
            Assert.That(write.Rejection.Argument, Is.EqualTo("path"), path);
        }
        Assert.That(File.ReadAllText(Path.Combine(_containerRoot, "etc", "shadow")), Is.EqualTo("secret"));
    }

    [Test]
    public async Task Missing_files_directories_and_sizes_are_refused_by_argument()
    {
        await _backend.WriteAsync("work/a.txt", "a", CancellationToken.None);
        var missing = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.ReadAsync("work/none.txt", CancellationToken.None))!;
        Assert.That((missing.Rejection.Code, missing.Rejection.Argument), Is.EqualTo((RejectionCodes.NotFound, "path")));
        var directory = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.ReadAsync("work", CancellationToken.None))!;
        Assert.That(directory.Message, Does.Contain("is a directory"));
        var big = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.WriteAsync("work/big", new string('x', 1001), CancellationToken.None))!;
        Assert.That(big.Rejection.Argument, Is.EqualTo("content"));
        var notDir = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.ListAsync("work/a.txt", CancellationToken.None))!;
        Assert.That(notDir.Rejection.Argument, Is.EqualTo("path"));
    }

    [Test]
    public async Task A_container_stopping_mid_session_gives_a_retryable_unavailable_error()
    {
        await _backend.WriteAsync("work/a.txt", "a", CancellationToken.None);
        _docker.Stop("dev-box");
        var ex = Assert.ThrowsAsync<RequestRejectedException>(() => _backend.ReadAsync("work/a.txt", CancellationToken.None))!;
        Assert.That(ex.Rejection.Code, Is.EqualTo(RejectionCodes.Unavailable));
        Assert.That(ex.Message, Does.Contain("Retry"));
        _docker.Start("dev-box");
        Assert.That(System.Text.Encoding.UTF8.GetString(await _backend.ReadAsync("work/a.txt", CancellationToken.None)), Is.EqualTo("a"));
    }
}
