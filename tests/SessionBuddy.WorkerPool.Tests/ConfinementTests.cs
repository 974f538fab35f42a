using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.WorkerPool.Confinement;
using SessionBuddy.WorkerPool.Processes;
using SessionBuddy.WorkerPool.Workers;
using SessionBuddy.WorkerPool.Workspaces;

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

    private static TaskConfinement Confinement(int memoryMegabytes = 1024, int processes = 64, int taskUids = 1000)
    {
        // The default range and lease directory: leases are host-wide, so a WorkerPool running beside the tests never shares a uid with them.
        var confinement = TaskConfinement.From(new ConfinementOptions
        {
            MemoryMegabytes = memoryMegabytes, Processes = processes, CpuSeconds = 120, OpenFiles = 256, TaskUidCount = taskUids,
        });
        Assert.That(confinement.Problem, Is.Null, "run eng/install-prereqs.sh to create the worker user");
        Assert.That(confinement.UidPerTask, Is.EqualTo(taskUids > 0), confinement.StartupNote);
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
    public async Task TaskRunsAsAUidOfItsOwnWithLimitsInItsWorkspace()
    {
        var workspace = Workspace("a");
        var outcome = await RunAsync("id -u; id -g; id -G; bash -c 'ulimit -t; ulimit -n; ulimit -u; ulimit -v'; pwd; echo $HOME; echo made > made.txt",
            workspace, Confinement());

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error + outcome.Output);
        var lines = outcome.Output.Split('\n');
        var uid = (uint)outcome.Metadata["uid"]!;
        Assert.That(uid, Is.InRange(200_000u, 200_999u));
        Assert.That(lines[0..3], Is.EqualTo(new[] { uid.ToString(), uid.ToString(), uid.ToString() }), "its own uid and gid, no supplementary groups");
        Assert.That(lines[3..7], Is.EqualTo(new[] { "120", "256", "64", (1024 * 1024).ToString() }));
        Assert.That(lines[7], Is.EqualTo(workspace.WorkspaceDir));
        Assert.That(lines[8], Is.EqualTo(workspace.WorkspaceDir), "HOME is the workspace: the service's home is closed to the task");
        Assert.That(outcome.Metadata["confinement"], Does.StartWith("task uid 200000-200999"));
        // Taken back after the run: what the task made belongs to the service again.
        Assert.That(File.ReadAllText(Path.Combine(workspace.WorkspaceDir, "made.txt")), Is.EqualTo("made\n"));
        Assert.That(new FileInfo(Path.Combine(workspace.WorkspaceDir, "made.txt")).UnixFileMode, Is.Not.EqualTo(UnixFileMode.None));
        Assert.That(File.GetUnixFileMode(workspace.WorkspaceDir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(Owner(Path.Combine(workspace.WorkspaceDir, "made.txt")), Is.Zero);
    }

    [Test]
    public async Task TwoRunningTasksHaveTheirOwnUidsAndCannotReadEachOthersWorkspace()
    {
        var confinement = Confinement();
        // Both tasks meet here (world-writable like /tmp), so each reads the other's workspace while the other is running.
        var meet = Directory.CreateDirectory(Path.Combine(_root, "meet")).FullName;
        File.SetUnixFileMode(meet, (UnixFileMode)0x3FF); // 0777
        var a = Workspace("session-a");
        var b = Workspace("session-b");
        string Script(string me, string other, TaskWorkspace otherWorkspace) =>
            $"exec 2>&1; id -u; echo secret-of-{me} > mine.txt; touch {meet}/{me}-ready; " +
            $"until [ -e {meet}/{other}-ready ]; do sleep 0.05; done; " +
            $"cat {otherWorkspace.WorkspaceDir}/mine.txt; ls {otherWorkspace.WorkspaceDir}; " +
            $"touch {meet}/{me}-read; until [ -e {meet}/{other}-read ]; do sleep 0.05; done; echo done";

        var runs = await Task.WhenAll(RunAsync(Script("a", "b", b), a, confinement), RunAsync(Script("b", "a", a), b, confinement));

        foreach (var run in runs)
        {
            Assert.That(run.Status, Is.EqualTo(WorkerTaskStatuses.Completed), run.Error + run.Output);
            Assert.That(run.Output, Does.Contain("Permission denied").And.EndWith("done"));
        }
        Assert.That(runs[0].Output, Does.Not.Contain("secret-of-b"));
        Assert.That(runs[1].Output, Does.Not.Contain("secret-of-a"));
        var uids = runs.Select(r => r.Output.Split('\n')[0]).ToArray();
        Assert.That(uids, Has.None.EqualTo("0"));
        Assert.That(uids[0], Is.Not.EqualTo(uids[1]));
        Assert.That(uids, Is.EqualTo(runs.Select(r => r.Metadata["uid"]!.ToString()).ToArray()));
        Assert.That(File.ReadAllText(Path.Combine(a.WorkspaceDir, "mine.txt")), Is.EqualTo("secret-of-a\n"));
    }

    [Test]
    public async Task ProcessesThatLeftTheTasksGroupEndWithTheTask()
    {
        var outcome = await RunAsync("setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!; (setsid sh -c 'sleep 700' </dev/null >/dev/null 2>&1 &); sleep 0.3; echo ok",
            Workspace("escape"), Confinement());

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error + outcome.Output);
        var escaped = int.Parse(outcome.Output.Split('\n')[0]);
        var uid = (uint)outcome.Metadata["uid"]!;
        Assert.That(TaskUidRange.ProcessesRunningAs(uid), Is.Zero, "nothing runs as the task's uid once it ended");
        Assert.That(File.Exists($"/proc/{escaped}/status") && !File.ReadAllText($"/proc/{escaped}/status").Contains("State:\tZ"), Is.False,
            "the setsid escapee is gone");
    }

    [Test]
    public async Task AUidWhoseHolderDiedIsClearedBeforeItsNextTask()
    {
        const uint uid = 200_999;
        var leaseFile = Path.Combine(new ConfinementOptions().TaskUidLockDirectory, uid.ToString());
        var confinement = TaskConfinement.From(new ConfinementOptions { TaskUidFirst = (int)uid, TaskUidCount = 1 });
        Assert.That(confinement.UidPerTask, Is.True, confinement.StartupNote);
        var dead = Workspace("dead-replicas-task");
        Directory.CreateDirectory(dead.WorkspaceDir);
        File.WriteAllText(Path.Combine(dead.WorkspaceDir, "left.txt"), "left behind");
        Chown(dead.WorkspaceDir, uid);
        File.SetUnixFileMode(dead.WorkspaceDir, (UnixFileMode)0x1FF); // 0777, as a task might leave it
        // A replica that dies holds the lease (the file names its task's directories) and leaves the task running.
        System.Diagnostics.Process sleeper;
        using (var lease = new FileStream(leaseFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            lease.SetLength(0);
            lease.Write(System.Text.Encoding.UTF8.GetBytes(dead.WorkspaceDir));
            sleeper = System.Diagnostics.Process.Start("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", "setsid", "sleep", "600"]);
            await Task.Delay(300);
            Assert.That(TaskUidRange.ProcessesRunningAs(uid), Is.EqualTo(1));
        }

        var outcome = await RunAsync("exec 2>&1; id -u; ls " + dead.WorkspaceDir, Workspace("next"), confinement);

        Assert.That(outcome.Output, Does.StartWith(uid + "\n").And.Contain("Permission denied"), outcome.Error);
        Assert.That(sleeper.WaitForExit(5000), Is.True, "the dead replica's task was killed");
        Assert.That(Owner(dead.WorkspaceDir), Is.Zero);
        Assert.That(File.GetUnixFileMode(dead.WorkspaceDir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(File.ReadAllText(leaseFile), Is.Empty, "released cleanly");
    }

    [Test]
    public async Task WithoutTheUidRangeTasksShareTheWorkerUser()
    {
        var confinement = Confinement(taskUids: 0);
        Assert.That(confinement.StartupNote, Does.Contain("TaskUidCount is 0").And.Contain("shared user " + WorkerUser));
        var outcome = await RunAsync("id -un; id -u; bash -c 'ulimit -u'", Workspace("shared"), confinement);

        Assert.That(outcome.Status, Is.EqualTo(WorkerTaskStatuses.Completed), outcome.Error + outcome.Output);
        Assert.That(outcome.Output.Split('\n'), Is.EqualTo(new[] { WorkerUser, WorkerUid.Value, "64" }));
        Assert.That(outcome.Metadata["confinement"], Does.StartWith($"user {WorkerUser}"));
    }

    [Test]
    public void AnUnusableLeaseDirectoryFallsBackToTheWorkerUserAndSaysWhy()
    {
        var blocker = Path.Combine(_root, "not-a-directory");
        File.WriteAllText(blocker, "");
        var confinement = TaskConfinement.From(new ConfinementOptions { TaskUidLockDirectory = Path.Combine(blocker, "leases") });

        Assert.That(confinement.Problem, Is.Null);
        Assert.That(confinement.UidPerTask, Is.False);
        Assert.That(confinement.StartupNote, Does.Contain("TaskUidLockDirectory").And.Contain("shared user " + WorkerUser)
            .And.Contain("can read each other's workspaces"));
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
        Assert.That(await ProcessesAfterAsync((uint)outcome.Metadata["uid"]!, TimeSpan.FromSeconds(10)), Is.Zero, "the whole tree is gone");
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
    public void RootWithoutTheUidRangeOrTheWorkerUserRefusesToRunTasks()
    {
        var confinement = TaskConfinement.From(new ConfinementOptions { User = "no-such-user-" + Guid.NewGuid().ToString("N")[..6], TaskUidCount = 0 });
        Assert.That(confinement.Problem, Does.Contain("does not exist").And.Contain("eng/install-prereqs.sh").And.Contain("never run as root"));
    }

    private static async Task<int> ProcessesAfterAsync(uint uid, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var count = TaskUidRange.ProcessesRunningAs(uid);
            if (count == 0 || DateTime.UtcNow > deadline)
            {
                return count;
            }
            await Task.Delay(200);
        }
    }

    private static void Chown(string path, uint uid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", ["-R", $"{uid}:{uid}", path])!;
        chown.WaitForExit();
        Assert.That(chown.ExitCode, Is.Zero);
    }

    private static uint Owner(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return uint.Parse(owner);
    }

    private static readonly Lazy<string> WorkerUid = new(() =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == WorkerUser)[2]);
}
