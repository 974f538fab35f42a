using System.Diagnostics;
using System.Runtime.InteropServices;
using SessionBuddy.WorkerPool.Confinement;
using SessionBuddy.WorkerPool.Workers;
using SessionBuddy.WorkerPool.Workspaces;

namespace SessionBuddy.WorkerPool.Processes;

public sealed record ExecutionOutcome(
    string Status,
    string Output,
    string? Error,
    int? ExitCode,
    double DurationSeconds,
    double ProcessSeconds,
    Dictionary<string, object?> Metadata);

/// <summary>
/// Runs one task as a process: no shell unless the worker type's executable is one, an environment
/// limited to what the type declares plus PATH and the session variables, its own process group (via
/// setsid) so that cancel and timeout kill the whole tree, confined (<see cref="TaskConfinement"/>: an
/// unprivileged user, resource limits), and output captured with a cap. Its
/// <c>process_ms</c> runs from the spawn to the moment the runtime reaped the process.
/// </summary>
public static class TaskProcess
{
    private const string LogFileName = "worker.log";
    private static readonly string? Setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    public static async Task<ExecutionOutcome> RunAsync(
        WorkerType type,
        string promptOrCommand,
        TaskWorkspace workspace,
        TimeSpan timeout,
        int maxOutputChars,
        TaskConfinement confinement,
        Action<string>? progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (confinement.Problem is { } problem)
        {
            return new ExecutionOutcome(WorkerTaskStatuses.Failed, "", problem, null, clock.Elapsed.TotalSeconds, 0, []);
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        var executable = ResolveExecutable(type.Executable, path);
        if (executable is null)
        {
            return new ExecutionOutcome(
                WorkerTaskStatuses.Failed, "",
                $"executable '{type.Executable}' of worker type '{type.Name}' was not found (PATH={path}); install it or set WorkerPool:WorkerTypes:{type.Name}:Executable",
                null, clock.Elapsed.TotalSeconds, 0, new Dictionary<string, object?> { ["missing_executable"] = type.Executable });
        }

        Directory.CreateDirectory(workspace.WorkspaceDir);
        Directory.CreateDirectory(workspace.OutputDir);
        // The task's own uid (or the shared worker user) for the run; its end kills whatever still runs as that uid,
        // takes the directories back and releases the uid.
        await using var identity = await confinement.EnterAsync(workspace, cancellationToken);
        return await RunProcessAsync(type, promptOrCommand, workspace, timeout, maxOutputChars, confinement.Description, identity, executable, path, clock,
            progress, cancellationToken);
    }

    private static async Task<ExecutionOutcome> RunProcessAsync(
        WorkerType type,
        string promptOrCommand,
        TaskWorkspace workspace,
        TimeSpan timeout,
        int maxOutputChars,
        string confinementDescription,
        TaskIdentity identity,
        string executable,
        string path,
        Stopwatch clock,
        Action<string>? progress,
        CancellationToken cancellationToken)
    {
        // setsid, then the confinement's launcher (limits, user switch), each exec'ing the next: the task keeps the first pid.
        string[] launch = [.. Setsid is null ? [] : new[] { Setsid }, .. identity.Launcher, executable];
        var psi = new ProcessStartInfo(launch[0])
        {
            WorkingDirectory = workspace.WorkspaceDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in launch.Skip(1))
        {
            psi.ArgumentList.Add(argument);
        }
        foreach (var argument in type.Arguments)
        {
            psi.ArgumentList.Add(Expand(argument, promptOrCommand, workspace, type));
        }
        psi.Environment.Clear();
        foreach (var name in type.PassEnvironment)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                psi.Environment[name] = value;
            }
        }
        foreach (var (name, value) in type.Environment)
        {
            psi.Environment[name] = value;
        }
        if (identity.Uid is not null && !type.Environment.ContainsKey("HOME"))
        {
            // Another user's home (the service's) is closed to the task's uid: its home is its workspace.
            psi.Environment["HOME"] = workspace.WorkspaceDir;
        }
        psi.Environment["PATH"] = path;
        psi.Environment["SESSION_BUDDY_SESSION_ID"] = workspace.SessionId?.ToString() ?? "";
        psi.Environment["SESSION_BUDDY_OUTPUT_DIR"] = workspace.OutputDir;
        psi.Environment["SESSION_BUDDY_WORKSPACE_DIR"] = workspace.WorkspaceDir;

        var streamJson = type.OutputFormat == OutputFormats.StreamJson ? new StreamJsonParser() : null;
        using var capture = new OutputCapture(maxOutputChars, new StreamWriter(Path.Combine(workspace.OutputDir, LogFileName)) { AutoFlush = false });
        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        using var markerSeen = new CancellationTokenSource();
        using var process = new Process { StartInfo = psi };

