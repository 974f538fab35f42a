using System.Globalization;
using System.Runtime.InteropServices;
using SessionBuddy.WorkerPool.Workspaces;

namespace SessionBuddy.WorkerPool.Confinement;

/// <summary>
/// Confines a task: resource limits set by <c>prlimit</c> and, when this service runs as root, a switch by
/// <c>setpriv</c> (no supplementary groups, no new privileges) to a uid of its own, leased from the configured range
/// for the run (<see cref="TaskUidRange"/>), or to the shared worker user when the range cannot be used. The task's
/// session directory is handed to that uid for the run and taken back afterwards, so idle sessions (created 0700 by
/// the Sessions service) and other running tasks stay out of its reach. Ownership changes never follow symbolic links.
/// </summary>
public sealed class TaskConfinement
{
    public static readonly TaskConfinement None = new([], null, null, null, "none", "tasks run unconfined (WorkerPool:Confinement:Enabled=false)");

    private readonly IReadOnlyList<string> _limits;
    private readonly (uint Uid, uint Gid)? _sharedUser;
    private readonly TaskUidRange? _uids;

    private TaskConfinement(IReadOnlyList<string> limits, (uint Uid, uint Gid)? sharedUser, TaskUidRange? uids, string? problem,
        string description, string startupNote)
    {
        _limits = limits;
        _sharedUser = sharedUser;
        _uids = uids;
        Problem = problem;
        Description = description;
        StartupNote = startupNote;
    }

    /// <summary>Why no task may run (root without the uid range and the worker user); null when tasks may run.</summary>
    public string? Problem { get; }

    /// <summary>Who tasks run as and their limits, for task metadata.</summary>
    public string Description { get; }

    /// <summary>The mode in force and why, for the service's start-up log.</summary>
    public string StartupNote { get; }

    /// <summary>Whether every running task has a uid of its own.</summary>
    public bool UidPerTask => _uids is not null;

    public static TaskConfinement From(ConfinementOptions options)
    {
        if (!options.Enabled)
        {
            return None;
        }
        var prlimit = Find("prlimit");
        var setpriv = Find("setpriv");
        var isRoot = OperatingSystem.IsLinux() && GetEuid() == 0;
        if (prlimit is null || (isRoot && setpriv is null))
        {
            const string missing = "prlimit/setpriv (util-linux) are missing: run eng/install-prereqs.sh or set WorkerPool:Confinement:Enabled=false";
            return new TaskConfinement([], null, null, missing, "none", "no task can run: " + missing);
        }
        List<string> launcher =
        [
            prlimit,
            $"--cpu={options.CpuSeconds}",
            $"--as={(long)options.MemoryMegabytes * 1024 * 1024}",
            $"--nofile={options.OpenFiles}",
        ];
        var limits = $"cpu {options.CpuSeconds}s, memory {options.MemoryMegabytes} MB, open files {options.OpenFiles}";
        const string perProcess = "limits per process (prlimit; no cgroups)";
        if (!isRoot)
        {
            // Not root: tasks run as this service's own user (RLIMIT_NPROC would count the service's threads too).
            return new TaskConfinement([.. launcher, "--"], null, null, null, $"service user; {limits}",
                $"tasks run as this service's own user (it is not root, so it cannot switch users); {limits}; {perProcess}");
        }
        launcher.Add($"--nproc={options.Processes}");
        launcher.AddRange(["--", setpriv!]);
        var range = TaskUidRange.Open(options, setpriv!, Find("kill"), out var rangeProblem);
        if (range is not null)
        {
            return new TaskConfinement(launcher, null, range, null, $"task uid {range.Describe()}; {limits}, processes {options.Processes}",
                $"every running task runs as a uid of its own from {range.Describe()} (leases in {options.TaskUidLockDirectory}); " +
                $"{limits}, processes per task {options.Processes}; {perProcess}");
        }
        if (LookUp(options.User) is not { } worker)
        {
            var problem = $"the worker user '{options.User}' does not exist: run eng/install-prereqs.sh or set WorkerPool:Confinement:User; tasks never run as root";
            return new TaskConfinement([], null, null, problem, "none", $"no task can run: the uid range cannot be used ({rangeProblem}) and {problem}");
        }
        return new TaskConfinement(launcher, worker, null, null, $"user {options.User}; {limits}, processes {options.Processes}",
            $"the task uid range cannot be used ({rangeProblem}): every task runs as the shared user {options.User}, so tasks running " +
            $"at the same time can read each other's workspaces; {limits}, processes of all tasks together {options.Processes}; {perProcess}");
    }

