using System.ComponentModel.DataAnnotations;

namespace SessionBuddy.WorkerPool;

/// <summary>The <c>WorkerPool</c> configuration section.</summary>
public sealed class WorkerPoolOptions
{
    public const string SectionName = "WorkerPool";

    /// <summary>Tasks running at once in this process, 1..100.</summary>
    [Range(1, 100)]
    public int MaxConcurrentTasks { get; set; } = 32;

    [Range(1, int.MaxValue)]
    public int MaxPools { get; set; } = 10;

    [Range(1, int.MaxValue)]
    public int MaxWorkersPerPool { get; set; } = 3;

    /// <summary>Single workers (worker_spawn) alive at once.</summary>
    [Range(1, int.MaxValue)]
    public int MaxWorkers { get; set; } = 100;

    [Range(1, int.MaxValue)]
    public int MaxTasksPerCall { get; set; } = 1000;

    /// <summary>
    /// The Akosha hub AkoshaSync pushes to (<c>Akosha:Endpoint</c>, shared with AkoshaSync): without it pool_shutdown
    /// reports not_configured and publishes nothing, since nobody would push the results.
    /// </summary>
    public string? AkoshaEndpoint { get; set; }

    /// <summary>
    /// Container-native mode (seed 000 Phase 3): this instance and its pools live in one container, so a SIGTERM shuts
    /// every active pool down as pool_shutdown would, pushing their results to Akosha before the process exits.
    /// </summary>
    public bool ShutdownPoolsOnStop { get; set; }

    /// <summary>How often a failed pool task is retried on another worker of the pool.</summary>
    [Range(0, int.MaxValue)]
    public int MaxRetries { get; set; } = 1;

    /// <summary>Consecutive failures after which a pool worker is marked unhealthy and replaced.</summary>
    [Range(1, int.MaxValue)]
    public int UnhealthyAfterFailures { get; set; } = 3;

    /// <summary>Characters of output kept in memory and in the result; the full log is in the workspace.</summary>
    [Range(1, int.MaxValue)]
    public int MaxOutputChars { get; set; } = 65_536;

    /// <summary>Whether each task gets its own session (workspace, output dir) from the Sessions service.</summary>
    public bool CreateSessions { get; set; } = true;

    /// <summary>Sessions created ahead of demand so tasks start without a Sessions round trip (0: create per task).</summary>
    [Range(0, int.MaxValue)]
    public int PreparedSessions { get; set; } = 16;

    /// <summary>Where task workspaces go when <see cref="CreateSessions"/> is off.</summary>
    public string? LocalWorkspaceRoot { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An instance silent for this long is considered gone and its running tasks failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan InstanceExpiry { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Who tasks run as and their resource limits.</summary>
    public ConfinementOptions Confinement { get; set; } = new();

    /// <summary>Worker types by name; merged over the built-ins (shell, terminal-claude, terminal-qwen, container).</summary>
    public Dictionary<string, WorkerTypeOptions> WorkerTypes { get; set; } = new(StringComparer.Ordinal);

    public const int MinTimeoutSeconds = 30;
    public const int MaxTimeoutSeconds = 3600;
}

/// <summary>
/// How a worker type runs a task. <see cref="Arguments"/> may contain {prompt} (the task text),
/// {workspace}, {output_dir} and {image}; each argument is passed as one argv entry, never through a shell.
/// </summary>
public sealed class WorkerTypeOptions
{
    public string? Executable { get; set; }

    public List<string>? Arguments { get; set; }

    /// <summary>text or stream-json.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>A line containing one of these ends the task as completed (for CLIs that do not exit).</summary>
    public List<string>? CompletionMarkers { get; set; }

    /// <summary>Variables set for the process (besides PATH and the session variables).</summary>
    public Dictionary<string, string>? Environment { get; set; }

    /// <summary>Variables copied from this service's environment when set (e.g. ANTHROPIC_API_KEY, HOME).</summary>
    public List<string>? PassEnvironment { get; set; }

    /// <summary>Container image for {image}.</summary>
    public string? Image { get; set; }
}

/// <summary>The <c>WorkerPool:Confinement</c> configuration section: who tasks run as and their resource limits.</summary>
public sealed class ConfinementOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// First uid of the range tasks run as when the service runs as root: each running task leases one uid (its gid is
    /// the same number), so no two running tasks on this host share one. The ids need no passwd entry; ids that have
    /// one (a real user or group) are skipped.
    /// </summary>
    public int TaskUidFirst { get; set; } = 200_000;

    /// <summary>How many uids the range holds (0: every task runs as <see cref="User"/>, as before).</summary>
    [Range(0, int.MaxValue)]
    public int TaskUidCount { get; set; } = 1000;

    /// <summary>
    /// Where the uid leases are held, one lock file per uid (flock; released by the kernel if the process dies), shared
    /// by every WorkerPool replica on this host. Created owner-only.
    /// </summary>
    public string TaskUidLockDirectory { get; set; } = "/run/sessionbuddy/task-uids";

    /// <summary>
    /// The unprivileged user tasks run as when the service runs as root and the uid range cannot be used (created by
    /// eng/install-prereqs.sh).
    /// </summary>
    public string User { get; set; } = "sessionbuddy-worker";

    /// <summary>CPU seconds each process of a task may use (RLIMIT_CPU).</summary>
    [Range(1, int.MaxValue)]
    public int CpuSeconds { get; set; } = 3600;

    /// <summary>Address space of each process of a task, MB (RLIMIT_AS).</summary>
    [Range(1, int.MaxValue)]
    public int MemoryMegabytes { get; set; } = 4096;

    /// <summary>Open files of each process (RLIMIT_NOFILE).</summary>
    [Range(1, int.MaxValue)]
    public int OpenFiles { get; set; } = 1024;

    /// <summary>
    /// Processes of the task's uid at once (RLIMIT_NPROC; only with a user switch): per task with the uid range, all
    /// tasks together with the shared user.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int Processes { get; set; } = 512;
}