        var processClock = Stopwatch.StartNew();
        var startedAt = DateTime.UtcNow;
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new ExecutionOutcome(WorkerTaskStatuses.Failed, "", $"could not start '{executable}': {ex.Message}", null,
                clock.Elapsed.TotalSeconds, 0, []);
        }
        var startOverhead = clock.Elapsed - processClock.Elapsed;
        process.StandardInput.Close();

        var markers = type.CompletionMarkers;
        void OnLine(string stream, string line)
        {
            capture.Append(stream, line);
            if (stream == "stdout")
            {
                var description = streamJson is not null ? streamJson.Accept(line) : line;
                if (description is not null)
                {
                    progress?.Invoke(description.Length > 500 ? description[..500] : description);
                }
                if (markers.Count > 0 && markers.Any(line.Contains))
                {
                    markerSeen.Cancel();
                }
            }
        }

        using var stopOnMarker = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, markerSeen.Token);
        var output = new OutputReaders(process, OnLine);
        var exit = process.WaitForExitAsync(stopOnMarker.Token);
        var killed = false;
        try
        {
            // Normally the output ends as the process exits, and the reader thread that sees the end waits for the
            // exit and runs the rest of the task itself: no thread-pool hop between the exit and the result.
            if (await Task.WhenAny(output.Ended, exit) == exit)
            {
                await exit;
            }
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            killed = true;
            await process.WaitForExitAsync(CancellationToken.None);
        }
        if (!killed && Setsid is not null && OperatingSystem.IsLinux())
        {
            // What the task left running in its group (background children) ends with it.
            _ = Kill(-process.Id, 9);
        }
        // Whatever left the group (setsid) but runs as the task's own uid ends with it too.
        await identity.KillEverythingAsync();
        if (!output.Ended.IsCompleted)
        {
            // The pipes close when the last process holding them exits; a stray daemon must not hold the task.
            await Task.WhenAny(output.Ended, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        }
        // The process's run ends when the runtime reaped it (its SIGCHLD handler notes the time): everything after
        // that, output collection included, counts as the pool's overhead.
        var processSeconds = killed
            ? processClock.Elapsed.TotalSeconds
            : Math.Clamp((process.ExitTime.ToUniversalTime() - startedAt).TotalSeconds, 0, processClock.Elapsed.TotalSeconds);
        int? exitCode = killed ? null : process.ExitCode;

        var metadata = streamJson?.Metadata() ?? [];
        metadata["log_file"] = Path.Combine(workspace.OutputDir, LogFileName);
        metadata["confinement"] = confinementDescription;
        if (identity.Uid is { } uid)
        {
            metadata["uid"] = uid;
        }
        metadata["output_truncated"] = capture.Truncated;
        metadata["process_ms"] = Math.Round(processSeconds * 1000, 3);
        metadata["start_overhead_ms"] = Math.Round(startOverhead.TotalMilliseconds, 3);
        var text = streamJson?.Output ?? capture.Text;
        if (text.Length > maxOutputChars)
        {
            text = text[^maxOutputChars..];
        }

        string status;
        string? error = null;
        if (markerSeen.IsCancellationRequested)
        {
            status = WorkerTaskStatuses.Completed;
        }
        else if (killed && timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            status = WorkerTaskStatuses.Timeout;
            error = $"timed out after {timeout.TotalSeconds:0} s; the process tree was killed";
        }
        else if (killed)
        {
            status = WorkerTaskStatuses.Cancelled;
            error = "cancelled; the process tree was killed";
        }
        else if (exitCode != 0)
        {
            status = WorkerTaskStatuses.Failed;
            error = $"exit code {exitCode}" + (capture.StderrTail is { Length: > 0 } tail ? ": " + tail : "");
        }
        else if (streamJson is { ResultIsError: true })
        {
            status = WorkerTaskStatuses.Failed;
            error = $"the CLI reported an error result ({streamJson.ResultSubtype})";
        }
        else
        {
            status = WorkerTaskStatuses.Completed;
        }
        return new ExecutionOutcome(status, text, error, exitCode, clock.Elapsed.TotalSeconds, processSeconds, metadata);
    }

    public static string? ResolveExecutable(string executable, string path)
    {
        if (executable.Contains('/'))
        {
            return File.Exists(executable) ? executable : null;
        }
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, executable))
            .FirstOrDefault(File.Exists);
    }

    private static string Expand(string argument, string prompt, TaskWorkspace workspace, WorkerType type) =>
        argument
            .Replace("{workspace}", workspace.WorkspaceDir, StringComparison.Ordinal)
            .Replace("{output_dir}", workspace.OutputDir, StringComparison.Ordinal)
            .Replace("{image}", type.Image ?? "", StringComparison.Ordinal)
            .Replace("{prompt}", prompt, StringComparison.Ordinal);

    private static void KillTree(Process process)
    {
        try
        {
            // setsid made the process the leader of its own group: signal the whole group at once.
            if (Setsid is not null && OperatingSystem.IsLinux())
            {
                _ = Kill(-process.Id, 9);
            }
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
