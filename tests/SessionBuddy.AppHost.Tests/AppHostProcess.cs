using System.Diagnostics;
using SessionBuddy.AppHost.Model;

namespace SessionBuddy.AppHost.Tests;

/// <summary>The real AppHost, run as `dotnet SessionBuddy.AppHost.dll ...` exactly as a user would (minus `dotnet run`'s build).</summary>
internal sealed class AppHostProcess : IDisposable
{
    /// <summary>Every process the AppHost starts inherits this variable, so the test can find them all.</summary>
    public const string MarkerVariable = "SESSIONBUDDY_TEST_MARKER";

    private readonly Process _process;
    private readonly List<string> _output = [];

    private AppHostProcess(Process process, string marker)
    {
        _process = process;
        Marker = marker;
    }

    public string Marker { get; }

    public Process Process => _process;

    public static string AssemblyPath => Path.Combine(BuildMetadata.RepositoryRoot, "SessionBuddy.AppHost", "bin",
        BuildMetadata.Get("SessionBuddy.Configuration"), BuildMetadata.Get("SessionBuddy.TargetFramework"), "SessionBuddy.AppHost.dll");

    public static AppHostProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment.Remove("ConnectionStrings__ollama");
        var marker = Guid.NewGuid().ToString("N");
        psi.Environment[MarkerVariable] = marker;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[key] = value;
        }
        var process = new Process { StartInfo = psi };
        var host = new AppHostProcess(process, marker);
        void OnData(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }
            lock (host._output)
            {
                host._output.Add(e.Data);
            }
            onLine?.Invoke(e.Data);
        }
        process.OutputDataReceived += OnData;
        process.ErrorDataReceived += OnData;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Every live process (the AppHost and anything it started) carrying this run's marker.</summary>
    public IReadOnlyList<string> Survivors() => ProcessProbe.WithEnvironmentEntry($"{MarkerVariable}={Marker}");

    /// <summary>Test cleanup whatever happened: kill the AppHost and everything carrying the marker.</summary>
    public void Dispose()
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
            // Already gone.
        }
        foreach (var survivor in Survivors())
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(int.Parse(survivor.Split(' ')[0])).Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
        _process.Dispose();
    }
}
