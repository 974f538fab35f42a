using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.WorkerPool.Execution;

namespace SessionBuddy.WorkerPool.Tests;

/// <summary>
/// Tasks as the service (root) runs them: as the unprivileged worker user with resource limits, in a
/// workspace that is theirs only while they run. Needs root and the user from eng/install-prereqs.sh.
/// </summary>
[TestFixture]
[NonParallelizable]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ConfinementTests
{
    private const string WorkerUser = "sessionbuddy-worker";
    private string _root = null!;
    private readonly WorkerType _shell = new WorkerTypes(Options.Create(new WorkerPoolOptions())).Find("shell")!;

    [SetUp]
    public void CreateRoot()
    {
        Assume.That(Environment.IsPrivilegedProcess, "confinement switches users only when the service runs as root");
        _root = Directory.CreateTempSubdirectory("workerpool-confinement-").FullName;
        // Like a data directory: others may pass through to the workspaces, not list them.
        File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
    }

    [TearDown]
    public void DeleteRoot()
    {
        if (_root is not null && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static TaskConfinement Confinement(int memoryMegabytes = 1024, int processes = 64)
    {
        var confinement = TaskConfinement.From(new ConfinementOptions
        {
            MemoryMegabytes = memoryMegabytes, Processes = processes, CpuSeconds = 120, OpenFiles = 256,
        });
        Assert.That(confinement.Problem, Is.Null, "run eng/install-prereqs.sh to create the worker user");
        return confinement;
    }

    private TaskWorkspace Workspace(string name)
    {
        var dir = Path.Combine(_root, name);
        return new TaskWorkspace(Guid.NewGuid(), dir, Path.Combine(dir, "output"));
    }

    private Task<ExecutionOutcome> RunAsync(string command, TaskWorkspace workspace, TaskConfinement confinement, double timeoutSeconds = 30) =>
        TaskProcess.RunAsync(_shell, command, workspace, TimeSpan.FromSeconds(timeoutSeconds), 65_536, confinement, null, CancellationToken.None);

    [Test]
    public async Task TaskRunsAsTheWorkerUserWithLimitsInItsWorkspace()
    {
        var workspace = Workspace("a");
        var outcome = await RunAsync("id -un; id -u; bash -c 'ulimit -t; ulimit -n; ulimit -u; ulimit -v'; pwd; echo made > made.txt", workspace, Confinement());

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error + outcome.Output);
        var lines = outcome.Output.Split('\n');
        Assert.That(lines[0], Is.EqualTo(WorkerUser));
        Assert.That(lines[1], Is.Not.EqualTo("0"));
        Assert.That(lines[2..6], Is.EqualTo(new[] { "120", "256", "64", (1024 * 1024).ToString() }));
        Assert.That(lines[6], Is.EqualTo(workspace.WorkspaceDir));
        Assert.That(outcome.Metadata["confinement"], Does.StartWith($"user {WorkerUser}"));
        // Taken back after the run: what the task made belongs to the service again.
        Assert.That(File.ReadAllText(Path.Combine(workspace.WorkspaceDir, "made.txt")), Is.EqualTo("made\n"));
        Assert.That(new FileInfo(Path.Combine(workspace.WorkspaceDir, "made.txt")).UnixFileMode, Is.Not.EqualTo(UnixFileMode.None));
        Assert.That(File.GetUnixFileMode(workspace.WorkspaceDir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public async Task TaskCannotReadTheServicesEnvironmentDataOrAnotherSessionsWorkspace()
    {
        var confinement = Confinement();
        var other = Workspace("other");
        var planted = await RunAsync("echo other-session-secret > work.txt", other, confinement);
        Assert.That(planted.Status, Is.EqualTo(WorkerTaskStatuses.Completed), planted.Error);
        var data = Directory.CreateDirectory(Path.Combine(_root, "servicedata"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(data.FullName, "settings.json"), "{\"password\":\"service-secret\"}");
        Environment.SetEnvironmentVariable("WORKERPOOL_CONFINEMENT_SECRET", "env-secret");

        var outcome = await RunAsync(
            $"exec 2>&1; cat /proc/{Environment.ProcessId}/environ; cat /proc/1/environ; cat {other.WorkspaceDir}/work.txt; ls {other.WorkspaceDir}; " +
            $"cat {data.FullName}/settings.json; ls {_root}; echo done", Workspace("mine"), confinement);

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error);
        Assert.That(outcome.Output, Does.Not.Contain("env-secret").And.Not.Contain("other-session-secret").And.Not.Contain("service-secret"));
        Assert.That(outcome.Output, Does.Contain("Permission denied"));
        Assert.That(outcome.Output, Does.EndWith("done"));
    }

    [Test]
    public async Task ForkBombIsStoppedAndReportedAndTheSystemStaysHealthy()
    {
        var confinement = Confinement(processes: 40);
        var outcome = await RunAsync("for i in $(seq 1 500); do sleep 60 & done; wait", Workspace("bomb"), confinement, timeoutSeconds: 5);

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Timeout).Or.EqualTo(WorkerTaskStatuses.Failed), outcome.Output);
        Assert.That(outcome.Output + outcome.Error, Does.Contain("fork").IgnoreCase.Or.Contain("Resource temporarily unavailable"));
        Assert.That(await WorkerProcessesAfterAsync(TimeSpan.FromSeconds(10)), Is.Zero, "the whole tree is gone");
        var after = await RunAsync("echo alive", Workspace("after-bomb"), confinement);
        Assert.That(after.Output, Is.EqualTo("alive"));
    }

    [Test]
    public async Task MemoryHogIsStoppedAndReported()
    {
        var confinement = Confinement(memoryMegabytes: 128);
        var outcome = await RunAsync("bash -c 'x=$(head -c 400000000 /dev/zero | tr \"\\0\" a); echo ${#x}'", Workspace("hog"), confinement);

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Failed), outcome.Output);
        Assert.That(outcome.Error, Does.Contain("cannot allocate").IgnoreCase.Or.Contain("memory"));
        Assert.That(outcome.Output, Does.Not.Contain("400000000"));
        var after = await RunAsync("echo alive", Workspace("after-hog"), confinement);
        Assert.That(after.Output, Is.EqualTo("alive"));
    }

    [Test]
    public void RootWithoutTheWorkerUserRefusesToRunTasks()
    {
        var confinement = TaskConfinement.From(new ConfinementOptions { User = "no-such-user-" + Guid.NewGuid().ToString("N")[..6] });
        Assert.That(confinement.Problem, Does.Contain("does not exist").And.Contain("eng/install-prereqs.sh").And.Contain("never run as root"));
    }

    private static async Task<int> WorkerProcessesAfterAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var count = Directory.EnumerateDirectories("/proc").Count(dir =>
            {
                try
                {
                    return int.TryParse(Path.GetFileName(dir), out _)
                        && File.ReadLines(Path.Combine(dir, "status")).Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t')[1] == WorkerUid.Value);
                }
                catch (IOException)
                {
                    return false;
                }
            });
            if (count == 0 || DateTime.UtcNow > deadline)
            {
                return count;
            }
            await Task.Delay(200);
        }
    }

    private static readonly Lazy<string> WorkerUid = new(() =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == WorkerUser)[2]);
}
