using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// A process the AppHost started. It runs in its own session (setsid) so a Ctrl+C at the terminal
/// reaches only the AppHost, which then stops children in order; when a service account is given
/// it runs as that user (setpriv execs, so the pid is the server's own). Output lines are written to
/// the resource's log file and echoed with the resource name in front.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    /// <summary>Set on every child: lets the AppHost find (and sweep) everything it started for one data directory.</summary>
    public const string OwnerVariable = "SESSIONBUDDY_APPHOST_OWNER";

    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Freezes the process where it is (it cannot catch this); <see cref="SigCont"/> lets it run on.</summary>
    public const int SigStop = 19;

    public const int SigCont = 18;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Action<string>? _echo;
    private readonly object _gate = new();

    private ChildProcess(string name, Process process, StreamWriter log, Action<string>? echo)
    {
        Name = name;
        _process = process;
        _log = log;
        _echo = echo;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public static ChildProcess Start(ChildProcessSpec spec)
    {
        var psi = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory,
        };
        if (spec.RunAsUser is { } user && Environment.UserName == "root")
        {
            foreach (var a in new[] { "setpriv", $"--reuid={user}", $"--regid={user}", "--init-groups", "--" })
            {
                psi.ArgumentList.Add(a);
            }
        }
        psi.ArgumentList.Add(spec.FileName);
        foreach (var a in spec.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        // Inherited wiring of another app would confuse the child; it gets exactly what the model says.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("services__", StringComparison.OrdinalIgnoreCase)
                     || k is "ASPNETCORE_URLS" or "OTEL_SERVICE_NAME" or "OTEL_EXPORTER_OTLP_ENDPOINT").ToList())
        {
            psi.Environment.Remove(key);
        }
        psi.Environment[OwnerVariable] = spec.Owner;
        foreach (var (key, value) in spec.Environment)
        {
            psi.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(spec.LogPath)!);
        var log = new StreamWriter(new FileStream(spec.LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = psi };
        var child = new ChildProcess(spec.Name, process, log, spec.Echo);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40)
            {
                _tail.Dequeue();
            }
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Late output after shutdown; the echo below still shows it.
            }
        }
        _echo?.Invoke($"[{Name}] {line}");
    }

    /// <summary>The last lines the process wrote, for error messages.</summary>
    public string Tail(int lines = 20)
    {
        lock (_gate)
        {
            return string.Join(Environment.NewLine, _tail.Skip(Math.Max(0, _tail.Count - lines)));
        }
    }

    public void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, signal);
        }
    }

    /// <summary>Kills the process and all its descendants at once, like a crash.</summary>
    public void KillTree()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_process.HasExited)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    /// <summary>Asks the process to stop with <paramref name="signal"/>; kills its tree when it has not exited in time.</summary>
    public async Task StopAsync(int signal, TimeSpan grace)
    {
        Signal(signal);
        if (!await WaitForExitAsync(grace))
        {
            _echo?.Invoke($"[{Name}] did not stop within {grace.TotalSeconds:0} s; killing it");
            KillTree();
            await WaitForExitAsync(TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose()
    {
        KillTree();
        lock (_gate)
        {
            _log.Dispose();
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);
}

public sealed record ChildProcessSpec(
    string Name,
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string LogPath,
    string Owner,
    Action<string>? Echo)
{
    public string? RunAsUser { get; init; }

    public string WorkingDirectory { get; init; } = System.Environment.CurrentDirectory;
}
