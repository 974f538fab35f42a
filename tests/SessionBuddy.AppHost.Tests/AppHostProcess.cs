using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.AppHost.Tests;

/// <summary>
/// The real AppHost (DCP, dashboard and all), run as <c>dotnet SessionBuddy.AppHost.dll</c> as a user's
/// <c>dotnet run</c> would, with the launch profile's settings on free ports and a private data folder.
/// </summary>
internal sealed partial class AppHostProcess : IDisposable
{
    /// <summary>Every process the AppHost starts inherits this variable, so the test can find them all.</summary>
    public const string MarkerVariable = "SESSIONBUDDY_TEST_MARKER";

    private readonly Process _process;
    private readonly List<string> _output = [];

    private AppHostProcess(Process process, string marker, Uri dashboard)
    {
        _process = process;
        Marker = marker;
        DashboardUri = dashboard;
    }

    public string Marker { get; }

    public Process Process => _process;

    public Uri DashboardUri { get; }

    public static string AssemblyPath => Path.Combine(BuildMetadata.RepositoryRoot, "SessionBuddy.AppHost", "bin",
        BuildMetadata.Get("SessionBuddy.Configuration"), BuildMetadata.Get("SessionBuddy.TargetFramework"), "SessionBuddy.AppHost.dll");

    public static AppHostProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(AssemblyPath),
        };
        psi.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment.Remove("ConnectionStrings__ollama");
        var marker = Guid.NewGuid().ToString("N");
        var dashboard = new Uri($"http://127.0.0.1:{FreePort()}");
        // What Properties/launchSettings.json gives `dotnet run`, on ports no other run uses.
        psi.Environment["ASPNETCORE_URLS"] = dashboard.ToString().TrimEnd('/');
        psi.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        psi.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        psi.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        psi.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Development";
        psi.Environment[MarkerVariable] = marker;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[key] = value;
        }
        var process = new Process { StartInfo = psi };
        var host = new AppHostProcess(process, marker, dashboard);
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

    /// <summary>Waits for the line the AppHost prints once every project is healthy, and returns the MCP URL in it.</summary>
    public async Task<Uri> WaitForMcpUrlAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Select(l => McpLine().Match(l)).FirstOrDefault(m => m.Success) is { } match)
            {
                return new Uri(match.Groups[1].Value);
            }
            if (_process.HasExited)
            {
                Assert.Fail($"AppHost exited with {_process.ExitCode} before printing the MCP URL:{Environment.NewLine}{string.Join(Environment.NewLine, Output.TakeLast(40))}");
            }
            await Task.Delay(200);
        }
        Assert.Fail($"No MCP URL within {timeout.TotalSeconds:0} s:{Environment.NewLine}{string.Join(Environment.NewLine, Output.TakeLast(40))}");
        return null!;
    }

    /// <summary>Every live process (the AppHost and anything it started) carrying this run's marker.</summary>
    public IReadOnlyList<string> Survivors() => ProcessProbe.WithEnvironmentEntry($"{MarkerVariable}={Marker}");

    /// <summary>Every live process of this run, with its environment.</summary>
    public IReadOnlyList<ProcessInfo> Processes() => ProcessProbe.Find($"{MarkerVariable}={Marker}");

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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"MCP endpoint: (http://\S+)")]
    private static partial Regex McpLine();
}
