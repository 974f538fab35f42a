using System.Globalization;
using System.Runtime.InteropServices;

namespace SessionBuddy.WorkerPool.Execution;

/// <summary>The <c>WorkerPool:Confinement</c> configuration section: who tasks run as and their resource limits.</summary>
public sealed class ConfinementOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The unprivileged user tasks run as when the service runs as root (created by eng/install-prereqs.sh).</summary>
    public string User { get; set; } = "sessionbuddy-worker";

    /// <summary>CPU seconds each process of a task may use (RLIMIT_CPU).</summary>
    public int CpuSeconds { get; set; } = 3600;

    /// <summary>Address space of each process of a task, MB (RLIMIT_AS).</summary>
    public int MemoryMegabytes { get; set; } = 4096;

    /// <summary>Open files of each process (RLIMIT_NOFILE).</summary>
    public int OpenFiles { get; set; } = 1024;

    /// <summary>Processes of the worker user at once, all its tasks together (RLIMIT_NPROC; only with a user switch).</summary>
    public int Processes { get; set; } = 512;
}

/// <summary>
/// Confines a task: resource limits set by <c>prlimit</c> and, when this service runs as root, a switch to the
/// unprivileged worker user by <c>setpriv</c> (no supplementary groups, no new privileges). The task's session
/// directory is handed to that user for the run and taken back afterwards, so idle sessions (created 0700 by
/// the Sessions service) stay out of every task's reach. Ownership changes never follow symbolic links.
/// </summary>
public sealed class TaskConfinement
{
    public static readonly TaskConfinement None = new([], null, null, "none");

    private readonly (uint Uid, uint Gid)? _worker;

    private TaskConfinement(IReadOnlyList<string> launcher, (uint Uid, uint Gid)? worker, string? problem, string description)
    {
        Launcher = launcher;
        _worker = worker;
        Problem = problem;
        Description = description;
    }

    /// <summary>The argv that runs before the task's executable (which follows it).</summary>
    public IReadOnlyList<string> Launcher { get; }

    /// <summary>Why no task may run (root without the worker user); null when tasks may run.</summary>
    public string? Problem { get; }

    /// <summary>Who tasks run as and their limits, for task metadata.</summary>
    public string Description { get; }

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
            return new TaskConfinement([], null,
                "prlimit/setpriv (util-linux) are missing: run eng/install-prereqs.sh or set WorkerPool:Confinement:Enabled=false", "none");
        }
        List<string> launcher =
        [
            prlimit,
            $"--cpu={options.CpuSeconds}",
            $"--as={(long)options.MemoryMegabytes * 1024 * 1024}",
            $"--nofile={options.OpenFiles}",
        ];
        var limits = $"cpu {options.CpuSeconds}s, memory {options.MemoryMegabytes} MB, open files {options.OpenFiles}";
        if (!isRoot)
        {
            // Not root: tasks run as this service's own user (RLIMIT_NPROC would count the service's threads too).
            return new TaskConfinement([.. launcher, "--"], null, null, $"service user; {limits}");
        }
        if (LookUp(options.User) is not { } worker)
        {
            return new TaskConfinement([], null,
                $"the worker user '{options.User}' does not exist: run eng/install-prereqs.sh or set WorkerPool:Confinement:User; tasks never run as root", "none");
        }
        launcher.Add($"--nproc={options.Processes}");
        launcher.AddRange(["--", setpriv!, $"--reuid={worker.Uid}", $"--regid={worker.Gid}", "--clear-groups", "--no-new-privs", "--"]);
        return new TaskConfinement(launcher, worker, null, $"user {options.User}; {limits}, processes {options.Processes}");
    }

    /// <summary>Gives the task's directories to the worker user for the run.</summary>
    public void HandOver(TaskWorkspace workspace)
    {
        if (_worker is { } worker)
        {
            ChangeOwner(workspace, worker.Uid, worker.Gid);
        }
    }

    /// <summary>Takes the task's directories back (also what the task created), so no later task can reach them.</summary>
    public void TakeBack(TaskWorkspace workspace)
    {
        if (_worker is not null)
        {
            ChangeOwner(workspace, GetEuid(), GetEgid());
        }
    }

    private static void ChangeOwner(TaskWorkspace workspace, uint uid, uint gid)
    {
        foreach (var directory in IsInside(workspace.OutputDir, workspace.WorkspaceDir) ? [workspace.WorkspaceDir] : new[] { workspace.WorkspaceDir, workspace.OutputDir })
        {
            ChangeOwnerTree(directory, uid, gid);
            // Owner only, whoever owns it now: other tasks (the same user) never see into it once it is taken back.
            if (!OperatingSystem.IsWindows())
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
    private static extern uint GetEuid();

    [DllImport("libc", EntryPoint = "getegid")]
    private static extern uint GetEgid();

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown(string path, uint owner, uint group);
}