    /// <summary>
    /// The identity a task runs as, with its session directories handed over to it. Disposing it ends the run: every
    /// process left running as a leased uid is killed, the directories are taken back, and the uid is released.
    /// </summary>
    public async Task<TaskIdentity> EnterAsync(TaskWorkspace workspace, CancellationToken cancellationToken)
    {
        if (_uids is not null)
        {
            var lease = await _uids.LeaseAsync(DirectoriesOf(workspace), cancellationToken);
            try
            {
                ChangeOwner(workspace, lease.Uid, lease.Gid);
            }
            catch
            {
                await lease.DisposeAsync();
                throw;
            }
            return new TaskIdentity([.. _limits, .. SwitchTo(lease.Uid, lease.Gid)], lease.Uid, async () =>
            {
                try
                {
                    await lease.KillEverythingAsync();
                    TakeBack(workspace);
                }
                finally
                {
                    await lease.DisposeAsync();
                }
            }, lease.KillEverythingAsync);
        }
        if (_sharedUser is { } worker)
        {
            ChangeOwner(workspace, worker.Uid, worker.Gid);
            return new TaskIdentity([.. _limits, .. SwitchTo(worker.Uid, worker.Gid)], worker.Uid, () =>
            {
                TakeBack(workspace);
                return Task.CompletedTask;
            });
        }
        return new TaskIdentity(_limits, null, () => Task.CompletedTask);
    }

    private static string[] SwitchTo(uint uid, uint gid) => [$"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--no-new-privs", "--"];

    /// <summary>Takes the task's directories back (also what the task created), so no later task can reach them.</summary>
    internal static void TakeBack(TaskWorkspace workspace) => ChangeOwner(workspace, GetEuid(), GetEgid());

    internal static void TakeBack(IEnumerable<string> directories)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        foreach (var directory in directories)
        {
            ChangeOwnerTree(directory, GetEuid(), GetEgid());
            if (Directory.Exists(directory))
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    private static string[] DirectoriesOf(TaskWorkspace workspace) =>
        IsInside(workspace.OutputDir, workspace.WorkspaceDir) ? [workspace.WorkspaceDir] : [workspace.WorkspaceDir, workspace.OutputDir];

    private static void ChangeOwner(TaskWorkspace workspace, uint uid, uint gid)
    {
        foreach (var directory in DirectoriesOf(workspace))
        {
            ChangeOwnerTree(directory, uid, gid);
            // Owner only, whoever owns it now: no other task's uid sees into it.
            if (!OperatingSystem.IsWindows() && Directory.Exists(directory))
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    private static void ChangeOwnerTree(string directory, uint uid, uint gid)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        _ = LChown(directory, uid, gid);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            // lchown changes a link itself, never its target; linked directories are not entered.
            if (entry is DirectoryInfo && (entry.Attributes & FileAttributes.ReparsePoint) == 0)
            {
                ChangeOwnerTree(entry.FullName, uid, gid);
            }
            else
            {
                _ = LChown(entry.FullName, uid, gid);
            }
        }
    }

    private static bool IsInside(string path, string directory) =>
        Path.GetFullPath(path).StartsWith(Path.GetFullPath(directory).TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string? Find(string tool) =>
        new[] { "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/" }.Select(dir => dir + tool).FirstOrDefault(File.Exists);

    /// <summary>uid and gid of a user from /etc/passwd.</summary>
    private static (uint Uid, uint Gid)? LookUp(string user)
    {
        if (!File.Exists("/etc/passwd"))
        {
            return null;
        }
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 4 && fields[0] == user
                && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                && uint.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
                && uid != 0)
            {
                return (uid, gid);
            }
        }
        return null;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    internal static extern uint GetEuid();

    [DllImport("libc", EntryPoint = "getegid")]
    internal static extern uint GetEgid();

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown(string path, uint owner, uint group);
}

/// <summary>Who one task runs as: the argv before its executable, its uid (null: this service's own), and the end of its run.</summary>
public sealed class TaskIdentity(IReadOnlyList<string> launcher, uint? uid, Func<Task> end, Func<Task>? killEverything = null) : IAsyncDisposable
{
    public IReadOnlyList<string> Launcher { get; } = launcher;

    public uint? Uid { get; } = uid;

    /// <summary>Kills every process running as the task's own uid (nothing when the uid is shared or the service's).</summary>
    public Task KillEverythingAsync() => killEverything?.Invoke() ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => new(end());
}
